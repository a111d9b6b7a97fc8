"""What the outbox looks like right now, for /readyz and /metrics: counts by status and how
long the oldest due message has waited. Read from the database at the moment it is asked, so
every process answers with the same figures (no per-process counters to add up)."""

from __future__ import annotations

from datetime import datetime

from piccolo.query.functions.aggregate import Count, Min

from events_service.clock import now_utc, stored_utc
from events_service.mail.outbox import PENDING
from events_service.mail.tables import OutboxMessage


async def messages_by_status() -> dict[str, int]:
    rows = await OutboxMessage.select(OutboxMessage.status, Count(OutboxMessage.id, alias="count")).group_by(OutboxMessage.status)
    return {row["status"]: int(row["count"]) for row in rows}


async def oldest_due_age_s(*, kind: str | None = None, now: datetime | None = None) -> float | None:
    """Seconds the oldest message due by now (queued or backing off, `send_after` passed) has
    waited since it became due; None when nothing is due. `kind` narrows it (reminders)."""
    moment = now or now_utc()
    condition = OutboxMessage.status.is_in(list(PENDING)) & (OutboxMessage.send_after <= moment)
    if kind is not None:
        condition &= OutboxMessage.kind == kind
    row = await OutboxMessage.select(Min(OutboxMessage.send_after, alias="oldest")).where(condition).first()
    if not row or row["oldest"] is None:
        return None
    return max((moment - stored_utc(row["oldest"])).total_seconds(), 0.0)
