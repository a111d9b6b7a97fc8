"""Claimed outbox rows handed back: the mail outbox (mail/dispatcher.py) and the webhook
deliveries (webhooks/delivery.py) claim rows with the same columns (status, attempts,
lease_until, claimed_by), and give back the ones a stopping dispatcher did not send."""

from __future__ import annotations

import contextlib
from typing import Any

from piccolo.columns.combination import Combinable

from events_service.db.transactions import write_transaction

__all__ = ["release_unsent"]


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
