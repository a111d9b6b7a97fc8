"""The funder's indicators on a hand-built programme where every number is known in advance
(tests/reports/support.py), their CSV and XLSX forms, the evidence behind each figure, and
erasure leaving every figure as it was."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from events_service.privacy.service import erase_contact
from events_service.settings import Settings
from events_service.xlsx_export import XLSX_MEDIA_TYPE
from tests.reports.support import BEA, COMPANIES, EXPECTED, PERIOD, funder_programme
from tests.support.spreadsheets import csv_dicts, xlsx_dicts, xlsx_sheets


async def _indicators(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.get("/api/reports/indicators", params=PERIOD, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _evidence(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    answer = await client.get("/api/reports/indicators/evidence", params={**PERIOD, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-total-count"] == str(answer.json()["total"])
    return answer.json()


async def test_every_figure_is_the_one_known_in_advance(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await funder_programme(client, organiser)
    assert await _indicators(client, organiser) == EXPECTED


async def test_each_figure_opens_as_the_rows_it_counts(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await funder_programme(client, organiser)
    events = programme["events"]

    participations = await _evidence(client, organiser, figure="participations")
    assert participations["total"] == 5
    rows = participations["registrations"]
    assert sorted((row["event"], row["first_name"]) for row in rows) == [
        ("Talk online", "Ada"), ("Talk online", "Bea"), ("Talk online", "Carlo"), ("Tech Day Lecco", "Ada"), ("Tech Day Lecco", "Carlo")]
    by_name = {(row["event"], row["first_name"]): row for row in rows}
    # how each attendance is known: the check-in at the door, the imported report's rows
    assert by_name[("Tech Day Lecco", "Carlo")]["attendance_source"] == "checkin"
    assert by_name[("Tech Day Lecco", "Carlo")]["checked_in_at"] is not None
    assert by_name[("Tech Day Lecco", "Carlo")]["report_rows"] == 0
    assert by_name[("Tech Day Lecco", "Carlo")]["cross_border"] is True
    assert by_name[("Talk online", "Bea")]["attendance_source"] == "import"
    assert by_name[("Talk online", "Bea")]["report_rows"] == 1
    assert by_name[("Talk online", "Bea")]["minutes_attended"] == 90
    assert by_name[("Talk online", "Carlo")]["venue_country"] is None  # online: no venue country
    assert by_name[("Talk online", "Carlo")]["cross_border"] is False

    swiss = await _evidence(client, organiser, figure="participations", country="CH")
    assert [row["company"] for row in swiss["registrations"]] == [COMPANIES["Ticino"][0]] * 2
    lecco_region = await _evidence(client, organiser, figure="participations", region="IT-LC")
    assert lecco_region["total"] == 3
    cross = await _evidence(client, organiser, figure="cross_border_participations")
    assert [(row["event"], row["first_name"], row["company_country"], row["venue_country"]) for row in cross["registrations"]] == [
        ("Tech Day Lecco", "Carlo", "CH", "IT")]

    enterprises = await _evidence(client, organiser, figure="enterprises_supported")
    assert {row["vat_id"] for row in enterprises["registrations"]} == {
        COMPANIES["Lariana"][1], programme["companies"]["Ticino"]["vat_id"], COMPANIES["Brianza"][1]}
    large = await _evidence(client, organiser, figure="enterprises_supported", size_class="large")
    assert [(row["company"], row["event"]) for row in large["registrations"]] == [(COMPANIES["Brianza"][0], "Day Lugano")]

    public = await _evidence(client, organiser, figure="public_events")
    assert [(row["event_id"], row["venue_country"], row["attended"]) for row in public["events"]] == [(events["lugano"]["id"], "CH", 2)]
    targeted = await _evidence(client, organiser, figure="targeted_events")
    assert [row["title"] for row in targeted["events"]] == ["Tech Day Lecco", "Talk online"]
    meetings = await _evidence(client, organiser, figure="expert_meetings")
    assert (meetings["total"], meetings["expert_meetings"]) == (0, [])

    page = await client.get("/api/reports/indicators/evidence", params={**PERIOD, "figure": "participations", "limit": 2, "offset": 4},
                            headers=organiser)
    assert page.headers["x-total-count"] == "5"
    assert len(page.json()["registrations"]) == 1


async def test_indicators_and_evidence_as_csv_and_xlsx(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await funder_programme(client, organiser)
    table = csv_dicts((await client.get("/api/reports/indicators.csv", params=PERIOD, headers=organiser)).text)
    lines = {(row["figure"], row["breakdown"], row["group"]): row for row in table}
    assert lines[("participations", "total", "")]["value"] == "5"
    assert lines[("participations", "region", "CH-TI")]["value"] == "2"
    assert lines[("enterprises_supported", "size_class", "micro")]["value"] == "1"
    assert lines[("cross_border_participations", "total", "")]["value"] == "1"
    assert lines[("participations", "region", "CH-TI")]["evidence"] == (
        "/api/reports/indicators/evidence?figure=participations&from=2026-11-01&to=2026-11-30&region=CH-TI")
    # every evidence path of the table answers with as many rows as its figure says
    for row in table:
        evidence = await client.get(row["evidence"], headers=organiser)
        assert evidence.status_code == 200, row
        assert evidence.json()["total"] == (int(row["value"]) if row["figure"] != "enterprises_supported" else evidence.json()["total"])

    xlsx = await client.get("/api/reports/indicators.xlsx", params=PERIOD, headers=organiser)
    assert xlsx.headers["content-type"] == XLSX_MEDIA_TYPE
    sheets = xlsx_sheets(xlsx.content)
    assert set(sheets) == {"indicators", "definitions"}
    figures = {(row["figure"], row["breakdown"], row["group"] or ""): row["value"] for row in xlsx_dicts(xlsx.content, "indicators")}
    assert figures[("participations", "total", "")] == 5  # a number, not text
    assert figures[("public_events", "total", "")] == 1

    rows = xlsx_dicts((await client.get("/api/reports/indicators/evidence.xlsx", params={**PERIOD, "figure": "participations"},
                                        headers=organiser)).content)
    assert len(rows) == 5
    assert all(isinstance(row["starts_at"], datetime) for row in rows)
    assert all(isinstance(row["minutes_attended"], int) for row in rows)
    assert {row["cross_border"] for row in rows} == {True, False}
    csv_rows = csv_dicts((await client.get("/api/reports/indicators/evidence.csv", params={**PERIOD, "figure": "targeted_events"},
                                           headers=organiser)).text)
    assert [row["title"] for row in csv_rows] == ["Tech Day Lecco", "Talk online"]


async def test_erasing_a_person_leaves_every_figure_unchanged(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    await funder_programme(client, organiser)
    before = await _indicators(client, organiser)
    before_csv = (await client.get("/api/reports/indicators.csv", params=PERIOD, headers=organiser)).text
    await erase_contact(BEA, settings)
    assert await _indicators(client, organiser) == before == EXPECTED
    assert (await client.get("/api/reports/indicators.csv", params=PERIOD, headers=organiser)).text == before_csv
    evidence = await _evidence(client, organiser, figure="participations")
    assert evidence["total"] == 5
    assert "Bea" not in str(evidence)  # the row stays, the person is gone
    assert BEA not in str(evidence)


async def test_hostile_query_parameters_are_4xx(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    bad = [
        ("/api/reports/indicators", {}),  # a period is needed
        ("/api/reports/indicators", {"from": "2026-11-01"}),
        ("/api/reports/indicators", {"from": "yesterday", "to": "2026-11-30"}),
        ("/api/reports/indicators", {"from": "2026-13-01", "to": "2026-11-30"}),
        ("/api/reports/indicators", {"from": "2026-12-01", "to": "2026-11-30"}),  # backwards
        ("/api/reports/indicators", {"from": "1900-01-01", "to": "2999-12-31"}),  # huge
        ("/api/reports/indicators.csv", {"from": "2000-01-01", "to": "2026-12-31"}),
        ("/api/reports/indicators.xlsx", {"from": "0001-01-01", "to": "9999-12-31"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "everything"}),
        ("/api/reports/indicators/evidence", {**PERIOD}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "participations", "country": "Italy"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "participations", "region": "'; DROP TABLE company; --"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "participations", "size_class": "huge"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "participations", "limit": "100000"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "participations", "offset": "-1"}),
        ("/api/reports/indicators/evidence", {**PERIOD, "figure": "x" * 5000}),
        ("/api/reports/indicators/evidence.csv", {**PERIOD, "figure": "unknown_figure"}),
        ("/api/reports/indicators/evidence.xlsx", {"figure": "participations"}),
    ]
    for path, params in bad:
        answer = await client.get(path, params=params, headers=organiser)
        assert 400 <= answer.status_code < 500, (path, params, answer.status_code, answer.text)
        assert "detail" in answer.json(), (path, params)
    # nobody without a sign-in, and no check-in staff, sees any of it
    assert (await client.get("/api/reports/indicators", params=PERIOD)).status_code == 401
    assert (await client.get("/api/reports/indicators/evidence", params={**PERIOD, "figure": "participations"})).status_code == 401
    assert (await client.get("/api/reports/indicators.xlsx", params=PERIOD)).status_code == 401


def test_a_breakdown_group_of_any_region_text_opens_its_evidence() -> None:
    from events_service.reports.indicators import InvalidPeriod, parse_filters, region_key

    key = region_key("CH", "Graubünden")
    assert key == "CH-Graubünden"
    assert parse_filters(None, key, None).region == key
    assert parse_filters(None, region_key("IT", "Monza e Brianza"), None).region == "IT-Monza e Brianza"
    assert region_key("IT", None) == "IT-unknown"
    assert region_key(None, "LC") == "unknown"
    for bad in ("Graubünden", "C-GR", "CH-" + "x" * 101, "CH-\x00"):
        try:
            parse_filters(None, bad, None)
        except InvalidPeriod:
            continue
        raise AssertionError(bad)
