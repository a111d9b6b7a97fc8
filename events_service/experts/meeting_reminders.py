"""A reminder before each meeting, to the registrant and to the expert, through the outbox.

Rules (reminders/ does the same for events, by a periodic job; a meeting's time is known when
it is booked, so its reminders are queued then, in the booking's transaction):
- Each side gets one email MEETING_REMINDER_MINUTES before the start (`send_after`); it
  expires at the start (`expires_at`): one not sent by then is withdrawn, not sent late.
- A moment already passed at booking gets none: the invite has just gone.
- Moving or cancelling the meeting withdraws what is pending (the rows are deleted, like
  outbox.cancel_pending); a move queues the new time's, keyed by the new SEQUENCE.
- The key `expert_meeting_reminder:<meeting>:<side>:<sequence>` makes a retried transaction
  write nothing twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from markupsafe import escape

from events_service.clock import as_utc, now_utc
from events_service.i18n import translator
from events_service.languages import DEFAULT_LANGUAGE
from events_service.mail.formatting import format_time_range
from events_service.mail.mime import RenderedMessage, build_email
from events_service.mail.outbox import PENDING, enqueue
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings

__all__ = ["MEETING_REMINDER", "MEETING_REMINDER_MINUTES", "queue_reminders", "withdraw_reminders"]

#: The outbox kind of a meeting's reminder.
MEETING_REMINDER = "expert_meeting_reminder"
#: How long before the meeting both sides are reminded: the hour to walk over from a talk.
MEETING_REMINDER_MINUTES = 60


def _key_prefix(meeting_id: int) -> str:
    return f"{MEETING_REMINDER}:{meeting_id}:"


async def withdraw_reminders(meeting_id: int) -> int:
    """Withdraw the meeting's reminders not yet handed to a server (caller's transaction)."""
    deleted = await OutboxMessage.delete().where(
        (OutboxMessage.kind == MEETING_REMINDER)
        & OutboxMessage.idempotency_key.like(_key_prefix(meeting_id) + "%")
        & OutboxMessage.status.is_in(list(PENDING))
    ).returning(OutboxMessage.id)
    return len(deleted)


def _rendered(facts: dict[str, Any], other: str, language: str) -> RenderedMessage:
    _ = translator(language)
    when = format_time_range(as_utc(facts["starts_at"]), as_utc(facts["ends_at"]), facts["timezone"], language)
    lines = [_("Your one-to-one meeting with {name} is coming up: {when}.").format(name=other, when=when)]
    if facts["topic"]:
        lines.append(_("Topic: {topic}").format(topic=facts["topic"]))
    if facts.get("room"):  # where the expert meets (where.py): only the two sides get this email
        lines.append(_("Room: {room}").format(room=facts["room"]))
    if facts.get("video_url"):
        lines.append(_("Video link: {url}").format(url=facts["video_url"]))
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return RenderedMessage(
        subject=_("Reminder: meeting with {name} at {event}").format(name=other, event=facts["event_title"]),
        text="\n\n".join(lines) + "\n",
        html=f"<!doctype html><html><body>{html}</body></html>",
    )


async def queue_reminders(facts: dict[str, Any], settings: Settings) -> int:
    """Queue both sides' reminders for the meeting's current time and SEQUENCE (invites.py's
    facts), in the caller's transaction. Returns how many were queued."""
    starts = as_utc(facts["starts_at"])
    moment = starts - timedelta(minutes=MEETING_REMINDER_MINUTES)
    if moment <= now_utc():
        return 0
    person = f"{facts['first_name']} {facts['last_name']}".strip()
    sides = [
        ("registrant", facts["email"] or "", facts["expert_name"], facts["language"] or DEFAULT_LANGUAGE),
        ("expert", facts["expert_email"], person, DEFAULT_LANGUAGE),
    ]
    queued = 0
    for side, address, other, language in sides:
        if not address:
            continue  # an erased registration has no address left
        message = build_email(sender=settings.mail_from, sender_name=settings.programme_name, to=address,
                              rendered=_rendered(facts, other, language), message_id_domain=settings.host)
        queued += await enqueue(
            message, kind=MEETING_REMINDER, idempotency_key=f"{_key_prefix(facts['id'])}{side}:{facts['sequence']}",
            send_after=moment, expires_at=starts, event_id=facts["event"], registration_id=facts["registration"],
        )
    return queued
