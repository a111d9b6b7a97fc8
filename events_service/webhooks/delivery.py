"""Deliver what the webhooks' outbox holds: claim due rows, POST them, record each result.

Claiming is the mail dispatcher's (mail/dispatcher.py): PostgreSQL `FOR UPDATE SKIP LOCKED`
and the update to `sending` with a lease in one transaction, so any number of workers never
claim the same row; on SQLite the same inside the one write transaction at a time. A row
whose lease has run out belongs to a dead worker and is claimed again: a delivery is sent at
least once, and its `webhook-id` lets the receiver drop a repeat.

Sending and recording: `concurrency` POSTs at a time; results are recorded as they come in
shared commits (db/group_commit.py: the results that end while a commit is under way share
the next one, successes in one UPDATE). A commit per delivery was what made PostgreSQL
deliver at under half the rate of the bare POSTs. A POST starts only while fewer than
`max_in_flight` deliveries are sent but not recorded (the most a killed worker can cause to
be sent twice), and only if it can end and be recorded well inside the lease: the rest of the
batch goes back to the queue as it was, so a live worker never has a row taken over. Once a
receiver answers 410, the rest of its deliveries in the batch are dropped, not sent.

Results: a 2xx is `delivered` (never sent again); 410 Gone is `failed` and disables the
subscription (its waiting deliveries are `dropped`); anything else (another status, a
timeout, no connection, a refused address) is `retry` with exponential back-off and jitter,
`failed` once the attempts are used up. Redirects are not followed (addresses.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from piccolo.columns.combination import Combinable

from events_service import db
from events_service.clock import now_utc
from events_service.db.group_commit import GroupCommit, write_with_retries
from events_service.db.leases import default_worker_id, release_unsent
from events_service.settings import Settings
from events_service.webhooks.addresses import refusal
from events_service.webhooks.schemas import DeliveryStatus, SubscriptionStatus
from events_service.webhooks.signing import signed_headers
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription

__all__ = ["BackOff", "DeliveryStats", "WebhookDispatcher", "deliver_due"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_MAX_ERROR_LENGTH = 500
_PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRY)


@dataclass(frozen=True)
class BackOff:
    """10 s, 20 s, 40 s … capped at 6 h, ±20 %; 12 attempts span about half a day, enough
    for a receiver's outage over a night."""

    max_attempts: int = 12
    base_seconds: float = 10.0
    max_seconds: float = 6 * 3600.0
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        seconds = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)
        return timedelta(seconds=seconds * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass
class DeliveryStats:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    #: Claimed, not sent, handed back as they were (the lease would not have covered them).
    released: int = 0
    #: Results that arrived after another worker had taken the row over (not written).
    lost_leases: int = 0
    status_codes: list[int] = field(default_factory=list)

    def count(self, outcome: _Outcome, written: bool) -> None:
        self.delivered += outcome.status == DeliveryStatus.DELIVERED
        self.retried += outcome.status == DeliveryStatus.RETRY
        self.failed += outcome.status == DeliveryStatus.FAILED
        self.dropped += outcome.status == DeliveryStatus.DROPPED
        self.lost_leases += not written
        if outcome.status_code is not None:
            self.status_codes.append(outcome.status_code)

    def __add__(self, other: DeliveryStats) -> DeliveryStats:
        total = DeliveryStats(status_codes=self.status_codes + other.status_codes)
        for name in ("claimed", "delivered", "retried", "failed", "dropped", "released", "lost_leases"):
            setattr(total, name, getattr(self, name) + getattr(other, name))
        return total


@dataclass(frozen=True)
class _Claimed:
    id: int
    subscription: int
    webhook_id: str
    body: str
    attempts: int


@dataclass(frozen=True)
class _Target:
    url: str
    secret: str
    active: bool
    #: Why the URL may not be sent to now (addresses.py), checked once per batch.
    refused: str | None


@dataclass(frozen=True)
class _Outcome:
    row: _Claimed
    status: DeliveryStatus
    at: datetime
    status_code: int | None = None
    error: str | None = None
    send_after: datetime | None = None
    gone: bool = False


class WebhookDispatcher:
    """Claims due deliveries and POSTs them with `client` (one httpx.AsyncClient, its pool
    reused across deliveries), at most `concurrency` at a time."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        now: Clock = now_utc,
        worker_id: str | None = None,
        concurrency: int = 10,
        max_in_flight: int | None = None,
        lease_seconds: float = 60.0,
        timeout_seconds: float = 10.0,
        back_off: BackOff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if lease_seconds <= 2 * timeout_seconds:
            raise ValueError("the lease must outlast a delivery's timeout twice over (the POST, then its record)")
        self.settings = settings
        self.client = client
        self._clock = now
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency
        self.max_in_flight = max_in_flight or 2 * concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.timeout = timeout_seconds
        self.back_off = back_off or BackOff()
        self._rng = rng or random.Random()

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)  # SQLite compares timestamps as text: UTC only

    async def drain(self, batch_size: int = 100) -> DeliveryStats:
        """Deliver everything due now, batch after batch."""
        total = DeliveryStats()
        while True:
            stats = await self.run_once(batch_size)
            total += stats
            if stats.claimed < batch_size or stats.claimed == stats.released:
                return total

    async def run_once(self, batch_size: int = 100) -> DeliveryStats:
        """Claim up to `batch_size` due deliveries, POST them, record every result."""
        now = self._now()
        lease_until = now + self.lease
        rows = await self._claim(batch_size, now, lease_until)
        stats = DeliveryStats(claimed=len(rows))
        if not rows:
            return stats
        targets = await self._targets({row.subscription for row in rows})
        # Start no POST that could still be running, or unrecorded, when the lease ends.
        last_start = lease_until - 2 * timedelta(seconds=self.timeout)
        waiting = deque(rows)
        # A slot is taken before a POST and given back once its result is committed.
        unrecorded = asyncio.Semaphore(self.max_in_flight)

        def recorded(outcome: _Outcome, written: bool) -> None:
            unrecorded.release()
            stats.count(outcome, written)

        recorder = GroupCommit(self._write_outcomes, recorded, row_id=lambda outcome: outcome.row.id, most=self.max_in_flight)

        async def sender() -> None:
            while True:
                await unrecorded.acquire()
                if not waiting or self._now() > last_start:
                    unrecorded.release()
                    return
                row = waiting.popleft()
                outcome = await self._attempt(row, targets.get(row.subscription))
                if outcome.gone:  # the rest of its deliveries in this batch: dropped, not sent
                    targets[row.subscription] = dataclasses.replace(targets[row.subscription], active=False)
                recorder.submit(outcome)

        try:
            await recorder.beside(sender, copies=min(self.concurrency, len(rows)))
        finally:
            if waiting:
                stats.released = await release_unsent(WebhookDelivery, self._ours([row.id for row in waiting]),
                                                      queued=DeliveryStatus.QUEUED, retry=DeliveryStatus.RETRY)
        return stats

    # ------------------------------------------------------------------ database

    async def _claim(self, batch_size: int, now: datetime, lease_until: datetime) -> list[_Claimed]:
        d = WebhookDelivery
        due = [(d.status == status) & (d.send_after <= now) for status in _PENDING]
        due.append((d.status == DeliveryStatus.SENDING) & (d.lease_until < now))  # a dead worker's rows
        async with db.write_transaction():
            ids: list[int] = []
            for condition in due:
                query = d.select(d.id).where(condition).order_by(d.send_after).limit(batch_size)
                if not db.is_sqlite(db.current_engine()):
                    query = query.lock_rows("UPDATE", skip_locked=True)
                ids += [row["id"] for row in await query]
            ids = sorted(ids)[:batch_size]
            if not ids:
                return []
            rows = await d.update(
                {d.status: DeliveryStatus.SENDING, d.lease_until: lease_until, d.claimed_by: self.worker_id, d.updated_at: now}
            ).where(d.id.is_in(ids)).returning(d.id, d.subscription, d.webhook_id, d.body, d.attempts)
        return [_Claimed(r["id"], r["subscription"], r["webhook_id"], r["body"], r["attempts"]) for r in sorted(rows, key=lambda r: r["id"])]

    async def _targets(self, subscription_ids: set[int]) -> dict[int, _Target]:
        """The batch's subscriptions, each URL checked once (addresses.py) for the whole batch."""
        s = WebhookSubscription
        rows = await s.select(s.id, s.url, s.secret, s.status).where(s.id.is_in(list(subscription_ids)))
        private_allowed = self.settings.webhook_private_addresses
        return {
            row["id"]: _Target(
                row["url"], row["secret"], row["status"] == SubscriptionStatus.ACTIVE,
                await refusal(row["url"], private_allowed=private_allowed),
            )
            for row in rows
        }

    def _ours(self, ids: Sequence[int]) -> Combinable:
        """Rows still claimed by this worker (not taken over after a lease ran out)."""
        d = WebhookDelivery
        return d.id.is_in(list(ids)) & (d.claimed_by == self.worker_id) & (d.status == DeliveryStatus.SENDING)

    async def _write_outcomes(self, outcomes: list[_Outcome]) -> set[int]:
        """Record results in one transaction; a row another worker has claimed since is left
        to that worker. Returns the ids written."""
        return await write_with_retries(self._write_outcomes_once, outcomes, "webhook results")

    async def _write_outcomes_once(self, outcomes: list[_Outcome]) -> set[int]:
        d = WebhookDelivery
        written: set[int] = set()
        delivered: dict[int | None, list[_Outcome]] = {}
        for outcome in outcomes:
            if outcome.status == DeliveryStatus.DELIVERED:
                delivered.setdefault(outcome.status_code, []).append(outcome)
        async with db.write_transaction():
            for status_code, group in delivered.items():  # one UPDATE per answer code (2xx)
                at = max(outcome.at for outcome in group)
                rows = await d.update(
                    {
                        d.status: DeliveryStatus.DELIVERED, d.attempts: d.attempts + 1, d.last_status_code: status_code,
                        d.last_error: None, d.lease_until: None, d.updated_at: at, d.delivered_at: at,
                    }
                ).where(self._ours([outcome.row.id for outcome in group])).returning(d.id)
                written.update(row["id"] for row in rows)
            for outcome in outcomes:
                if outcome.status != DeliveryStatus.DELIVERED:
                    rows = await d.update(self._unsuccessful(outcome)).where(self._ours([outcome.row.id])).returning(d.id)
                    written.update(row["id"] for row in rows)
                if outcome.gone:
                    await self._disable(outcome.row.subscription, outcome.at)
        return written

    @staticmethod
    def _unsuccessful(outcome: _Outcome) -> dict[Any, Any]:
        d = WebhookDelivery
        values: dict[Any, Any] = {
            d.status: outcome.status,
            d.attempts: outcome.row.attempts + (outcome.status != DeliveryStatus.DROPPED),
            d.last_status_code: outcome.status_code,
            d.last_error: (outcome.error or "")[:_MAX_ERROR_LENGTH] or None,
            d.lease_until: None,
            d.updated_at: outcome.at,
        }
        if outcome.send_after is not None:
            values[d.send_after] = outcome.send_after
        return values

    async def _disable(self, subscription_id: int, at: datetime) -> None:
        """The receiver said 410 Gone: no more deliveries to it, waiting ones dropped."""
        s, d = WebhookSubscription, WebhookDelivery
        await s.update(
            {s.status: SubscriptionStatus.DISABLED, s.disabled_reason: "the receiver answered 410 Gone", s.updated_at: at}
        ).where(s.id == subscription_id)
        await d.update({d.status: DeliveryStatus.DROPPED, d.updated_at: at, d.last_error: "subscription disabled"}).where(
            (d.subscription == subscription_id) & d.status.is_in(list(_PENDING))
        )

    # ------------------------------------------------------------------ one delivery

    async def _attempt(self, row: _Claimed, target: _Target | None) -> _Outcome:
        if target is None or not target.active:
            return _Outcome(row, DeliveryStatus.DROPPED, self._now(), error="subscription disabled or deleted")
        if target.refused is not None:
            return self._again(row, error=f"not sent: {target.refused}")
        body = row.body.encode("utf-8")
        # The wall clock, not the scheduling clock (`now`, moved by tests): receivers refuse a
        # timestamp more than a few minutes off their own.
        headers = signed_headers(target.secret, row.webhook_id, now_utc(), body)
        try:
            answer = await self.client.post(
                target.url, content=body, headers=headers, timeout=self.timeout, follow_redirects=False
            )
        except httpx.TimeoutException:
            return self._again(row, error=f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as error:
            return self._again(row, error=f"{type(error).__name__}: {error}")
        code = answer.status_code
        if 200 <= code < 300:
            return _Outcome(row, DeliveryStatus.DELIVERED, self._now(), status_code=code)
        if code == 410:
            return _Outcome(row, DeliveryStatus.FAILED, self._now(), status_code=code, error="410 Gone: subscription disabled", gone=True)
        return self._again(row, status_code=code, error=f"answered {code}")

    def _again(self, row: _Claimed, *, error: str, status_code: int | None = None) -> _Outcome:
        attempts = row.attempts + 1
        now = self._now()
        if attempts >= self.back_off.max_attempts:
            return _Outcome(row, DeliveryStatus.FAILED, now, status_code=status_code, error=f"gave up after {attempts} attempts: {error}")
        return _Outcome(
            row, DeliveryStatus.RETRY, now, status_code=status_code, error=error,
            send_after=now + self.back_off.delay(attempts, self._rng),
        )


async def _anything_due(now: datetime) -> bool:
    d = WebhookDelivery
    due = ((d.status.is_in(list(_PENDING))) & (d.send_after <= now)) | ((d.status == DeliveryStatus.SENDING) & (d.lease_until < now))
    return await d.exists().where(due)


async def deliver_due(settings: Settings) -> DeliveryStats:
    """The worker's periodic job: deliver what is due. The HTTP client (and its TLS context)
    is made only when something is due."""
    if not await _anything_due(now_utc().astimezone(UTC)):
        return DeliveryStats()
    async with httpx.AsyncClient(headers={"user-agent": "events-service-webhooks"}) as client:
        return await WebhookDispatcher(settings, client).drain()
