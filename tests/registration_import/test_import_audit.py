"""A registration import in the audit log (issue 16 item 7): each registration it made is
logged as created by the organiser who uploaded the list, in the import's transaction; a row
refused (its savepoint undone) and a dry run leave no entry. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from events_service.audit.tables import AuditEntry
from events_service.registrations.tables import Registration
from tests.attendance.support import organiser_id
from tests.registration_import.test_import_api import ITALIAN_CSV, A, B, C, _event, _upload


async def test_imported_registrations_are_logged_by_the_uploader_and_refused_rows_are_not(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    event = await _event(client, organiser)
    before = await _newest_entry()
    dry = await _upload(client, organiser, event["id"], ITALIAN_CSV, dry_run="true")
    assert dry.status_code == 200, dry.text
    assert await _newest_entry() == before

    real = await _upload(client, organiser, event["id"], ITALIAN_CSV, send_confirmations="false")
    assert real.status_code == 200, real.text
    assert (real.json()["created"], len(real.json()["errors"])) == (4, 3)
    made = {row["id"] for row in await Registration.select(Registration.id).where(Registration.event == event["id"])}
    entries = await AuditEntry.select().where(AuditEntry.id > before).order_by(AuditEntry.id).output(load_json=True)
    registrations = [entry for entry in entries if entry["entity"] == "registration"]
    assert {entry["entity_id"] for entry in registrations} == made  # Carla (company full) and the refused rows: none
    assert [entry["action"] for entry in registrations] == ["created"] * 4
    assert {entry["actor"] for entry in entries} == {f"organiser:{await organiser_id()}"}
    # Alfa, Beta and Gamma were made on the way, each logged once (Dario's refused row made
    # Beta first and was undone with its entry; Franco's made it again).
    assert sorted(entry["changes"]["vat_id"] for entry in entries if entry["entity"] == "company") == sorted([A, B, C])


async def _newest_entry() -> int:
    row = await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id, ascending=False).first()
    return row["id"] if row else 0
