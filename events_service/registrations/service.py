"""Every registration rule lives here: who may register, seats, the waitlist, company caps,
cancellation and promotion, and the organiser's views of them.

Seats are never read-then-written: a seat is one conditional UPDATE on the event row
(`seats_taken < capacity`), a company's seat one on its `company_seats` row. Every writer takes
the event row before the company row, so concurrent registrations and cancellations on
PostgreSQL cannot deadlock each other; SQLite runs them one at a time (IMMEDIATE transactions).
"""

from __future__ import annotations

import asyncio
import hmac
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from events_service.companies.service import checked_vat_id
from events_service.companies.tables import Company, Contact
from events_service.companies.vat import VatId
from events_service.csv_export import to_csv
from events_service.db import is_unique_violation, run_sql, write_transaction
from events_service.errors import Conflict, DomainError, Invalid, NotFound
from events_service.events.service import (
    agenda_by_event,
    event_row,
    locked_event_row,
    public_event_out,
    registration_closes_at,
    speakers_by_event,
)
from events_service.events.tables import Event
from events_service.mail.outbox import cancel_pending
from events_service.registrations import mail_quota, messages
from events_service.registrations.schemas import (
    AttendanceMode,
    CompanyBrief,
    CompanyRef,
    EventStats,
    PublicRegistration,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationRow,
)
from events_service.registrations.tables import CompanySeats, Registration
from events_service.registrations.tokens import Purpose, make_token, new_nonce, read_token
from events_service.settings import Settings
from events_service.validation import normalise_email

T = TypeVar("T")


class RegistrationError(DomainError):
    pass


class RegistrationNotFound(RegistrationError, NotFound):
    pass


class RegistrationConflict(RegistrationError, Conflict):
    pass


class InvalidRegistration(RegistrationError, Invalid):
    pass


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Applicant:
    email: str
    first_name: str
    last_name: str
    language: str
    attendance_mode: AttendanceMode | None
    is_colleague: bool


# ---------------------------------------------------------------- tokens and links


def token_for(settings: Settings, purpose: Purpose, registration_id: int, nonce: str) -> str:
    return make_token(settings.secret_key, purpose, registration_id, nonce)


def manage_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/registrations/{token}"


async def registration_by_token(settings: Settings, token: str, purpose: Purpose = "manage") -> dict[str, Any]:
    """The registration a token names; a forged, tampered or revoked token is simply unknown."""
    parsed = read_token(settings.verification_keys, purpose, token)
    row = None
    if parsed is not None:
        row = await Registration.select().where(Registration.id == parsed[0]).first()
    if row is None or parsed is None or not hmac.compare_digest(row["token_nonce"], parsed[1]):
        raise RegistrationNotFound("no registration for this link; it may have been mistyped or replaced")
    return row


# ---------------------------------------------------------------- registering


def _applicants(data: RegistrationCreate) -> list[Applicant]:
    language = data.language or "it"
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


def _check_published(event_id: int, status: str) -> None:
    if status == "draft":
        raise RegistrationNotFound(f"no published event with id {event_id}")
    if status != "published":
        raise RegistrationConflict("this event has been cancelled", code="event_cancelled")


def _check_open(event: dict[str, Any]) -> None:
    _check_published(event["id"], event["status"])
    if now_utc() >= registration_closes_at(event):
        raise RegistrationConflict("registration for this event has closed")


def _attendance_mode(event: dict[str, Any], wanted: AttendanceMode | None) -> AttendanceMode:
    if event["mode"] == "hybrid":
        return wanted or "in_person"
    fixed: AttendanceMode = "online" if event["mode"] == "online" else "in_person"
    if wanted is not None and wanted != fixed:
        raise InvalidRegistration(f"this event is {event['mode'].replace('_', ' ')} only: attendance_mode must be '{fixed}'")
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


def _draws_online_seats(mode: AttendanceMode, event: dict[str, Any]) -> bool:
    """Whether a mode draws from the online pool (online_seats_taken / online_capacity) rather
    than the event's seats: only hybrid events have two pools."""
    return mode == "online" and event["mode"] == "hybrid"


