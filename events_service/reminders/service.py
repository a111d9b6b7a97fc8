"""Reminders: which confirmed registrant is reminded of which event, and when.

The scheduler (`schedule_due`) is a periodic job of the worker. It keeps no state of its own:
the outbox is the record of what was scheduled. Each reminder is one outbox intent keyed
`reminder:<registration>:<offset>:<event sequence>` (reminders.messages.reminder_key),
so running the job again, or in several workers at once, writes nothing twice.

The rules:
- A reminder's moment is the event's start minus the offset (minutes). It is queued once its
  moment is within `lookahead`, to be sent at that moment.
- Only registrants confirmed at or before the moment get it: someone confirmed three hours
  before the start gets the one-hour reminder, not the one-day one.
- A moment that passed unnoticed (no worker was running) is made up for, late, as long as
  the event has not started, but only the most recent one: a registrant never gets the
  one-day and the one-hour reminder together. And none at all when a later reminder is
  about to go (its moment is within `lookahead`): it says the same, and is more accurate.
- Reminders are rendered right after they are queued, outside the transaction, so when their
  moment comes the dispatcher only sends them. One still unsent when the event starts expires
  (outbox `expires_at`): it is withdrawn, not sent.
- A change of time, place or link raises the event's SEQUENCE: the pending reminders are
  withdrawn (event_changes.update_event) and the new SEQUENCE's keys are
  free, so the new time gets its reminders even where one was sent for the old time.
  A cancelled event or registration gets none: its pending ones are withdrawn when it is
  cancelled, and only confirmed registrations of published events are considered here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events_service.clock import as_utc, now_utc
from events_service.db import current_engine, is_sqlite, write_transaction
from events_service.events.records import EventStatus
from events_service.events.tables import Event
from events_service.mail.records import OutboxStatus
from events_service.mail.tables import OutboxMessage
from events_service.registrations import messages
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.reminders.messages import (
    REMINDER,
    queue_reminder,
    reminder_key,
    render_reminders,
)
from events_service.settings import Settings

__all__ = ["DEFAULT_LOOKAHEAD", "Reminder", "due_reminders", "reminders_for", "schedule_due"]

log = logging.getLogger(__name__)

#: How far ahead a reminder is queued. More than the job's period (60 s), so a reminder is
#: in the outbox before its moment and the dispatcher sends it on time.
DEFAULT_LOOKAHEAD = timedelta(minutes=15)

# Keys looked up per query: far below SQLite's and asyncpg's limits on bound parameters.
_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Reminder:
    offset: int  # minutes before the start
    moment: datetime  # the start minus the offset, UTC


def due_reminders(starts_at: datetime, offsets: Sequence[int], now: datetime, lookahead: timedelta) -> list[Reminder]:
    """The event's reminders whose moment is within `lookahead` of `now` (or passed), latest
    moment first."""
    reminders = [Reminder(offset, starts_at - timedelta(minutes=offset)) for offset in set(offsets) if offset > 0]
    return sorted((r for r in reminders if r.moment <= now + lookahead), key=lambda r: r.moment, reverse=True)


def reminders_for(confirmed_at: datetime, due: Sequence[Reminder], now: datetime) -> list[Reminder]:
    """Which of the event's due reminders one registrant, confirmed at `confirmed_at`, gets."""
    eligible = [r for r in due if confirmed_at <= r.moment]
    upcoming = [r for r in eligible if r.moment > now]
    passed = [r for r in eligible if r.moment <= now]
    if upcoming or not passed:
        return upcoming  # a late reminder is pointless when the next one is about to go
    return [max(passed, key=lambda r: r.moment)]


async def schedule_due(settings: Settings, now: datetime | None = None, lookahead: timedelta = DEFAULT_LOOKAHEAD) -> int:
    """Queue every reminder that is due (see the module's docstring); returns how many were
    queued by this call. Safe to run as often as you like, in any number of workers at once."""
    now = as_utc(now or now_utc())
    events = await (
        Event.select(Event.id, Event.starts_at, Event.sequence, Event.reminder_offsets)
        .where((Event.status == EventStatus.PUBLISHED) & (Event.starts_at > now))
        .output(load_json=True)
    )
    queued = 0
    for event in events:
        try:
            due = due_reminders(as_utc(event["starts_at"]), event["reminder_offsets"] or [], now, lookahead)
            if not due:
                continue  # nothing queued for it now, so nothing to render either
            queued += await _schedule_event(event, due, now)
        except Exception:  # one event's trouble must not hold up the other events' reminders
            log.exception("reminders for event %s not scheduled; the next run tries again", event["id"])
            continue
        try:
            await _prerender(event["id"], settings)
        except Exception:  # the dispatcher renders what is left
            log.exception("reminders for event %s not rendered ahead; the dispatcher will", event["id"])
    return queued


