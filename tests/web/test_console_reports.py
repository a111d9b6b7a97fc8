"""The console's reports page through the app (the browser test is in test_reports_browser.py):
the indicators of a chosen period, server-side SVG charts readable without colour, every
figure and bar linked to its evidence, downloads, both languages, and who may see it."""

from __future__ import annotations

import html
import re

import httpx

from tests.reports.support import EXPECTED, PERIOD, funder_programme
from tests.support.spreadsheets import csv_dicts, xlsx_dicts
from tests.web.support import console_login


async def _page(client: httpx.AsyncClient, language: str, **params: str) -> httpx.Response:
    return await client.get("/console/reports", params=params or PERIOD, headers={"Accept-Language": language})


async def test_the_reports_page_shows_the_figures_charts_and_links(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await funder_programme(client, organiser)
    await console_login(client)
    page = await _page(client, "en-GB")
    assert page.status_code == 200, page.text
    text = page.text
    figures = dict(re.findall(r'id="figure-(\w+)"><span class="big">(\d+)</span>', text))
    assert figures == {name: str(EXPECTED[name] if isinstance(EXPECTED[name], int) else EXPECTED[name]["total"])
                       for name in ("participations", "enterprises_supported", "cross_border_participations",
                                    "public_events", "targeted_events", "expert_meetings")}
    # five charts, drawn on the server, each bar patterned and labelled with its value
    for chart in ("chart-month", "chart-country", "chart-region", "chart-size", "chart-kind"):
        assert re.search(rf'<svg xmlns="http://www.w3.org/2000/svg"[^>]*id="{chart}"', text), chart
        assert f'fill="url(#{chart}-fill)"' in text, chart
    region_chart = text.split('id="chart-region"')[1].split("</svg>")[0]
    assert "CH · TI" in region_chart
    assert ">2</text>" in region_chart  # the value is written, not only drawn
    size_chart = text.split('id="chart-size"')[1].split("</svg>")[0]
    assert "micro" in size_chart
    # every bar and figure opens as its evidence, and the evidence agrees with the figure
    links = [html.unescape(link) for link in re.findall(r'href="(/console/reports/evidence\?[^"]+)"', text)]
    assert any("region=CH-TI" in link for link in links)
    assert any("from=2026-11-01&to=2026-11-30" in link and "figure=participations" in link for link in links)
    for link in links:
        evidence = await client.get(link)
        assert evidence.status_code == 200, link
    evidence = await client.get(next(link for link in links if "region=CH-TI" in link))
    assert re.search(r'id="evidence-total" class="big">2<', evidence.text)
    assert "Ticino Robotics SA" in evidence.text
    # November's bar: the month's participations
    month_chart = text.split('id="chart-month"')[1].split("</svg>")[0]
    assert "Nov 2026" in month_chart
    assert ">5</text>" in month_chart

    csv = await client.get("/console/reports/indicators.csv", params=PERIOD)
    assert {row["figure"] for row in csv_dicts(csv.text)} >= {"participations", "expert_meetings"}
    xlsx = await client.get("/console/reports/indicators.xlsx", params=PERIOD)
    assert xlsx_dicts(xlsx.content, "indicators")[0]["value"] == 5
    rows = xlsx_dicts((await client.get("/console/reports/evidence.xlsx", params={**PERIOD, "figure": "participations"})).content)
    assert len(rows) == 5


async def test_the_reports_page_speaks_italian_and_german(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await funder_programme(client, organiser)
    await console_login(client)
    italian = (await _page(client, "it-IT")).text
    assert "Partecipazioni per provincia o cantone" in italian
    assert "nov 2026" in italian
    german = (await _page(client, "de-CH")).text
    assert "Teilnahmen nach Provinz oder Kanton" in german


async def test_bad_periods_and_figures_are_4xx_and_only_editors_see_reports(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/reports")).status_code == 303  # to the sign-in
    await console_login(client, role="checkin")
    assert (await client.get("/console/reports")).status_code == 403
    assert (await client.get("/console/reports/evidence", params={**PERIOD, "figure": "participations"})).status_code == 403
    client.cookies.clear()
    await console_login(client)
    for params in ({"from": "yesterday", "to": "2026-11-30"}, {"from": "2026-12-01", "to": "2026-11-01"},
                   {"from": "1900-01-01", "to": "2999-01-01"}):
        answer = await client.get("/console/reports", params=params, headers={"Accept-Language": "en"})
        assert answer.status_code == 422, params
        assert 'role="alert"' in answer.text
    for params in ({**PERIOD, "figure": "everything"}, {**PERIOD, "figure": "participations", "region": "<script>"}):
        answer = await client.get("/console/reports/evidence", params=params)
        assert 400 <= answer.status_code < 500, params
        assert "<script>" not in answer.text
    default = await client.get("/console/reports")
    assert default.status_code == 200  # this year
