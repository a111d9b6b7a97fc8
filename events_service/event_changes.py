"""An event's change and its effect on the registrations, in one write transaction.

A use case above both domains (as pretix keeps `services/cancelevent.py` above its orders):
events know nothing of registrations, registrations read events; this module takes the
event's row first (FOR UPDATE on PostgreSQL, so a capacity cut counts the seats confirmed
now and a cancellation sees every registration it must cancel), applies the change through
events, then hands it to registrations (capacity check, promotion, notices) and reminders (those
queued for the old time are withdrawn).
"""

from __future__ import annotations

from events_service.db import write_transaction
from events_service.events import service as events
from events_service.events.queries import get_event, locked_event_row
from events_service.events.records import EventStatus
from events_service.events.schemas import EventOut, EventPatch
from events_service.registrations import service as registrations
from events_service.reminders import messages as reminders
from events_service.settings import Settings


async def update_event(event_id: int, patch: EventPatch, settings: Settings) -> tuple[EventOut, list[str]]:
    """Apply a partial change; returns the event and the schedule fields that changed.

    More seats go to the waitlist at once; fewer than are confirmed is refused.
    """
    async with write_transaction():
        # Locked before it is read: the capacity check counts the seats confirmed now, and
        # no registration takes one until this change commits.
        current = await locked_event_row(event_id)
        after = events.patched_event(current, patch)
        registrations.check_capacity_change(current, after.capacity, after.online_capacity)
        change = await events.apply_patch(current, after, patch)
        if current.status == EventStatus.PUBLISHED:
            await registrations.promote_waitlisted(event_id, settings)
            if change.changed:
                await registrations.notify_schedule_change(current, change.changed)
                # Reminders queued for the old SEQUENCE would tell the old time; the scheduler
                # queues the new SEQUENCE's ones (new keys), also where an old one was sent.
                await reminders.withdraw_reminders(event_id)
    return await get_event(event_id), change.changed


async def cancel_event(event_id: int, settings: Settings) -> EventOut:
    """Cancelling is final; every registration is cancelled with a notice."""
    async with write_transaction():
        # FOR UPDATE: waits for the registrations written meanwhile, so that
        # cancel_all_for_event sees them; later ones find the event cancelled.
        event = await locked_event_row(event_id)
        if await events.mark_cancelled(event):
            await registrations.cancel_all_for_event(event_id, settings)
    return await get_event(event_id)
