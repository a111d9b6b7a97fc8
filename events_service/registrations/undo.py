"""Undoing a cancellation made by a Decline reply (issue 19): the cancellation email carries a
link (links.undo_url) that gives the person their seat back while it is still free.

- The link names one registration and one cancellation: it is signed for its own purpose
  ("undo") over the registration id and `Registration.undo_nonce`, which the cancellation by
  reply writes (service.cancel_in_transaction) and any later cancellation replaces or clears.
  A link from an earlier cancellation, another registration's link or a tampered one names
  nothing (404).
- It works while the event is published and until registration closes (the event's
  `registration_closes_at`, or its start): the moment a new registration is refused too, so the
  link never lets in anyone the public form would turn away; an event's later change of that
  moment moves the link's end with it.
- The seat is taken with the public registration's claim (seats.claim_place): a seat of the
  registration's pool under the event's capacity, and under the company's cap. None free
  (the first person waiting was promoted into it) → 409 `seat_taken`; the company's seats
  all held → 409 `company_full`; nothing changes either way.
- Then, in the same write transaction: confirmed again, rsvp cleared, the cancellation notice
  withdrawn if still unsent, a new confirmation with the invite (same UID; SEQUENCE above the
  CANCEL's: `sequence_offset` + 2, see tables.py), the audit entry (by the current actor: the
  registrant's link) and the webhook.
- Used once: the link's nonce stays, so a second POST finds the registration confirmed and
  answers with it as it is, writing nothing.

The event row is locked before the registration is read, as a cancellation takes them, so two
undos of one link, or of two links racing for one seat, run one after the other.
"""

from __future__ import annotations

from datetime import datetime

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.db import with_retry, write_transaction
from events_service.events.queries import event_row, locked_event_row
from events_service.events.records import EventRecord, EventStatus
from events_service.mail.outbox import cancel_pending
from events_service.registrations import messages, seats
from events_service.registrations.errors import RegistrationConflict, RegistrationNotFound
from events_service.registrations.links import manage_url, nonce_matches, read_token, token_for
from events_service.registrations.queries import public_registration
from events_service.registrations.records import CancelledBy, RegistrationRecord, RegistrationStatus
from events_service.registrations.schemas import PublicRegistration, UndoOffer, UndoState
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.webhooks import outbox as webhooks
from events_service.webhooks.schemas import EventType

#: What an undo adds to the calendar entry's SEQUENCE: one for the CANCEL sent, one for the new REQUEST.
SEQUENCE_STEP = 2


def _not_found() -> RegistrationNotFound:
    return RegistrationNotFound("no cancellation to undo for this link; it may have been mistyped or replaced", code="undo_link_unknown")


async def _registration_of(token: str, settings: Settings) -> tuple[RegistrationRecord, str]:
    """The registration the undo link names, and the link's nonce; 404 for anything else."""
    parsed = read_token(settings.verification_keys, "undo", token)
    if parsed is None:
        raise _not_found()
    registration_id, nonce = parsed
    row = await Registration.select().where(Registration.id == registration_id).first()
    if row is None or not nonce_matches(row["undo_nonce"], nonce):
        raise _not_found()
    return RegistrationRecord.from_row(row), nonce


def _state(registration: RegistrationRecord, event: EventRecord, now: datetime) -> UndoState | None:
    """Why the link cannot act now (None: it may try for a seat)."""
    if registration.status == RegistrationStatus.CONFIRMED:
        return UndoState.DONE
    if registration.status != RegistrationStatus.CANCELLED or registration.cancelled_by != CancelledBy.REPLY:
        return UndoState.OUTDATED
    if event.status != EventStatus.PUBLISHED:
        return UndoState.EVENT_CANCELLED
    if now >= event.closes_at:
        return UndoState.EXPIRED
    return None


async def undo_offer(token: str, settings: Settings) -> UndoOffer:
    """What the link would do if posted now (the seat's freedom is a guess until POST claims it)."""
    registration, _ = await _registration_of(token, settings)
    event = await event_row(registration.event)
    state = _state(registration, event, now_utc())
    if state is None:
        full = not seats.seat_looks_free(event, registration.attendance_mode) or (
            registration.company is not None and await seats.company_is_full(event, registration.company)
        )
        state = UndoState.SEAT_TAKEN if full else UndoState.AVAILABLE
    return UndoOffer(
        state=state,
        event_title=event.title,
        event_slug=event.slug,
        starts_at=event.starts_at,
        timezone=event.timezone,
        undo_until=event.closes_at,
        manage_url=manage_url(settings, registration.id, registration.token_nonce) if state == UndoState.DONE else None,
        language=registration.language,
    )


