"""The rules of a message to registrants: who is in an audience, that a message is written
once per Idempotency-Key, and that each recipient's email is queued once, in the same
transaction as the message (mail/outbox.py). The emails are rendered by the worker
(broadcasts/messages.py), in each recipient's language."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Where

from events_service.broadcasts.errors import BroadcastConflict, InvalidBroadcast
from events_service.broadcasts.schemas import (
    AttendanceMode,
    Audience,
    MessageCreate,
    MessageOut,
    MessageQueued,
    RecipientCount,
)
from events_service.broadcasts.tables import EventMessage
from events_service.clock import now_utc
from events_service.db import run_sql, with_retry, write_transaction
from events_service.events.queries import event_row
from events_service.events.records import EventMode, EventRecord
from events_service.mail.outbox import enqueue_intent
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.validation import has_control_characters

KIND = "broadcast"
MAX_IDEMPOTENCY_KEY = 200


def outbox_key(message_id: int, registration_id: int) -> str:
    """One email per message and registration: the outbox's unique key says so."""
    return f"{KIND}:{message_id}:{registration_id}"


def checked_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or has_control_characters(key) or not key.isascii():
        raise InvalidBroadcast(f"the Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters")
    return key


def _check_audience(event: EventRecord, audience: Audience, mode: AttendanceMode | None) -> None:
    """No-shows exist once the event is over, attendees once it has begun; only a hybrid event
    has two kinds of attendance to choose between."""
    now = now_utc()
    if audience is Audience.NO_SHOW and now < event.ends_at:
        raise BroadcastConflict("no one is a no-show before the event has ended", code="event_not_ended")
    if audience is Audience.ATTENDED and now < event.starts_at:
        raise BroadcastConflict("no one has attended an event that has not begun", code="event_not_started")
    if mode is not None and event.mode != EventMode.HYBRID:
        raise InvalidBroadcast("attendance_mode chooses between the room and online: only for hybrid events")


def _audience_where(event_id: int, audience: Audience, mode: AttendanceMode | None) -> Where:
    """The registrations an audience names; a cancelled one is never in any."""
    where = Registration.event == event_id
    if audience is Audience.WAITLISTED:
        where &= Registration.status == RegistrationStatus.WAITLISTED
    else:
        where &= Registration.status == RegistrationStatus.CONFIRMED
    if audience is Audience.ATTENDED:
        where &= Registration.attended.eq(True)
    elif audience is Audience.NO_SHOW:
        where &= Registration.attended.eq(False)
    if mode is not None:
        where &= Registration.attendance_mode == mode
    return where  # type: ignore[return-value]


async def _recipients(event_id: int, audience: Audience, mode: AttendanceMode | None) -> list[dict[str, Any]]:
    return await Registration.select(Registration.id, Registration.contact.email.as_alias("email")).where(
        _audience_where(event_id, audience, mode)
    ).order_by(Registration.id)


async def count_recipients(event_id: int, audience: Audience, mode: AttendanceMode | None) -> RecipientCount:
    event = await event_row(event_id)
    _check_audience(event, audience, mode)
    count = await Registration.count().where(_audience_where(event_id, audience, mode))
    return RecipientCount(audience=audience, attendance_mode=mode, recipients=count)


# ON CONFLICT: the unique index on (event, idempotency_key); NULL keys never conflict. A
# concurrent request with the same key waits for the first one's commit, then inserts nothing.
_INSERT_MESSAGE = """
    INSERT INTO event_message (event, subject, body, audience, attendance_mode, idempotency_key, recipients, sent_by, created_at)
    VALUES ({}, {}, {}, {}, {}, {}, 0, {}, {})
    ON CONFLICT (event, idempotency_key) DO NOTHING
    RETURNING id"""


async def _replayed(event_id: int, key: str) -> MessageQueued:
    earlier = await EventMessage.select(EventMessage.id, EventMessage.recipients).where(
        (EventMessage.event == event_id) & (EventMessage.idempotency_key == key)
    ).first()
    return MessageQueued(id=earlier["id"], queued=0, recipients=earlier["recipients"], replayed=True)


async def send_message(
    event_id: int, data: MessageCreate, *, idempotency_key: str | None, organiser_id: int | None
) -> MessageQueued:
    """Write the message and one outbox intent per recipient, all in one transaction. With an
    Idempotency-Key already used for this event, nothing is written and the earlier message is
    named (`replayed`)."""
    key = checked_idempotency_key(idempotency_key)

    async def attempt() -> MessageQueued:
        async with write_transaction():
            event = await event_row(event_id)
            _check_audience(event, data.audience, data.attendance_mode)
            inserted = await run_sql(
                _INSERT_MESSAGE, event_id, data.subject.strip(), data.body, data.audience.value, data.attendance_mode, key,
                organiser_id, now_utc(),
            )
            if not inserted:
                assert key is not None  # only a key can conflict
                return await _replayed(event_id, key)
            message_id = inserted[0]["id"]
            queued = 0
            for recipient in await _recipients(event_id, data.audience, data.attendance_mode):
                queued += await enqueue_intent(
                    kind=KIND,
                    idempotency_key=outbox_key(message_id, recipient["id"]),
                    to_address=recipient["email"],
                    payload={"message_id": message_id},
                    event_id=event_id,
                    registration_id=recipient["id"],
                )
            await EventMessage.update({EventMessage.recipients: queued}).where(EventMessage.id == message_id)
            return MessageQueued(id=message_id, queued=queued, recipients=queued)

    return await with_retry(attempt)


async def list_messages(event_id: int) -> list[MessageOut]:
    await event_row(event_id)  # 404 for an unknown event
    rows = await EventMessage.select().where(EventMessage.event == event_id).order_by(EventMessage.id, ascending=False)
    return [
        MessageOut(
            id=row["id"], subject=row["subject"], body=row["body"], audience=Audience(row["audience"]),
            attendance_mode=row["attendance_mode"], recipients=row["recipients"], created_at=row["created_at"],
            sent_by=row["sent_by"],
        )
        for row in rows
    ]
