"""The emails a registration's life sends: rendered now, written to the outbox in the caller's
transaction, sent later by the dispatcher. Nothing here talks to a mail server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from events_service.calendar.ics import build_invite, google_calendar_link, outlook_link
from events_service.calendar.service import registration_entry
from events_service.companies.tables import Contact
from events_service.events.service import agenda_by_event, event_row
from events_service.mail.compose import build_email, qr_png, render_message
from events_service.mail.outbox import enqueue
from events_service.registrations.tables import Registration
from events_service.registrations.tokens import make_token
from events_service.settings import Settings


async def _load(registration_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    registration = await Registration.select().where(Registration.id == registration_id).first()
    assert registration is not None, registration_id
    contact = await Contact.select().where(Contact.id == registration["contact"]).first()
    event = await event_row(registration["event"])
    return registration, contact, event


def _manage_url(settings: Settings, registration: dict[str, Any]) -> str:
    token = make_token(settings.secret_key, "manage", registration["id"], registration["token_nonce"])
    return f"{settings.base_url}/registrations/{token}"


def _event_context(event: dict[str, Any], join_url: str | None) -> dict[str, Any]:
    fields = ("title", "kind", "mode", "starts_at", "ends_at", "timezone", "venue_name", "venue_address", "venue_city", "description")
    return {**{name: event[name] for name in fields}, "online_url": join_url}


def _sees_join_link(registration: dict[str, Any]) -> bool:
    return registration["status"] == "confirmed" and registration["attendance_mode"] == "online"


def _host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


async def _send(
    kind: str,
    registration: dict[str, Any],
    contact: dict[str, Any],
    event: dict[str, Any],
    settings: Settings,
    *,
    idempotency_key: str,
    extra: dict[str, Any] | None = None,
    invite_method: str | None = None,
    invite_sequence: int | None = None,
) -> bool:
    manage_url = _manage_url(settings, registration)
    join_url = event["online_url"] if _sees_join_link(registration) else None
    agenda = (await agenda_by_event([event["id"]]))[event["id"]]
    entry = registration_entry(
        event,
        registration_id=registration["id"],
        nonce=registration["token_nonce"],
        attendance_mode=registration["attendance_mode"],
        show_join_link=_sees_join_link(registration),
        manage_url=manage_url,
        agenda=agenda,
        settings=settings,
        sequence=invite_sequence,
        cancelled=invite_method == "CANCEL",
    )
    has_qr = registration["status"] == "confirmed" and registration["attendance_mode"] == "in_person" and kind in ("confirmed", "promoted", "reminder")
    context: dict[str, Any] = {
        "event": _event_context(event, join_url),
        "person": {"first_name": contact["first_name"], "last_name": contact["last_name"], "email": contact["email"]},
        "programme_name": settings.programme_name,
        "manage_url": manage_url,
        "event_url": f"{settings.base_url}/events/{event['slug']}",
        "has_qr": has_qr,
        **(extra or {}),
    }
    if registration["status"] == "confirmed":
        context["google_calendar_url"] = google_calendar_link(entry)
        context["outlook_calendar_url"] = outlook_link(entry)
    rendered = render_message(kind, registration["language"], context)
    calendar = None
    if invite_method:
        calendar = build_invite(
            entry,
            organizer_email=settings.mail_from,
            organizer_name=settings.programme_name,
            attendee_email=contact["email"],
            attendee_name=f"{contact['first_name']} {contact['last_name']}",
            method=invite_method,  # type: ignore[arg-type]
        )
    checkin = make_token(settings.secret_key, "checkin", registration["id"], registration["token_nonce"])
    message = build_email(
        sender=settings.mail_from,
        sender_name=settings.programme_name,
        to=contact["email"],
        rendered=rendered,
        calendar=calendar,
        qr_png=qr_png(checkin) if has_qr else None,
        message_id_domain=_host(settings),
    )
    return await enqueue(message, kind=kind, idempotency_key=idempotency_key, event_id=event["id"], registration_id=registration["id"])


async def queue_registration_message(registration_id: int, kind: str, settings: Settings) -> None:
    """confirmed / promoted carry the invite (REQUEST); waitlisted says where they stand."""
    registration, contact, event = await _load(registration_id)
    extra: dict[str, Any] = {}
    if kind == "waitlisted":
        from events_service.registrations.service import waitlist_position

        extra["waitlist_position"] = await waitlist_position(event["id"], registration["attendance_mode"], registration_id)
    method = "REQUEST" if kind in ("confirmed", "promoted") else None
    await _send(kind, registration, contact, event, settings, idempotency_key=f"{kind}:{registration_id}", extra=extra, invite_method=method)


async def queue_cancellation(registration_id: int, *, was_confirmed: bool, settings: Settings) -> None:
    """A confirmed person's calendar entry is withdrawn: METHOD:CANCEL, same UID, higher SEQUENCE."""
    registration, contact, event = await _load(registration_id)
    await _send(
        "cancelled",
        registration,
        contact,
        event,
        settings,
        idempotency_key=f"cancelled:{registration_id}",
        invite_method="CANCEL" if was_confirmed else None,
        invite_sequence=event["sequence"] + 1,
    )


