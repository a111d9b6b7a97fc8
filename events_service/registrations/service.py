"""The registration rules: who may register, the waitlist, company caps, cancellation and
promotion, walk-ins, and what an event's change means for its registrations (called by
event_changes). Seats are taken in seats.py, registrations read in queries.py, their emails
written in messages.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.utils.encoding import dump_json

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.companies.service import checked_vat_id
from events_service.companies.tables import Company
from events_service.companies.vat import VatId
from events_service.db import is_unique_violation, run_sql, with_retry, write_transaction
from events_service.errors import DomainError
from events_service.events.queries import event_row, locked_event_row
from events_service.events.records import AttendanceMode, EventMode, EventRecord, EventStatus
from events_service.events.tables import Event
from events_service.languages import DEFAULT_LANGUAGE
from events_service.mail.outbox import cancel_pending
from events_service.questions.schemas import QuestionStage
from events_service.questions.service import check_answers, event_questions
from events_service.registrations import mail_quota, messages, seats
from events_service.registrations.cancel_hooks import run_cancel_hooks
from events_service.registrations.errors import (
    InvalidRegistration,
    RegistrationConflict,
    RegistrationNotFound,
)
from events_service.registrations.links import (
    manage_url_of,
    new_nonce,
    registration_by_token,
    token_for,
)
from events_service.registrations.queries import public_registration, waitlist_position
from events_service.registrations.records import CancelledBy, RegistrationStatus
from events_service.registrations.schemas import (
    CompanyRef,
    PublicRegistration,
    RegistrationCreate,
    RegistrationCreated,
)
from events_service.registrations.seats import RegisteringEvent
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.validation import normalise_email
from events_service.webhooks import outbox as webhooks
from events_service.webhooks.schemas import EventType


@dataclass(frozen=True)
class Applicant:
    email: str
    first_name: str
    last_name: str
    language: str
    attendance_mode: AttendanceMode | None
    is_colleague: bool


# ---------------------------------------------------------------- registering


def _applicants(data: RegistrationCreate) -> list[Applicant]:
    language = data.language or DEFAULT_LANGUAGE
    people = [Applicant(normalise_email(data.email), data.first_name.strip(), data.last_name.strip(), language, data.attendance_mode, False)]
    for colleague in data.colleagues:
        people.append(
            Applicant(
                normalise_email(colleague.email),
                colleague.first_name.strip(),
                colleague.last_name.strip(),
                colleague.language or language,
                colleague.attendance_mode or data.attendance_mode,
                True,
            )
        )
    emails = [person.email for person in people]
    if len(set(emails)) != len(emails):
        raise InvalidRegistration("the same email appears twice in one registration")
    if any(not (p.first_name and p.last_name) for p in people):
        raise InvalidRegistration("first_name and last_name must not be blank")
    return people


def _company_vat(company: CompanyRef) -> VatId:
    try:
        return checked_vat_id(company.vat_id, company.country)
    except DomainError as error:
        raise InvalidRegistration(error.detail, code=error.code) from None


def _check_open(event: RegisteringEvent) -> None:
    seats.check_published(event.id, event.status)
    if now_utc() >= event.closes_at:
        raise RegistrationConflict("registration for this event has closed")


def _attendance_mode(event: RegisteringEvent, wanted: AttendanceMode | None) -> AttendanceMode:
    if event.mode == EventMode.HYBRID:
        return wanted or AttendanceMode.IN_PERSON
    fixed = AttendanceMode.ONLINE if event.mode == EventMode.ONLINE else AttendanceMode.IN_PERSON
    if wanted is not None and wanted != fixed:
        raise InvalidRegistration(f"this event is {event.mode.replace('_', ' ')} only: attendance_mode must be '{fixed}'")
    return fixed


def _new_company_name(company: CompanyRef, vat: VatId) -> str:
    name = (company.name or "").strip()
    if not name:
        raise InvalidRegistration(f"company {vat.normalised} is new to us: give its name", code="company_name_needed")
    return name


async def _company_id(company: CompanyRef, vat: VatId, known: int | None) -> int:
    """The company the event read found by VAT id (`known`), or a new one; one created
    meanwhile by a concurrent registration is found, not duplicated (the insert waits for
    it, then does nothing)."""
    if known is not None:
        return known
    created = await Company.insert(
        Company(name=_new_company_name(company, vat), vat_id=vat.normalised, country=vat.country, region=company.region)
    ).on_conflict(target=Company.vat_id, action="DO NOTHING").returning(Company.id)
    if created:
        await audit.record(Entity.COMPANY, created[0]["id"], Action.CREATED, {"vat_id": vat.normalised, "by_registration": True})
        return created[0]["id"]
    return (await Company.select(Company.id).where(Company.vat_id == vat.normalised).first())["id"]


async def _contact_id(applicant: Applicant, company_id: int, now: datetime, *, own_consent: bool, consent_marketing: bool | None = None) -> int:
    """Find the person by email (stored lower-cased) or create them: one upsert.

    A person we know is left as they gave themselves (names, company, language, consent
    times): anyone who knows an address can register it, so what is typed now belongs to the
    new registration (its own columns), not to the person. Consents are recorded only when
    the person's own registration creates the contact (`own_consent`): a colleague registered
    by someone else, or a walk-in entered at the door, gave none of theirs."""
    rows = await run_sql(
        _UPSERT_CONTACT,
        applicant.email,
        applicant.first_name,
        applicant.last_name,
        company_id,
        applicant.language,
        now if own_consent else None,
        now if own_consent and consent_marketing else None,
        new_nonce(),
        now,
    )
    return rows[0]["id"]


# DO UPDATE of nothing rather than DO NOTHING: only an updated row comes back from RETURNING.
_UPSERT_CONTACT = """
    INSERT INTO contact (email, first_name, last_name, company, language, consent_privacy_at, consent_marketing_at, feed_nonce, created_at)
    VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})
    ON CONFLICT (email) DO UPDATE SET email = excluded.email
    RETURNING id"""


def _already_registered(email: str) -> RegistrationConflict:
    return RegistrationConflict(f"{email} is registered for this event already", code="already_registered")


async def _earlier_registration(event_id: int, contact_id: int) -> dict[str, Any] | None:
    return await Registration.select(Registration.id, Registration.status).where(
        (Registration.event == event_id) & (Registration.contact == contact_id)
    ).first()


async def _insert_registration(values: tuple[Any, ...], email: str) -> int:
    """Insert the registration (`values` in `_INSERT_REGISTRATION`'s order); returns its id.
    The unique (event, contact) index finds any earlier one: a cancelled registration makes
    way for the new one (which goes to the back of any waitlist); any other means the person
    is registered already. (One statement when there is none.)"""
    try:
        inserted = await run_sql(_INSERT_REGISTRATION, *values, values[_CREATED_AT])
        if inserted:
            return inserted[0]["id"]
        event_id, contact_id = values[0], values[1]
        earlier = await _earlier_registration(event_id, contact_id)
        if earlier is None or earlier["status"] != RegistrationStatus.CANCELLED:
            raise _already_registered(email)
        await Registration.delete().where(Registration.id == earlier["id"])
        return (await run_sql(_INSERT_REGISTRATION, *values, values[_CREATED_AT]))[0]["id"]
    except Exception as error:
        if is_unique_violation(error):  # the same person, registering twice at the same moment
            raise _already_registered(email) from None
        raise


# ON CONFLICT: the unique index on (event, contact), migration 2026-11-24T20:40. The last
# value, updated_at, is the creation time (`values[_CREATED_AT]`), added by _insert.
_CREATED_AT = 9
_INSERT_REGISTRATION = """
    INSERT INTO registration (event, contact, company, status, attendance_mode, language, token_nonce, holds_company_seat,
        registered_by, created_at, confirmed_at, first_name, last_name, answers, updated_at)
    VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})
    ON CONFLICT (event, contact) DO NOTHING
    RETURNING id"""


@dataclass(frozen=True)
class _Written:
    """A registration written with the status the event row suggested, waiting for its seat."""

    applicant: Applicant
    registration_id: int
    nonce: str
    mode: AttendanceMode
    guess: str
    waitlist_position: int | None
    at: datetime


async def _write_registration(
    event: RegisteringEvent, applicant: Applicant, company_id: int, data: RegistrationCreate, registered_by: int | None, settings: Settings,
    answers: dict[str, Any] | None = None,
) -> _Written:
    """The contact, the registration and its message, with the status the event row suggested
    (`_take_place` settles it). A second registration of the same person fails here, before
    any seat is touched."""
    now = now_utc()
    mode = _attendance_mode(event, applicant.attendance_mode)
    contact_id = await _contact_id(applicant, company_id, now, own_consent=not applicant.is_colleague, consent_marketing=data.consent_marketing)
    guess = RegistrationStatus.CONFIRMED if seats.seat_looks_free(event, mode) else RegistrationStatus.WAITLISTED
    nonce = new_nonce()
    confirmed = guess == RegistrationStatus.CONFIRMED
    registration_id = await _insert_registration(
        (event.id, contact_id, company_id, guess, mode, applicant.language, nonce,
         confirmed and event.max_per_company is not None, registered_by, now, now if confirmed else None,
         applicant.first_name, applicant.last_name, dump_json(answers) if answers else None),
        applicant.email,
    )
    position = await _queue_status_message(registration_id, guess, event.id, mode, applicant.email, settings)
    return _Written(applicant, registration_id, nonce, mode, guess, position, now)


async def _take_place(event: RegisteringEvent, written: _Written, company_id: int, settings: Settings) -> RegistrationCreated:
    """Claim the seats and settle the status; a wrong guess (a seat taken or freed since the
    event row was read) is corrected, message included."""
    status, holds_company_seat = await seats.claim_place(event, company_id, written.mode)
    position = written.waitlist_position
    if status != written.guess:
        await _settle_status(written.registration_id, status, holds_company_seat, written.at)
        await cancel_pending(written.registration_id, (written.guess,))
        position = await _queue_status_message(written.registration_id, status, event.id, written.mode, written.applicant.email, settings)
    token = token_for(settings, "manage", written.registration_id, written.nonce)
    return RegistrationCreated(
        id=written.registration_id,
        email=written.applicant.email,
        status=status,
        attendance_mode=written.mode,
        manage_token=token,
        manage_url=manage_url_of(settings, token),
        waitlist_position=position,
    )


async def _queue_status_message(
    registration_id: int, status: RegistrationStatus, event_id: int, mode: AttendanceMode, email: str, settings: Settings
) -> int | None:
    """Queue the confirmation, or the waitlist notice with the position; returns the position."""
    position = await waitlist_position(event_id, registration_id) if status == RegistrationStatus.WAITLISTED else None
    await messages.queue_registration_message(registration_id, status, settings, to_address=email, event_id=event_id, waitlist_position=position)
    return position


async def _settle_status(registration_id: int, status: RegistrationStatus, holds_company_seat: bool, now: datetime) -> None:
    await Registration.update(
        {
            Registration.updated_at: now_utc(),
            Registration.status: status,
            Registration.holds_company_seat: holds_company_seat,
            Registration.confirmed_at: now if status == RegistrationStatus.CONFIRMED else None,
        }
    ).where(Registration.id == registration_id)


async def _checked_answers(event_id: int, data: RegistrationCreate) -> list[dict[str, Any]]:
    """The answers of the registrant and each colleague to the event's registration questions
    (questions/service.py checks them: a 422 names the question). A colleague registered by
    someone else answers what the registrant knows: their required questions may stay blank."""
    asked = await event_questions(event_id, QuestionStage.REGISTRATION)
    if not asked and not data.answers and not any(colleague.answers for colleague in data.colleagues):
        return [{} for _ in range(1 + len(data.colleagues))]
    return [
        check_answers(asked, data.answers),
        *(check_answers(asked, colleague.answers, enforce_required=False) for colleague in data.colleagues),
    ]


async def register(event_id: int, data: RegistrationCreate, settings: Settings) -> RegistrationCreated:
    """Register a person, and any colleagues, for an event: all of them or none.

    The rows are written first (contact upsert, the registration insert that the unique
    (event, contact) index guards against duplicates, the outbox row), then the seats are
    claimed with conditional UPDATEs, then the transaction commits. The event row is the one
    every registration of the event updates: PostgreSQL keeps it locked from the seat UPDATE
    to COMMIT, so that stretch comes last, and this process's registrations queue for it in
    `seats.seat_queue` rather than as blocked PostgreSQL backends (which all woke on every commit).
    The company is looked up with the event, in the same statement.
    """
    if data.consent_privacy is not True:
        raise InvalidRegistration("consent_privacy must be true: we cannot register anyone without it", code="consent_required")
    applicants = _applicants(data)
    vat = _company_vat(data.company)
    answers = await _checked_answers(event_id, data)

    async def attempt() -> RegistrationCreated:
        async with seats.seat_queue(event_id) as wait_for_seats, write_transaction():
            event = await seats.event_for_update(event_id, vat.normalised)
            _check_open(event)
            company_id = await _company_id(data.company, vat, event.known_company_id)
            first = await _write_registration(event, applicants[0], company_id, data, None, settings, answers[0])
            colleagues = [
                await _write_registration(event, colleague, company_id, data, first.registration_id, settings, given)
                for colleague, given in zip(applicants[1:], answers[1:], strict=True)
            ]
            subscribed = await webhooks.subscribers(EventType.REGISTRATION_CREATED)  # read before the stretch
            await wait_for_seats()
            # In the stretch every registration of the event takes in turn: the event's count is a hot row.
            await mail_quota.charge_registration(event_id, [applicant.email for applicant in applicants], settings)
            created = await _take_place(event, first, company_id, settings)
            for colleague in colleagues:
                created.colleagues.append(await _take_place(event, colleague, company_id, settings))
            for each in (created, *created.colleagues):
                await _report_created(each, event_id, company_id, subscribed)
            return created

    return await with_retry(attempt)


async def _report_created(created: RegistrationCreated, event_id: int, company_id: int, subscribed: list[int]) -> None:
    """The audit entry and the webhook of a new registration, in its transaction (`subscribed`:
    the webhook subscriptions to registration.created, read before the hot stretch)."""
    await audit.record(
        Entity.REGISTRATION, created.id, Action.CREATED,
        {"event_id": event_id, "company_id": company_id, "status": created.status, "attendance_mode": created.attendance_mode},
    )
    await webhooks.emit(
        EventType.REGISTRATION_CREATED,
        {
            "registration_id": created.id,
            "event_id": event_id,
            "company_id": company_id,
            "email": created.email,
            "status": created.status,
            "attendance_mode": created.attendance_mode,
        },
        to=subscribed,
    )


def _registration_data(registration_id: int, event_id: int, status: str, **more: Any) -> dict[str, Any]:
    return {"registration_id": registration_id, "event_id": event_id, "status": status, **more}


# ---------------------------------------------------------------- cancelling and promoting

#: Messages that lose their point once a registration is cancelled, if not sent yet.
WITHDRAWN_ON_CANCEL = ("confirmed", "promoted", "waitlisted", "event_updated", "reminder")


async def cancel(registration_id: int, settings: Settings, cancelled_by: CancelledBy = CancelledBy.REGISTRANT) -> RegistrationStatus:
    """Cancel a registration (idempotent) in a transaction of its own; a freed seat goes to the
    first person waiting."""

    async def attempt() -> RegistrationStatus:
        async with write_transaction():
            return await cancel_in_transaction(registration_id, settings, cancelled_by)

    return await with_retry(attempt)


async def cancel_in_transaction(registration_id: int, settings: Settings, cancelled_by: CancelledBy) -> RegistrationStatus:
    """`cancel`, in the caller's write transaction, for a caller that does more in it (cancelling
    by link charges the mail quota; erasure cancels several). The caller retries its whole
    transaction (db.with_retry): a retry inside it could not, as PostgreSQL has aborted it."""
    row = await Registration.select().where(Registration.id == registration_id).first()
    if row is None:
        raise RegistrationNotFound(f"no registration with id {registration_id}")
    if row["status"] == RegistrationStatus.CANCELLED:
        return RegistrationStatus.CANCELLED
    # The event row before the registration's, as cancel_event takes them: the other
    # order deadlocked against it (and the event's cancellation failed with a 500).
    event = await locked_event_row(row["event"], "NO KEY UPDATE")
    changed = await Registration.update(
        {
            Registration.updated_at: now_utc(),
            Registration.status: RegistrationStatus.CANCELLED,
            Registration.cancelled_at: now_utc(),
            Registration.cancelled_by: cancelled_by,
            Registration.holds_company_seat: False,
            Registration.undo_nonce: _undo_nonce(row["status"], cancelled_by),
        }
    ).where((Registration.id == registration_id) & (Registration.status == row["status"])).returning(Registration.id)
    if not changed:
        return RegistrationStatus.CANCELLED  # a concurrent cancellation won; it did the rest
    # What was not sent yet would only be contradicted by the cancellation notice.
    await cancel_pending(registration_id, WITHDRAWN_ON_CANCEL)
    # Domains above this one (the experts' meetings) go with the registration (cancel_hooks.py).
    await run_cancel_hooks(registration_id, settings)
    await messages.queue_cancellation(registration_id, was_confirmed=row["status"] == RegistrationStatus.CONFIRMED, settings=settings)
    await webhooks.emit(
        EventType.REGISTRATION_CANCELLED, _registration_data(registration_id, row["event"], "cancelled", cancelled_by=cancelled_by)
    )
    await audit.record(
        Entity.REGISTRATION, registration_id, Action.CANCELLED, {"status": [row["status"], "cancelled"], "cancelled_by": cancelled_by}
    )
    if row["status"] == RegistrationStatus.CONFIRMED:
        await seats.release_event_seat(event, row["attendance_mode"])
        if row["holds_company_seat"]:
            await seats.release_company_seat(event.id, row["company"])
        if event.status == EventStatus.PUBLISHED:
            await promote_waitlisted(event.id, settings)
    return RegistrationStatus.CANCELLED


def _undo_nonce(status: str, cancelled_by: CancelledBy) -> str | None:
    """A confirmed seat given up by a Decline reply can be taken back through the link in the
    cancellation email (undo.py), with this cancellation's own nonce; any other cancellation
    voids an earlier link."""
    return new_nonce() if cancelled_by == CancelledBy.REPLY and status == RegistrationStatus.CONFIRMED else None


async def promote_waitlisted(event_id: int, settings: Settings) -> list[int]:
    """Give free seats to waiting people in arrival order, skipping (not dropping) those whose
    company holds all its seats. Runs inside the caller's transaction, which holds the event
    row (locked_event_row): an event cancelled meanwhile promotes nobody."""
    event = await event_row(event_id)
    promoted: list[int] = []
    if event.status != EventStatus.PUBLISHED:
        return promoted
    waiting = await (
        Registration.select(Registration.id, Registration.company, Registration.attendance_mode)
        .where((Registration.event == event_id) & (Registration.status == RegistrationStatus.WAITLISTED))
        .order_by(Registration.id)
    )
    pools_full: set[str] = set()
    for person in waiting:
        mode = person["attendance_mode"]
        if mode in pools_full:
            continue
        if not await seats.take_seat_for_promotion(event, mode):
            pools_full.add(mode)
            continue
        holds_company_seat = False
        if event.max_per_company is not None and person["company"] is not None:
            if not await seats.take_company_seat(event_id, person["company"], event.max_per_company):
                await seats.release_event_seat(event, mode)
                continue
            holds_company_seat = True
        confirmed = await Registration.update(
            {Registration.updated_at: now_utc(), Registration.status: RegistrationStatus.CONFIRMED, Registration.confirmed_at: now_utc(), Registration.holds_company_seat: holds_company_seat}
        ).where((Registration.id == person["id"]) & (Registration.status == RegistrationStatus.WAITLISTED)).returning(Registration.id)
        if not confirmed:
            await seats.release_event_seat(event, mode)
            if holds_company_seat:
                await seats.release_company_seat(event_id, person["company"])
            continue
        promoted.append(person["id"])
        await messages.queue_registration_message(person["id"], "promoted", settings)
        await webhooks.emit(EventType.REGISTRATION_PROMOTED, _registration_data(person["id"], event_id, "confirmed"))
        await audit.record(Entity.REGISTRATION, person["id"], Action.PROMOTED, {"status": ["waitlisted", "confirmed"]})
    return promoted


async def cancel_all_for_event(event_id: int, settings: Settings) -> int:
    """The event is cancelled: every live registration is cancelled, each with its notice.
    The caller holds the event row FOR UPDATE (event_changes.cancel_event), so every
    registration written before is committed and seen here, and any written after finds the
    event cancelled when it claims its seat (seats.take_event_seat)."""
    rows = await Registration.select(Registration.id, Registration.status).where(
        (Registration.event == event_id) & (Registration.status != RegistrationStatus.CANCELLED)
    )
    now = now_utc()
    for row in rows:
        await Registration.update(
            {Registration.updated_at: now_utc(), Registration.status: RegistrationStatus.CANCELLED, Registration.cancelled_at: now, Registration.cancelled_by: CancelledBy.EVENT, Registration.holds_company_seat: False}
        ).where(Registration.id == row["id"])
        await cancel_pending(row["id"], WITHDRAWN_ON_CANCEL)
        await messages.queue_event_cancelled(row["id"], was_confirmed=row["status"] == RegistrationStatus.CONFIRMED, settings=settings)
        await webhooks.emit(EventType.REGISTRATION_CANCELLED, _registration_data(row["id"], event_id, "cancelled", cancelled_by="event"))
        await audit.record(Entity.REGISTRATION, row["id"], Action.CANCELLED, {"status": [row["status"], "cancelled"], "cancelled_by": "event"})
    await seats.release_every_seat(event_id)
    return len(rows)


UPDATE_SETTLE_TIME = timedelta(minutes=5)


async def notify_schedule_change(event: EventRecord, changed: list[str]) -> None:
    """Attendees hear of a change once the edits settle: each edit pushes the moment back, and
    the fields changed accumulate, so a burst of edits makes one email per person."""
    pending = list(dict.fromkeys([*(event.pending_changes or []), *changed]))
    await Event.update({Event.pending_changes: pending, Event.updates_due_at: now_utc() + UPDATE_SETTLE_TIME}).where(Event.id == event.id)


async def send_due_event_updates(settings: Settings, now: datetime | None = None) -> int:
    """Queue the updated invite (same UID, the event's new SEQUENCE) for every confirmed
    attendee of each event whose edits have settled. Returns the number of emails queued."""
    moment = now or now_utc()
    queued = 0
    due = await Event.select(Event.id).where((Event.updates_due_at.is_not_null()) & (Event.updates_due_at <= moment))
    for row in due:
        async with write_transaction():
            event = await event_row(row["id"])
            if event.updates_due_at is None or event.updates_due_at > moment:
                continue  # another worker took it, or an edit pushed it back
            await Event.update({Event.pending_changes: [], Event.updates_due_at: None}).where(Event.id == event.id)
            if event.status != EventStatus.PUBLISHED:
                continue
            confirmed = await Registration.select(Registration.id).where((Registration.event == event.id) & (Registration.status == RegistrationStatus.CONFIRMED))
            for registration in confirmed:
                queued += await messages.queue_event_update(registration["id"], list(event.pending_changes or []), settings)
    return queued


def check_capacity_change(event: EventRecord, capacity: int, online_capacity: int | None) -> None:
    """A capacity may not drop below the seats already confirmed."""
    if capacity < event.seats_taken:
        raise RegistrationConflict(
            f"capacity cannot go below the {event.seats_taken} seats already confirmed",
            code="capacity_below_confirmed",
            extra={"confirmed": event.seats_taken},
        )
    if online_capacity is not None and online_capacity < event.online_seats_taken:
        raise RegistrationConflict(
            f"online_capacity cannot go below the {event.online_seats_taken} online seats already confirmed",
            code="online_capacity_below_confirmed",
            extra={"confirmed": event.online_seats_taken},
        )


async def cancel_by_token(token: str, settings: Settings) -> PublicRegistration:
    row = await registration_by_token(settings, token)
    if row.status != RegistrationStatus.CANCELLED:  # cancelling again sends nothing, and is not counted

        async def attempt() -> None:
            async with write_transaction():
                await mail_quota.charge_cancellation(row.id, settings)
                await cancel_in_transaction(row.id, settings, cancelled_by=CancelledBy.REGISTRANT)

        await with_retry(attempt)
    return await public_registration(token, settings)


# ---------------------------------------------------------------- walk-ins (used by attendance)


async def register_walk_in(
    event_id: int, *, email: str, first_name: str, last_name: str, company: CompanyRef, language: str | None
) -> tuple[int, str]:
    """Someone is at the door of an in-person or hybrid event: give them a confirmed, in-person
    registration. Returns (registration id, outcome): "created" for a new walk-in registration,
    "admitted" for a waitlisted or cancelled registration confirmed at the door, "registered"
    when they held a confirmed seat already. Runs in the caller's write transaction; the
    caller checks them in.

    A walk-in is physically present, so they are recorded even when the event is full: the
    seat counter goes up without the `taken < capacity` condition (it may pass capacity, which
    keeps "seats_taken = confirmed registrations" true and simply leaves no seat for anyone
    registering online). The company cap is not applied for the same reason, and no company
    seat is held. No email is queued: they are here. A unique violation (the same person
    entered twice at the same moment) propagates; the caller retries and finds them.
    """
    applicant = Applicant(normalise_email(email), first_name.strip(), last_name.strip(), language or DEFAULT_LANGUAGE, AttendanceMode.IN_PERSON, False)
    if not (applicant.first_name and applicant.last_name):
        raise InvalidRegistration("first_name and last_name must not be blank")
    vat = _company_vat(company)
    event = await seats.event_for_update(event_id, vat.normalised)
    if event.status == EventStatus.DRAFT:
        raise RegistrationNotFound(f"no published event with id {event_id}")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationConflict("this event has been cancelled")
    if event.mode == EventMode.ONLINE:
        raise RegistrationConflict("an online event has no door: walk-ins are for in-person and hybrid events")
    now = now_utc()
    company_id = await _company_id(company, vat, event.known_company_id)
    contact_id = await _contact_id(applicant, company_id, now, own_consent=False)
    existing = await Registration.select().where((Registration.event == event_id) & (Registration.contact == contact_id)).first()
    if existing is not None and existing["status"] == RegistrationStatus.CONFIRMED:
        return existing["id"], "registered"
    if not await seats.admit_walk_in(event_id):
        raise RegistrationConflict("this event has been cancelled", code="event_cancelled")
    if existing is not None:
        await Registration.update(
            {
                Registration.updated_at: now_utc(),
                Registration.status: RegistrationStatus.CONFIRMED,
                Registration.attendance_mode: AttendanceMode.IN_PERSON,
                Registration.confirmed_at: now,
                Registration.cancelled_at: None,
                Registration.cancelled_by: None,
                Registration.holds_company_seat: False,
            }
        ).where(Registration.id == existing["id"])
        await audit.record(Entity.REGISTRATION, existing["id"], Action.UPDATED, {"status": [None, "confirmed"], "walk_in": True})
        return existing["id"], "admitted"
    rows = await Registration.insert(
        Registration(
            event=event_id,
            contact=contact_id,
            company=company_id,
            first_name=applicant.first_name,
            last_name=applicant.last_name,
            status=RegistrationStatus.CONFIRMED,
            attendance_mode=AttendanceMode.IN_PERSON,
            language=applicant.language,
            token_nonce=new_nonce(),
            holds_company_seat=False,
            walk_in=True,
            created_at=now,
            updated_at=now,
            confirmed_at=now,
        )
    ).returning(Registration.id)
    await audit.record(Entity.REGISTRATION, rows[0]["id"], Action.CREATED, {"event_id": event_id, "status": "confirmed", "walk_in": True})
    return rows[0]["id"], "created"
