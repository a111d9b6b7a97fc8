from datetime import datetime

import msgspec

from events_service.mail.records import OutboxStatus


class OutboxItem(msgspec.Struct):
    """One outbox row as organisers see it (never the message body: it holds personal links)."""

    id: int
    kind: str
    to: str
    subject: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    send_after: datetime
    sent_at: datetime | None = None
    created_at: datetime | None = None
    event_id: int | None = None
    registration_id: int | None = None
