"""/metrics: Prometheus text, parsed with prometheus_client's own parser; the service's figures
move with real registrations and real sends; EVENTS_METRICS_TOKEN guards it when set."""

from __future__ import annotations

import dataclasses

import httpx
from prometheus_client.parser import text_string_to_metric_families

from events_service.app import create_app
from events_service.mail.transport import SmtpTransport
from events_service.settings import Settings
from events_service.worker import Worker
from tests.factories import published_event, registration_payload
from tests.support.smtp import SmtpSink


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
    from events_service.app import running_service

    guarded = dataclasses.replace(settings, metrics_token="scrape-token-of-the-test-0123")
    async with running_service(guarded):
        transport = httpx.ASGITransport(app=create_app(guarded))
        async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as http:
            assert (await http.get("/metrics")).status_code == 401
            assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"})).status_code == 401
            missing = await http.get("/metrics", headers={"Authorization": "scrape-token-of-the-test-0123"})
            assert missing.status_code == 401
            assert "events_registrations" not in missing.text
            figures = await _figures(http, {"Authorization": "Bearer scrape-token-of-the-test-0123"})
            assert ("events_registrations", (("status", "confirmed"),)) in figures