async def queue_event_cancelled(registration_id: int, *, was_confirmed: bool, settings: Settings) -> None:
    """The event's own SEQUENCE rose when it was cancelled, so the CANCEL outranks every REQUEST."""
    registration, contact, event = await _load(registration_id)
    await _send(
        "event_cancelled",
        registration,
        contact,
        event,
        settings,
        idempotency_key=f"event_cancelled:{registration_id}",
        invite_method="CANCEL" if was_confirmed else None,
        invite_sequence=event["sequence"],
    )


_CHANGE_LABELS = {
    "it": {"time": "Nuovo orario: {value}", "place": "Nuovo luogo: {value}", "link": "Nuovo link per partecipare: {value}",
           "mode": "Nuova modalità: {value}", "online": "online"},
    "en": {"time": "New time: {value}", "place": "New place: {value}", "link": "New joining link: {value}",
           "mode": "New format: {value}", "online": "online"},
}
_MODE_NAMES = {
    "it": {"online": "online", "in_person": "in presenza", "hybrid": "ibrida"},
    "en": {"online": "online", "in_person": "in person", "hybrid": "hybrid"},
}


def change_lines(changed: list[str], event: dict[str, Any], registration: dict[str, Any]) -> list[str]:
    """What moved, in the registrant's language; the link only for those who may see it."""
    from events_service.calendar.service import venue_text
    from events_service.mail.formatting import format_time_range

    language = registration["language"] if registration["language"] in _CHANGE_LABELS else "en"
    labels = _CHANGE_LABELS[language]
    lines = []
    if {"starts_at", "ends_at"} & set(changed):
        when = format_time_range(event["starts_at"], event["ends_at"], event["timezone"], language)
        lines.append(labels["time"].format(value=when))
    if "mode" in changed:
        lines.append(labels["mode"].format(value=_MODE_NAMES[language][event["mode"]]))
    if {"venue_name", "venue_address", "venue_city"} & set(changed) and registration["attendance_mode"] == "in_person":
        lines.append(labels["place"].format(value=venue_text(event) or "—"))
    if "online_url" in changed and _sees_join_link(registration) and event["online_url"]:
        lines.append(labels["link"].format(value=event["online_url"]))
    return lines


async def queue_event_update(registration_id: int, changed: list[str], settings: Settings) -> int:
    """The invite again, same UID and the event's current SEQUENCE, saying what changed.
    Keyed by SEQUENCE: one email per person per settled change."""
    registration, contact, event = await _load(registration_id)
    lines = change_lines(changed, event, registration)
    if not lines:
        return 0  # e.g. a new link, which this in-person attendee never sees
    written = await _send(
        "event_updated",
        registration,
        contact,
        event,
        settings,
        idempotency_key=f"event_updated:{registration_id}:{event['sequence']}",
        extra={"changes": lines},
        invite_method="REQUEST",
    )
    return int(written)
