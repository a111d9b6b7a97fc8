"""The reminder email: queued by the scheduler (reminders/service.py) ahead of its moment,
rendered then or when the dispatcher claims it, withdrawn when it has lost its point (the
event moved, started, or the seat is gone). Built like every registration email
(registrations.messages), so it carries the same invite, links and check-in code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from events_service.clock import now_utc
from events_service.companies.records import ContactRecord
from events_service.events.records import EventRecord, EventStatus
from events_service.mail.mime import ComposedEmail
from events_service.mail.outbox import PENDING, Withdrawn
from events_service.mail.tables import OutboxMessage
from events_service.registrations import messages
from events_service.registrations.records import RegistrationRecord, RegistrationStatus
from events_service.settings import Settings

__all__ = [
    "REMINDER",
    "outdated_reminders",
    "queue_reminder",
    "reminder_key",
    "reminder_minutes_until",
    "render_reminders",
    "withdraw_reminders",
]

#: The outbox kind (and email template) of a reminder.
REMINDER = "reminder"


def reminder_key(registration_id: int, offset_minutes: int, sequence: int) -> str:
    """One reminder per registrant, offset and event SEQUENCE: a rescheduled event (new
    SEQUENCE) gets new keys, a recomputed one hits the unique key and writes nothing."""
    return f"{REMINDER}:{registration_id}:{offset_minutes}:{sequence}"


async def queue_reminder(
    registration_id: int,
    *,
    offset_minutes: int,
    sequence: int,
    send_after: datetime,
    to_address: str,
    event_id: int,
    event_starts_at: datetime,
) -> bool:
    """The intent to remind this registrant at `send_after`; False when it exists already.
    A reminder still unsent when the event starts is withdrawn, not sent."""
    payload = {"offset_minutes": offset_minutes, "sequence": sequence, "send_at": send_after.astimezone(UTC).isoformat()}
    key = reminder_key(registration_id, offset_minutes, sequence)
    return await messages.queue_intent(
        REMINDER, registration_id, key, payload, to_address=to_address, event_id=event_id, send_after=send_after, expires_at=event_starts_at
    )


async def withdraw_reminders(event_id: int) -> int:
    """Delete the event's reminders not yet handed to a server (its time, place or link
    changed: event_changes.update_event); the scheduler queues the new SEQUENCE's ones.
    Returns how many."""
    deleted = await OutboxMessage.delete().where(
        (OutboxMessage.kind == REMINDER) & OutboxMessage.status.is_in(list(PENDING)) & (OutboxMessage.event_id == event_id)
    ).returning(OutboxMessage.id)
    return len(deleted)


def reminder_minutes_until(event: EventRecord, payload: dict[str, Any]) -> int:
    """Whole minutes from the send moment to the start. The dispatcher renders a row when it
    claims it, i.e. at or after its planned moment: then "now" is the send moment. Rendered
    earlier (a preview), the planned moment stands in for it."""
    send_at = now_utc()
    if planned := payload.get("send_at"):
        send_at = max(send_at, datetime.fromisoformat(planned))
    return max(round((event.starts_at - send_at).total_seconds() / 60), 0)


def _render_reminder(
    row: dict[str, Any],
    registration: RegistrationRecord,
    contact: ContactRecord,
    event: EventRecord,
    agenda: list[Any],
    settings: Settings,
) -> ComposedEmail:
    if row["kind"] != REMINDER:
        raise ValueError(f"no renderer for outbox intents of kind {row['kind']!r}")
    if registration.status != RegistrationStatus.CONFIRMED or event.status != EventStatus.PUBLISHED or event.starts_at <= now_utc():
        raise Withdrawn("a reminder for an event that has started, or a seat that is gone")
    payload = messages.intent_payload(row)
    extra = {"minutes_until": reminder_minutes_until(event, payload)}
    return messages.compose_registration_email(REMINDER, registration, contact, event, agenda, settings, extra=extra)


async def render_reminders(outbox_ids: list[int], settings: Settings) -> dict[int, ComposedEmail | Exception]:
    """The dispatcher's renderer for reminders (reminders/background.py registers it)."""
    return await messages.render_intents_with(outbox_ids, settings, _render_reminder)


async def outdated_reminders(outbox_ids: list[int]) -> dict[int, str]:
    """A reminder is written for a confirmed registration: withdrawn once it is not."""
    return await messages.left_status(outbox_ids, {REMINDER: RegistrationStatus.CONFIRMED})
