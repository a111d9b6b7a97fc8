"""The follow-up emails after an event ("thank you", "we missed you"): rendered now, written
to the outbox in the caller's transaction, keyed `<kind>:<registration>` so each is queued
once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events_service.calendar.entries import event_page_url
from events_service.events.records import EventRecord
from events_service.mail.compose import render_message
from events_service.mail.mime import ComposedEmail, build_email
from events_service.mail.outbox import enqueue
from events_service.mail.tables import OutboxMessage
from events_service.registrations.links import certificate_pdf_url, manage_url, survey_url
from events_service.settings import Settings

FOLLOW_UP_KINDS = ("thank_you", "missed_you")

_EVENT_FIELDS = ("title", "kind", "mode", "starts_at", "ends_at", "timezone", "venue_name", "venue_address", "venue_city", "description")


async def follow_ups_queued(registration_ids: Sequence[int]) -> set[int]:
    """Registrations that have a follow-up email already, of either kind."""
    found: set[int] = set()
    for start in range(0, len(registration_ids), 500):
        rows = await OutboxMessage.select(OutboxMessage.registration_id).where(
            OutboxMessage.registration_id.is_in(list(registration_ids[start : start + 500]))
            & OutboxMessage.kind.is_in(list(FOLLOW_UP_KINDS))
        )
        found.update(row["registration_id"] for row in rows)
    return found


def compose_follow_up(kind: str, event: EventRecord, registration: dict[str, Any], settings: Settings) -> ComposedEmail:
    """`registration` carries id, language, token_nonce, its names and the contact's email.
    Pure CPU work, no database: the caller runs it outside any transaction (in a thread)."""
    context = {
        # The join link is never repeated after the event.
        "event": {**{name: getattr(event, name) for name in _EVENT_FIELDS}, "online_url": None},
        "person": {
            "first_name": registration["first_name"],
            "last_name": registration["last_name"],
            "email": registration["email"],
        },
        "programme_name": settings.programme_name,
        "manage_url": manage_url(settings, registration["id"], registration["token_nonce"]),
        "event_url": event_page_url(settings.base_url, event.slug),
        "recording_url": event.recording_url,
        "slides_url": event.slides_url,
        # Only the attended get "thank you", and each of them a certificate (certificates/).
        "certificate_url": certificate_pdf_url(settings, registration["id"], registration["token_nonce"]) if kind == "thank_you" else None,
        # Only those who came are asked how it was (surveys/): the link is in the thank-you alone.
        "feedback_url": survey_url(settings, registration["id"], registration["token_nonce"]) if kind == "thank_you" else None,
    }
    rendered = render_message(kind, registration["language"], context)
    return build_email(
        sender=settings.mail_from,
        sender_name=settings.programme_name,
        to=registration["email"],
        rendered=rendered,
        message_id_domain=settings.host,
    )


async def queue_follow_up(kind: str, event_id: int, registration_id: int, message: ComposedEmail) -> bool:
    """In the caller's transaction; False when this registration's `kind` was queued before."""
    return await enqueue(
        message, kind=kind, idempotency_key=f"{kind}:{registration_id}", event_id=event_id, registration_id=registration_id
    )
