"""How long sent mail keeps its body: EVENTS_RETENTION_MAIL_BODY_DAYS (90 by default; 0 keeps
it). After that a finished message (sent, failed or withdrawn) keeps its row, status, kind,
key, recipient and times, so the outbox still says what was sent to whom and when and a
recomputed reminder still finds its key, but its text and payload, the personal part, go."""

from __future__ import annotations

from datetime import datetime, timedelta

from events_service.clock import now_utc
from events_service.db import run_sql
from events_service.jobs import PeriodicJob
from events_service.settings import Settings

FINISHED = ("sent", "failed", "withdrawn")


async def empty_old_bodies(days: int, *, now: datetime | None = None) -> int:
    """Empty the bodies of messages finished more than `days` days ago; how many."""
    if days <= 0:
        return 0
    cutoff = (now or now_utc()) - timedelta(days=days)
    rows = await run_sql(
        "UPDATE outbox_message SET message = '', payload = NULL "
        "WHERE status IN ({}, {}, {}) AND created_at < {} AND (message <> '' OR payload IS NOT NULL) RETURNING id",
        *FINISHED, cutoff,
    )
    return len(rows)


async def _retention_job(settings: Settings) -> int:
    return await empty_old_bodies(settings.retention_mail_body_days)


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("mail body retention", _retention_job, every_seconds=3600),)
