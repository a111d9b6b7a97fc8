"""The transactional outbox: other domains write the emails a change causes in the same
transaction as the change; the dispatcher (dispatcher.py) sends them later.

Nothing here sends mail or opens a transaction of its own: ``enqueue`` and
``cancel_pending`` join whatever transaction the caller has open (``db.write_transaction()``),
so a rolled-back registration leaves no email behind.
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from piccolo.utils.encoding import dump_json

from events_service.clock import now_utc
from events_service.db import run_sql
from events_service.errors import Conflict, DomainError, NotFound
from events_service.mail.mime import ComposedEmail
from events_service.mail.records import OutboxStatus
from events_service.mail.schemas import OutboxItem
from events_service.mail.tables import OutboxMessage
from events_service.paging import Page

__all__ = [
    "PENDING",
    "RETRYABLE",
    "MailError",
    "NotRetryable",
    "Withdrawn",
    "OutboxMessageNotFound",
    "cancel_pending",
    "enqueue",
    "fill_intents",
    "stored_text",
    "enqueue_intent",
    "get_message",
    "list_outbox",
    "page_of_outbox",
    "retry",
]

#: Rows not yet handed to a server, which may still be withdrawn.
PENDING = (OutboxStatus.QUEUED, OutboxStatus.RETRY)
#: Rows an organiser may send again by hand.
RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.RETRY)


class MailError(DomainError):
    pass


class Withdrawn(Exception):  # noqa: N818 - it names an outcome, not a fault
    """Raised by a renderer: this intent lost its point before it was sent (a reminder for an
    event that has started). The row ends as `withdrawn`, with the reason."""


class OutboxMessageNotFound(MailError, NotFound):
    pass


class NotRetryable(MailError, Conflict):
    pass


def _recipient(message: EmailMessage | ComposedEmail) -> str:
    """The one envelope recipient: an outbox row is one email to one person."""
    if message["Cc"] or message["Bcc"]:
        raise ValueError("outbox messages go to one person: no Cc or Bcc")
    addresses = [address for _, address in getaddresses([str(message["To"] or "")]) if address]
    if len(addresses) != 1 or "@" not in addresses[0]:
        raise ValueError(f"outbox messages need exactly one To address, not {message['To']!r}")
    return addresses[0]


async def enqueue(
    message: EmailMessage | ComposedEmail,
    *,
    kind: str,
    idempotency_key: str,
    send_after: datetime | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue `message` for sending; False when a row with this key exists already (nothing
    written, so recomputing a reminder or replaying a request never sends twice).

    Call it inside the caller's ``write_transaction()``: it opens no transaction and sends
    nothing. `send_after` (timezone-aware) delays the message, e.g. a reminder.
    """
    to_address = _recipient(message)
    text, subject = stored_text(message)
    return await _insert_queued(
        idempotency_key=idempotency_key,
        kind=kind,
        to_address=to_address,
        subject=subject,
        message=text,
        send_after=send_after,
        expires_at=expires_at,
        event_id=event_id,
        registration_id=registration_id,
    )


