"""What the background worker runs for the web pages (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.web.session import delete_expired_sessions

__all__ = ["JOBS"]

JOBS: tuple[PeriodicJob, ...] = (
    # Console sessions past SESSION_MAX_AGE whose browser never came back (web/session.py).
    PeriodicJob("console-sessions-cleanup", delete_expired_sessions, every_seconds=3600),
)
