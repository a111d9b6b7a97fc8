"""Send what the outbox holds: claim due rows, send them, record each result.

Claiming
    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` and the update to ``sending`` (with a lease
    and ``claimed_by``) in one transaction, so any number of dispatchers, in any number of
    processes, never claim the same row. SQLite: the same inside an IMMEDIATE transaction,
    which serialises claims, so even two dispatchers would not share a row (one is all
    SQLite needs). A row whose lease has run out belongs to a dead worker and is claimed
    again.

Sending
    Over ``transport.concurrency`` pooled SMTP connections. Each result is recorded as soon
    as its send ends (results ending while a commit is under way share the next commit), not
    at the end of the batch; a send starts only while fewer than ``max_in_flight`` messages
    (default: twice the connections) are sent or sending but not yet recorded. That number
    is the most a SIGKILLed worker can cause to be sent twice. No send starts unless it can
    end (``max_send_seconds``) and be recorded well inside the lease, so a live worker never
    has its rows taken over.

Rendering
    A row may be only an intent (kind + payload, no message yet): the request that wrote it
    kept its transaction short. Such rows are rendered right after they are claimed, by the
    renderer registered for their kind (``renderers``, handed in by the wiring: mail knows no
    domain), and the message is stored before the first send, so a retry sends the very same
    message (same Message-ID). A row that cannot be rendered (its registration erased, say)
    is ``failed``; one whose kind's check says it no longer holds is ``withdrawn``.

Results
    ``sent``; ``retry`` (4xx, timeout, connection trouble: exponential back-off with jitter);
    ``failed`` (5xx, or ``max_attempts`` used up). When the server cannot be reached at all,
    the rest of the batch goes back unharmed and ``run_forever`` pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.columns.combination import Combinable

from events_service import db
from events_service.clock import now_utc
from events_service.db.group_commit import GroupCommit, write_with_retries
from events_service.db.leases import default_worker_id, release_unsent
from events_service.mail.outbox import PENDING, Withdrawn, stored_text
from events_service.mail.records import OutboxStatus
from events_service.mail.renderers import MessageRenderers
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import PermanentFailure, TemporaryFailure, Transport
from events_service.settings import Settings

__all__ = ["Clock", "DispatchStats", "Dispatcher", "RetryPolicy"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_MAX_ERROR_LENGTH = 1000
_MAX_IDLE_PAUSE = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 30.0
    max_delay: float = 3600.0
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Back-off after the `attempts`-th failed attempt: 30 s, 60 s, 2 min … capped at 1 h,
        spread by ±20 % so messages that failed together do not all come back together."""
        seconds = self.base_delay * 2 ** max(attempts - 1, 0)
        seconds *= 1 + rng.uniform(-self.jitter, self.jitter)
        return timedelta(seconds=min(seconds, self.max_delay))


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Intents that lost their point before they were sent (a reminder for a started event).
    withdrawn: int = 0
    #: Claimed, not attempted, handed back (stop requested, server unreachable, lease short).
    released: int = 0
    #: Results that arrived after another worker had taken the row over.
    lost_leases: int = 0
    unreachable: bool = False

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.withdrawn

    def __add__(self, other: DispatchStats) -> DispatchStats:
        return DispatchStats(
            claimed=self.claimed + other.claimed,
            sent=self.sent + other.sent,
            retried=self.retried + other.retried,
            failed=self.failed + other.failed,
            withdrawn=self.withdrawn + other.withdrawn,
            released=self.released + other.released,
            lost_leases=self.lost_leases + other.lost_leases,
            unreachable=self.unreachable or other.unreachable,
        )

    def __str__(self) -> str:
        text = (
            f"claimed {self.claimed}, sent {self.sent}, retry {self.retried}, "
            f"failed {self.failed}, withdrawn {self.withdrawn}, released {self.released}"
        )
        return text + (", SMTP server unreachable" if self.unreachable else "")


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    message: str
    attempts: int
    kind: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class _Outcome:
    row: _Claimed
    status: OutboxStatus  # sent, retry, failed or withdrawn
    at: datetime
    error: str | None = None
    send_after: datetime | None = None
    unreachable: bool = False


