"""How long a person's details are kept: EVENTS_RETENTION_INACTIVE_MONTHS (36 by default; 0
keeps them). A person with no event ending within that many months (and known for at least as
long) is erased through the same path as an erasure request (service.erase_contact): their
registrations stay, anonymised, so company figures and reports do not change."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from events_service.attendance.service import ERASED_DOMAIN
from events_service.clock import now_utc
from events_service.db import run_sql
from events_service.jobs import PeriodicJob
from events_service.privacy.service import erase_contact
from events_service.settings import Settings

log = logging.getLogger(__name__)

#: Erasures per run: each is a transaction of its own; the next run takes the next ones.
BATCH = 100
_DAYS_PER_MONTH = 30.44


def inactive_since(months: int, now: datetime | None = None) -> datetime:
    return (now or now_utc()) - timedelta(days=months * _DAYS_PER_MONTH)


async def inactive_contacts(months: int, *, now: datetime | None = None, limit: int = BATCH) -> list[str]:
    """Addresses of people not yet erased, known for `months`, with no event ending since."""
    cutoff = inactive_since(months, now)
    rows = await run_sql(
        "SELECT c.email FROM contact c WHERE c.email NOT LIKE {} AND c.created_at < {} "
        "AND NOT EXISTS (SELECT 1 FROM registration r JOIN event e ON e.id = r.event "
        "WHERE r.contact = c.id AND e.ends_at >= {}) ORDER BY c.id LIMIT {}",
        f"%{ERASED_DOMAIN}", cutoff, cutoff, limit,
    )
    return [row["email"] for row in rows]


async def erase_inactive(settings: Settings, *, now: datetime | None = None) -> int:
    """Erase the people inactive for EVENTS_RETENTION_INACTIVE_MONTHS; how many."""
    if settings.retention_inactive_months <= 0:
        return 0
    erased = 0
    for email in await inactive_contacts(settings.retention_inactive_months, now=now):
        await erase_contact(email, settings)
        erased += 1
    if erased:
        log.info("retention: erased %d people with no event in %d months", erased, settings.retention_inactive_months)
    return erased


async def _retention_job(settings: Settings) -> int:
    return await erase_inactive(settings)


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("personal data retention", _retention_job, every_seconds=3600),)