async def _take_event_seat(event: dict[str, Any], mode: AttendanceMode) -> bool:
    """True: a seat is taken; False: the pool is full. An event that is no longer published
    (cancelled since it was read) refuses the registration (409; the caller's transaction
    rolls back, nothing of it is written).

    One statement answers both, so the hot path pays nothing for the status: a published
    event with a seat free gives one; an event not published is matched too, unchanged, and
    its status comes back; a full published event is not matched. On PostgreSQL the UPDATE
    waits for a cancellation holding the row and then sees its status (READ COMMITTED
    re-checks the WHERE on the row as committed); a cancellation that comes later waits for
    this transaction (cancel_event locks the row FOR UPDATE, which waits for every
    transaction that has inserted a registration: the insert's foreign key holds a KEY
    SHARE lock on the event row), and so sees the registration it must cancel."""
    statement = _TAKE_ONLINE_SEAT if _draws_online_seats(mode, event) else _TAKE_SEAT
    rows = await run_sql(statement, event["id"])
    if not rows:
        return False
    _check_published(event["id"], rows[0]["status"])
    return True


_TAKE_SEAT = """
    UPDATE event SET seats_taken = seats_taken + CASE WHEN status = 'published' THEN 1 ELSE 0 END
    WHERE id = {} AND (seats_taken < capacity OR status <> 'published') RETURNING status"""
_TAKE_ONLINE_SEAT = """
    UPDATE event SET online_seats_taken = online_seats_taken + CASE WHEN status = 'published' THEN 1 ELSE 0 END
    WHERE id = {} AND (online_seats_taken < online_capacity OR status <> 'published') RETURNING status"""


async def _release_event_seat(event: dict[str, Any], mode: AttendanceMode) -> None:
    taken = Event.online_seats_taken if _draws_online_seats(mode, event) else Event.seats_taken
    await Event.update({taken: taken - 1}).where((Event.id == event["id"]) & (taken > 0))


async def _take_company_seat(event_id: int, company_id: int, limit: int) -> bool:
    """One statement: the company's first seat at the event creates its row; a later one is
    taken on that row while fewer than `limit` are (`limit` is at least 1)."""
    return bool(await run_sql(_TAKE_COMPANY_SEAT, event_id, company_id, limit))


# "company_seats.taken", qualified: PostgreSQL finds a bare "taken" ambiguous here (EXCLUDED has one too).
_TAKE_COMPANY_SEAT = """
    INSERT INTO company_seats (event, company, taken) VALUES ({}, {}, 1)
    ON CONFLICT (event, company) DO UPDATE SET taken = company_seats.taken + 1 WHERE company_seats.taken < {}
    RETURNING id"""


async def _release_company_seat(event_id: int, company_id: int) -> None:
    await CompanySeats.update({CompanySeats.taken: CompanySeats.taken - 1}).where(
        (CompanySeats.event == event_id) & (CompanySeats.company == company_id) & (CompanySeats.taken > 0)
    )


async def _company_seats_taken(event_id: int, company_id: int) -> int:
    rows = await run_sql("SELECT taken FROM company_seats WHERE event = {} AND company = {}", event_id, company_id)
    return rows[0]["taken"] if rows else 0


async def _company_is_full(event: dict[str, Any], company_id: int) -> bool:
    limit = event["max_per_company"]
    return limit is not None and await _company_seats_taken(event["id"], company_id) >= limit


def _company_full_message(event: dict[str, Any]) -> str:
    return (
        f"your company already holds the {event['max_per_company']} seats one company may take at this event; "
        "ask a colleague to cancel, or contact the organisers"
    )


