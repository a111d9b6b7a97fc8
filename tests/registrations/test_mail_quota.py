"""Public registration is not a mail cannon: what anonymous requests can make us send is
limited per recipient and per event (429, nothing written), and colleagues count towards the
client's request limit. Attacker-side, against the app, on both engines."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from events_service.app import create_app, running_service
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload

VICTIM = "victim.person@target.example"


@asynccontextmanager
async def attacker(settings: Settings, address: str = "203.0.113.50") -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with running_service(settings):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as client:
            yield client


async def _events(client: httpx.AsyncClient, count: int, **overrides: Any) -> list[dict[str, Any]]:
    organiser = await token_headers(client)
    return [await published_event(client, organiser, title=f"Talk {n}", **overrides) for n in range(count)]


def _register_path(event: dict[str, Any]) -> str:
    return f"/api/public/events/{event['id']}/registrations"


async def _mails_to(address: str) -> int:
    return await OutboxMessage.count().where(OutboxMessage.to_address == address)


async def test_a_person_gets_at_most_a_few_emails_an_hour_from_anonymous_registrations(settings: Settings) -> None:
    quota = dataclasses.replace(settings, mail_quota_per_recipient_per_hour=3)
    async with attacker(quota) as client:
        events = await _events(client, 5)
        codes = [(await client.post(_register_path(event), json=registration_payload(VICTIM, company_no=n))).status_code
                 for n, event in enumerate(events[:3])]
        assert codes == [201, 201, 201]
        refused = await client.post(_register_path(events[3]), json=registration_payload(VICTIM, company_no=3))
        assert refused.status_code == 429, refused.text
        assert refused.json()["status_code"] == 429
        assert refused.json()["detail"]
        # The quota's hour, not the per-client limiter's minute (which once replaced it).
        assert 60 < int(refused.headers["retry-after"]) <= 3600
        # the victim hidden among colleagues: the whole registration is refused
        payload = registration_payload("someone.else@x.example", company_no=4,
                                       colleagues=[{"email": VICTIM.upper(), "first_name": "V", "last_name": "P"}])
        assert (await client.post(_register_path(events[4]), json=payload)).status_code == 429
        assert await Registration.count().where(Registration.event.is_in([events[3]["id"], events[4]["id"]])) == 0
        assert await _mails_to(VICTIM) == 3
        assert await _mails_to("someone.else@x.example") == 0
        # other people are not affected
        assert (await client.post(_register_path(events[3]), json=registration_payload("third.party@x.example"))).status_code == 201


async def test_the_registration_form_is_limited_the_same_way(settings: Settings) -> None:
    from tests.registrations.test_rate_limit import _form
    from tests.web.support import post_form

    quota = dataclasses.replace(settings, mail_quota_per_recipient_per_hour=1)
    async with attacker(quota) as client:
        event, other = await _events(client, 2)
        assert (await client.post(_register_path(event), json=registration_payload(VICTIM))).status_code == 201
        page = await post_form(client, f"/e/{other['slug']}/register", _form(VICTIM), headers={"Accept-Language": "en"})
        assert page.status_code == 429
        assert 60 < int(page.headers["retry-after"]) <= 3600
        assert await Registration.count().where(Registration.event == other["id"]) == 0
        assert await _mails_to(VICTIM) == 1


async def test_an_event_sends_at_most_so_many_emails_an_hour_from_anonymous_registrations(settings: Settings) -> None:
    quota = dataclasses.replace(settings, mail_quota_per_event_per_hour=4)
    async with attacker(quota) as client:
        (event,) = await _events(client, 1)
        colleagues = [{"email": f"colleague{n}@x.example", "first_name": "C", "last_name": f"N{n}"} for n in range(3)]
        assert (await client.post(_register_path(event), json=registration_payload("lead.one@x.example", colleagues=colleagues))).status_code == 201
        refused = await client.post(_register_path(event), json=registration_payload("one.more@x.example", company_no=2))
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert await Registration.count().where(Registration.event == event["id"]) == 4
        assert await OutboxMessage.count().where(OutboxMessage.event_id == event["id"]) == 4


async def test_cancelling_by_link_counts_too(settings: Settings) -> None:
    quota = dataclasses.replace(settings, mail_quota_per_recipient_per_hour=3)
    async with attacker(quota) as client:
        first, second = await _events(client, 2)
        tokens = []
        for n, event in enumerate((first, second)):
            answer = await client.post(_register_path(event), json=registration_payload(VICTIM, company_no=n))
            assert answer.status_code == 201
            tokens.append(answer.json()["manage_token"])
        assert (await client.post(f"/api/public/registrations/{tokens[0]}/cancel")).status_code == 200  # the 3rd email
        queued = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind).where(OutboxMessage.to_address == VICTIM).order_by(OutboxMessage.id)
        refused = await client.post(f"/api/public/registrations/{tokens[1]}/cancel")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert (await Registration.select(Registration.status).where(Registration.event == second["id"]).first())["status"] == "confirmed"
        assert await OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind).where(OutboxMessage.to_address == VICTIM).order_by(OutboxMessage.id) == queued
        # cancelling again what is cancelled sends nothing, so it is not refused
        assert (await client.post(f"/api/public/registrations/{tokens[0]}/cancel")).status_code == 200


async def test_racing_registrations_of_one_address_cannot_pass_the_limit_together(settings: Settings) -> None:
    """On PostgreSQL the requests run at the same time on a pool of connections: each must
    see the others' counts (or wait for them), never a stale one."""
    quota = dataclasses.replace(settings, mail_quota_per_recipient_per_hour=3, db_pool_size=12)
    async with attacker(quota) as client:
        events = await _events(client, 10)
        for round_no in range(3):
            address = f"race{round_no}@target.example"
            answers = await asyncio.gather(*[
                client.post(_register_path(event), json=registration_payload(address, company_no=n)) for n, event in enumerate(events)
            ])
            assert sorted(answer.status_code for answer in answers) == [201] * 3 + [429] * 7, [a.text for a in answers]
            assert await _mails_to(address) == 3
            assert await Registration.count().where(Registration.contact.email == address) == 3


async def test_colleagues_count_towards_the_clients_request_limit(settings: Settings) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=5)
    async with attacker(limited, "203.0.113.60") as client:
        (event,) = await _events(client, 1)

        def team(lead: str, size: int) -> dict[str, Any]:
            people = [{"email": f"{lead}.c{n}@x.example", "first_name": "C", "last_name": f"N{n}"} for n in range(size)]
            return registration_payload(f"{lead}@x.example", colleagues=people)

        too_big = await client.post(_register_path(event), json=team("ten", 5))  # counts as 6 of 5
        assert too_big.status_code == 429
        assert int(too_big.headers["retry-after"]) > 0
        assert await Registration.count() == 0
        assert (await client.post(_register_path(event), json=team("four", 3))).status_code == 201  # the refused one counted once: 1 + 1 + 3 = 5
        assert (await client.post(_register_path(event), json=registration_payload("single@x.example", company_no=2))).status_code == 429
        assert await Registration.count() == 4
