"""Seats: the conditional UPDATEs that take and give back an event's seats and a company's,
and this process's queue for an event's seats.

Seats are never read-then-written: a seat is one conditional UPDATE on the event row
(`seats_taken < capacity`), a company's seat one on its `company_seats` row. Every writer takes
the event row before the company row, so concurrent registrations and cancellations on
PostgreSQL cannot deadlock each other; SQLite runs them one at a time (IMMEDIATE transactions).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol

import msgspec

from events_service.db import run_sql
from events_service.events.records import (
    AttendanceMode,
    EventMode,
    EventStatus,
    draws_online_seats,
    registration_closes_at,
)
from events_service.events.tables import Event
from events_service.registrations.errors import RegistrationConflict, RegistrationNotFound
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import CompanySeats


class SeatedEvent(Protocol):
    """What seats need of an event: events.records.EventRecord, or the narrow `RegisteringEvent`."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> EventStatus: ...
    @property
    def mode(self) -> EventMode: ...
    @property
    def max_per_company(self) -> int | None: ...
    @property
    def capacity(self) -> int: ...
    @property
    def online_capacity(self) -> int | None: ...
    @property
    def seats_taken(self) -> int: ...
    @property
    def online_seats_taken(self) -> int: ...


class RegisteringEvent(msgspec.Struct, frozen=True):
    """What registering needs to know of the event, read in one statement with the id of the
    company of the applicant's VAT id if we know it (`known_company_id`). The seat counters only
    guess the outcome; seats are taken with conditional UPDATEs. (The whole row is ~35 columns.)"""

    id: int
    status: EventStatus
    mode: EventMode
    max_per_company: int | None
    starts_at: datetime
    registration_closes_at: datetime | None
    seats_taken: int
    capacity: int
    online_seats_taken: int
    online_capacity: int | None
    known_company_id: int | None

    @property
    def closes_at(self) -> datetime:
        return registration_closes_at(self.registration_closes_at, self.starts_at)


async def event_for_update(event_id: int, vat_id: str) -> RegisteringEvent:
    rows = await run_sql(_REGISTERING_NEEDS, vat_id, event_id)
    if not rows:
        raise RegistrationNotFound(f"no published event with id {event_id}")
    return msgspec.convert(rows[0], RegisteringEvent)


_REGISTERING_NEEDS = """
    SELECT id, status, mode, max_per_company, starts_at, registration_closes_at, seats_taken, capacity, online_seats_taken, online_capacity,
        (SELECT company.id FROM company WHERE company.vat_id = {}) AS known_company_id
    FROM event WHERE id = {}"""


def check_published(event_id: int, status: str) -> None:
    if status == EventStatus.DRAFT:
        raise RegistrationNotFound(f"no published event with id {event_id}")
    if status != EventStatus.PUBLISHED:
        raise RegistrationConflict("this event has been cancelled", code="event_cancelled")


async def take_event_seat(event: SeatedEvent, mode: AttendanceMode) -> bool:
    """True: a seat is taken; False: the pool is full. An event that is no longer published
    (cancelled since it was read) refuses the registration (409; the caller's transaction
    rolls back, nothing of it is written).

    One statement answers both, so the hot path pays nothing for the status: a published
    event with a seat free gives one; an event not published is matched too, unchanged, and
    its status comes back; a full published event is not matched. On PostgreSQL the UPDATE
    waits for a cancellation holding the row and then sees its status (READ COMMITTED
    re-checks the WHERE on the row as committed); a cancellation that comes later waits for
    this transaction (event_changes.cancel_event locks the row FOR UPDATE, which waits for every
    transaction that has inserted a registration: the insert's foreign key holds a KEY
    SHARE lock on the event row), and so sees the registration it must cancel."""
    status = await _take_seat(event, mode)
    if status is None:
        return False
    check_published(event.id, status)
    return True


async def take_seat_for_promotion(event: SeatedEvent, mode: AttendanceMode) -> bool:
    """True: a seat is taken for the first person waiting. Promotion runs under the event
    row's lock, taken by a cancellation that read the event published, so no cancellation of
    the event can come between; were the event not published all the same, it would promote
    nobody (no seat) rather than refuse the cancellation or erasure that freed the seat."""
    return await _take_seat(event, mode) == EventStatus.PUBLISHED


async def _take_seat(event: SeatedEvent, mode: AttendanceMode) -> str | None:
    """The event's status when the statement matched it (a seat taken if published), None
    when the pool is full."""
    statement = _TAKE_ONLINE_SEAT if draws_online_seats(event.mode, mode) else _TAKE_SEAT
    rows = await run_sql(statement, event.id)
    return rows[0]["status"] if rows else None


