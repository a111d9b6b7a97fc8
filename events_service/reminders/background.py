"""What the background worker runs for reminders (collected by events_service/worker.py):
the scheduler, and the renderer of the reminder emails it queues."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.mail.renderers import MessageKind
from events_service.reminders.messages import REMINDER, outdated_reminders, render_reminders
from events_service.reminders.service import schedule_due

__all__ = ["JOBS", "MESSAGE_KINDS"]

JOBS: tuple[PeriodicJob, ...] = (
    # The look-ahead (15 min) is longer than the period: each reminder is queued before its moment.
    PeriodicJob("reminders", schedule_due, every_seconds=60),
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (MessageKind(REMINDER, render=render_reminders, outdated=outdated_reminders),)
