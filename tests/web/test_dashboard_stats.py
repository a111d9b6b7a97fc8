"""The console's dashboard reads every event's figures with one query (registrations.queries.
stats_of), not one per event; the figures are the ones the stats endpoint gives, on both
engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from events_service.registrations import queries as registration_queries
from tests.factories import published_event, registration_payload
from tests.web.support import console_login


async def _register(client: httpx.AsyncClient, event_id: int, count: int, first_company: int) -> list[dict[str, Any]]:
    people = []
    for n in range(count):
        payload = registration_payload(f"person{first_company + n}.e{event_id}@company.example", company_no=first_company + n)
        answer = await client.post(f"/api/public/events/{event_id}/registrations", json=payload)
        assert answer.status_code == 201, answer.text
        people.append(answer.json())
    return people


async def test_the_dashboard_reads_all_events_figures_with_one_query(
    client: httpx.AsyncClient, organiser: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    full = await published_event(client, organiser, title="Full talk", capacity=2)
    roomy = await published_event(client, organiser, title="Roomy talk", capacity=50)
    quiet = await published_event(client, organiser, title="Quiet talk")
    people = await _register(client, full["id"], 4, 1)  # 2 confirmed, 2 waiting
    await _register(client, roomy["id"], 3, 10)
    cancelled = await client.post(f"/api/public/registrations/{people[0]['manage_token']}/cancel")
    assert cancelled.status_code == 200, cancelled.text  # the first waiting person takes the seat

    statements: list[str] = []
    real_run_sql = registration_queries.run_sql

    async def counting_run_sql(statement: str, *values: Any) -> list[dict[str, Any]]:
        statements.append(statement)
        return await real_run_sql(statement, *values)

    monkeypatch.setattr(registration_queries, "run_sql", counting_run_sql)
    await console_login(client)
    dashboard = await client.get("/console/", headers={"Accept-Language": "en"})
    assert dashboard.status_code == 200, dashboard.text
    assert len([s for s in statements if "GROUP BY event" in s]) == 1

    monkeypatch.setattr(registration_queries, "run_sql", real_run_sql)
    for event, confirmed, waitlisted, cancelled_count in [(full, 2, 1, 1), (roomy, 3, 0, 0), (quiet, 0, 0, 0)]:
        stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
        assert stats["confirmed"] == confirmed, event["title"]
        assert stats["waitlisted"] == waitlisted, event["title"]
        assert stats["cancelled"] == cancelled_count, event["title"]
        assert stats["companies"] == confirmed + waitlisted, event["title"]  # one company per person here
        assert stats["attended"] == 0, event["title"]
        assert stats["no_show"] == 0, event["title"]  # none has ended


async def test_stats_of_no_events_asks_nothing(client: httpx.AsyncClient) -> None:
    assert await registration_queries.stats_of([]) == {}
