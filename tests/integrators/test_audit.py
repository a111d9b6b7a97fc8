"""The audit log (API.md "Integrators"): every change to an event, a registration, a company
or an organiser, by whom, written in the same transaction as the change; over HTTP on
SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from events_service.audit.tables import AuditEntry
from events_service.companies.tables import Company
from events_service.organisers.tables import Organiser
from tests.attendance.support import checkin_code, register
from tests.conftest import token_headers
from tests.factories import event_payload, partita_iva, published_event, registration_payload
from tests.web.support import console_login


async def _log(client: httpx.AsyncClient, headers: dict[str, str], **query: object) -> list[dict]:
    answer = await client.get("/api/audit", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _me(email_prefix: str) -> int:
    row = await Organiser.select(Organiser.id).where(Organiser.email.like(f"{email_prefix}%")).first()
    return row["id"]


async def test_event_changes_are_logged_with_their_organiser(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    made = (await client.post("/api/events", json=event_payload(title="First title"), headers=organiser)).json()
    patched = await client.patch(f"/api/events/{made['id']}", json={"title": "Second title", "capacity": 80}, headers=organiser)
    assert patched.status_code == 200
    await client.post(f"/api/events/{made['id']}/publish", headers=organiser)
    await client.post(f"/api/events/{made['id']}/cancel", headers=organiser)
    entries = await _log(client, organiser, entity="event", entity_id=made["id"])
    assert [entry["action"] for entry in entries] == ["cancelled", "published", "updated", "created"]
    me = f"organiser:{await _me('organiser-')}"
    assert {entry["actor"] for entry in entries} == {me}
    updated = entries[2]["changes"]
    assert updated["title"] == ["First title", "Second title"]
    assert updated["capacity"] == [100, 80]
    assert "sequence" not in updated or updated["sequence"][0] == updated["sequence"][1] - 1
    assert entries[3]["changes"]["title"] == "First title"
    assert all(entry["entity"] == "event" for entry in entries)


async def test_registrations_are_logged_by_registrant_organiser_and_token(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    admin = await token_headers(client, "admin")
    token = (await client.post("/api/tokens", json={"name": "crm"}, headers=admin)).json()
    event = await published_event(client, organiser, capacity=1)
    first = (await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("ada.x@one.example", 1))).json()
    second = (await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("bob.y@two.example", 2))).json()
    assert second["status"] == "waitlisted"
    cancelled = await client.post(f"/api/public/registrations/{first['manage_token']}/cancel")
    assert cancelled.status_code == 200
    by_token = await client.post(f"/api/registrations/{second['id']}/cancel", headers={"Authorization": f"Bearer {token['token']}"})
    assert by_token.status_code == 200, by_token.text

    ada = await _log(client, organiser, entity="registration", entity_id=first["id"])
    assert [(e["action"], e["actor"]) for e in ada] == [("cancelled", "registrant"), ("created", "registrant")]
    bob = await _log(client, organiser, entity="registration", entity_id=second["id"])
    assert [(e["action"], e["actor"]) for e in bob] == [
        ("cancelled", f"api_token:{token['id']}"),
        ("promoted", "registrant"),  # Ada's cancellation gave Bob her seat
        ("created", "registrant"),
    ]
    assert bob[0]["changes"]["status"] == ["confirmed", "cancelled"]
    companies = await _log(client, organiser, entity="company")
    assert len(companies) == 2  # made on the way by the two registrations
    assert {e["actor"] for e in companies} == {"registrant"}


async def test_check_in_and_company_changes_are_logged(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    ada = await register(client, day["id"], "ada.galli@galli.example", "Ada", "Galli", company=1)
    answer = await client.post(f"/api/events/{day['id']}/checkins", json={"code": await checkin_code(client, ada)}, headers=organiser)
    assert answer.status_code == 200
    entries = await _log(client, organiser, entity="registration", entity_id=ada["id"])
    assert entries[0]["action"] == "checked_in"
    assert entries[0]["actor"].startswith("organiser:")

    made = (await client.post("/api/companies", json={"name": "Officine Srl", "vat_id": partita_iva(50), "country": "IT"}, headers=organiser)).json()
    await client.patch(f"/api/companies/{made['id']}", json={"name": "Officine Lariane Srl", "city": "Lecco"}, headers=organiser)
    entries = await _log(client, organiser, entity="company", entity_id=made["id"])
    assert [e["action"] for e in entries] == ["updated", "created"]
    assert entries[0]["changes"] == {"name": ["Officine Srl", "Officine Lariane Srl"], "city": [None, "Lecco"]}


async def test_a_failed_change_leaves_no_entry(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    assert (await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("taken.one@x.example", 7))).status_code == 201
    before = await AuditEntry.count()
    # A new company (written, and logged, first), then a colleague registered already: the
    # request fails as a whole, and the company and its entry go with it.
    refused = await client.post(
        f"/api/public/events/{event['id']}/registrations",
        json=registration_payload(
            "new.one@y.example", 8, colleagues=[{"email": "taken.one@x.example", "first_name": "T", "last_name": "O"}]
        ),
    )
    assert refused.status_code == 409, refused.text
    assert await AuditEntry.count() == before
    assert await Company.count().where(Company.vat_id == partita_iva(8)) == 0
    bad_patch = await client.patch(f"/api/events/{event['id']}", json={"ends_at": "2020-01-01T00:00:00+00:00"}, headers=organiser)
    assert bad_patch.status_code == 422
    assert await AuditEntry.count() == before


async def test_organiser_accounts_are_logged(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    entries = await _log(client, admin, entity="organiser")
    assert entries[0]["action"] == "created"
    assert entries[0]["actor"] == "system"  # made outside a request (the CLI, here the test)
    assert "password_hash" not in entries[0]["changes"]


@pytest.mark.parametrize("query", ["entity=people", "entity_id=0", "entity_id=-3", "entity_id=99999999999", "limit=1000"])
async def test_hostile_queries_are_refused(client: httpx.AsyncClient, organiser: dict[str, str], query: str) -> None:
    answer = await client.get(f"/api/audit?{query}", headers=organiser)
    assert answer.status_code in (400, 422), answer.text
    assert "detail" in answer.json()


async def test_only_staff_read_the_log(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/audit")).status_code == 401
    door = await token_headers(client, "checkin")
    assert (await client.get("/api/audit", headers=door)).status_code == 403


async def test_the_console_shows_the_history(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, title="Cobots for small shops")
    await client.patch(f"/api/events/{event['id']}", json={"title": "Cobots for small workshops"}, headers=organiser)
    registered = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("ada.x@one.example", 1))
    await client.post(f"/api/public/registrations/{registered.json()['manage_token']}/cancel")
    await console_login(client)
    page = await client.get(f"/console/events/{event['id']}", headers={"accept-language": "en"})
    assert page.status_code == 200
    history = page.text[page.text.index('id="history-title"') :]
    assert "Cobots for small shops → Cobots for small workshops" in history
    assert "published" in history
    listing = await client.get(f"/console/events/{event['id']}/registrations", headers={"accept-language": "en"})
    history = listing.text[listing.text.index('id="history-title"') :]
    assert history.count("<td>registrant</td>") == 2  # created and cancelled by the person
    assert "Confirmed → Cancelled" in history  # the statuses in words (web/labels.py)


def test_every_action_has_a_label() -> None:
    from events_service.audit.schemas import Action
    from events_service.web.labels import LABELS

    assert set(LABELS["audit_action"]) == {action.value for action in Action}
