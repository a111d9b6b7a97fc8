"""The webhook dispatcher's batches (webhooks/delivery.py): several deliveries claimed at once,
POSTed side by side and recorded in shared commits; each still handled as if alone. A real
HTTP receiver that verifies signatures; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from events_service import db
from events_service.settings import Settings
from events_service.webhooks.delivery import BackOff, WebhookDispatcher
from events_service.webhooks.outbox import emit
from events_service.webhooks.schemas import EventType
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription
from tests.conftest import token_headers
from tests.factories import published_event
from tests.support.webhooks import WebhookReceiver


async def _subscribe(client: httpx.AsyncClient, admin: dict[str, str], receiver: WebhookReceiver, path: str) -> int:
    answer = await client.post("/api/webhooks", json={"url": receiver.url(path), "events": ["event.published"]}, headers=admin)
    assert answer.status_code == 201, answer.text
    receiver.secrets[path] = answer.json()["secret"]
    return answer.json()["id"]


async def _deliveries(subscription_id: int) -> list[dict]:
    d = WebhookDelivery
    return await d.select().where(d.subscription == subscription_id).order_by(d.id)


async def _queue(count: int) -> None:
    """`count` events through the webhooks' outbox, each in its own write transaction."""
    for number in range(count):
        async with db.write_transaction():
            await emit(EventType.EVENT_PUBLISHED, {"event_id": number})


@pytest.mark.parametrize("concurrency", [1, 10])
async def test_a_batch_with_a_410_a_500_and_a_success_handles_each(
    client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver, concurrency: int
) -> None:
    admin = await token_headers(client, "admin")
    organiser = await token_headers(client, "organiser")
    gone = await _subscribe(client, admin, receiver, "/gone")
    broken = await _subscribe(client, admin, receiver, "/broken")
    fine = await _subscribe(client, admin, receiver, "/fine")
    receiver.answer("/gone", (410, 0.0), (410, 0.0))
    receiver.answer("/broken", (500, 0.0), (500, 0.0))
    for _ in range(2):
        await published_event(client, organiser)
    started = datetime.now(UTC)

    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(settings, http, concurrency=concurrency, back_off=BackOff(base_seconds=60, jitter=0))
        stats = await dispatcher.run_once(batch_size=100)

    assert stats.claimed == 6  # the whole batch at once
    assert (stats.delivered, stats.retried) == (2, 2)
    assert stats.failed + stats.dropped == 2
    assert stats.failed >= 1
    assert (stats.released, stats.lost_leases) == (0, 0)

    fine_rows = await _deliveries(fine)
    assert [(row["status"], row["attempts"], row["last_status_code"]) for row in fine_rows] == [("delivered", 1, 200)] * 2
    assert all(row["delivered_at"] is not None and row["lease_until"] is None for row in fine_rows)
    assert len(receiver.at("/fine")) == 2

    broken_rows = await _deliveries(broken)
    assert [(row["status"], row["attempts"], row["last_status_code"]) for row in broken_rows] == [("retry", 1, 500)] * 2
    assert all(row["send_after"] > started and row["delivered_at"] is None for row in broken_rows)

    gone_rows = await _deliveries(gone)
    assert gone_rows[0]["status"] == "failed"
    if concurrency == 1:  # one at a time: the second is not sent once the receiver said 410
        assert gone_rows[1]["status"] == "dropped"
        assert len(receiver.at("/gone")) == 1
    else:  # side by side, the second may have gone out before the 410 came back
        assert gone_rows[1]["status"] in ("failed", "dropped")
    subscription = await WebhookSubscription.select().where(WebhookSubscription.id == gone).first()
    assert subscription["status"] == "disabled"
    assert all(item.signature_valid for item in receiver.received)

    # The disabled subscription gets nothing more; the one that answered 500 gets it again.
    await published_event(client, organiser)
    assert len(await _deliveries(gone)) == 2
    assert len(await _deliveries(broken)) == 3


@pytest.mark.parametrize("batch_size", [1, 7])
async def test_two_dispatchers_at_once_deliver_each_once(
    client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver, batch_size: int
) -> None:
    admin = await token_headers(client, "admin")
    await _subscribe(client, admin, receiver, "/crm")
    count = 30
    await _queue(count)
    receiver.answer("/crm", *[(200, 0.01)] * count)  # slow enough for the two to overlap

    async with httpx.AsyncClient() as http:
        first = WebhookDispatcher(settings, http, concurrency=5, worker_id="first")
        second = WebhookDispatcher(settings, http, concurrency=5, worker_id="second")
        stats = await asyncio.gather(first.drain(batch_size), second.drain(batch_size))

    assert sum(each.delivered for each in stats) == count
    assert sum(each.claimed for each in stats) == count
    assert all(each.claimed > 0 for each in stats)  # both took part
    arrived = Counter(item.webhook_id for item in receiver.at("/crm"))
    assert len(arrived) == count
    assert set(arrived.values()) == {1}
    assert all(item.signature_valid for item in receiver.received)
    rows = await WebhookDelivery.select(WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.webhook_id)
    assert {(row["status"], row["attempts"]) for row in rows} == {("delivered", 1)}
    assert {row["webhook_id"] for row in rows} == set(arrived)


async def test_a_batch_the_lease_cannot_cover_goes_back_unsent(
    client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    """One POST at a time, each answered after 0.3 s, and only 0.5 s in which a POST may
    start (lease 6.5 s, less twice the 3 s timeout): the batch cannot all be sent; what is
    not is handed back as it was, and sent by the next run. The timeout is ten times the
    answer's 0.3 s: a POST that timed out on a loaded machine would be neither delivered nor
    handed back, and the counts below would not add up."""
    admin = await token_headers(client, "admin")
    await _subscribe(client, admin, receiver, "/slow")
    await _queue(5)
    receiver.answer("/slow", *[(200, 0.3)] * 5)

    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(settings, http, concurrency=1, lease_seconds=6.5, timeout_seconds=3.0)
        stats = await dispatcher.run_once(batch_size=5)
        assert stats.claimed == 5
        assert stats.released >= 1
        assert stats.delivered + stats.released == 5
        assert len(receiver.at("/slow")) == stats.delivered
        rows = await WebhookDelivery.select().order_by(WebhookDelivery.id)
        back = [row for row in rows if row["status"] == "queued"]
        assert len(back) == stats.released
        assert all(row["attempts"] == 0 and row["claimed_by"] is None and row["lease_until"] is None for row in back)

        rest = WebhookDispatcher(settings, http, concurrency=5)
        assert (await rest.drain()).delivered == stats.released
    assert len({item.webhook_id for item in receiver.at("/slow")}) == len(receiver.at("/slow")) == 5
