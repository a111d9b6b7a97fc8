"""What the background worker runs for attendance (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.attendance.pull import pull_ended_events
from events_service.attendance.service import finalise_ended_events
from events_service.jobs import PeriodicJob

__all__ = ["JOBS"]

JOBS: tuple[PeriodicJob, ...] = (
    # FOLLOW_UP_DELAY after an event's end, its thank-you and missed-you mails are queued.
    PeriodicJob("attendance-follow-up", finalise_ended_events, every_seconds=600),
    # PULL_DELAY after an event's end, its webinar's attendance is pulled from Zoom or Graph
    # (when configured), once; a failure is tried again later (attendance/pull.py).
    PeriodicJob("attendance-pull", pull_ended_events, every_seconds=300),
)
