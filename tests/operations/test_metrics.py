"""/metrics: Prometheus text, parsed with prometheus_client's own parser; the service's figures
move with real registrations and real sends; a process reads them at most once per
EVENTS_METRICS_MAX_AGE seconds, concurrent scrapes sharing one read; EVENTS_METRICS_TOKEN
guards it when set."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from events_service.app import running_service
from events_service.mail.transport import SmtpTransport
from events_service.operations.metrics import FiguresCache, registration_figures
from events_service.settings import Settings
from events_service.worker import Worker
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload
from tests.support.clients import running_app_client
from tests.support.polling import eventually_async
from tests.support.smtp import SmtpSink


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Figures read at every scrape: these tests watch them move from one request to the next
    (the tests of the window set their own EVENTS_METRICS_MAX_AGE)."""
    return dataclasses.replace(settings, metrics_max_age_s=0)


async def _figures(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await client.get("/metrics", headers=headers or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(figures: dict, name: str, **labels: str) -> float:
    return figures[(name, tuple(sorted(labels.items())))]


async def test_figures_move_with_registrations_and_sends(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink) -> None:
    before = await _figures(client)
    assert _value(before, "events_registrations", status="confirmed") == 0
    assert _value(before, "events_outbox_depth") == 0
    talk = await published_event(client, organiser, capacity=1)
    for number, email in enumerate(["ada@one.example", "bob@two.example"], start=1):
        created = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(email, company_no=number))
        assert created.status_code == 201, created.text
    refused = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada@one.example"))
    assert refused.status_code == 409

    queued = await _figures(client)
    assert _value(queued, "events_registrations", status="confirmed") == 1
    assert _value(queued, "events_registrations", status="waitlisted") == 1
    assert _value(queued, "events_outbox_depth") == 2
    assert _value(queued, "events_mail_messages", status="queued") == 2
    assert _value(queued, "events_outbox_oldest_due_age_seconds") >= 0
    # Litestar's request metrics, by route template (a token in a path never becomes a label);
    # counters of this process, which earlier tests moved too: compared with before.
    route = {"app_name": "events_service", "method": "POST", "path": "/api/public/events/{event_id}/registrations"}
    for status_code, count in (("201", 2), ("409", 1)):
        key = ("events_http_requests_total", tuple(sorted({**route, "status_code": status_code}.items())))
        assert queued[key] - before.get(key, 0) == count

    worker = Worker(settings, transport=SmtpTransport.from_url(sink.url()), jobs=[])
    stats = await worker.run_once()
    assert stats.sent == 2
    sent = await _figures(client)
    assert _value(sent, "events_mail_messages", status="sent") == 2
    assert _value(sent, "events_outbox_depth") == 0
    assert _value(sent, "events_outbox_oldest_due_age_seconds") == 0
    assert len(sink.handler.received) == 2


async def test_the_metrics_token_is_required_when_set(settings: Settings) -> None:
    guarded = dataclasses.replace(settings, metrics_token="scrape-token-of-the-test-0123")
    async with running_app_client(guarded) as http:
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"})).status_code == 401
        missing = await http.get("/metrics", headers={"Authorization": "scrape-token-of-the-test-0123"})
        assert missing.status_code == 401
        assert "events_registrations" not in missing.text
        figures = await _figures(http, {"Authorization": "Bearer scrape-token-of-the-test-0123"})
        assert ("events_registrations", (("status", "confirmed"),)) in figures


async def _register(http: httpx.AsyncClient, event_id: int, email: str, company_no: int) -> None:
    created = await http.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no=company_no))
    assert created.status_code == 201, created.text


def _domain(figures: dict) -> dict:
    """The service's own figures, without Litestar's request counters (never cached); values
    as text, since the heartbeat's age is NaN until a worker beats (and NaN != NaN)."""
    return {key: repr(value) for key, value in figures.items() if key[0].startswith("events_") and not key[0].startswith("events_http")}


async def test_a_scrape_inside_the_window_gets_the_last_read_without_reading_again(settings: Settings) -> None:
    async with running_app_client(dataclasses.replace(settings, metrics_max_age_s=3600)) as http:
        talk = await published_event(http, await token_headers(http), capacity=10)
        await _register(http, talk["id"], "ada@one.example", 1)
        first = await _figures(http)
        assert _value(first, "events_registrations", status="confirmed") == 1

        await _register(http, talk["id"], "bob@two.example", 2)
        second = await _figures(http)
        # Had the scrape read the database, it would count Bob: the same figures mean it did not.
        assert _domain(second) == _domain(first)
        assert _value(second, "events_registrations", status="confirmed") == 1
        # The request counters are live all the same: Bob's registration is counted.
        route = ("events_http_requests_total", tuple(sorted({"app_name": "events_service", "method": "POST", "status_code": "201",
                                                             "path": "/api/public/events/{event_id}/registrations"}.items())))
        assert second[route] == first[route] + 1


async def test_after_the_window_a_scrape_reads_the_new_figures(settings: Settings) -> None:
    async with running_app_client(dataclasses.replace(settings, metrics_max_age_s=1)) as http:
        talk = await published_event(http, await token_headers(http), capacity=10)
        await _register(http, talk["id"], "ada@one.example", 1)
        assert _value(await _figures(http), "events_registrations", status="confirmed") == 1
        await _register(http, talk["id"], "bob@two.example", 2)

        async def counts_bob() -> bool:
            return _value(await _figures(http), "events_registrations", status="confirmed") == 2

        await eventually_async(counts_bob, timeout=15, interval=0.2, what="a scrape after the 1 s window counts the new registration")


async def test_scrapes_that_arrive_together_share_one_read(settings: Settings) -> None:
    async with running_service(settings):
        reads = 0
        gate = asyncio.Event()

        async def gated_registrations() -> list[Metric]:
            nonlocal reads
            reads += 1
            await gate.wait()  # the read is under way while the other scrapes arrive
            return await registration_figures()

        figures = FiguresCache(max_age_s=60, sources=[gated_registrations])
        scrapes = [asyncio.create_task(figures.text()) for _ in range(5)]
        await asyncio.sleep(0)  # every scrape is waiting now
        gate.set()
        texts = await asyncio.gather(*scrapes)
        assert reads == 1
        assert len(set(texts)) == 1
        assert b'events_registrations{status="confirmed"} 0.0' in texts[0]
        assert await figures.text() == texts[0]  # inside the window: the same read
        assert reads == 1


async def test_a_failed_read_fails_its_scrapes_and_the_next_scrape_reads_again(settings: Settings) -> None:
    async with running_service(settings):
        outcomes = iter([RuntimeError("the database went away"), None])

        async def flaky_registrations() -> list[Metric]:
            failure = next(outcomes)
            if failure is not None:
                raise failure
            return await registration_figures()

        figures = FiguresCache(max_age_s=60, sources=[flaky_registrations])
        failed = await asyncio.gather(figures.text(), figures.text(), return_exceptions=True)
        assert [str(outcome) for outcome in failed] == ["the database went away"] * 2
        assert b"events_registrations" in await figures.text()
