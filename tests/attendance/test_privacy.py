"""A person's data: export it all; erase it everywhere while company figures stay the same."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from events_service import db
from events_service.attendance.tables import AttendanceInterval
from events_service.cli import main
from events_service.companies.tables import Contact
from events_service.piccolo_app import APP_CONFIG
from events_service.privacy.service import erase_contact, export_contact
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.attendance.support import small_programme, upload
from tests.conftest import reset_database, token_headers
from tests.factories import partita_iva

ADA = "ada.lariana@lariana.example"


async def _reports(client: httpx.AsyncClient, headers: dict[str, str], programme: dict[str, Any]) -> list[Any]:
    period = {"from": programme["from"], "to": programme["to"]}
    lariana = programme["companies"]["Lariana"]["id"]
    return [
        (await client.get("/api/reports/companies.csv", headers=headers)).text,
        (await client.get("/api/reports/companies.csv", params=period, headers=headers)).text,
        (await client.get("/api/reports/summary", params=period, headers=headers)).json(),
        (await client.get("/api/reports/summary.csv", headers=headers)).text,
        (await client.get(f"/api/companies/{lariana}/engagement", headers=headers)).json(),
        *[(await client.get(f"/api/events/{event['id']}/stats", headers=headers)).json() for event in programme["events"].values()],
    ]


async def _everything() -> list[tuple[str, str, str]]:
    """(table, column, text) of every text value in every table of the service."""
    found = []
    for table in APP_CONFIG.table_classes:
        for row in await table.select():
            for column, value in row.items():
                if isinstance(value, str | dict | list):
                    found.append((table._meta.tablename, column, json.dumps(value) if not isinstance(value, str) else value))
    return found


async def test_export_holds_everything_about_the_person(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await small_programme(client, organiser)
    data = await export_contact("  Ada.Lariana@Lariana.example ")
    assert data["contact"]["email"] == ADA
    assert data["contact"]["first_name"] == "Ada"
    assert data["contact"]["consent_privacy_at"] is not None
    assert data["company"]["name"] == "Meccanica Lariana Srl"
    assert [(r["event_title"], r["status"], r["attended"], r["minutes_attended"]) for r in data["registrations"]] == [
        ("Tech Day Lecco", "confirmed", True, 0),
        ("AI generativa per le PMI", "confirmed", True, 60),
    ]
    assert data["registrations"][0]["checked_in_at"] is not None
    assert [(i["name"], i["email"], i["platform"]) for i in data["attendance_intervals"]] == [("Ada Lariana", ADA, "zoom")]
    assert data["emails"]
    assert all(mail["to_address"] == ADA for mail in data["emails"])
    assert {mail["kind"] for mail in data["emails"]} >= {"confirmed"}

    admin = await token_headers(client, "admin")
    by_api = await client.post("/api/contacts/export", json={"email": ADA}, headers=admin)
    assert by_api.status_code == 200, by_api.text
    assert by_api.json()["contact"]["id"] == data["contact"]["id"]
    assert (await client.post("/api/contacts/export", json={"email": ADA}, headers=organiser)).status_code == 403
    assert (await client.post("/api/contacts/export", json={"email": "nobody@nowhere.example"}, headers=admin)).status_code == 404


async def test_erasure_leaves_no_trace_and_every_report_unchanged(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    talk, october = programme["events"]["talk"], programme["events"]["october"]
    # Ada also came back as a guest to the talk, and watched the October talk she had not
    # registered for: a row with her name only, and an unmatched row with her address.
    guest = "Name,User Email,Join time,Leave time\r\nAda Lariana,,11/24/2026 06:10:00 PM,11/24/2026 06:20:00 PM\r\n"
    assert (await upload(client, organiser, talk["id"], guest.encode())).json()["matched"] == 1
    watched = f"Display Name,Attendee Email,Join Time,Leave Time\r\nAda L.,{ADA},2026-10-01 17:00:00,2026-10-01 17:30:00\r\n"
    assert (await upload(client, organiser, october["id"], watched.encode())).json()["unmatched"][0]["email"] == ADA
    ada = await Contact.select().where(Contact.email == ADA).first()
    manage_token = programme["registrations"][("AI generativa per le PMI", "ada")]["manage_token"]
    before = await _reports(client, organiser, programme)
    assert any(ADA in text for _, _, text in await _everything())

    admin = await token_headers(client, "admin")
    assert (await client.post("/api/contacts/erase", json={"email": ADA}, headers=organiser)).status_code == 403
    answer = await client.post("/api/contacts/erase", json={"email": ADA.upper()}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"contact_id": ada["id"], "registrations_kept": 2, "emails_deleted": answer.json()["emails_deleted"],
                             "attendance_intervals_anonymised": 3,
                             # Both events are past: nothing to cancel; no worker ran, so no mail files.
                             "registrations_cancelled": 0, "speakers_erased": 0, "replies_anonymised": 0, "mail_files_removed": 0}
    assert answer.json()["emails_deleted"] >= 2

    assert await _reports(client, organiser, programme) == before
    traces = [(table, column) for table, column, text in await _everything() if ADA in text.lower() or "ada lariana" in text.lower()]
    assert traces == []
    erased = await Contact.select().where(Contact.id == ada["id"]).first()
    assert erased["email"] == f"erased-{ada['id']}@erased.invalid"
    assert (erased["first_name"], erased["last_name"], erased["consent_privacy_at"], erased["consent_marketing_at"]) == ("", "", None, None)
    kept = await Registration.select().where(Registration.contact == ada["id"]).order_by(Registration.id)
    assert [(r["company"], r["attended"], r["minutes_attended"]) for r in kept] == [
        (programme["companies"]["Lariana"]["id"], True, 0),
        (programme["companies"]["Lariana"]["id"], True, 70),  # 60 + 10 as a guest
    ]
    rows = await AttendanceInterval.select().where(AttendanceInterval.participant_key.like("erased:%"))
    assert len(rows) == 3
    assert all(row["name"] == "" and row["email"] is None for row in rows)
    assert (await client.get(f"/api/public/registrations/{manage_token}")).status_code == 404  # links revoked

    # Importing the same report again re-reads her name from the file, but her minutes do not double.
    assert (await client.post("/api/contacts/erase", json={"email": ADA}, headers=admin)).status_code == 404
    again = await upload(client, organiser, talk["id"], guest.encode())
    assert again.status_code == 200
    assert again.json()["matched"] == 0
    assert await _reports(client, organiser, programme) == before


async def test_erasure_by_service_without_contact_still_clears_report_rows(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    programme = await small_programme(client, organiser)
    stranger = "zed.stranger@elsewhere.example"
    row = f"Display Name,Attendee Email,Join Time,Leave Time\r\nZed Stranger,{stranger},2026-10-01 17:00:00,2026-10-01 17:30:00\r\n"
    await upload(client, organiser, programme["events"]["october"]["id"], row.encode())
    data = await export_contact(stranger)
    assert data["contact"] is None
    assert len(data["attendance_intervals"]) == 1
    result = await erase_contact(stranger, settings)
    assert result == {"contact_id": None, "registrations_kept": 0, "emails_deleted": 0, "attendance_intervals_anonymised": 1,
                      "registrations_cancelled": 0, "speakers_erased": 0, "replies_anonymised": 0, "mail_files_removed": 0}
    assert not any(stranger in text for _, _, text in await _everything())


# ---------------------------------------------------------------- the command line


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"EVENTS_DB": database_url, "EVENTS_VAR_DIR": str(tmp_path / "var"), "EVENTS_SECRET_KEY": "cli-test-secret-key-long-enough-for-hs256"}


async def _one_registration(database_url: str) -> None:
    from events_service.companies.tables import Company
    from events_service.events.tables import Event
    from tests.factories import future

    await reset_database(database_url)
    engine = db.engine_from_url(database_url)
    db.use_engine(engine)
    await db.open_engine(engine)
    try:
        company = (await Company.insert(Company(name="Lariana Srl", vat_id=partita_iva(7), country="IT")).returning(Company.id))[0]["id"]
        contact = (await Contact.insert(Contact(email=ADA, first_name="Ada", last_name="Lariana", company=company)).returning(Contact.id))[0]["id"]
        event = (await Event.insert(Event(kind="tech_talk", slug="cli-talk", title="CLI talk", starts_at=future(), ends_at=future(), mode="online",
                                          capacity=5, status="published")).returning(Event.id))[0]["id"]
        await Registration.insert(Registration(event=event, contact=contact, company=company, status="confirmed", attendance_mode="online",
                                               token_nonce="n", attended=True, minutes_attended=42))
    finally:
        await db.close_engine(engine)


def test_contact_export_and_erase_commands(database_url: str, tmp_path: Path) -> None:
    asyncio.run(_one_registration(database_url))
    runner = CliRunner()
    env = _env(database_url, tmp_path)
    exported = runner.invoke(main, ["contact", "export", ADA], env=env)
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["contact"]["first_name"] == "Ada"
    assert data["registrations"][0]["minutes_attended"] == 42

    refused = runner.invoke(main, ["contact", "erase", ADA], env=env, input="n\n")
    assert refused.exit_code == 1
    assert "Aborted" in refused.output
    erased = runner.invoke(main, ["contact", "erase", ADA], env=env, input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "1 registrations kept" in erased.output
    gone = runner.invoke(main, ["contact", "export", ADA], env=env)
    assert gone.exit_code == 1
    assert "nothing is held" in gone.output
    again = runner.invoke(main, ["contact", "erase", ADA, "--yes"], env=env)
    assert again.exit_code == 1
    assert "nothing is held" in again.output
