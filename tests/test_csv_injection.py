"""Hole 3 of issue 12, from the attacker's side: what a registrant types (names, company name,
region) must not run as a formula when an organiser opens an export in a spreadsheet, also in
an Italian Excel that splits cells at ';' where we wrote ','."""

from __future__ import annotations

import csv
import io
import re

import httpx

from tests.factories import partita_iva, published_event, registration_payload
from tests.support.spreadsheets import csv_dicts

#: What a spreadsheet takes for the start of a formula (full-width forms included).
FORMULA_STARTS = "=+-@\t\r＝＋－＠"
#: Payloads an attacker types, each hiding its formula behind a separator a spreadsheet may split at.
PAYLOADS = [
    "Rossi;=cmd|' /C calc'!A0",
    "Bianchi,+SUM(1+1)*cmd|' /C calc'!A0",
    "Verdi;  -2+3+cmd|' /C calc'!A0",  # (a tab is no longer accepted in a name: see test_hostile_input)
    'Neri; "@SUM(1+1)"',
    "Gialli;＝HYPERLINK(\"http://evil.example\")",
    "=1+1",
    "Blu\n=2+2",
]


def _pieces_a_spreadsheet_could_see(text: str) -> list[str]:
    """Every cell a spreadsheet could make of the file: parsed as CSV with each separator it
    might use, and the raw text split at each of them (a reader that ignores our quotes)."""
    pieces: list[str] = []
    for separator in (",", ";", "\t"):
        pieces += [cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row]
    pieces += re.split(r"[;,\t\r\n]", text)
    return pieces


def _formulas(text: str) -> list[str]:
    return [piece for piece in _pieces_a_spreadsheet_could_see(text) if piece.lstrip(" \"'")[:1] in tuple(FORMULA_STARTS)
            and not piece.lstrip(" \"").startswith("'")]


async def test_no_export_lets_a_typed_formula_start_a_cell(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    for n, payload in enumerate(PAYLOADS):
        answer = await client.post(
            f"/api/public/events/{event['id']}/registrations",
            json=registration_payload(
                f"attacker{n}@evil.example", first_name=payload.replace("\n", " "), last_name=payload.replace("\n", " "),
                company={"vat_id": partita_iva(100 + n), "name": payload.replace("\n", " "), "country": "IT",
                         "region": payload.replace("\n", " ")[:100]},
            ),
        )
        assert answer.status_code == 201, answer.text
    exports = {
        "registrations": await client.get(f"/api/events/{event['id']}/registrations.csv", headers=organiser),
        "companies": await client.get("/api/reports/companies.csv", headers=organiser),
        "summary": await client.get("/api/reports/summary.csv", headers=organiser),
    }
    for name, answer in exports.items():
        assert answer.status_code == 200, (name, answer.text)
        assert "Rossi" in answer.text or name == "summary", name
        assert _formulas(answer.text) == [], name
    # Each value is still there for a reader that honours quotes, with its separator inside it.
    rows = csv_dicts(exports["registrations"].text)
    assert "Rossi;'=cmd|' /C calc'!A0" in {row["last_name"] for row in rows}
    assert exports["registrations"].text.splitlines()[0].startswith("\ufeffid;status")  # header as the contract pins it


def test_every_piece_after_a_separator_is_neutralised() -> None:
    from events_service.csv_export import neutralised

    assert neutralised("Rossi;=cmd|' /C calc'!A0") == "Rossi;'=cmd|' /C calc'!A0"
    assert neutralised("=1+1") == "'=1+1"
    assert neutralised("＠SUM(A1)") == "'＠SUM(A1)"
    assert neutralised("a\n-1") == "a\n'-1"
    assert neutralised("Verdi;\t-2+3") == "Verdi;'\t'-2+3"
    assert neutralised('Neri; "@x"') == "Neri;' \"@x\""
    assert neutralised("Rossi-Bianchi, Srl") == "Rossi-Bianchi, Srl"  # a dash inside a name stays
    for payload in PAYLOADS:
        assert _formulas(neutralised(payload)) == [], payload


def _xlsx_formulas(content: bytes) -> list[str]:
    """Every cell of a workbook that is a formula, or text a spreadsheet could take for one."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    return [f"{sheet.title}!{cell.coordinate}={cell.value!r}" for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in FORMULA_STARTS)]


async def test_a_typed_formula_starts_no_cell_of_the_round_two_exports(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """Question labels became column titles (typed by an organiser or an organiser's API token)
    and were written as they came, in the CSV's and the XLSX's header; answers, names and
    regions go into the XLSX exports and the indicators' evidence too."""
    event = await published_event(client, organiser)
    question = await client.post(f"/api/events/{event['id']}/questions", headers=organiser,
                                 json={"label": {"it": "=HYPERLINK(\"http://evil.example\")", "en": "@SUM(1+1)"}, "kind": "text"})
    assert question.status_code == 201, question.text
    for n, payload in enumerate(PAYLOADS):
        typed = payload.replace("\n", " ")
        answer = await client.post(f"/api/public/events/{event['id']}/registrations", json={
            **registration_payload(f"attacker{n}@evil.example", first_name=typed, last_name=typed,
                                   company={"vat_id": partita_iva(100 + n), "name": typed, "country": "IT", "region": typed[:100]}),
            "answers": {str(question.json()["id"]): typed}})
        assert answer.status_code == 201, answer.text
    period = {"from": "2026-01-01", "to": "2027-12-31"}
    csv_exports = [f"/api/events/{event['id']}/registrations.csv", "/api/reports/indicators.csv",
                   "/api/reports/indicators/evidence.csv?figure=participations"]
    xlsx_exports = [f"/api/events/{event['id']}/registrations.xlsx", "/api/reports/companies.xlsx", "/api/reports/summary.xlsx",
                    "/api/reports/indicators.xlsx", "/api/reports/indicators/evidence.xlsx?figure=participations",
                    "/api/reports/indicators/evidence.xlsx?figure=enterprises_supported"]
    for url in csv_exports:
        path, _, figure = url.partition("?figure=")
        answer = await client.get(path, params={**period, **({"figure": figure} if figure else {})}, headers=organiser)
        assert answer.status_code == 200, (url, answer.text[:200])
        assert _formulas(answer.text) == [], url
    for url in xlsx_exports:
        path, _, figure = url.partition("?figure=")
        answer = await client.get(path, params={**period, **({"figure": figure} if figure else {})}, headers=organiser)
        assert answer.status_code == 200, (url, answer.text[:200])
        assert _xlsx_formulas(answer.content) == [], url
    header = (await client.get(csv_exports[0], headers=organiser)).text.splitlines()[0]
    assert header.endswith(";'@SUM(1+1)"), header  # kept for its reader, unable to start a formula