async def _claim_place(event: dict[str, Any], company_id: int, mode: AttendanceMode) -> tuple[str, bool]:
    """(status, holds a company seat). The event row is taken before the company row. A company
    that holds all its seats gets 409 (the transaction is rolled back, the event seat with it)."""
    if await _take_event_seat(event, mode):
        if event["max_per_company"] is None:
            return "confirmed", False
        if await _take_company_seat(event["id"], company_id, event["max_per_company"]):
            return "confirmed", True
        raise RegistrationConflict(_company_full_message(event), code="company_full")
    if await _company_is_full(event, company_id):
        raise RegistrationConflict(_company_full_message(event), code="company_full")
    return "waitlisted", False


def _seat_looks_free(event: dict[str, Any], mode: AttendanceMode) -> bool:
    """What the event row said when read: a guess, which `_claim_place` settles."""
    if _draws_online_seats(mode, event):
        return event["online_seats_taken"] < event["online_capacity"]
    return event["seats_taken"] < event["capacity"]


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
        inserted = await run_sql(_INSERT_REGISTRATION, *values)
        if inserted:
            return inserted[0]["id"]
        event_id, contact_id = values[0], values[1]
        earlier = await _earlier_registration(event_id, contact_id)
        if earlier is None or earlier["status"] != "cancelled":
            raise _already_registered(email)
        await Registration.delete().where(Registration.id == earlier["id"])
        return (await run_sql(_INSERT_REGISTRATION, *values))[0]["id"]
    except Exception as error:
        if is_unique_violation(error):  # the same person, registering twice at the same moment
            raise _already_registered(email) from None
        raise


# ON CONFLICT: the unique index on (event, contact), migration 2026-11-24T20:40.
_INSERT_REGISTRATION = """
    INSERT INTO registration (event, contact, company, status, attendance_mode, language, token_nonce, holds_company_seat,
        registered_by, created_at, confirmed_at, first_name, last_name)
    VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})
    ON CONFLICT (event, contact) DO NOTHING
    RETURNING id"""


async def waitlist_position(event_id: int, mode: str, registration_id: int) -> int:
    rows = await run_sql(_WAITING_AHEAD, event_id, mode, registration_id)
    return rows[0]["ahead"] + 1


_WAITING_AHEAD = "SELECT COUNT(*) AS ahead FROM registration WHERE event = {} AND status = 'waitlisted' AND attendance_mode = {} AND id < {}"


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
    event: dict[str, Any], applicant: Applicant, company_id: int, data: RegistrationCreate, registered_by: int | None, settings: Settings
) -> _Written:
    """The contact, the registration and its message, with the status the event row suggested
    (`_take_place` settles it). A second registration of the same person fails here, before
    any seat is touched."""
    now = now_utc()
    mode = _attendance_mode(event, applicant.attendance_mode)
    contact_id = await _contact_id(applicant, company_id, now, own_consent=not applicant.is_colleague, consent_marketing=data.consent_marketing)
    guess = "confirmed" if _seat_looks_free(event, mode) else "waitlisted"
    nonce = new_nonce()
    confirmed = guess == "confirmed"
    registration_id = await _insert_registration(
        (event["id"], contact_id, company_id, guess, mode, applicant.language, nonce,
         confirmed and event["max_per_company"] is not None, registered_by, now, now if confirmed else None,
         applicant.first_name, applicant.last_name),
        applicant.email,
    )
    position = await _queue_status_message(registration_id, guess, event["id"], mode, applicant.email, settings)
    return _Written(applicant, registration_id, nonce, mode, guess, position, now)


async def _take_place(event: dict[str, Any], written: _Written, company_id: int, settings: Settings) -> RegistrationCreated:
    """Claim the seats and settle the status; a wrong guess (a seat taken or freed since the
    event row was read) is corrected, message included."""
    status, holds_company_seat = await _claim_place(event, company_id, written.mode)
    position = written.waitlist_position
    if status != written.guess:
        await _settle_status(written.registration_id, status, holds_company_seat, written.at)
        await cancel_pending(written.registration_id, (written.guess,))
        position = await _queue_status_message(written.registration_id, status, event["id"], written.mode, written.applicant.email, settings)
    token = token_for(settings, "manage", written.registration_id, written.nonce)
    return RegistrationCreated(
        id=written.registration_id,
        email=written.applicant.email,
        status=status,  # type: ignore[arg-type]
        attendance_mode=written.mode,
        manage_token=token,
        manage_url=manage_url(settings, token),
        waitlist_position=position,
    )


