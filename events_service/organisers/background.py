"""What the background worker runs for organisers (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.organisers.sign_in import forget_stale_failures

__all__ = ["JOBS"]

JOBS: tuple[PeriodicJob, ...] = (
    # Counts of failed sign-ins nobody has added to for a day (sign_in.FORGOTTEN_AFTER).
    PeriodicJob("sign-in-failures-cleanup", forget_stale_failures, every_seconds=3600),
)