async def enqueue_intent(
    *,
    kind: str,
    idempotency_key: str,
    to_address: str,
    payload: dict[str, Any],
    send_after: datetime | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue the intent to send `kind`: the dispatcher renders it when it claims the row
    (dispatcher.py, Rendering). Same rules as `enqueue`: the caller's transaction, no send,
    False when the key exists already."""
    return await _insert_queued(
        idempotency_key=idempotency_key,
        kind=kind,
        to_address=to_address,
        subject="",
        message="",
        payload=payload,
        send_after=send_after,
        expires_at=expires_at,
        event_id=event_id,
        registration_id=registration_id,
    )


async def _insert_queued(
    *,
    idempotency_key: str,
    kind: str,
    to_address: str,
    subject: str,
    message: str,
    send_after: datetime | None,
    expires_at: datetime | None,
    event_id: int | None,
    registration_id: int | None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Insert a queued row unless its idempotency key exists; times are stored in UTC. (SQL
    text: every registration writes one, see db.run_sql.) Nothing is queued for an address
    that can never receive mail (see `undeliverable`)."""
    _require_aware(send_after=send_after, expires_at=expires_at)
    if undeliverable(to_address):
        return False
    now = now_utc()
    inserted = await run_sql(
        _INSERT_QUEUED,
        idempotency_key,
        kind,
        to_address,
        subject,
        message,
        None if payload is None else dump_json(payload),
        (send_after or now).astimezone(UTC),
        expires_at.astimezone(UTC) if expires_at else None,
        event_id,
        registration_id,
        now,
        now,
    )
    return bool(inserted)


_INSERT_QUEUED = f"""
    INSERT INTO outbox_message (idempotency_key, kind, to_address, subject, message, payload, status, attempts, send_after,
        expires_at, event_id, registration_id, created_at, updated_at)
    VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, '{OutboxStatus.QUEUED}', 0, {{}}, {{}}, {{}}, {{}}, {{}}, {{}})
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id"""


#: RFC 2606 reserves the `.invalid` top-level domain: no mail can ever be delivered there. The
#: service uses it for the placeholder address of an erased person (privacy/service.py), so a reminder,
#: an update or a follow-up that a later job would address to them is simply not written.
_UNDELIVERABLE_SUFFIX = ".invalid"


def undeliverable(address: str) -> bool:
    return address.strip().rstrip(">").lower().endswith(_UNDELIVERABLE_SUFFIX)


def _require_aware(**moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")


def stored_text(message: EmailMessage | ComposedEmail) -> tuple[str, str]:
    """What an outbox row keeps of an email: its text and its subject (cut to the column).
    compose.build_email makes 7-bit messages; the SMTP policy keeps every line ending CRLF."""
    return message.as_string(policy=email.policy.SMTP), str(message["Subject"] or "")[:_SUBJECT_LENGTH]


_SUBJECT_LENGTH = 500  # OutboxMessage.subject


async def fill_intents(messages: dict[int, EmailMessage | ComposedEmail]) -> int:
    """Store rendered emails in their intents ahead of the dispatcher, in the caller's
    transaction. Only rows still waiting as bare intents are filled: one a dispatcher has
    claimed meanwhile is rendered by that dispatcher. Returns how many were filled."""
    filled = 0
    for outbox_id, message in messages.items():
        text, subject = stored_text(message)
        rows = await OutboxMessage.update({OutboxMessage.message: text, OutboxMessage.subject: subject}).where(
            (OutboxMessage.id == outbox_id) & (OutboxMessage.message == "") & OutboxMessage.status.is_in(list(PENDING))
        ).returning(OutboxMessage.id)
        filled += len(rows)
    return filled


async def cancel_pending(registration_id: int, kinds: Iterable[str] | None = None) -> int:
    """Withdraw the registration's messages not yet handed to a server (e.g. the reminders of
    a cancelled registration); `kinds` limits it to those kinds. Returns how many.
    A message being sent right now (``sending``) cannot be called back and is left alone."""
    condition = (OutboxMessage.registration_id == registration_id) & OutboxMessage.status.is_in(
        list(PENDING)
    )
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            return 0
        condition &= OutboxMessage.kind.is_in(kinds)
    deleted = await OutboxMessage.delete().where(condition).returning(OutboxMessage.id)
    return len(deleted)


_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.to_address,
    OutboxMessage.subject,
    OutboxMessage.status,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
    OutboxMessage.send_after,
    OutboxMessage.sent_at,
    OutboxMessage.created_at,
    OutboxMessage.event_id,
    OutboxMessage.registration_id,
)


def _item(row: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=row["kind"],
        to=row["to_address"],
        subject=row["subject"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        send_after=row["send_after"],
        sent_at=row["sent_at"],
        created_at=row["created_at"],
        event_id=row["event_id"],
        registration_id=row["registration_id"],
    )


async def list_outbox(
    status: OutboxStatus | None = None, *, limit: int = 100, offset: int = 0
) -> list[OutboxItem]:
    """Newest first: what an organiser looks at when someone says "I got no email"."""
    items, _ = await page_of_outbox(status, Page(limit, offset))
    return items


async def page_of_outbox(status: OutboxStatus | None, page: Page) -> tuple[list[OutboxItem], int]:
    """`list_outbox`, one page of it, and how many rows match in all."""
    conditions = []
    if status is not None:
        conditions.append(OutboxMessage.status == status)
    if page.updated_since is not None:
        conditions.append(OutboxMessage.updated_at >= page.updated_since)
    query = OutboxMessage.select(*_COLUMNS).order_by(OutboxMessage.id, ascending=False)
    counting = OutboxMessage.count()
    for condition in conditions:
        query, counting = query.where(condition), counting.where(condition)
    return [_item(row) for row in await page.window(query)], await counting


async def get_message(message_id: int) -> OutboxItem:
    row = await OutboxMessage.select(*_COLUMNS).where(OutboxMessage.id == message_id).first()
    if row is None:
        raise OutboxMessageNotFound(f"outbox message {message_id} does not exist")
    return _item(row)


async def retry(message_id: int, *, now: datetime | None = None) -> OutboxItem:
    """Send a failed (or backing-off) message again now, with a fresh count of attempts.

    One conditional UPDATE, so it cannot race a dispatcher that is sending the row: a row
    in ``queued``, ``sending`` or ``sent`` is left as it is (409)."""
    updated = await (
        OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.QUEUED,
                OutboxMessage.updated_at: now_utc(),
                OutboxMessage.attempts: 0,
                OutboxMessage.send_after: (now or now_utc()).astimezone(UTC),
                OutboxMessage.lease_until: None,
                OutboxMessage.claimed_by: None,
            }
        )
        .where((OutboxMessage.id == message_id) & OutboxMessage.status.is_in(list(RETRYABLE)))
        .returning(OutboxMessage.id)
    )
    current = await get_message(message_id)
    if not updated:
        raise NotRetryable(
            f"outbox message {message_id} is {current.status}: only failed or retry messages "
            "can be retried"
        )
    return current
