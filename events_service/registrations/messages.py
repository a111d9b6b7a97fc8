"""The emails a registration's life sends: rendered now, written to the outbox in the caller's
transaction, sent later by the dispatcher. Nothing here talks to a mail server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from piccolo.table import Table

from events_service.calendar.entries import event_page_url, registration_entry
from events_service.calendar.ics import build_invite, google_calendar_link, outlook_link
from events_service.companies.records import ContactRecord
from events_service.companies.tables import Contact
from events_service.db import write_transaction
from events_service.events.queries import agenda_by_event, events_by_id
from events_service.events.records import AttendanceMode, EventMode, EventRecord
from events_service.i18n import N_, translator
from events_service.mail.compose import render_message
from events_service.mail.formatting import format_time_range
from events_service.mail.mime import ComposedEmail, build_email
from events_service.mail.outbox import enqueue_intent, fill_intents
from events_service.mail.tables import OutboxMessage
from events_service.qr import qr_png
from events_service.registrations.links import (
    checkin_code,
    feed_url,
    has_checkin_code,
    manage_url,
    undo_url,
)
from events_service.registrations.queries import waitlist_position as position_of
from events_service.registrations.records import CancelledBy, RegistrationRecord, RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.settings import Settings


async def _load_many(
    outbox_ids: list[int],
) -> tuple[list[dict[str, Any]], dict[int, RegistrationRecord], dict[int, ContactRecord], dict[int, EventRecord], dict[int, list[Any]]]:
    """The outbox rows and everything their emails are made of, a handful of queries for the
    whole batch (a query per message per table costs more than rendering it)."""
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.registration_id).where(
        OutboxMessage.id.is_in(outbox_ids)
    )
    registration_ids = sorted({row["registration_id"] for row in rows if row["registration_id"] is not None})
    registrations = await registrations_by_id(registration_ids)
    contacts = {row["id"]: ContactRecord.from_row(row) for row in await _rows(Contact, sorted({r.contact for r in registrations.values()}))}
    event_ids = sorted({r.event for r in registrations.values()})
    events = await events_by_id(event_ids)
    agendas = await agenda_by_event(event_ids)
    return rows, registrations, contacts, events, agendas


async def registrations_by_id(ids: list[int]) -> dict[int, RegistrationRecord]:
    return {row["id"]: RegistrationRecord.from_row(row) for row in await _rows(Registration, ids)}


async def _rows(table: type[Table], ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await table.select().where(table.id.is_in(ids)).output(load_json=True)


def _event_context(event: EventRecord, join_url: str | None) -> dict[str, Any]:
    fields = ("title", "kind", "mode", "starts_at", "ends_at", "timezone", "venue_name", "venue_address", "venue_city", "description")
    return {**{name: getattr(event, name) for name in fields}, "online_url": join_url}




#: The emails whose templates offer "add to Google Calendar / Outlook" links.
_SHOWS_CALENDAR_LINKS = frozenset({"confirmed", "promoted", "event_updated"})


def compose_registration_email(
    kind: str,
    registration: RegistrationRecord,
    contact: ContactRecord,
    event: EventRecord,
    agenda: list[Any],
    settings: Settings,
    *,
    extra: dict[str, Any] | None = None,
    invite_method: str | None = None,
    invite_sequence: int | None = None,
) -> ComposedEmail:
    manage = manage_url(settings, registration.id, registration.token_nonce)
    join_url = registration.join_url(event)
    entry = registration_entry(
        event,
        registration_id=registration.id,
        nonce=registration.token_nonce,
        attendance_mode=registration.attendance_mode,
        join_url=join_url,
        manage_url=manage,
        agenda=agenda,
        host=settings.host,
        language=registration.language,
        sequence=registration.entry_sequence(event) if invite_sequence is None else invite_sequence,
        cancelled=invite_method == "CANCEL",
    )
    has_qr = has_checkin_code(registration.status, registration.attendance_mode) and kind in ("confirmed", "promoted", "reminder")
    context: dict[str, Any] = {
        "event": _event_context(event, join_url),
        # The names typed with this registration; the address is the person's.
        "person": {"first_name": registration.first_name, "last_name": registration.last_name, "email": contact.email},
        "programme_name": settings.programme_name,
        "manage_url": manage,
        "event_url": event_page_url(settings.base_url, event.slug),
        "has_qr": has_qr,
        **(extra or {}),
    }
    if registration.status == RegistrationStatus.CONFIRMED and kind in _SHOWS_CALENDAR_LINKS:
        context["google_calendar_url"] = google_calendar_link(entry)
        context["outlook_calendar_url"] = outlook_link(entry)
        context["feed_url"] = feed_url(settings, contact.id, contact.feed_nonce)
    rendered = render_message(kind, registration.language, context)
    calendar = None
    if invite_method:
        calendar = build_invite(
            entry,
            organizer_email=settings.organizer_address,
            organizer_name=settings.programme_name,
            attendee_email=contact.email,
            attendee_name=f"{registration.first_name} {registration.last_name}",
            method=invite_method,  # type: ignore[arg-type]
        )
    checkin = checkin_code(settings, registration.id, registration.token_nonce)
    return build_email(
        sender=settings.mail_from,
        sender_name=settings.programme_name,
        to=contact.email,
        rendered=rendered,
        calendar=calendar,
        qr_png=qr_png(checkin) if has_qr else None,
        message_id_domain=settings.host,
    )


async def queue_intent(
    kind: str,
    registration_id: int,
    idempotency_key: str,
    payload: dict[str, Any] | None = None,
    *,
    to_address: str | None = None,
    event_id: int | None = None,
    send_after: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Write the intent to send `kind` to this registrant; rendering waits for the dispatcher
    (or `prerender_intents`), so the caller's transaction (which may hold the event's seat
    row) stays short."""
    if to_address is None or event_id is None:
        row = await Registration.select(Registration.event, Registration.contact.email.as_alias("email")).where(
            Registration.id == registration_id
        ).first()
        to_address, event_id = row["email"], row["event"]
    return await enqueue_intent(
        kind=kind,
        idempotency_key=idempotency_key,
        to_address=to_address,
        event_id=event_id,
        registration_id=registration_id,
        payload=payload or {},
        send_after=send_after,
        expires_at=expires_at,
    )


