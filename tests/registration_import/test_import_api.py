"""Registration import over HTTP: Italian and English headers, CSV and XLSX, every row through
the registration service (capacity and waitlist, company cap, duplicates), a dry run that says
the same and writes nothing, confirmations only when asked; hostile files refused, nothing written."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import Workbook

from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from tests.conftest import token_headers
from tests.factories import partita_iva, published_event

A, B, C = partita_iva(101), partita_iva(102), partita_iva(103)

ITALIAN_CSV = "\r\n".join([
    "Nome;Cognome;E-mail;Partita IVA;Ragione sociale;Paese",
    f"Anna;Rossi;anna.rossi@alfa.example;{A};Alfa Srl;IT",
    f"Bruno;Verdi;bruno.verdi@alfa.example;{A};Alfa Srl;IT",
    f"Carla;Neri;carla.neri@alfa.example;{A};Alfa Srl;IT",  # Alfa's third: over its cap of 2
    f"Dario;Blu;not-an-address;{B};Beta Srl;IT",
    "Elena;Gialli;elena@gamma.example;IT12345678901;Gamma Srl;IT",  # wrong check digit
    f"Franco;Bianchi;franco.bianchi@beta.example;{B};Beta Srl;IT",  # the last seat
    "",
    f"Gina;Viola;gina.viola@gamma.example;{C};Gamma Srl;IT",  # the waitlist
    f"Anna;Rossi;ANNA.ROSSI@alfa.example;{A};Alfa Srl;IT",  # the same person again
]).encode("utf-8-sig")


async def _event(client: httpx.AsyncClient, organiser: dict[str, str]) -> dict[str, Any]:
    return await published_event(client, organiser, capacity=3, max_per_company=2)


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], event_id: int, content: bytes, name: str = "list.csv",
                  **fields: str) -> httpx.Response:
    form = {"consent_confirmed": "true", **fields}
    return await client.post(f"/api/events/{event_id}/registrations-import", headers=headers,
                             files={"file": (name, content)}, data=form)


async def _written() -> tuple[int, int]:
    return await Registration.count(), await OutboxMessage.count()


async def test_a_dry_run_reports_what_the_import_then_does(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await _event(client, organiser)
    dry = await _upload(client, organiser, event["id"], ITALIAN_CSV, dry_run="true")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["rows"], report["created"], report["skipped"], report["dry_run"]) == (8, 4, 1, True)
    assert (report["confirmed"], report["waitlisted"]) == (3, 1)
    assert [(error["line"], error["code"]) for error in report["errors"]] == [(4, "company_full"), (5, "invalid_email"), (6, "invalid_vat_id")]
    assert report["columns"]["email"] == "E-mail"
    assert report["columns"]["vat_id"] == "Partita IVA"
    assert await _written() == (0, 0)

    real = await _upload(client, organiser, event["id"], ITALIAN_CSV, send_confirmations="false")
    assert real.status_code == 200, real.text
    assert {key: real.json()[key] for key in ("rows", "created", "skipped", "errors", "confirmed", "waitlisted")} == {
        **{key: report[key] for key in ("rows", "created", "skipped", "errors", "confirmed", "waitlisted")}
    }
    rows = await Registration.select(Registration.contact.email.as_alias("email"), Registration.status).order_by(Registration.id)
    assert [(row["email"], row["status"]) for row in rows] == [
        ("anna.rossi@alfa.example", "confirmed"), ("bruno.verdi@alfa.example", "confirmed"),
        ("franco.bianchi@beta.example", "confirmed"), ("gina.viola@gamma.example", "waitlisted"),
    ]
    assert await OutboxMessage.count().where(OutboxMessage.kind.is_in(["confirmed", "waitlisted"])) == 0
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert (stats["confirmed"], stats["waitlisted"], stats["seats_left"]) == (3, 1, 0)

    again = (await _upload(client, organiser, event["id"], ITALIAN_CSV)).json()
    assert (again["created"], again["skipped"], len(again["errors"])) == (0, 5, 3)
    assert await Registration.count() == 4


async def test_an_english_workbook_with_confirmations(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=10)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["First name", "Last name", "Email address", "VAT number", "Company", "Language"])
    sheet.append(["Emma", "Smith", "emma.smith@delta.example", A, "Delta Ltd", "en"])
    sheet.append(["Luca", "Ferri", "luca.ferri@delta.example", A, "Delta Ltd", "it"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = await _upload(client, organiser, event["id"], buffer.getvalue(), name="list.xlsx")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["errors"]) == (2, [])
    queued = await OutboxMessage.select(OutboxMessage.to_address).where(OutboxMessage.kind == "confirmed").order_by(OutboxMessage.id)
    assert [row["to_address"] for row in queued] == ["emma.smith@delta.example", "luca.ferri@delta.example"]
    languages = await Registration.select(Registration.language).order_by(Registration.id)
    assert [row["language"] for row in languages] == ["en", "it"]


async def test_hostile_files_and_callers_are_refused_and_nothing_is_written(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await _event(client, organiser)
    checkin = await token_headers(client, "checkin")
    too_many = ("email;nome;cognome;partita iva\r\n" + "".join(f"p{n}@x.example;P;N;{A}\r\n" for n in range(2001))).encode()
    cases = [
        (await _upload(client, {}, event["id"], ITALIAN_CSV), 401),
        (await _upload(client, checkin, event["id"], ITALIAN_CSV), 403),
        (await _upload(client, organiser, 999_999, ITALIAN_CSV), 404),
        (await client.post(f"/api/events/{event['id']}/registrations-import", headers=organiser,
                           files={"file": ("list.csv", ITALIAN_CSV)}), 422),  # no consent confirmed
        (await _upload(client, organiser, event["id"], b"name;company\r\nAnna;Alfa\r\n"), 422),  # columns missing
        (await _upload(client, organiser, event["id"], bytes(range(256)) * 40), 422),  # binary
        (await _upload(client, organiser, event["id"], b"%PDF-1.7\n" + b"\x00" * 100), 422),
        (await _upload(client, organiser, event["id"], b"PK\x03\x04" + b"\x00" * 200, name="list.xlsx"), 422),  # a broken workbook
        (await _upload(client, organiser, event["id"], b""), 422),
        (await _upload(client, organiser, event["id"], too_many), 422),
        (await _upload(client, organiser, event["id"], b"email;nome\r\n" + b"x" * (3 * 1024 * 1024)), 413),
    ]
    assert [answer.status_code for answer, _ in cases] == [status for _, status in cases], [answer.text[:200] for answer, _ in cases]
    missing = cases[4][0].json()
    assert missing["extra"]["missing"] == ["email", "first_name", "last_name", "vat_id"]
    assert await _written() == (0, 0)
