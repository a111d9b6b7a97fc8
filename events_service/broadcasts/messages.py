"""The emails of a message to registrants: rendered by the worker when it claims each intent,
in the recipient's language, from the message as it was written. One whose registration has
been cancelled since is withdrawn, not sent."""

from __future__ import annotations

import json
from typing import Any

from events_service.broadcasts.schemas import MessageCreate, MessagePreview, PreviewText
from events_service.broadcasts.service import KIND, count_recipients
from events_service.broadcasts.tables import EventMessage
from events_service.calendar.entries import event_page_url
from events_service.events.queries import event_row, events_by_id
from events_service.events.records import EventRecord
from events_service.languages import LANGUAGES
from events_service.mail.compose import render_message
from events_service.mail.mime import ComposedEmail, RenderedMessage, build_email
from events_service.mail.tables import OutboxMessage
from events_service.registrations.links import manage_url
from events_service.registrations.tables import Registration
from events_service.settings import Settings

_EVENT_FIELDS = ("title", "kind", "mode", "starts_at", "ends_at", "timezone", "venue_name", "venue_address", "venue_city", "description")

#: Who a preview is addressed to: nobody real, so a preview shows no one's data.
_PREVIEW_PERSON = {"first_name": "Anna", "last_name": "Rossi", "email": "anna.rossi@example.com"}


def _render(event: EventRecord, subject: str, body: str, person: dict[str, str], language: str, settings: Settings,
            manage: str | None) -> RenderedMessage:
    context = {
        # The join link is never in a message to an audience (it may include the waitlist).
        "event": {**{name: getattr(event, name) for name in _EVENT_FIELDS}, "online_url": None},
        "person": person,
        "programme_name": settings.programme_name,
        "manage_url": manage,
        "event_url": event_page_url(settings.base_url, event.slug),
        "broadcast_subject": subject,
        "broadcast_body": body,
    }
    return render_message(KIND, language, context)


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    payload = row.get("payload") or {}
    return json.loads(payload) if isinstance(payload, str) else payload


async def render_broadcasts(outbox_ids: list[int], settings: Settings) -> dict[int, ComposedEmail | Exception]:
    """The MessageKind renderer: a batch's messages, registrations and events in a few queries."""
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.registration_id).where(
        OutboxMessage.id.is_in(outbox_ids)
    )
    message_ids = sorted({_payload(row).get("message_id") for row in rows} - {None})
    messages = {row["id"]: row for row in await EventMessage.select().where(EventMessage.id.is_in(message_ids or [0]))}
    registration_ids = sorted({row["registration_id"] for row in rows if row["registration_id"] is not None})
    registrations = {
        row["id"]: row
        for row in await Registration.select(
            Registration.id, Registration.event, Registration.first_name, Registration.last_name, Registration.language,
            Registration.token_nonce, Registration.contact.email.as_alias("email"),
        ).where(Registration.id.is_in(registration_ids or [0]))
    }
    events = await events_by_id({message["event"] for message in messages.values()})
    results: dict[int, ComposedEmail | Exception] = {}
    for row in rows:
        try:
            message = messages[_payload(row)["message_id"]]
            registration = registrations[row["registration_id"]]
            person = {"first_name": registration["first_name"], "last_name": registration["last_name"], "email": registration["email"]}
            manage = manage_url(settings, registration["id"], registration["token_nonce"])
            rendered = _render(events[message["event"]], message["subject"], message["body"], person, registration["language"],
                               settings, manage)
            results[row["id"]] = build_email(
                sender=settings.mail_from, sender_name=settings.programme_name, to=registration["email"], rendered=rendered,
                message_id_domain=settings.host,
            )
        except Exception as error:  # one bad row must not stop the batch
            results[row["id"]] = error
    return results


async def cancelled_recipients(outbox_ids: list[int]) -> dict[int, str]:
    """The MessageKind's check: a message to a registration cancelled (or erased) since it was
    written is withdrawn, even on a retry."""
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.registration_id).where(OutboxMessage.id.is_in(outbox_ids))
    ids = sorted({row["registration_id"] for row in rows if row["registration_id"] is not None})
    statuses = {row["id"]: row["status"] for row in await Registration.select(Registration.id, Registration.status).where(
        Registration.id.is_in(ids or [0]))}
    return {
        row["id"]: f"the registration is {statuses.get(row['registration_id']) or 'gone'}: a message to registrants no longer reaches it"
        for row in rows
        if statuses.get(row["registration_id"]) in (None, "cancelled")
    }


async def preview(event_id: int, data: MessageCreate, settings: Settings) -> MessagePreview:
    """What the recipients would get in each language, addressed to a made-up person, and how
    many they would be; nothing is written."""
    count = await count_recipients(event_id, data.audience, data.attendance_mode)
    event = await event_row(event_id)
    previews = {}
    for language in LANGUAGES:
        rendered = _render(event, data.subject, data.body, _PREVIEW_PERSON, language, settings, f"{settings.base_url}/registrations/…")
        previews[language] = PreviewText(subject=rendered.subject, text=rendered.text, html=rendered.html)
    return MessagePreview(recipients=count.recipients, previews=previews)