async def queue_registration_message(
    registration_id: int,
    kind: str,
    settings: Settings,
    *,
    to_address: str | None = None,
    event_id: int | None = None,
    waitlist_position: int | None = None,
) -> None:
    """confirmed / promoted carry the invite (REQUEST); waitlisted says where they stand
    (`waitlist_position`, when the caller knows it already)."""
    payload: dict[str, Any] = {}
    if kind == "waitlisted" and waitlist_position is None:
        row = await Registration.select(Registration.event).where(Registration.id == registration_id).first()
        waitlist_position = await position_of(row["event"], registration_id)
    if kind == "waitlisted":
        payload["waitlist_position"] = waitlist_position
    await queue_intent(kind, registration_id, f"{kind}:{registration_id}", payload, to_address=to_address, event_id=event_id)


def cancelled_sequence(event_sequence: int, cancelled_by: str | None, sequence_offset: int = 0) -> int:
    """The SEQUENCE a cancelled registration's calendar entry carries (in its CANCEL email and
    in the person's feed): above the entry's live one for a person's or organiser's
    cancellation; the live one for the event's cancellation, which raised the event's SEQUENCE
    already. `sequence_offset`: what undone cancellations added (Registration.sequence_offset)."""
    live = event_sequence + sequence_offset
    return live if cancelled_by == CancelledBy.EVENT else live + 1


async def queue_cancellation(registration_id: int, *, was_confirmed: bool, settings: Settings) -> None:
    """A confirmed person's calendar entry is withdrawn: METHOD:CANCEL, same UID, a SEQUENCE
    above the entry's current one. Keyed by that SEQUENCE: a registration cancelled again after
    an undo (registrations/undo.py) gets its notice too."""
    row = await Registration.select(Registration.event.sequence.as_alias("sequence"), Registration.sequence_offset).where(
        Registration.id == registration_id
    ).first()
    sequence = cancelled_sequence(row["sequence"], CancelledBy.REGISTRANT, row["sequence_offset"])
    key = f"cancelled:{registration_id}" if not row["sequence_offset"] else f"cancelled:{registration_id}:{sequence}"
    await queue_intent("cancelled", registration_id, key, {"was_confirmed": was_confirmed, "sequence": sequence})


