"""Issue 12, holes 1 and 2, from the attacker's side: knowing someone's email address gives
nothing of theirs. Registering that address for another event yields a manage token that shows
and changes that one registration only (no personal feed link, no other registration, not the
person's name), and writes nothing over the person as they gave themselves: what the stranger
typed belongs to the stranger's registration."""

from __future__ import annotations

import re

import httpx

from events_service.companies.tables import Contact
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.factories import partita_iva, published_event, registration_payload
from tests.mailparse import rendered, text_body

VICTIM = "ada.neri@victim.example"
JOIN_URL = "https://meet.example.org/j/123456"
FEED_LINK = re.compile(r"http://events\.test/calendar/personal/[^\s\"'<>]+\.ics")


async def _register(client: httpx.AsyncClient, event_id: int, email: str, company_no: int = 1, **overrides: object) -> dict:
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no, **overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _confirmation_text(registration_id: int, settings: Settings) -> str:
    row = await OutboxMessage.select().where((OutboxMessage.registration_id == registration_id) & (OutboxMessage.kind == "confirmed")).first()
    return text_body(await rendered(row, settings))


def _stranger(**overrides: object) -> dict[str, object]:
    """What an attacker types with the victim's address: another name, company and language."""
    return {
        "first_name": "Mallory",
        "last_name": "Intruder",
        "company": {"vat_id": partita_iva(7), "name": "Azienda 7 Srl", "country": "IT"},
        "language": "en",
        "consent_marketing": True,
        **overrides,
    }


