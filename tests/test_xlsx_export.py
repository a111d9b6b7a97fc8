"""The spreadsheet forms of the exports: XLSX read back with openpyxl for its cell types,
header and frozen panes; CSV in the form an Italian Excel opens as columns."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from openpyxl import load_workbook

from events_service.csv_export import to_csv
from events_service.xlsx_export import XLSX_MEDIA_TYPE, Sheet, to_xlsx, workbook
from tests.attendance.support import small_programme
from tests.factories import published_event, registration_payload
from tests.support.spreadsheets import csv_dicts, xlsx_dicts


def test_xlsx_cells_have_real_types_a_frozen_bold_header_and_no_formulas() -> None:
    moment = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    content = to_xlsx(
        ["name", "count", "rate", "at", "day", "attended", "nothing", "money"],
        [["=HYPERLINK(\"http://evil.example\")", 3, 0.5, moment, date(2026, 11, 24), True, None, Decimal("2.50")],
         ["https://example.org", 0, 1.0, moment, date(2026, 1, 1), False, "", Decimal(0)]],
        sheet="registrations",
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book["registrations"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert [cell.value for cell in sheet[1]] == ["name", "count", "rate", "at", "day", "attended", "nothing", "money"]
    first = [cell for cell in sheet[2]]
    assert first[0].data_type == "s"  # text, never a formula
    assert first[0].value == "'=HYPERLINK(\"http://evil.example\")"  # neutralised as in the CSV
    assert (first[1].data_type, first[1].value) == ("n", 3)
    assert first[2].value == 0.5
    # Excel has no zones: the moment as the wall clock in Rome (17:00 CET), a real date cell
    assert first[3].is_date
    assert first[3].value == datetime(2026, 11, 24, 17, 0)
    assert first[4].is_date
    assert first[4].value == datetime(2026, 11, 24, 0, 0)
    assert (first[5].data_type, first[5].value) == ("b", True)
    assert first[6].value is None
    assert first[7].value == 2.5
    second = [cell.value for cell in sheet[3]]
    assert second[0] == "https://example.org"  # a plain string, not a hyperlink
    assert sheet["A3"].hyperlink is None


def test_a_workbook_holds_one_sheet_per_table_with_valid_distinct_names() -> None:
    content = workbook([Sheet("by country", ["c"], [["IT"]]), Sheet("by/country?", ["c"], [["CH"]]),
                        Sheet("x" * 40, ["c"], [])])
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["by country", "by country 2", "x" * 31]
    assert book["x" * 31].max_row == 1  # the header alone


def test_csv_starts_with_a_bom_and_splits_at_semicolons_with_decimal_commas() -> None:
    text = to_csv(["name", "rate", "city"], [["Müller; Söhne", 0.5, "Città"]])
    assert text.startswith("\ufeffname;rate;city\r\n")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert csv_dicts(text) == [{"name": "Müller; Söhne", "rate": "0,5", "city": "Città"}]


async def test_registrations_xlsx_beside_the_csv(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    answer = await client.post(f"/api/public/events/{event['id']}/registrations",
                               json=registration_payload("zoe.mueller@textil.example", first_name="Zoë", last_name="Müller"))
    assert answer.status_code == 201, answer.text
    xlsx = await client.get(f"/api/events/{event['id']}/registrations.xlsx", headers=organiser)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == XLSX_MEDIA_TYPE
    assert f"event-{event['id']}-registrations.xlsx" in xlsx.headers["content-disposition"]
    [row] = xlsx_dicts(xlsx.content)
    assert (row["email"], row["first_name"], row["last_name"], row["status"]) == ("zoe.mueller@textil.example", "Zoë", "Müller", "confirmed")
    assert isinstance(row["created_at"], datetime)
    assert row["attended"] is False
    assert row["minutes_attended"] == 0
    assert row["id"] == answer.json()["id"]
    [csv_row] = csv_dicts((await client.get(f"/api/events/{event['id']}/registrations.csv", headers=organiser)).text)
    assert csv_row["last_name"] == "Müller"
    assert (await client.get(f"/api/events/{event['id']}/registrations.xlsx")).status_code == 401


async def test_companies_report_xlsx_has_the_csv_rows_with_numbers(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    period = {"from": programme["from"], "to": programme["to"]}
    xlsx = await client.get("/api/reports/companies.xlsx", params=period, headers=organiser)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == XLSX_MEDIA_TYPE
    from_xlsx = xlsx_dicts(xlsx.content)
    from_csv = csv_dicts((await client.get("/api/reports/companies.csv", params=period, headers=organiser)).text)
    assert [row["company"] for row in from_xlsx] == [row["company"] for row in from_csv]
    assert all(isinstance(row["registrations"], int) for row in from_xlsx)
    assert [row["minutes"] for row in from_xlsx] == [int(row["minutes"]) for row in from_csv]
    bad = await client.get("/api/reports/companies.xlsx", params={"from": "yesterday"}, headers=organiser)
    assert bad.status_code == 422


async def test_summary_xlsx_beside_the_csv(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    period = {"from": programme["from"], "to": programme["to"]}
    rows = xlsx_dicts((await client.get("/api/reports/summary.xlsx", params=period, headers=organiser)).content)
    assert rows[0]["section"] == "total"
    assert rows[0]["registrations"] == 9  # a number
    rates = {row["group"]: row["attendance_rate"] for row in rows if row["section"] == "kind"}
    assert rates == {"tech_day": 0.5, "tech_talk": 0.6667}  # numbers, not "0,5" text
