import dataclasses

from events_service.app import create_app, running_service
from events_service.organisers.service import create_organiser
from events_service.rate_limit import SIGN_IN_ATTEMPTS_PER_MINUTE
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.web import session as console_session
from tests.conftest import token_headers
from tests.factories import partita_iva, published_event, registration_payload
from tests.support.clients import client_at
from tests.web.support import PASSWORD, post_form


async def test_public_registration_is_rate_limited_per_client(settings: Settings) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=3)
    app = create_app(limited)
    async with running_service(limited):
        async with client_at(app, "203.0.113.7") as client:
            organiser = await token_headers(client)
            event = await published_event(client, organiser)
            path = f"/api/public/events/{event['id']}/registrations"
            codes = [(await client.post(path, json=registration_payload(f"p{n}.x@x.example", company_no=n))).status_code for n in range(4)]
            assert codes == [201, 201, 201, 429]
            refused = await client.post(path, json=registration_payload("late.x@x.example"))
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) > 0
            assert (await client.get("/api/public/events")).status_code == 200  # reading is not limited
        async with client_at(app, "203.0.113.8") as other:
            answer = await other.post(path, json=registration_payload("other.client@x.example", company_no=9))
            assert answer.status_code == 201
        assert await Registration.count() == 4


async def test_the_registration_form_shares_the_api_count(settings: Settings) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=3)
    app = create_app(limited)
    async with running_service(limited):
        async with client_at(app, "203.0.113.9", headers={"Accept-Language": "it"}) as client:
            organiser = await token_headers(client)
            event = await published_event(client, organiser)
            api = f"/api/public/events/{event['id']}/registrations"
            for n in range(2):
                assert (await client.post(api, json=registration_payload(f"api{n}.x@x.example", company_no=n))).status_code == 201
            form_page = f"/e/{event['slug']}/register"
            through_form = await post_form(client, form_page, _form("third.person@x.example"))
            assert through_form.status_code == 303, through_form.text
            refused = await post_form(client, form_page, _form("fourth.person@x.example"))
            assert refused.status_code == 429
            assert "Troppi tentativi" in refused.text
            assert int(refused.headers["retry-after"]) > 0
            assert (await client.post(api, json=registration_payload("fifth.x@x.example", company_no=5))).status_code == 429
        assert await Registration.count() == 3


def _form(email: str) -> dict[str, str]:
    return {
        "email": email, "first_name": "Form", "last_name": "Person", "company_vat": partita_iva(7),
        "company_name": "Azienda 7 Srl", "company_country": "IT", "consent_privacy": "yes",
    }


async def test_signing_in_is_limited_per_client_across_the_api_and_the_console(settings: Settings) -> None:
    app = create_app(settings)
    async with running_service(settings):
        await create_organiser("guessed@programme.example", "Guessed", PASSWORD, "organiser")
        async with client_at(app, "198.51.100.4", headers={"Accept-Language": "en"}) as attacker:
            # one address guessing at many accounts (each account's own count is organisers/sign_in.py's)
            codes = [(await attacker.post("/api/auth/token", json={"email": f"guess{n}@programme.example", "password": "not it"})).status_code
                     for n in range(SIGN_IN_ATTEMPTS_PER_MINUTE - 1)]
            assert codes == [401] * (SIGN_IN_ATTEMPTS_PER_MINUTE - 1)
            last_try = await post_form(attacker, "/console/login", {"email": "guessed@programme.example", "password": "not it"})
            assert last_try.status_code == 401  # the console's form counts with the API
            right = {"email": "guessed@programme.example", "password": PASSWORD}
            refused = await attacker.post("/api/auth/token", json=right)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) > 0
            page = await post_form(attacker, "/console/login", right)
            assert page.status_code == 429
            assert "Too many attempts" in page.text
            assert console_session.SESSION_COOKIE not in page.cookies
        async with client_at(app, "198.51.100.5") as organiser:
            assert (await organiser.post("/api/auth/token", json=right)).status_code == 200
            # registrations are counted apart from sign-ins
            assert (await organiser.get("/api/public/events")).status_code == 200
