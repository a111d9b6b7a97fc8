"""Paging on every list that can grow (API.md "Second round"): limit/offset/updated_since,
X-Total-Count, Link rel="next"; over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.factories import event_payload, partita_iva, published_event, registration_payload


def _next_link(answer: httpx.Response) -> str | None:
    link = answer.headers.get("link")
    if link is None:
        return None
    assert link.endswith('>; rel="next"'), link
    parts = urlsplit(link[1 : link.index(">")])
    return f"{parts.path}?{parts.query}"


async def _walk(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[list[int], list[int]]:
    """Every page by following Link rel=next: the ids seen, and X-Total-Count of each page."""
    ids: list[int] = []
    totals: list[int] = []
    next_url: str | None = url
    while next_url is not None:
        answer = await client.get(next_url, headers=headers)
        assert answer.status_code == 200, answer.text
        ids += [item["id"] for item in answer.json()]
        totals.append(int(answer.headers["x-total-count"]))
        next_url = _next_link(answer)
    return ids, totals


async def test_events_page_by_page(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    created = []
    for n in range(5):
        answer = await client.post("/api/events", json=event_payload(title=f"Talk {n}"), headers=organiser)
        created.append(answer.json()["id"])
    ids, totals = await _walk(client, "/api/events?limit=2&kind=tech_talk", organiser)
    assert sorted(ids) == sorted(created)
    assert len(ids) == len(set(ids))
    assert totals == [5, 5, 5]
    first = await client.get("/api/events?limit=2&kind=tech_talk", headers=organiser)
    assert parse_qs(urlsplit(first.headers["link"][1:-13]).query) == {"kind": ["tech_talk"], "offset": ["2"], "limit": ["2"]}
    last = await client.get("/api/events?limit=2&offset=4", headers=organiser)
    assert "link" not in last.headers
    assert len(last.json()) == 1


async def test_updated_since_returns_only_what_changed(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    first = await published_event(client, organiser, title="Unchanged")
    second = await published_event(client, organiser, title="Changed")
    await asyncio.sleep(0.01)
    since = datetime.now(UTC)
    await asyncio.sleep(0.01)
    patched = await client.patch(f"/api/events/{second['id']}", json={"title": "Changed again"}, headers=organiser)
    assert patched.status_code == 200, patched.text
    answer = await client.get("/api/events", params={"updated_since": since.isoformat()}, headers=organiser)
    assert [event["id"] for event in answer.json()] == [second["id"]]
    assert answer.headers["x-total-count"] == "1"
    everything = await client.get("/api/events", headers=organiser)
    assert {event["id"] for event in everything.json()} == {first["id"], second["id"]}


async def test_registrations_paged_and_updated_since(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    registered = []
    for n in range(3):
        answer = await client.post(
            f"/api/public/events/{event['id']}/registrations", json=registration_payload(f"person.{n}@azienda{n}.example", n + 1)
        )
        assert answer.status_code == 201, answer.text
        registered.append(answer.json())
    url = f"/api/events/{event['id']}/registrations?limit=2"
    ids, totals = await _walk(client, url, organiser)
    assert ids == [r["id"] for r in registered]
    assert totals == [3, 3]
    since = datetime.now(UTC)
    await asyncio.sleep(0.01)
    cancelled = await client.post(f"/api/public/registrations/{registered[1]['manage_token']}/cancel")
    assert cancelled.status_code == 200
    changed = await client.get(
        f"/api/events/{event['id']}/registrations", params={"updated_since": since.isoformat()}, headers=organiser
    )
    assert [row["id"] for row in changed.json()] == [registered[1]["id"]]


async def test_companies_and_outbox_paged(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    for n in range(3):
        answer = await client.post(
            "/api/companies", json={"name": f"Officine {n} Srl", "vat_id": partita_iva(100 + n), "country": "IT"}, headers=organiser
        )
        assert answer.status_code == 201, answer.text
    ids, totals = await _walk(client, "/api/companies?limit=1", organiser)
    assert len(set(ids)) == 3
    assert totals == [3, 3, 3]
    event = await published_event(client, organiser)
    for n in range(2):
        await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload(f"a.b{n}@x{n}.example", n + 1))
    ids, totals = await _walk(client, "/api/outbox?limit=1", organiser)
    assert len(set(ids)) == 2
    assert totals == [2, 2]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    none = await client.get("/api/outbox", params={"updated_since": future}, headers=organiser)
    assert none.json() == []
    assert none.headers["x-total-count"] == "0"


@pytest.mark.parametrize(
    "query",
    ["limit=501", "limit=0", "offset=-1", "offset=99999999999", "updated_since=2026-12-06T10:00:00", "updated_since=yesterday"],
)
async def test_hostile_paging_is_a_clear_4xx(client: httpx.AsyncClient, organiser: dict[str, str], query: str) -> None:
    for path in ("/api/events", "/api/companies", "/api/outbox"):
        answer = await client.get(f"{path}?{query}", headers=organiser)
        assert 400 <= answer.status_code < 500, (path, query, answer.text)
        assert "detail" in answer.json()
