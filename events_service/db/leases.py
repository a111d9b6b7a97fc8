"""Who claims outbox rows, and claimed rows handed back: the mail outbox (mail/dispatcher.py) and the webhook
deliveries (webhooks/delivery.py) claim rows with the same columns (status, attempts,
lease_until, claimed_by), and give back the ones a stopping dispatcher did not send."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from typing import Any

from piccolo.columns.combination import Combinable

from events_service.db.transactions import write_transaction

__all__ = ["default_worker_id", "release_unsent"]


def default_worker_id() -> str:
    """host:pid:random - unique per process, readable in ``claimed_by``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def release_unsent(table: Any, ours: Combinable, *, queued: str, retry: str) -> int:
    """Hand the rows `ours` selects back as they were, attempts untouched: never attempted to
    `queued`, attempted before to `retry`. Returns how many went back; if this fails, the lease
    running out does the same, so a failure is not raised."""
    released = 0
    with contextlib.suppress(Exception):
        async with write_transaction():
            for status, previously in ((queued, table.attempts == 0), (retry, table.attempts > 0)):
                rows = await table.update(
                    {table.status: status, table.lease_until: None, table.claimed_by: None}
                ).where(ours & previously).returning(table.id)
                released += len(rows)
    return released