async def test_a_manage_token_got_with_someone_elses_address_shows_nothing_of_theirs(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    secret_talk = await published_event(client, organiser, title="Confidential roadmap talk")
    other = await published_event(client, organiser, title="Open talk")
    victims_own = await _register(client, secret_talk["id"], VICTIM, 1, first_name="Ada", last_name="Neri")
    # The person's own feed link, as their own confirmation email carries it.
    (feed_link,) = set(FEED_LINK.findall(await _confirmation_text(victims_own["id"], settings)))

    attackers = await _register(client, other["id"], VICTIM, **_stranger())
    token = attackers["manage_token"]
    shown = await client.get(f"/api/public/registrations/{token}")
    assert shown.status_code == 200
    page = await client.get(f"/r/{token}")
    assert page.status_code == 200
    for body in (shown.text, page.text):
        assert "/calendar/personal/" not in body
        assert feed_link not in body
        assert "Confidential roadmap talk" not in body
        assert secret_talk["slug"] not in body
        assert victims_own["manage_token"] not in body
        assert "Neri" not in body  # the person's name is not the stranger's to read
    assert "feed_url" not in shown.json()
    assert (shown.json()["first_name"], shown.json()["last_name"]) == ("Mallory", "Intruder")

    # With the token the stranger can change this registration only.
    assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
    victims_view = (await client.get(f"/api/public/registrations/{victims_own['manage_token']}")).json()
    assert victims_view["status"] == "confirmed"


async def test_the_personal_feed_link_travels_in_the_persons_own_emails_and_its_entries_carry_no_manage_link(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    talk = await published_event(client, organiser, title="Talk")
    mine = await _register(client, talk["id"], VICTIM)
    (feed_link,) = set(FEED_LINK.findall(await _confirmation_text(mine["id"], settings)))

    feed = await client.get(feed_link.removeprefix("http://events.test"))
    assert feed.status_code == 200
    text = feed.text.replace("\r\n ", "")
    assert JOIN_URL in text  # the person's own feed: their join link
    token_nonce = mine["manage_token"].split(".")[1]
    assert "/registrations/" not in text
    assert token_nonce not in text
    assert f"URL:http://events.test/e/{talk['slug']}" in text


async def test_registering_an_existing_address_changes_nothing_the_person_gave(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    first = await published_event(client, organiser, title="First")
    second = await published_event(client, organiser, title="Second")
    own = await _register(client, first["id"], VICTIM, 1, first_name="Ada", last_name="Neri", language="it", consent_marketing=False)
    before = await Contact.select().where(Contact.email == VICTIM).first()

    strangers = await _register(client, second["id"], VICTIM, **_stranger())
    after = await Contact.select().where(Contact.email == VICTIM).first()
    assert after == before  # name, company, language, both consents: as the person gave them

    # What was typed with each registration belongs to it, wherever a registration is shown.
    listed = {
        event["id"]: (await client.get(f"/api/events/{event['id']}/registrations", headers=organiser)).json()
        for event in (first, second)
    }
    assert [(r["first_name"], r["last_name"], r["company"]["vat_id"]) for r in listed[first["id"]]] == [("Ada", "Neri", partita_iva(1))]
    assert [(r["first_name"], r["last_name"], r["company"]["vat_id"]) for r in listed[second["id"]]] == [("Mallory", "Intruder", partita_iva(7))]
    exported = (await client.get(f"/api/events/{first['id']}/registrations.csv", headers=organiser)).text
    assert "Neri" in exported
    assert "Mallory" not in exported
    assert "Ada Neri" in (await client.get(f"/api/public/registrations/{own['manage_token']}")).text.replace('","last_name":"', " ")
    assert "Ada" in await _confirmation_text(own["id"], settings)
    assert "Mallory" not in await _confirmation_text(own["id"], settings)
    assert "Mallory" in await _confirmation_text(strangers["id"], settings)

    # At the door, the check-in answer names the registration's person.
    checked = await client.post(f"/api/events/{first['id']}/checkins", json={"code": own["manage_token"]}, headers=organiser)
    assert checked.status_code == 200, checked.text
    assert (checked.json()["first_name"], checked.json()["last_name"]) == ("Ada", "Neri")


async def test_consent_is_recorded_only_by_the_persons_own_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    events = [await published_event(client, organiser, title=f"Talk {n}") for n in range(3)]
    colleague = {"email": "bea.rossi@x.example", "first_name": "Bea", "last_name": "Rossi"}
    await _register(client, events[0]["id"], "boss.x@x.example", consent_marketing=True, colleagues=[colleague])
    bea = await Contact.select().where(Contact.email == "bea.rossi@x.example").first()
    # Registered by someone else: she gave no consent herself.
    assert bea["consent_privacy_at"] is None
    assert bea["consent_marketing_at"] is None

    await _register(client, events[1]["id"], VICTIM, consent_marketing=True)
    given = await Contact.select(Contact.consent_privacy_at, Contact.consent_marketing_at).where(Contact.email == VICTIM).first()
    assert given["consent_privacy_at"] is not None
    assert given["consent_marketing_at"] is not None
    # Whoever registers the address again (the person or anyone who knows it) changes no stored time.
    await _register(client, events[2]["id"], VICTIM, consent_marketing=False)
    assert await Contact.select(Contact.consent_privacy_at, Contact.consent_marketing_at).where(Contact.email == VICTIM).first() == given


async def test_a_walk_in_keeps_the_typed_names_on_the_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    talk = await published_event(client, organiser)
    await _register(client, talk["id"], VICTIM, first_name="Ada", last_name="Neri")
    walk_in = {"email": VICTIM, "first_name": "Adelaide", "last_name": "Neri-Bianchi", "company": {"vat_id": partita_iva(1)}}
    answer = await client.post(f"/api/events/{day['id']}/walk-ins", json=walk_in, headers=organiser)
    assert answer.status_code in (200, 201), answer.text
    contact = await Contact.select().where(Contact.email == VICTIM).first()
    assert (contact["first_name"], contact["last_name"]) == ("Ada", "Neri")
    rows = await Registration.select(Registration.event, Registration.first_name, Registration.last_name).order_by(Registration.id)
    assert [(r["event"], r["first_name"], r["last_name"]) for r in rows] == [(talk["id"], "Ada", "Neri"), (day["id"], "Adelaide", "Neri-Bianchi")]


async def test_the_migration_gives_existing_registrations_their_contacts_names(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    import importlib

    from events_service.db import run_sql

    backfill = importlib.import_module("events_service_2026_12_06t02_17_32_000000").BACKFILL
    talk = await published_event(client, organiser)
    await _register(client, talk["id"], VICTIM, first_name="Ada", last_name="Neri")
    await Registration.update({Registration.first_name: "", Registration.last_name: ""}, force=True)  # as a row from before
    await run_sql(backfill)
    assert await Registration.select(Registration.first_name, Registration.last_name) == [{"first_name": "Ada", "last_name": "Neri"}]