class Dispatcher:
    """Claims due outbox rows and sends them through `transport`.

    ``renderers`` knows, per message kind, how its intents become emails and whether a
    message written earlier still holds (the wiring's ``worker.MESSAGE_RENDERERS``). ``now``
    is injectable so tests can move time forward (back-off, leases). One Dispatcher is used
    by one task at a time; run several processes (or Dispatchers) for more.
    """

    def __init__(
        self,
        settings: Settings,
        transport: Transport,
        worker_id: str | None = None,
        *,
        renderers: MessageRenderers,
        now: Clock = now_utc,
        lease_seconds: float = 60.0,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if lease_seconds <= 2 * transport.max_send_seconds:
            raise ValueError(
                f"lease_seconds ({lease_seconds}) must be more than twice one send's time "
                f"limit ({transport.max_send_seconds} s): the send, then recording its result"
            )
        self.settings = settings
        self.transport = transport
        #: The most messages that can have reached the server without their result being
        #: committed: the most a SIGKILLed worker can cause to be sent twice. Twice the
        #: connections by default, so sending goes on while a commit is under way.
        self.max_in_flight = max_in_flight or 2 * transport.concurrency
        if self.max_in_flight < transport.concurrency:
            raise ValueError("max_in_flight must be at least the transport's concurrency")
        self.worker_id = worker_id or default_worker_id()
        self.lease = timedelta(seconds=lease_seconds)
        self.policy = policy or RetryPolicy()
        self._clock = now
        self._rng = rng or random.Random()
        self.renderers = renderers

    def _now(self) -> datetime:
        # SQLite compares timestamps as text: only ever write and compare UTC.
        return self._clock().astimezone(UTC)

    # ------------------------------------------------------------------ one batch

    async def run_once(self, batch_size: int = 50, *, stop: asyncio.Event | None = None) -> DispatchStats:
        """Claim up to `batch_size` due rows, send them, record every result."""
        now = self._now()
        lease_until = now + self.lease
        rows = await self._claim(batch_size, now, lease_until)
        stats = DispatchStats(claimed=len(rows))
        if not rows:
            return stats
        rows, unrenderable = await self._render_intents(rows)
        if unrenderable:
            await self._write_outcomes(unrenderable)
            stats.withdrawn += sum(outcome.status == OutboxStatus.WITHDRAWN for outcome in unrenderable)
            stats.failed += sum(outcome.status == OutboxStatus.FAILED for outcome in unrenderable)
            if not rows:
                return stats
        # Start no send that could still be running, or unrecorded, when the lease ends
        # (as long again as the send itself is allowed for recording its result).
        last_start = lease_until - 2 * timedelta(seconds=self.transport.max_send_seconds)
        waiting = deque(rows)
        # A slot is taken before a send and given back once its result is committed.
        unrecorded = asyncio.Semaphore(self.max_in_flight)

        def recorded(outcome: _Outcome, written: bool) -> None:
            unrecorded.release()
            stats.lost_leases += not written
            if outcome.status == OutboxStatus.SENT:
                stats.sent += 1
            elif outcome.status == OutboxStatus.RETRY:
                stats.retried += 1
            else:
                stats.failed += 1

        recorder = GroupCommit(self._write_outcomes, recorded, row_id=lambda outcome: outcome.row.id, most=self.max_in_flight)

        def may_continue() -> bool:
            halted = stats.unreachable or (stop is not None and stop.is_set())
            return bool(waiting) and not halted and self._now() <= last_start

        async def sender() -> None:
            while True:
                await unrecorded.acquire()
                if not may_continue():
                    unrecorded.release()
                    return
                outcome = await self._attempt(waiting.popleft())
                stats.unreachable |= outcome.unreachable
                recorder.submit(outcome)

        try:
            await recorder.beside(sender, copies=min(self.transport.concurrency, len(rows)))
        finally:
            if waiting:
                stats.released = await release_unsent(OutboxMessage, self._ours([row.id for row in waiting]),
                                                      queued=OutboxStatus.QUEUED, retry=OutboxStatus.RETRY)
        return stats

    async def drain(self, batch_size: int = 50) -> DispatchStats:
        """Send everything due now, batch after batch; stop early when the server is down."""
        total = DispatchStats()
        while True:
            stats = await self.run_once(batch_size)
            total += stats
            if stats.claimed == 0 or stats.unreachable or stats.attempted == 0:
                return total

    async def run_forever(
        self, stop: asyncio.Event, idle_seconds: float = 1.0, batch_size: int = 50
    ) -> None:
        """Dispatch until `stop` is set; the batch in hand is finished (or handed back) first."""
        pause = 0.0
        while not stop.is_set():
            try:
                stats = await self.run_once(batch_size, stop=stop)
            except Exception:
                log.exception("mail dispatch failed; trying again shortly")
                pause = min(max(pause * 2, 1.0), _MAX_IDLE_PAUSE)
                await _sleep_unless(stop, pause)
                continue
            if stats.unreachable:
                pause = min(max(pause * 2, 1.0), _MAX_IDLE_PAUSE)
                log.warning("SMTP server unreachable; next try in %.0f s", pause)
                await _sleep_unless(stop, pause)
                continue
            pause = 0.0
            if stats.claimed < batch_size:
                await _sleep_unless(stop, idle_seconds)

    # ------------------------------------------------------------------ database

    async def _claim(self, batch_size: int, now: datetime, lease_until: datetime) -> list[_Claimed]:
        o = OutboxMessage
        # One query per kind of due row, each reading its (status, send_after) index in order
        # and stopping after batch_size rows: a single OR query sorts every due row first,
        # which grows with the backlog (10 ms per claim at 10,000 queued).
        due = [(o.status == status) & (o.send_after <= now) for status in PENDING]
        due.append((o.status == OutboxStatus.SENDING) & (o.lease_until < now))  # a dead worker's rows
        async with db.write_transaction():
            candidates = []
            for condition in due:
                query = o.select(o.id, o.send_after).where(condition).order_by(o.send_after).limit(batch_size)
                if not db.is_sqlite(db.current_engine()):
                    # Rows another dispatcher is claiming right now are skipped, not waited for.
                    query = query.lock_rows("UPDATE", skip_locked=True)
                candidates += await query
            candidates.sort(key=lambda row: (row["send_after"], row["id"]))
            ids = [row["id"] for row in candidates[:batch_size]]
            if not ids:
                return []
            rows = await o.update(
                {o.status: OutboxStatus.SENDING, o.updated_at: now, o.lease_until: lease_until, o.claimed_by: self.worker_id}
            ).where(o.id.is_in(ids)).returning(o.id, o.to_address, o.message, o.attempts, o.kind, o.send_after, o.expires_at)
        rows.sort(key=lambda row: (row["send_after"], row["id"]))
        return [_Claimed(r["id"], r["to_address"], r["message"], r["attempts"], r["kind"], r["expires_at"]) for r in rows]

    def _ours(self, ids: Sequence[int]) -> Combinable:
        o = OutboxMessage
        return o.id.is_in(list(ids)) & (o.claimed_by == self.worker_id) & (o.status == OutboxStatus.SENDING)

    async def _write_outcomes(self, outcomes: list[_Outcome]) -> set[int]:
        """Record results; a row another worker has claimed since is left to that worker."""
        return await write_with_retries(self._write_outcomes_once, outcomes, "mail results")

    async def _write_outcomes_once(self, outcomes: list[_Outcome]) -> set[int]:
        o = OutboxMessage
        written: set[int] = set()
        sent = [outcome for outcome in outcomes if outcome.status == OutboxStatus.SENT]
        async with db.write_transaction():
            if sent:
                rows = await o.update(
                    {
                        o.status: OutboxStatus.SENT,
                        o.updated_at: max(outcome.at for outcome in sent),
                        o.sent_at: max(outcome.at for outcome in sent),
                        o.attempts: o.attempts + 1,
                        o.lease_until: None,
                        o.last_error: None,
                    }
                ).where(self._ours([outcome.row.id for outcome in sent])).returning(o.id)
                written.update(row["id"] for row in rows)
            for outcome in outcomes:
                if outcome.status != OutboxStatus.SENT:
                    rows = await o.update(
                        {
                            o.status: outcome.status,
                            o.updated_at: outcome.at,
                            o.attempts: outcome.row.attempts + 1,
                            o.last_error: (outcome.error or "")[:_MAX_ERROR_LENGTH],
                            o.send_after: outcome.send_after or outcome.at,
                            o.lease_until: None,
                        }
                    ).where(self._ours([outcome.row.id])).returning(o.id)
                    written.update(row["id"] for row in rows)
        return written

    async def _render_intents(self, rows: list[_Claimed]) -> tuple[list[_Claimed], list[_Outcome]]:
        """Withdraw what has expired or lost its point; render the claimed intents and store
        their messages before any is sent."""
        ready: list[_Claimed] = []
        failed: list[_Outcome] = []
        rendered: dict[int, tuple[str, str]] = {}
        now = self._now()
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                failed.append(_Outcome(row, OutboxStatus.WITHDRAWN, now, error=f"expired at {row.expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, before it was sent"))
        rows = [row for row in rows if row.expires_at is None or row.expires_at > now]
        # Checked at every attempt, rendered or not: a confirmation stored with its join link
        # and retried (by back-off or by an organiser) after the person cancelled must not go.
        outdated = await self.renderers.outdated([(row.id, row.kind) for row in rows]) if rows else {}
        failed += [_Outcome(row, OutboxStatus.WITHDRAWN, now, error=outdated[row.id]) for row in rows if row.id in outdated]
        rows = [row for row in rows if row.id not in outdated]
        intents = [(row.id, row.kind) for row in rows if not row.message]
        results = await self.renderers.render(intents, self.settings) if intents else {}
        for row in rows:
            if row.message:
                ready.append(row)
                continue
            result = results.get(row.id, ValueError("no renderer knows this intent"))
            if isinstance(result, Withdrawn):
                failed.append(_Outcome(row, OutboxStatus.WITHDRAWN, self._now(), error=str(result)))
                continue
            if isinstance(result, Exception):
                log.error("outbox message %s could not be rendered", row.id, exc_info=result)
                failed.append(_Outcome(row, OutboxStatus.FAILED, self._now(), error=f"could not be rendered: {result!r}"))
                continue
            text, subject = stored_text(result)
            rendered[row.id] = (text, subject)
            ready.append(dataclasses.replace(row, message=text))
        if rendered:
            o = OutboxMessage
            async with db.write_transaction():
                for row_id, (text, subject) in rendered.items():
                    await o.update({o.message: text, o.subject: subject}).where(self._ours([row_id]))
        return ready, failed

    # ------------------------------------------------------------------ one message

    async def _attempt(self, row: _Claimed) -> _Outcome:
        outcome = await self._try_sending(row)
        _log_outcome(outcome)
        return outcome

    async def _try_sending(self, row: _Claimed) -> _Outcome:
        raw = row.message.encode("utf-8")
        try:
            await self.transport.send(raw, self.settings.mail_from, [row.to_address])
        except PermanentFailure as failure:
            return _Outcome(row, OutboxStatus.FAILED, self._now(), error=failure.reason)
        except TemporaryFailure as failure:
            return self._temporary(row, failure.reason, unreachable=failure.connect)
        except Exception as error:  # a bug in a transport must not stop the other messages
            log.exception("transport failed unexpectedly on outbox message %s", row.id)
            return self._temporary(row, f"unexpected error: {error!r}")
        return _Outcome(row, OutboxStatus.SENT, self._now())

    def _temporary(self, row: _Claimed, reason: str, *, unreachable: bool = False) -> _Outcome:
        attempts = row.attempts + 1
        now = self._now()
        if attempts >= self.policy.max_attempts:
            return _Outcome(row, OutboxStatus.FAILED, now, error=f"gave up after {attempts} attempts: {reason}")
        send_after = now + self.policy.delay(attempts, self._rng)
        return _Outcome(row, OutboxStatus.RETRY, now, error=reason, send_after=send_after, unreachable=unreachable)


def _log_outcome(outcome: _Outcome) -> None:
    """What the worker sends and retries, at INFO (a final failure at WARNING): the message's
    id, kind and attempt, never its recipient (the outbox row has that, and erasure clears it)."""
    row = outcome.row
    extra = {"outbox_id": row.id, "kind": row.kind, "attempt": row.attempts + 1, "outcome": outcome.status}
    if outcome.status == OutboxStatus.SENT:
        log.info("sent outbox message %s (%s, attempt %d)", row.id, row.kind, row.attempts + 1, extra=extra)
    elif outcome.status == OutboxStatus.RETRY:
        log.info("outbox message %s (%s) not sent, retrying at %s: %s", row.id, row.kind,
                 f"{outcome.send_after:%H:%M:%S}" if outcome.send_after else "once due", outcome.error, extra=extra)
    elif outcome.status == OutboxStatus.FAILED:
        log.warning("outbox message %s (%s) failed: %s", row.id, row.kind, outcome.error, extra=extra)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
