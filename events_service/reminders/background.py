"""What the background worker runs for reminders (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.reminders.service import schedule_due

__all__ = ["JOBS"]

JOBS: tuple[PeriodicJob, ...] = (
    # The look-ahead (15 min) is longer than the period: each reminder is queued before its moment.
    PeriodicJob("reminders", schedule_due, every_seconds=60),
)
