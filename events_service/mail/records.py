"""The outbox's statuses, in one place for the table (`choices=`), the schemas and the dispatcher."""

from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    """queued → sending → sent | retry | failed (see mail/tables.py); withdrawn: an intent that
    lost its point before it was sent (a reminder once the event has started)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"