async def queue_event_cancelled(registration_id: int, *, was_confirmed: bool, settings: Settings) -> None:
    """The event's own SEQUENCE rose when it was cancelled, so the CANCEL outranks every REQUEST."""
    await queue_intent("event_cancelled", registration_id, f"event_cancelled:{registration_id}", {"was_confirmed": was_confirmed})


#: The registration status each kind of message is written for. One whose registration has
#: left that status (cancelled, promoted, erased) is withdrawn when a dispatcher claims it,
#: even after a failed attempt: a retried confirmation would hand a cancelled person the join
#: link. Notices of a cancellation hold in any state.
_WRITTEN_FOR: dict[str, RegistrationStatus] = {
    "confirmed": RegistrationStatus.CONFIRMED,
    "promoted": RegistrationStatus.CONFIRMED,
    "event_updated": RegistrationStatus.CONFIRMED,
    "waitlisted": RegistrationStatus.WAITLISTED,
}


async def outdated_messages(outbox_ids: list[int]) -> dict[int, str]:
    """Of these outbox rows, the registration messages whose registration is no longer in the
    status they were written for, each with the reason (the dispatcher's OutdatedCheck)."""
    return await left_status(outbox_ids, _WRITTEN_FOR)


async def left_status(outbox_ids: list[int], written_for: Mapping[str, RegistrationStatus]) -> dict[int, str]:
    """Of these outbox rows, those of a kind in `written_for` whose registration has left the
    status that kind is written for, each with the reason (reminders use it for theirs)."""
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.registration_id).where(
        OutboxMessage.id.is_in(outbox_ids) & OutboxMessage.kind.is_in(list(written_for))
    )
    registration_ids = sorted({row["registration_id"] for row in rows if row["registration_id"] is not None})
    if not registration_ids:
        return {}
    statuses = {
        row["id"]: row["status"]
        for row in await Registration.select(Registration.id, Registration.status).where(Registration.id.is_in(registration_ids))
    }
    outdated = {}
    for row in rows:
        status = statuses.get(row["registration_id"])
        if status != written_for[row["kind"]]:
            outdated[row["id"]] = f"the registration is {status or 'gone'}: a {row['kind']} message is no longer true"
    return outdated



#: Builds one intent's email from its outbox row, registration, contact, event and agenda.
IntentRenderer = Callable[[dict[str, Any], RegistrationRecord, ContactRecord, EventRecord, list[Any], Settings], ComposedEmail]


async def render_outbox_intents(outbox_ids: list[int], settings: Settings) -> dict[int, ComposedEmail | Exception]:
    """Build the emails these intents (the kinds of this module) stand for, from the data as
    it is now."""
    return await render_intents_with(outbox_ids, settings, _render_intent)


async def render_intents_with(
    outbox_ids: list[int], settings: Settings, render_one: IntentRenderer
) -> dict[int, ComposedEmail | Exception]:
    """Load a batch of a registration's intents together and build each with `render_one`.

    One entry per outbox row that is a registration's intent: its email, or the exception
    that stopped it (`Withdrawn` when the email has lost its point).
    """
    if not outbox_ids:
        return {}
    rows, registrations, contacts, events, agendas = await _load_many(outbox_ids)
    results: dict[int, ComposedEmail | Exception] = {}
    for row in rows:
        if row["registration_id"] is None:
            continue
        try:
            registration = registrations[row["registration_id"]]
            event = events[registration.event]
            results[row["id"]] = render_one(
                row, registration, contacts[registration.contact], event, agendas[event.id], settings
            )
        except Exception as error:  # one bad row must not stop the batch
            results[row["id"]] = error
    return results


async def prerender_intents(
    outbox_ids: list[int], settings: Settings, render: Callable[[list[int], Settings], Awaitable[dict[int, ComposedEmail | Exception]]]
) -> int:
    """Render these intents now, outside any transaction, and store the emails in them, so
    the dispatcher only has to send them. For mail queued ahead of its moment (reminders):
    when the moment comes, thousands go out at the pace of the SMTP server, not of rendering.
    An intent that cannot be rendered now is left for the dispatcher, which records why."""
    results = await render(outbox_ids, settings)
    ready = {outbox_id: result for outbox_id, result in results.items() if not isinstance(result, Exception)}
    if not ready:
        return 0
    async with write_transaction():
        return await fill_intents(ready)


