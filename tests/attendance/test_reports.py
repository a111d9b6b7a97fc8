"""The programme's reports on a small, fully known programme (see support.small_programme)."""

import httpx

from tests.attendance.support import PROGRAMME_COMPANIES, small_programme
from tests.support.spreadsheets import csv_dicts

VAT = {name: vat for name, vat, *_ in PROGRAMME_COMPANIES.values()}


def _rows(text: str) -> list[dict[str, str]]:
    return csv_dicts(text)


async def test_companies_csv_has_one_row_per_company_in_the_period(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    answer = await client.get("/api/reports/companies.csv", params={"from": programme["from"], "to": programme["to"]}, headers=organiser)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "companies.csv" in answer.headers["content-disposition"]
    header = answer.text.splitlines()[0]
    assert header == "\ufeffcompany;vat_id;country;region;size_class;registrations;attendances;minutes;events;events_attended"
    assert _rows(answer.text) == [
        {"company": "Meccanica Lariana Srl", "vat_id": VAT["Meccanica Lariana Srl"], "country": "IT", "region": "LC", "size_class": "small",
         "registrations": "3", "attendances": "2", "minutes": "60", "events": "2", "events_attended": "2"},
        # Dino's cancelled registration does not count
        {"company": "Tessitura Comasca Spa", "vat_id": VAT["Tessitura Comasca Spa"], "country": "IT", "region": "CO", "size_class": "medium",
         "registrations": "4", "attendances": "1", "minutes": "0", "events": "2", "events_attended": "1"},
        {"company": "Ticino Robotics SA", "vat_id": VAT["Ticino Robotics SA"], "country": "CH", "region": "TI", "size_class": "micro",
         "registrations": "2", "attendances": "1", "minutes": "50", "events": "2", "events_attended": "1"},
    ]
    everything = _rows((await client.get("/api/reports/companies.csv", headers=organiser)).text)
    assert [row["company"] for row in everything] == [
        "Brianza Digitale Srl", "Meccanica Lariana Srl", "Tessitura Comasca Spa", "Ticino Robotics SA"
    ]
    assert everything[0]["minutes"] == "60"
    october = _rows((await client.get("/api/reports/companies.csv", params={"from": "2026-10-01", "to": "2026-10-01"}, headers=organiser)).text)
    assert [(row["company"], row["attendances"]) for row in october] == [("Brianza Digitale Srl", "1")]
    empty = await client.get("/api/reports/companies.csv", params={"from": "2025-01-01", "to": "2025-01-31"}, headers=organiser)
    assert empty.text.strip() == header


async def test_summary_in_json_and_csv(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    period = {"from": programme["from"], "to": programme["to"]}
    answer = await client.get("/api/reports/summary", params=period, headers=organiser)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "period": {"from": programme["from"], "to": programme["to"]},
        "events": 3,
        "registrations": 9,
        "confirmed": 9,
        "attendances": 4,
        "minutes": 110,
        "companies": 3,
        "attending_companies": 3,
        "companies_by_region": [
            {"group": "CO", "companies": 1, "registrations": 4, "attendances": 1, "minutes": 0},
            {"group": "LC", "companies": 1, "registrations": 3, "attendances": 2, "minutes": 60},
            {"group": "TI", "companies": 1, "registrations": 2, "attendances": 1, "minutes": 50},
        ],
        "companies_by_size_class": [
            {"group": "medium", "companies": 1, "registrations": 4, "attendances": 1, "minutes": 0},
            {"group": "micro", "companies": 1, "registrations": 2, "attendances": 1, "minutes": 50},
            {"group": "small", "companies": 1, "registrations": 3, "attendances": 2, "minutes": 60},
        ],
        "by_kind": [
            # 2 of the Tech Day's 4 came
            {"kind": "tech_day", "events": 1, "registrations": 4, "confirmed": 4, "attendances": 2, "minutes": 0, "attendance_rate": 0.5},
            # 2 of the 3 of the ended talk; the future talk's 2 do not count against the rate
            {"kind": "tech_talk", "events": 2, "registrations": 5, "confirmed": 5, "attendances": 2, "minutes": 110, "attendance_rate": 0.6667},
        ],
    }
    table = _rows((await client.get("/api/reports/summary.csv", params=period, headers=organiser)).text)
    assert table[0] == {"section": "total", "group": "", "events": "3", "registrations": "9", "confirmed": "9", "attendances": "4",
                        "minutes": "110", "companies": "3", "attendance_rate": ""}
    assert [(row["section"], row["group"], row["attendance_rate"]) for row in table[1:3]] == [
        ("kind", "tech_day", "0,5"), ("kind", "tech_talk", "0,6667")  # decimal comma, as an Italian Excel reads it
    ]
    assert [(row["section"], row["group"], row["companies"]) for row in table[3:]] == [
        ("region", "CO", "1"), ("region", "LC", "1"), ("region", "TI", "1"),
        ("size_class", "medium", "1"), ("size_class", "micro", "1"), ("size_class", "small", "1"),
    ]
    whole = (await client.get("/api/reports/summary", headers=organiser)).json()
    assert (whole["events"], whole["registrations"], whole["attendances"], whole["minutes"], whole["companies"]) == (4, 10, 5, 170, 4)


async def test_report_periods_are_checked(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    backwards = await client.get("/api/reports/summary", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=organiser)
    assert backwards.status_code == 422
    assert "after" in backwards.json()["detail"]
    not_a_date = await client.get("/api/reports/companies.csv", params={"from": "yesterday"}, headers=organiser)
    assert not_a_date.status_code == 422
    assert "from must be a date" in not_a_date.json()["detail"]
    bad_month = await client.get("/api/reports/summary.csv", params={"to": "2026-13-01"}, headers=organiser)
    assert bad_month.status_code == 422
    assert "to must be a date" in bad_month.json()["detail"]
    assert (await client.get("/api/reports/summary")).status_code == 401
    nothing = (await client.get("/api/reports/summary", headers=organiser)).json()
    assert nothing["events"] == 0
    assert [k["attendance_rate"] for k in nothing["by_kind"]] == [None, None]

