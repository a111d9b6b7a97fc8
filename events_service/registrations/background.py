"""What the background worker does for registrations (collected by events_service/worker.py):
its periodic jobs, and the kinds of outbox intent it renders, each checked at every attempt
against the registration's status (registrations/messages.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.mail.renderers import MessageKind
from events_service.registrations.mail_quota import delete_past_windows
from events_service.registrations.messages import outdated_messages, render_outbox_intents
from events_service.registrations.service import send_due_event_updates

__all__ = ["JOBS", "MESSAGE_KINDS"]

JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("event-updates", send_due_event_updates, every_seconds=30),
    # mail_quota rows whose hour is over (registrations/mail_quota.py).
    PeriodicJob("mail-quota-cleanup", delete_past_windows, every_seconds=3600),
)

#: One renderer for every kind: a batch's registrations, events and contacts load together.
MESSAGE_KINDS: tuple[MessageKind, ...] = tuple(
    MessageKind(kind, render=render_outbox_intents, outdated=outdated_messages)
    for kind in ("confirmed", "waitlisted", "promoted", "cancelled", "event_updated", "event_cancelled")
)