_PUBLISHED, _NOT_PUBLISHED = f"status = '{EventStatus.PUBLISHED}'", f"status <> '{EventStatus.PUBLISHED}'"
_TAKE_SEAT = f"""
    UPDATE event SET seats_taken = seats_taken + CASE WHEN {_PUBLISHED} THEN 1 ELSE 0 END
    WHERE id = {{}} AND (seats_taken < capacity OR {_NOT_PUBLISHED}) RETURNING status"""
_TAKE_ONLINE_SEAT = f"""
    UPDATE event SET online_seats_taken = online_seats_taken + CASE WHEN {_PUBLISHED} THEN 1 ELSE 0 END
    WHERE id = {{}} AND (online_seats_taken < online_capacity OR {_NOT_PUBLISHED}) RETURNING status"""


async def release_event_seat(event: SeatedEvent, mode: AttendanceMode) -> None:
    taken = Event.online_seats_taken if draws_online_seats(event.mode, mode) else Event.seats_taken
    await Event.update({taken: taken - 1}).where((Event.id == event.id) & (taken > 0))


async def admit_walk_in(event_id: int) -> bool:
    """A seat for someone at the door, past capacity if need be (they are here); only while
    the event is published: one cancelled since it was read (the UPDATE waits for the
    cancellation's commit on PostgreSQL) admits nobody."""
    return bool(await run_sql(_ADMIT_WALK_IN, event_id))


_ADMIT_WALK_IN = f"UPDATE event SET seats_taken = seats_taken + 1 WHERE id = {{}} AND {_PUBLISHED} RETURNING id"


async def take_company_seat(event_id: int, company_id: int, limit: int) -> bool:
    """One statement: the company's first seat at the event creates its row; a later one is
    taken on that row while fewer than `limit` are (`limit` is at least 1)."""
    return bool(await run_sql(_TAKE_COMPANY_SEAT, event_id, company_id, limit))


# "company_seats.taken", qualified: PostgreSQL finds a bare "taken" ambiguous here (EXCLUDED has one too).
_TAKE_COMPANY_SEAT = """
    INSERT INTO company_seats (event, company, taken) VALUES ({}, {}, 1)
    ON CONFLICT (event, company) DO UPDATE SET taken = company_seats.taken + 1 WHERE company_seats.taken < {}
    RETURNING id"""


async def release_company_seat(event_id: int, company_id: int) -> None:
    await CompanySeats.update({CompanySeats.taken: CompanySeats.taken - 1}).where(
        (CompanySeats.event == event_id) & (CompanySeats.company == company_id) & (CompanySeats.taken > 0)
    )


async def release_every_seat(event_id: int) -> None:
    """The event is cancelled: no seat is held any more."""
    await Event.update({Event.seats_taken: 0, Event.online_seats_taken: 0}).where(Event.id == event_id)
    await CompanySeats.update({CompanySeats.taken: 0}).where(CompanySeats.event == event_id)


async def _company_seats_taken(event_id: int, company_id: int) -> int:
    rows = await run_sql("SELECT taken FROM company_seats WHERE event = {} AND company = {}", event_id, company_id)
    return rows[0]["taken"] if rows else 0


async def company_is_full(event: SeatedEvent, company_id: int) -> bool:
    limit = event.max_per_company
    return limit is not None and await _company_seats_taken(event.id, company_id) >= limit


def _company_full_message(event: SeatedEvent) -> str:
    return (
        f"your company already holds the {event.max_per_company} seats one company may take at this event; "
        "ask a colleague to cancel, or contact the organisers"
    )


async def claim_place(event: SeatedEvent, company_id: int, mode: AttendanceMode) -> tuple[RegistrationStatus, bool]:
    """(status, holds a company seat). The event row is taken before the company row. A company
    that holds all its seats gets 409 (the transaction is rolled back, the event seat with it)."""
    if await take_event_seat(event, mode):
        if event.max_per_company is None:
            return RegistrationStatus.CONFIRMED, False
        if await take_company_seat(event.id, company_id, event.max_per_company):
            return RegistrationStatus.CONFIRMED, True
        raise RegistrationConflict(_company_full_message(event), code="company_full")
    if await company_is_full(event, company_id):
        raise RegistrationConflict(_company_full_message(event), code="company_full")
    return RegistrationStatus.WAITLISTED, False


def seat_looks_free(event: SeatedEvent, mode: AttendanceMode) -> bool:
    """What the event row said when read: a guess, which `claim_place` settles."""
    if draws_online_seats(event.mode, mode):
        return event.online_seats_taken < (event.online_capacity or 0)
    return event.seats_taken < event.capacity


_seat_locks: weakref.WeakValueDictionary[tuple[asyncio.AbstractEventLoop, int], asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def seat_queue(event_id: int) -> AsyncIterator[Callable[[], Awaitable[None]]]:
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
