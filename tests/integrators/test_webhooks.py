"""Webhooks end to end (API.md "Integrators"): subscriptions over HTTP, deliveries written in
the change's transaction, delivered to a real HTTP receiver that verifies each signature,
fails on purpose (500, a timeout, 410) and counts what arrives; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from events_service.settings import Settings
from events_service.webhooks.addresses import refusal
from events_service.webhooks.delivery import BackOff, WebhookDispatcher, deliver_due
from events_service.webhooks.tables import WebhookDelivery
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload
from tests.support.webhooks import WebhookReceiver

#: The dispatcher's timeout where a test makes the receiver answer too late on purpose.
TIMEOUT = 2.0


class MovingClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _subscribe(client: httpx.AsyncClient, admin: dict[str, str], receiver: WebhookReceiver, path: str, events: list[str]) -> dict:
    answer = await client.post("/api/webhooks", json={"url": receiver.url(path), "events": events}, headers=admin)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["secret"].startswith("whsec_")
    receiver.secrets[path] = made["secret"]
    return made


async def _register(client: httpx.AsyncClient, event_id: int, email: str, company: int = 1, **more: object) -> httpx.Response:
    return await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company, **more))


def _dispatcher(settings: Settings, http: httpx.AsyncClient, clock: Callable[[], datetime] | None = None, **options: object) -> WebhookDispatcher:
    return WebhookDispatcher(settings, http, now=clock or MovingClock(), **options)  # type: ignore[arg-type]


async def test_deliveries_are_signed_and_each_delivered_once(
    client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    subscription = await _subscribe(client, admin, receiver, "/crm", ["registration.created", "registration.cancelled", "event.published"])
    await _subscribe(client, admin, receiver, "/other", ["checkin.created"])
    event = await published_event(client, organiser)
    first = (await _register(client, event["id"], "ada.lovelace@one.example")).json()
    await _register(client, event["id"], "alan.turing@two.example", 2)
    cancelled = await client.post(f"/api/public/registrations/{first['manage_token']}/cancel")
    assert cancelled.status_code == 200

    async with httpx.AsyncClient() as http:
        stats = await _dispatcher(settings, http).drain()
        assert stats.delivered == 4
        again = await _dispatcher(settings, http).drain()
    assert again.claimed == 0
    arrived = receiver.at("/crm")
    assert [item.payload["type"] for item in arrived].count("registration.created") == 2
    assert sorted(item.payload["type"] for item in arrived) == [
        "event.published", "registration.cancelled", "registration.created", "registration.created",
    ]
    assert all(item.signature_valid for item in arrived)
    assert len({item.webhook_id for item in arrived}) == 4
    assert receiver.at("/other") == []
    created = next(item.payload for item in arrived if item.payload["type"] == "registration.created")
    assert set(created) == {"type", "timestamp", "data"}
    assert created["data"]["event_id"] == event["id"]

    log = await client.get(f"/api/webhooks/{subscription['id']}/deliveries?limit=3", headers=admin)
    assert log.status_code == 200
    assert log.headers["x-total-count"] == "4"
    assert "link" in log.headers
    assert {row["status"] for row in log.json()} == {"delivered"}
    assert {row["webhook_id"] for row in log.json()} <= {item.webhook_id for item in arrived}


async def test_failures_are_retried_with_back_off_until_delivered(
    client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    subscription = await _subscribe(client, admin, receiver, "/flaky", ["event.published"])
    # The third answers after the timeout. The timeout leaves room for the others: a loaded CI
    # machine can take well over 0.5 s for a local POST, and a fourth attempt that timed out
    # would be a retry, not the delivery the test expects.
    receiver.answer("/flaky", (500, 0.0), (503, 0.0), (200, 3 * TIMEOUT))
    await published_event(client, organiser)
    clock = MovingClock()
    async with httpx.AsyncClient() as http:
        dispatcher = _dispatcher(settings, http, clock, timeout_seconds=TIMEOUT, back_off=BackOff(base_seconds=10, jitter=0))
        assert (await dispatcher.run_once()).retried == 1
        assert (await dispatcher.run_once()).claimed == 0  # backing off: not due yet
        for _ in range(2):  # the 503, then the timeout
            clock.offset += timedelta(hours=1)
            assert (await dispatcher.run_once()).retried == 1
        log = (await client.get(f"/api/webhooks/{subscription['id']}/deliveries", headers=admin)).json()
        assert log[0]["status"] == "retry"
        assert log[0]["attempts"] == 3
        assert "no answer within" in log[0]["last_error"]
        assert log[0]["next_attempt_at"] is not None
        clock.offset += timedelta(hours=1)
        assert (await dispatcher.run_once()).delivered == 1
        clock.offset += timedelta(days=2)
        assert (await dispatcher.drain()).claimed == 0
    arrived = receiver.at("/flaky")
    assert len(arrived) == 4
    assert len({item.webhook_id for item in arrived}) == 1  # one message, attempted four times
    assert len({item.body for item in arrived}) == 1
    assert all(item.signature_valid for item in arrived)
    log = (await client.get(f"/api/webhooks/{subscription['id']}/deliveries", headers=admin)).json()
    assert log[0]["status"] == "delivered"
    assert log[0]["attempts"] == 4
    assert log[0]["next_attempt_at"] is None


async def test_410_disables_the_subscription(client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    subscription = await _subscribe(client, admin, receiver, "/gone", ["event.published", "registration.created"])
    receiver.answer("/gone", (410, 0.0))
    event = await published_event(client, organiser)
    async with httpx.AsyncClient() as http:
        stats = await _dispatcher(settings, http, concurrency=1).drain()
    assert stats.failed == 1
    await _register(client, event["id"], "late.comer@three.example", 3)
    listed = (await client.get("/api/webhooks", headers=admin)).json()
    assert listed[0]["status"] == "disabled"
    assert "410" in listed[0]["disabled_reason"]
    assert "secret" not in listed[0]
    assert await WebhookDelivery.count().where(WebhookDelivery.subscription == subscription["id"]) == 1
    assert len(receiver.at("/gone")) == 1


async def test_a_failed_change_writes_no_delivery(client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    await _subscribe(client, admin, receiver, "/crm", ["registration.created"])
    event = await published_event(client, organiser)
    assert (await _register(client, event["id"], "taken.already@four.example", 4)).status_code == 201
    # The colleague is registered already: the whole request fails, the first person's row and
    # webhook with it.
    refused = await _register(
        client, event["id"], "new.person@four.example", 4,
        colleagues=[{"email": "taken.already@four.example", "first_name": "T", "last_name": "A"}],
    )
    assert refused.status_code == 409, refused.text
    assert await WebhookDelivery.count() == 1


async def test_the_worker_job_delivers(client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    await _subscribe(client, admin, receiver, "/crm", ["event.published", "event.updated", "event.cancelled"])
    event = await published_event(client, organiser)
    await client.patch(f"/api/events/{event['id']}", json={"title": "A new title"}, headers=organiser)
    await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    stats = await deliver_due(settings)
    assert stats.delivered == 3
    # Deliveries go out side by side, so they may arrive in any order; each carries its moment.
    arrived = sorted((item.payload for item in receiver.at("/crm")), key=lambda payload: payload["timestamp"])
    assert [payload["type"] for payload in arrived] == ["event.published", "event.updated", "event.cancelled"]
    updated = arrived[1]["data"]
    assert updated["title"] == "A new title"
    assert "title" in updated["changed"]
    assert (await deliver_due(settings)).claimed == 0


async def test_subscriptions_are_for_admins_and_checked(client: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    body = {"url": receiver.url("/x"), "events": ["event.published"]}
    assert (await client.post("/api/webhooks", json=body, headers=organiser)).status_code == 403
    assert (await client.post("/api/webhooks", json=body)).status_code == 401
    for hostile in (
        {"url": "file:///etc/passwd", "events": ["event.published"]},
        {"url": "gopher://127.0.0.1:6379/_FLUSHALL", "events": ["event.published"]},
        {"url": "http:///nohost", "events": ["event.published"]},
        {"url": "http://example.org:99999/", "events": ["event.published"]},
        {"url": receiver.url("/x"), "events": ["registration.deleted"]},
        {"url": receiver.url("/x"), "events": []},
        {"url": "http://" + "a" * 2000 + ".example/", "events": ["event.published"]},
        {"url": receiver.url("/x"), "events": ["event.published"], "secret": "mine"},
    ):
        answer = await client.post("/api/webhooks", json=hostile, headers=admin)
        assert answer.status_code in (400, 422), (hostile["url"][:40], answer.text)
    assert (await client.get("/api/webhooks", headers=admin)).json() == []
    assert (await client.get("/api/webhooks/12345/deliveries", headers=admin)).status_code == 404
    assert (await client.delete("/api/webhooks/12345", headers=admin)).status_code == 404
    made = (await client.post("/api/webhooks", json=body, headers=admin)).json()
    assert (await client.delete(f"/api/webhooks/{made['id']}", headers=admin)).status_code == 204
    assert (await client.get("/api/webhooks", headers=admin)).json() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    assert await refusal(url, private_allowed=False) is not None
    assert await refusal(url, private_allowed=True) is None


async def test_public_addresses_and_schemes() -> None:
    assert await refusal("https://93.184.215.14/hook", private_allowed=False) is None
    assert await refusal("ftp://93.184.215.14/hook", private_allowed=False) is not None
