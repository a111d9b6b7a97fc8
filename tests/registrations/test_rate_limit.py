import dataclasses

import httpx

from events_service.app import create_app, running_service
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload


async def test_public_registration_is_rate_limited_per_client(settings: Settings) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=3)
    app = create_app(limited)
    async with running_service(limited):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as client:
            organiser = await token_headers(client)
            event = await published_event(client, organiser)
            path = f"/api/public/events/{event['id']}/registrations"
            codes = [(await client.post(path, json=registration_payload(f"p{n}.x@x.example", company_no=n))).status_code for n in range(4)]
            assert codes == [201, 201, 201, 429]
            refused = await client.post(path, json=registration_payload("late.x@x.example"))
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) > 0
            assert (await client.get("/api/public/events")).status_code == 200  # reading is not limited
        other_transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 40000))
        async with httpx.AsyncClient(transport=other_transport, base_url="http://events.test") as other:
            answer = await other.post(path, json=registration_payload("other.client@x.example", company_no=9))
            assert answer.status_code == 201
        assert await Registration.count() == 4