def intent_payload(row: dict[str, Any]) -> dict[str, Any]:
    """An outbox row's payload (a JSON string on engines that return JSON as text)."""
    payload = row.get("payload") or {}
    return json.loads(payload) if isinstance(payload, str) else payload


def _render_intent(
    row: dict[str, Any],
    registration: RegistrationRecord,
    contact: ContactRecord,
    event: EventRecord,
    agenda: list[Any],
    settings: Settings,
) -> ComposedEmail:
    payload = intent_payload(row)
    kind = row["kind"]

    def compose(**options: Any) -> ComposedEmail:
        return compose_registration_email(kind, registration, contact, event, agenda, settings, **options)

    if kind in ("confirmed", "promoted"):
        return compose(invite_method="REQUEST")
    if kind == "waitlisted":
        return compose(extra={"waitlist_position": payload["waitlist_position"]})
    if kind == "cancelled":
        method = "CANCEL" if payload.get("was_confirmed") else None
        return compose(invite_method=method, invite_sequence=payload["sequence"], extra=_undo_offer(registration, event, settings))
    if kind == "event_cancelled":
        method = "CANCEL" if payload.get("was_confirmed") else None
        return compose(invite_method=method, invite_sequence=cancelled_sequence(event.sequence, CancelledBy.EVENT, registration.sequence_offset))
    if kind == "event_updated":
        lines = change_lines(payload["changes"], event, registration)
        return compose(extra={"changes": lines}, invite_method="REQUEST", invite_sequence=payload["sequence"])
    raise ValueError(f"no renderer for outbox intents of kind {kind!r}")


def _undo_offer(registration: RegistrationRecord, event: EventRecord, settings: Settings) -> dict[str, Any]:
    """A cancellation by a Decline reply says so and carries the undo link (registrations/undo.py),
    valid until registration closes; any other cancellation says neither."""
    if registration.cancelled_by != CancelledBy.REPLY or not registration.undo_nonce:
        return {}
    return {"by_reply": True, "undo_url": undo_url(settings, registration.id, registration.undo_nonce), "undo_until": event.closes_at}


#: An event's mode inside an email's sentence (lower case, unlike the pages' labels).
_MODE_NAMES = {EventMode.ONLINE: N_("online"), EventMode.IN_PERSON: N_("in person"), EventMode.HYBRID: N_("hybrid")}


def change_lines(changed: list[str], event: EventRecord, registration: RegistrationRecord) -> list[str]:
    """What moved, in the registrant's language; the link only for those who may see it."""
    language = registration.language
    _ = translator(language)
    lines = []
    if {"starts_at", "ends_at"} & set(changed):
        when = format_time_range(event.starts_at, event.ends_at, event.timezone, language)
        lines.append(_("New time: {value}").format(value=when))
    if "mode" in changed:
        lines.append(_("New format: {value}").format(value=_(_MODE_NAMES[event.mode])))
    if {"venue_name", "venue_address", "venue_city"} & set(changed) and registration.attendance_mode == AttendanceMode.IN_PERSON:
        lines.append(_("New place: {value}").format(value=event.venue_text or "—"))
    if "online_url" in changed and (join_url := registration.join_url(event)):
        lines.append(_("New joining link: {value}").format(value=join_url))
    return lines


async def queue_event_update(registration_id: int, changed: list[str], settings: Settings) -> int:
    """The invite again, same UID and the event's current SEQUENCE, saying what changed.
    Keyed by SEQUENCE: one email per person per settled change; none for a change this person
    does not see (a new link, for someone in the room)."""
    registration = (await registrations_by_id([registration_id]))[registration_id]
    event = (await events_by_id([registration.event]))[registration.event]
    if not change_lines(changed, event, registration):
        return 0
    payload = {"changes": changed, "sequence": registration.entry_sequence(event)}
    return int(await queue_intent("event_updated", registration_id, f"event_updated:{registration_id}:{event.sequence}", payload))
