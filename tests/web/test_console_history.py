"""The console's History (issue 16 item 7) in words: fields by their labels (web/labels.py
audit_field), yes/no, statuses and other codes by their words, in the page's language; a field
without a label shows its name. Entries made by the real flows: an event's change, an
attendance import, a cancellation by the manage link, an erasure. Both engines."""

from __future__ import annotations

import re
from html import unescape

import httpx

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.db import write_transaction
from events_service.i18n import translator
from events_service.web.labels import audit_value, label_of
from tests.attendance.support import load, upload
from tests.attendance.test_audit import _zoom_talk
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload
from tests.web.support import console_login

RAW_FIELDS = ("minutes_attended", "attendance_source", "personal_data", "cancelled_by", "acts_on_replies", "rsvp")


async def test_the_event_history_names_fields_and_values_in_words(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, title="Cobots for small shops")
    changed = await client.patch(f"/api/events/{event['id']}", headers=organiser,
                                 json={"title": "Cobots for small workshops", "acts_on_replies": False})
    assert changed.status_code == 200, changed.text
    await console_login(client)

    english = await _history_at(client, f"/console/events/{event['id']}", "en")
    assert "Title: Cobots for small shops → Cobots for small workshops" in english
    assert "Acts on replies to the invite: yes → no" in english
    assert "Status: draft → published" in english
    italian = await _history_at(client, f"/console/events/{event['id']}", "it")
    assert "Titolo: Cobots for small shops → Cobots for small workshops" in italian
    assert "Agisce sulle risposte all'invito: sì → no" in italian
    assert "Stato: bozza → pubblicato" in italian


async def test_the_registrations_history_names_fields_and_values_in_words(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    imported = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    assert imported.status_code == 200, imported.text
    await console_login(client)

    english = await _history_at(client, f"/console/events/{event['id']}/registrations", "en")
    assert "Minutes attended: 0 → 88" in english  # Anna Keller's, from the report
    assert "Attended: no → yes" in english
    assert "Attendance from: — → webinar report" in english
    italian = await _history_at(client, f"/console/events/{event['id']}/registrations", "it")
    assert "Minuti di partecipazione: 0 → 88" in italian
    assert "Presenti: no → sì" in italian
    assert "Presenza da: — → report del webinar" in italian


async def test_a_cancellation_and_an_erasure_in_words(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    registered = []
    for number, email in enumerate(("ada.x@one.example", "bea.y@two.example"), start=1):
        answer = await client.post(f"/api/public/events/{event['id']}/registrations",
                                   json=registration_payload(email, number))
        assert answer.status_code == 201, answer.text
        registered.append(answer.json())
    assert (await client.post(f"/api/public/registrations/{registered[0]['manage_token']}/cancel")).status_code == 200
    admin = await token_headers(client, "admin")
    erased = await client.post("/api/contacts/erase", headers=admin, json={"email": "bea.y@two.example"})
    assert erased.status_code == 200, erased.text
    await console_login(client)

    english = await _history_at(client, f"/console/events/{event['id']}/registrations", "en")
    assert "Status: Confirmed → Cancelled" in english
    assert "Cancelled by: the person (manage link)" in english
    assert "Personal data: erased" in english
    german = await _history_at(client, f"/console/events/{event['id']}/registrations", "de")
    assert "Personenbezogene Daten: gelöscht" in german
    assert "Storniert durch: die Person (Verwaltungslink)" in german


async def test_a_field_without_a_label_shows_its_name(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """An entry of a field added later (no label yet) stays readable: its name, its values as they are."""
    event = await published_event(client, organiser)
    async with write_transaction():
        await audit.record(Entity.EVENT, event["id"], Action.UPDATED, {"brand_new_field": ["<b>a</b>", 3]})
    await console_login(client)
    page = (await client.get(f"/console/events/{event['id']}", headers={"accept-language": "en"})).text
    assert "brand_new_field: <b>a</b> → 3" in _history(page)
    assert "<b>a</b>" not in page  # escaped


def test_values_in_words() -> None:
    _ = translator("en")
    assert label_of(_, "audit_field", "minutes_attended") == "Minutes attended"
    assert label_of(_, "audit_field", "no_such_field") == "no_such_field"
    assert [audit_value(_, "registration", "attended", value) for value in (True, False, None)] == ["yes", "no", "—"]
    assert audit_value(_, "registration", "status", "waitlisted") == "Waiting list"
    assert audit_value(_, "event", "status", "cancelled") == "cancelled"
    assert audit_value(_, "registration", "rsvp", "declined") == "Declined"
    assert audit_value(_, "event", "topics", ["AI", "energy"]) == "AI, energy"
    assert audit_value(_, "event", "title", "yes") == "yes"  # text typed by people is never translated
    assert audit_value(_, "registration", "rsvp", "made_up") == "made_up"


async def _history_at(client: httpx.AsyncClient, path: str, language: str) -> str:
    """The History of the console page at `path` in `language` (English as a browser asks for
    it, by Accept-Language; the others by ?lang=), with no field shown by its raw name."""
    if language == "en":
        answer = await client.get(path, headers={"accept-language": "en"})
    else:
        answer = await client.get(f"{path}?lang={language}")
    shown = _history(answer.text)
    assert not any(raw in shown for raw in RAW_FIELDS), shown
    return shown


def _history(html: str) -> str:
    """The History section's text, tags removed, entities read."""
    section = html[html.index('id="history-title"'):]
    section = section[: section.index("</section>")]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))).replace(" :", ":")
