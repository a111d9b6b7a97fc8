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