#: Reminders rendered per transaction when they are rendered ahead of their moment.
_PRERENDER_CHUNK = 200


async def _prerender(event_id: int, settings: Settings) -> None:
    """Render the event's queued reminders now, ahead of their moment (they are queued up to
    `lookahead` early), so at the moment the dispatcher only sends."""
    waiting = await OutboxMessage.select(OutboxMessage.id).where(
        (OutboxMessage.event_id == event_id)
        & (OutboxMessage.kind == REMINDER)
        & (OutboxMessage.status == OutboxStatus.QUEUED)
        & (OutboxMessage.message == "")
    ).order_by(OutboxMessage.send_after)
    ids = [row["id"] for row in waiting]
    for start in range(0, len(ids), _PRERENDER_CHUNK):
        await messages.prerender_intents(ids[start : start + _PRERENDER_CHUNK], settings, render_reminders)


async def _schedule_event(event: dict[str, Any], due: list[Reminder], now: datetime) -> int:
    """Queue one event's due reminders in one transaction.

    The event and its registrations are read again inside the transaction that writes the
    reminders: a reschedule, cancellation or withdrawal committing meanwhile either happens
    before (and is seen here) or waits for this transaction and then withdraws what it wrote.
    """
    async with write_transaction():
        if not await _unchanged(event):
            return 0  # rescheduled or cancelled since the list was read: the next run sees it
        registrations = await _confirmed_registrations(event["id"], latest=due[0].moment)
        wanted = [
            (registration, reminder)
            for registration in registrations
            for reminder in reminders_for(as_utc(registration["confirmed_at"] or registration["created_at"]), due, now)
        ]
        existing = await _existing_keys([_key(r["id"], reminder, event) for r, reminder in wanted])
        queued = 0
        # Ordered by registration and offset: concurrent schedulers on PostgreSQL then meet on
        # the unique key in the same order, and one waits for the other instead of deadlocking.
        for registration, reminder in sorted(wanted, key=lambda pair: (pair[0]["id"], -pair[1].offset)):
            if _key(registration["id"], reminder, event) in existing:
                continue
            queued += await queue_reminder(
                registration["id"],
                offset_minutes=reminder.offset,
                sequence=event["sequence"],
                send_after=max(reminder.moment, now),
                to_address=registration["email"],
                event_id=event["id"],
                event_starts_at=as_utc(event["starts_at"]),
            )
        return queued


def _key(registration_id: int, reminder: Reminder, event: dict[str, Any]) -> str:
    return reminder_key(registration_id, reminder.offset, event["sequence"])


def _postgres() -> bool:
    return not is_sqlite(current_engine())


async def _unchanged(event: dict[str, Any]) -> bool:
    """Is the event still published, at the same SEQUENCE? On PostgreSQL the row is share-
    locked until the reminders are written, so a reschedule or cancellation waits for them
    (and withdraws them). SQLite runs one write transaction at a time: reading is enough."""
    query = Event.select(Event.id).where(
        (Event.id == event["id"]) & (Event.status == EventStatus.PUBLISHED) & (Event.sequence == event["sequence"])
    )
    if _postgres():
        query = query.lock_rows("SHARE")
    return bool(await query)


async def _confirmed_registrations(event_id: int, latest: datetime) -> list[dict[str, Any]]:
    """The confirmed registrations that may be due a reminder: confirmed at or before the
    latest due moment (a missing confirmed_at, from old rows, counts as created_at)."""
    query = Registration.select(
        Registration.id,
        Registration.confirmed_at,
        Registration.created_at,
        Registration.contact.email.as_alias("email"),
    ).where(
        (Registration.event == event_id)
        & (Registration.status == RegistrationStatus.CONFIRMED)
        & ((Registration.confirmed_at <= latest) | Registration.confirmed_at.is_null())
    )
    if _postgres():
        # A registration being cancelled right now holds its row: skip it rather than wait
        # (waiting while holding the event's share lock could deadlock with cancel(), which
        # takes the registration before the event). If it stays confirmed, the next run
        # queues its reminder; a passed moment is still made up for.
        query = query.lock_rows("SHARE", skip_locked=True, of=(Registration,))
    return await query


async def _existing_keys(keys: list[str]) -> set[str]:
    """Which of these reminders are in the outbox already (queued, sent, failed …): those are
    not written again, so a passed moment is not re-inserted on every run until the start."""
    found: set[str] = set()
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        rows = await OutboxMessage.select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.is_in(chunk))
        found.update(row["idempotency_key"] for row in rows)
    return found