async def _queue_status_message(
    registration_id: int, status: str, event_id: int, mode: AttendanceMode, email: str, settings: Settings
) -> int | None:
    """Queue the confirmation, or the waitlist notice with the position; returns the position."""
    position = await waitlist_position(event_id, mode, registration_id) if status == "waitlisted" else None
    await messages.queue_registration_message(registration_id, status, settings, to_address=email, event_id=event_id, waitlist_position=position)
    return position


async def _settle_status(registration_id: int, status: str, holds_company_seat: bool, now: datetime) -> None:
    await Registration.update(
        {
            Registration.status: status,
            Registration.holds_company_seat: holds_company_seat,
            Registration.confirmed_at: now if status == "confirmed" else None,
        }
    ).where(Registration.id == registration_id)


async def register(event_id: int, data: RegistrationCreate, settings: Settings) -> RegistrationCreated:
    """Register a person, and any colleagues, for an event: all of them or none.

    The rows are written first (contact upsert, the registration insert that the unique
    (event, contact) index guards against duplicates, the outbox row), then the seats are
    claimed with conditional UPDATEs, then the transaction commits. The event row is the one
    every registration of the event updates: PostgreSQL keeps it locked from the seat UPDATE
    to COMMIT, so that stretch comes last, and this process's registrations queue for it in
    `_seat_queue` rather than as blocked PostgreSQL backends (which all woke on every commit).
    The company is looked up with the event, in the same statement.
    """
    if data.consent_privacy is not True:
        raise InvalidRegistration("consent_privacy must be true: we cannot register anyone without it", code="consent_required")
    applicants = _applicants(data)
    vat = _company_vat(data.company)

    async def attempt() -> RegistrationCreated:
        async with _seat_queue(event_id) as wait_for_seats, write_transaction():
            event = await _event_for_update(event_id, vat)
            _check_open(event)
            company_id = await _company_id(data.company, vat, event["known_company_id"])
            first = await _write_registration(event, applicants[0], company_id, data, None, settings)
            colleagues = [
                await _write_registration(event, colleague, company_id, data, first.registration_id, settings) for colleague in applicants[1:]
            ]
            await wait_for_seats()
            # In the stretch every registration of the event takes in turn: the event's count is a hot row.
            await mail_quota.charge_registration(event_id, [applicant.email for applicant in applicants], settings)
            created = await _take_place(event, first, company_id, settings)
            for colleague in colleagues:
                created.colleagues.append(await _take_place(event, colleague, company_id, settings))
            return created

    return await with_retry(attempt)


_seat_locks: weakref.WeakValueDictionary[tuple[asyncio.AbstractEventLoop, int], asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def _seat_queue(event_id: int) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """This process's turn at the event's seats: the caller calls what this yields when it is
    ready to claim them, and its turn lasts until this block exits, after the commit."""
    lock = _seat_locks.setdefault((asyncio.get_running_loop(), event_id), asyncio.Lock())
    joined = False

    async def wait_for_turn() -> None:
        nonlocal joined
        await lock.acquire()
        joined = True

    try:
        yield wait_for_turn
    finally:
        if joined:
            lock.release()


async def _event_for_update(event_id: int, vat: VatId) -> dict[str, Any]:
    """What registering needs to know, in one statement: the event, and the id of the company
    with this VAT id if we know it (`known_company_id`). The seat counters only guess the
    outcome; seats are taken with conditional UPDATEs. (The whole row would be ~35 columns.)"""
    rows = await run_sql(_REGISTERING_NEEDS, vat.normalised, event_id)
    if not rows:
        raise RegistrationNotFound(f"no published event with id {event_id}")
    return rows[0]


_ADMIT_WALK_IN = "UPDATE event SET seats_taken = seats_taken + 1 WHERE id = {} AND status = 'published' RETURNING id"

_REGISTERING_NEEDS = """
    SELECT id, status, mode, max_per_company, starts_at, registration_closes_at, seats_taken, capacity, online_seats_taken, online_capacity,
        (SELECT company.id FROM company WHERE company.vat_id = {}) AS known_company_id
    FROM event WHERE id = {}"""


_RETRYABLE_PG_ERRORS = ("DeadlockDetectedError", "SerializationError")


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error)
    return type(error).__name__ in _RETRYABLE_PG_ERRORS