#: Why a link cannot act, for people (detail) and programs (code).
_REFUSALS = {
    UndoState.OUTDATED: ("this registration has changed since the link was sent: it cannot be undone with it", "undo_outdated"),
    UndoState.EVENT_CANCELLED: ("this event has been cancelled", "event_cancelled"),
    UndoState.EXPIRED: ("registration for this event has closed: the link no longer works", "undo_expired"),
}


def _refusal(state: UndoState) -> RegistrationConflict:
    detail, code = _REFUSALS[state]
    return RegistrationConflict(detail, code=code)


def _seat_taken(event: EventRecord) -> RegistrationConflict:
    return RegistrationConflict(
        "your seat has gone to someone else meanwhile: register again to join the waiting list",
        code="seat_taken",
        extra={"event_slug": event.slug},
    )


async def undo_cancellation(token: str, settings: Settings) -> PublicRegistration:
    """Give the registration its seat back (see the module's rules); the registration as its
    manage link shows it."""
    await _registration_of(token, settings)  # 404 before any write transaction

    async def attempt() -> RegistrationRecord:
        async with write_transaction():
            return await _undo_in_transaction(token, settings)

    registration = await with_retry(attempt)
    return await public_registration(token_for(settings, "manage", registration.id, registration.token_nonce), settings)


async def _undo_in_transaction(token: str, settings: Settings) -> RegistrationRecord:
    found, nonce = await _registration_of(token, settings)
    event = await locked_event_row(found.event, "NO KEY UPDATE")
    # Read again under the event's lock: a concurrent undo of the same link has committed by now.
    registration, _ = await _registration_of(token, settings)
    state = _state(registration, event, now_utc())
    if state == UndoState.DONE:
        return registration  # used already: nothing more
    if state is not None:
        raise _refusal(state)
    holds_company_seat = await _claim_seat(event, registration)
    now = now_utc()
    restored = await Registration.update(
        {
            Registration.updated_at: now,
            Registration.status: RegistrationStatus.CONFIRMED,
            Registration.confirmed_at: now,
            Registration.cancelled_at: None,
            Registration.cancelled_by: None,
            Registration.holds_company_seat: holds_company_seat,
            Registration.rsvp: None,
            Registration.sequence_offset: Registration.sequence_offset + SEQUENCE_STEP,
        }
    ).where(
        (Registration.id == registration.id)
        & (Registration.status == RegistrationStatus.CANCELLED)
        & (Registration.undo_nonce == nonce)
    ).returning(Registration.sequence_offset)
    if not restored:  # unreachable under the event's lock; refused rather than half-done
        raise _refusal(UndoState.OUTDATED)
    await _announce(registration, event, restored[0]["sequence_offset"], settings)
    return registration


async def _claim_seat(event: EventRecord, registration: RegistrationRecord) -> bool:
    """The public registration's claim; True when a company seat is held. 409 when none is free."""
    if registration.company is None:  # the company was deleted: no cap to count it against
        if await seats.take_event_seat(event, registration.attendance_mode):
            return False
        raise _seat_taken(event)
    status, holds_company_seat = await seats.claim_place(event, registration.company, registration.attendance_mode)
    if status != RegistrationStatus.CONFIRMED:
        raise _seat_taken(event)
    return holds_company_seat


async def _announce(registration: RegistrationRecord, event: EventRecord, sequence_offset: int, settings: Settings) -> None:
    """The new invite, the audit entry and the webhook, in the undo's transaction."""
    # The notice of the cancellation, if still unsent, would only contradict the new invite.
    await cancel_pending(registration.id, ("cancelled",))
    sequence = event.sequence + sequence_offset
    await messages.queue_intent("confirmed", registration.id, f"confirmed:{registration.id}:{sequence}")
    await audit.record(
        Entity.REGISTRATION, registration.id, Action.UPDATED, {"status": ["cancelled", "confirmed"], "undone": "reply_cancellation"}
    )
    await webhooks.emit(
        EventType.REGISTRATION_RESTORED,
        {"registration_id": registration.id, "event_id": event.id, "status": "confirmed", "restored_from": "reply_cancellation"},
    )