async def with_retry(work: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run a transaction again when the database gave up on it for reasons of concurrency only."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except Exception as error:
            if attempt == attempts or not _is_transient(error):
                raise
            await asyncio.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- cancelling and promoting

#: Messages that lose their point once a registration is cancelled, if not sent yet.
WITHDRAWN_ON_CANCEL = ("confirmed", "promoted", "waitlisted", "event_updated", "reminder")


async def cancel(registration_id: int, settings: Settings, cancelled_by: str = "registrant") -> str:
    """Cancel a registration (idempotent); a freed seat goes to the first person waiting."""

    async def attempt() -> str:
        async with write_transaction():
            row = await Registration.select().where(Registration.id == registration_id).first()
            if row is None:
                raise RegistrationNotFound(f"no registration with id {registration_id}")
            if row["status"] == "cancelled":
                return "cancelled"
            # The event row before the registration's, as cancel_event takes them: the other
            # order deadlocked against it (and the event's cancellation failed with a 500).
            event = await locked_event_row(row["event"], "NO KEY UPDATE")
            changed = await Registration.update(
                {
                    Registration.status: "cancelled",
                    Registration.cancelled_at: now_utc(),
                    Registration.cancelled_by: cancelled_by,
                    Registration.holds_company_seat: False,
                }
            ).where((Registration.id == registration_id) & (Registration.status == row["status"])).returning(Registration.id)
            if not changed:
                return "cancelled"  # a concurrent cancellation won; it did the rest
            # What was not sent yet would only be contradicted by the cancellation notice.
            await cancel_pending(registration_id, WITHDRAWN_ON_CANCEL)
            await messages.queue_cancellation(registration_id, was_confirmed=row["status"] == "confirmed", settings=settings)
            if row["status"] == "confirmed":
                await _release_event_seat(event, row["attendance_mode"])
                if row["holds_company_seat"]:
                    await _release_company_seat(event["id"], row["company"])
                if event["status"] == "published":
                    await promote_waitlisted(event["id"], settings)
            return "cancelled"

    return await with_retry(attempt)


async def promote_waitlisted(event_id: int, settings: Settings) -> list[int]:
    """Give free seats to waiting people in arrival order, skipping (not dropping) those whose
    company holds all its seats. Runs inside the caller's transaction, which holds the event
    row (locked_event_row): an event cancelled meanwhile promotes nobody."""
    event = await event_row(event_id)
    promoted: list[int] = []
    if event["status"] != "published":
        return promoted
    waiting = await (
        Registration.select(Registration.id, Registration.company, Registration.attendance_mode)
        .where((Registration.event == event_id) & (Registration.status == "waitlisted"))
        .order_by(Registration.id)
    )
    pools_full: set[str] = set()
    for person in waiting:
        mode = person["attendance_mode"]
        if mode in pools_full:
            continue
        if not await _take_event_seat(event, mode):
            pools_full.add(mode)
            continue
        holds_company_seat = False
        if event["max_per_company"] is not None and person["company"] is not None:
            if not await _take_company_seat(event_id, person["company"], event["max_per_company"]):
                await _release_event_seat(event, mode)
                continue
            holds_company_seat = True
        confirmed = await Registration.update(
            {Registration.status: "confirmed", Registration.confirmed_at: now_utc(), Registration.holds_company_seat: holds_company_seat}
        ).where((Registration.id == person["id"]) & (Registration.status == "waitlisted")).returning(Registration.id)
        if not confirmed:
            await _release_event_seat(event, mode)
            if holds_company_seat:
                await _release_company_seat(event_id, person["company"])
            continue
        promoted.append(person["id"])
        await messages.queue_registration_message(person["id"], "promoted", settings)
    return promoted


async def cancel_all_for_event(event_id: int, settings: Settings) -> int:
    """The event is cancelled: every live registration is cancelled, each with its notice.
    The caller holds the event row FOR UPDATE (events.service.cancel_event), so every
    registration written before is committed and seen here, and any written after finds the
    event cancelled when it claims its seat (_take_event_seat)."""
    rows = await Registration.select(Registration.id, Registration.status).where(
        (Registration.event == event_id) & (Registration.status != "cancelled")
    )
    now = now_utc()
    for row in rows:
        await Registration.update(
            {Registration.status: "cancelled", Registration.cancelled_at: now, Registration.cancelled_by: "event", Registration.holds_company_seat: False}
        ).where(Registration.id == row["id"])
        await cancel_pending(row["id"], WITHDRAWN_ON_CANCEL)
        await messages.queue_event_cancelled(row["id"], was_confirmed=row["status"] == "confirmed", settings=settings)
    await Event.update({Event.seats_taken: 0, Event.online_seats_taken: 0}).where(Event.id == event_id)
    await CompanySeats.update({CompanySeats.taken: 0}).where(CompanySeats.event == event_id)
    return len(rows)


UPDATE_SETTLE_TIME = timedelta(minutes=5)


async def notify_schedule_change(event: dict[str, Any], changed: list[str]) -> None:
    """Attendees hear of a change once the edits settle: each edit pushes the moment back, and
    the fields changed accumulate, so a burst of edits makes one email per person."""
    pending = list(dict.fromkeys([*(event.get("pending_changes") or []), *changed]))
    # Reminders queued for the old SEQUENCE would tell the old time; the scheduler queues
    # the new SEQUENCE's ones (new keys), also where an old one was sent already.
    await messages.withdraw_reminders(event["id"])
    await Event.update({Event.pending_changes: pending, Event.updates_due_at: now_utc() + UPDATE_SETTLE_TIME}).where(Event.id == event["id"])


async def send_due_event_updates(settings: Settings, now: datetime | None = None) -> int:
    """Queue the updated invite (same UID, the event's new SEQUENCE) for every confirmed
    attendee of each event whose edits have settled. Returns the number of emails queued."""
    moment = now or now_utc()
    queued = 0
    due = await Event.select(Event.id).where((Event.updates_due_at.is_not_null()) & (Event.updates_due_at <= moment))
    for row in due:
        async with write_transaction():
            event = await event_row(row["id"])
            if event["updates_due_at"] is None or event["updates_due_at"] > moment:
                continue  # another worker took it, or an edit pushed it back
            await Event.update({Event.pending_changes: [], Event.updates_due_at: None}).where(Event.id == event["id"])
            if event["status"] != "published":
                continue
            confirmed = await Registration.select(Registration.id).where((Registration.event == event["id"]) & (Registration.status == "confirmed"))
            for registration in confirmed:
                queued += await messages.queue_event_update(registration["id"], list(event["pending_changes"] or []), settings)
    return queued


async def check_capacity_change(event: dict[str, Any], capacity: int, online_capacity: int | None) -> None:
    """A capacity may not drop below the seats already confirmed."""
    if capacity < event["seats_taken"]:
        raise RegistrationConflict(
            f"capacity cannot go below the {event['seats_taken']} seats already confirmed",
            code="capacity_below_confirmed",
            extra={"confirmed": event["seats_taken"]},
        )
    if online_capacity is not None and online_capacity < event["online_seats_taken"]:
        raise RegistrationConflict(
            f"online_capacity cannot go below the {event['online_seats_taken']} online seats already confirmed",
            code="online_capacity_below_confirmed",
            extra={"confirmed": event["online_seats_taken"]},
        )


# ---------------------------------------------------------------- reading


async def public_registration(token: str, settings: Settings) -> PublicRegistration:
    """One registration as its manage token's holder sees it: nothing of the person's other
    registrations, no link to their feed (anyone who knows an address can register it and get
    a manage token), and the names typed with this registration."""
    row = await registration_by_token(settings, token)
    event = await event_row(row["event"])
    contact = await Contact.select(Contact.email).where(Contact.id == row["contact"]).first()
    company = await Company.select(Company.name).where(Company.id == row["company"]).first() if row["company"] else None
    speakers = (await speakers_by_event([event["id"]]))[event["id"]]
    agenda = (await agenda_by_event([event["id"]]))[event["id"]]
    confirmed = row["status"] == "confirmed"
    position = await waitlist_position(event["id"], row["attendance_mode"], row["id"]) if row["status"] == "waitlisted" else None
    shows_link = confirmed and row["attendance_mode"] == "online"
    return PublicRegistration(
        id=row["id"],
        status=row["status"],
        attendance_mode=row["attendance_mode"],
        email=contact["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        company=company["name"] if company else None,
        created_at=row["created_at"],
        waitlist_position=position,
        event=public_event_out(event, speakers, agenda, settings.base_url),
        online_url=event["online_url"] if shows_link else None,
        manage_url=manage_url(settings, token),
        checkin_code=token_for(settings, "checkin", row["id"], row["token_nonce"]) if confirmed and row["attendance_mode"] == "in_person" else None,
    )


async def cancel_by_token(token: str, settings: Settings) -> PublicRegistration:
    row = await registration_by_token(settings, token)
    if row["status"] != "cancelled":  # cancelling again sends nothing, and is not counted
        async with write_transaction():
            await mail_quota.charge_cancellation(row["id"], settings)
            await cancel(row["id"], settings, cancelled_by="registrant")
    return await public_registration(token, settings)


def _registration_select() -> Any:
    return Registration.select(
        Registration.id,
        Registration.contact.email.as_alias("email"),
        Registration.first_name,
        Registration.last_name,
        Registration.company.id.as_alias("company_id"),
        Registration.company.name.as_alias("company_name"),
        Registration.company.vat_id.as_alias("company_vat_id"),
        Registration.status,
        Registration.attendance_mode,
        Registration.created_at,
        Registration.attended,
        Registration.minutes_attended,
    )


async def list_registrations(event_id: int, status: str | None = None, q: str | None = None) -> list[RegistrationRow]:
    await event_row(event_id)
    query = _registration_select().where(Registration.event == event_id).order_by(Registration.id)
    if status:
        query = query.where(Registration.status == status)
    rows = await query
    if q:
        needle = q.strip().lower()
        rows = [r for r in rows if needle in " ".join(str(r[k] or "") for k in ("email", "first_name", "last_name", "company_name")).lower()]
    positions: dict[str, int] = {}
    result = []
    for row in rows:
        position = None
        if row["status"] == "waitlisted" and not status and not q:
            positions[row["attendance_mode"]] = positions.get(row["attendance_mode"], 0) + 1
            position = positions[row["attendance_mode"]]
        elif row["status"] == "waitlisted":
            position = await waitlist_position(event_id, row["attendance_mode"], row["id"])
        company = CompanyBrief(id=row["company_id"], name=row["company_name"], vat_id=row["company_vat_id"]) if row["company_id"] else None
        result.append(
            RegistrationRow(
                id=row["id"],
                email=row["email"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                company=company,
                status=row["status"],
                attendance_mode=row["attendance_mode"],
                created_at=row["created_at"],
                attended=row["attended"],
                minutes_attended=row["minutes_attended"],
                waitlist_position=position,
            )
        )
    return result


CSV_COLUMNS = ["id", "status", "attendance_mode", "waitlist_position", "email", "first_name", "last_name",
               "company", "vat_id", "created_at", "attended", "minutes_attended"]


async def registrations_csv(event_id: int, status: str | None = None) -> str:
    rows = await list_registrations(event_id, status=status)
    return to_csv(
        CSV_COLUMNS,
        [
            [row.id, row.status, row.attendance_mode, row.waitlist_position or "", row.email, row.first_name, row.last_name,
             row.company.name if row.company else "", row.company.vat_id if row.company else "",
             row.created_at.isoformat(), "yes" if row.attended else "no", row.minutes_attended]
            for row in rows
        ],
    )


async def event_stats(event_id: int) -> EventStats:
    event = await event_row(event_id)
    counts = {status: 0 for status in ("confirmed", "waitlisted", "cancelled")}
    rows = await Registration.select(Registration.status, Registration.attended, Registration.company).where(Registration.event == event_id)
    attended = no_show = 0
    companies: set[int] = set()
    ended = event["ends_at"] <= now_utc()
    for row in rows:
        counts[row["status"]] += 1
        if row["status"] != "cancelled" and row["company"] is not None:
            companies.add(row["company"])
        if row["attended"]:
            attended += 1
        elif ended and row["status"] == "confirmed":
            no_show += 1
    online_left = None
    if event["mode"] == "hybrid":
        online_left = max((event["online_capacity"] or 0) - event["online_seats_taken"], 0)
    return EventStats(
        capacity=event["capacity"],
        online_capacity=event["online_capacity"],
        confirmed=counts["confirmed"],
        waitlisted=counts["waitlisted"],
        cancelled=counts["cancelled"],
        attended=attended,
        no_show=no_show,
        companies=len(companies),
        seats_left=max(event["capacity"] - event["seats_taken"], 0),
        online_seats_left=online_left,
    )


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
    applicant = Applicant(normalise_email(email), first_name.strip(), last_name.strip(), language or "it", "in_person", False)
    if not (applicant.first_name and applicant.last_name):
        raise InvalidRegistration("first_name and last_name must not be blank")
    vat = _company_vat(company)
    event = await _event_for_update(event_id, vat)
    if event["status"] == "draft":
        raise RegistrationNotFound(f"no published event with id {event_id}")
    if event["status"] == "cancelled":
        raise RegistrationConflict("this event has been cancelled")
    if event["mode"] == "online":
        raise RegistrationConflict("an online event has no door: walk-ins are for in-person and hybrid events")
    now = now_utc()
    company_id = await _company_id(company, vat, event["known_company_id"])
    contact_id = await _contact_id(applicant, company_id, now, own_consent=False)
    existing = await Registration.select().where((Registration.event == event_id) & (Registration.contact == contact_id)).first()
    if existing is not None and existing["status"] == "confirmed":
        return existing["id"], "registered"
    # Only while published: an event cancelled since it was read (the UPDATE waits for the
    # cancellation's commit on PostgreSQL) admits nobody at the door.
    if not await run_sql(_ADMIT_WALK_IN, event_id):
        raise RegistrationConflict("this event has been cancelled", code="event_cancelled")
    if existing is not None:
        await Registration.update(
            {
                Registration.status: "confirmed",
                Registration.attendance_mode: "in_person",
                Registration.confirmed_at: now,
                Registration.cancelled_at: None,
                Registration.cancelled_by: None,
                Registration.holds_company_seat: False,
            }
        ).where(Registration.id == existing["id"])
        return existing["id"], "admitted"
    rows = await Registration.insert(
        Registration(
            event=event_id,
            contact=contact_id,
            company=company_id,
            first_name=applicant.first_name,
            last_name=applicant.last_name,
            status="confirmed",
            attendance_mode="in_person",
            language=applicant.language,
            token_nonce=new_nonce(),
            holds_company_seat=False,
            walk_in=True,
            created_at=now,
            confirmed_at=now,
        )
    ).returning(Registration.id)
    return rows[0]["id"], "created"
