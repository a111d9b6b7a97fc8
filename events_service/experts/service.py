"""The experts domain's rules: experts, their slots inside a Tech Day, and one-to-one meetings.

Booking rules (each holds under concurrency on SQLite and PostgreSQL; `book`):
- A slot has one active meeting: the unique `expert_meeting.active_slot` column decides.
- A person (a registration) never holds two meetings at overlapping times: their bookings take
  turns on their `expert_booker` row (a conditional UPDATE takes its row lock on PostgreSQL;
  SQLite runs one write transaction at a time), and the overlap check runs after it.
- A company holds at most `meetings_per_company_expert` meetings with one expert per day:
  one conditional UPDATE on its `expert_company_day` counter (taken < cap).
- Bookings close at the event's `bookings_close_at`, or else at the slot's start.
- The slot row is updated conditionally (still open) in the booking's transaction, so an
  organiser closing or moving it meanwhile either comes first (the booking is refused, or sees
  the slot's new time) or waits and then cancels or moves the meeting.
A refused rule rolls the whole transaction back: nothing is written.

Window rule (`open_slots`, `move_slot`): an expert's open slots never overlap. Both take turns
on the expert's row first (`_take_expert_turn`), so the overlap check inside sees every window
opened or moved before it commits, on PostgreSQL too (SQLite has one writer at a time anyway).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events_service.clock import as_utc, now_utc
from events_service.companies.tables import Company
from events_service.db import is_unique_violation, run_sql, with_retry, write_transaction
from events_service.events.queries import event_row
from events_service.events.records import EventKind, EventRecord, EventStatus
from events_service.experts import invites, where
from events_service.experts.errors import ExpertConflict, ExpertInvalid, ExpertNotFound
from events_service.experts.records import ACTIVE, MeetingAtDoor, MeetingStatus, SlotStatus
from events_service.experts.schemas import (
    MAX_SLOTS_PER_REQUEST,
    Break,
    ExpertCreate,
    ExpertOut,
    ExpertUpdate,
    MeetingBooked,
    MeetingCreate,
    MeetingOut,
    MeetingSlot,
    PublicExpert,
    PublicSlot,
    RulesOut,
    RulesUpdate,
    SlotMove,
    SlotOut,
    SlotsCreate,
    WhereOut,
    WhereUpdate,
)
from events_service.experts.tables import (
    Expert,
    ExpertBooker,
    ExpertCompanyDay,
    ExpertDay,
    ExpertDayRules,
    ExpertMeeting,
    ExpertSlot,
)
from events_service.registrations.links import (
    new_nonce,
    nonce_matches,
    read_token,
    registration_by_token,
    token_for,
)
from events_service.registrations.records import RegistrationRecord, RegistrationStatus
from events_service.settings import Settings

#: Slots one Tech Day may hold in all (every expert together): a bound on what organisers' requests can make.
MAX_SLOTS_PER_EVENT = 2000
#: Experts the programme may hold: a bound on the table an API token can fill.
MAX_EXPERTS = 1000

# ---------------------------------------------------------------- experts


def _expert_out(row: dict[str, Any]) -> ExpertOut:
    return ExpertOut(id=row["id"], name=row["name"], email=row["email"], bio=row["bio"], topics=row["topics"] or [],
                     languages=row["languages"] or [])


async def create_expert(data: ExpertCreate) -> ExpertOut:
    if await Expert.count() >= MAX_EXPERTS:
        raise ExpertConflict(f"the programme holds {MAX_EXPERTS} experts already", code="too_many_experts")
    rows = await Expert.insert(
        Expert(name=data.name.strip(), email=data.email.strip().lower(), bio=data.bio, topics=data.topics, languages=data.languages)
    ).returning(*Expert.all_columns())
    row = rows[0]
    row["topics"], row["languages"] = data.topics, data.languages
    return _expert_out(row)


async def update_expert(expert_id: int, data: ExpertUpdate) -> ExpertOut:
    """Change the fields sent; the expert's invites already sent keep the old name and address."""
    await _expert_row(expert_id)
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[Expert.name] = data.name.strip()
    if data.email is not msgspec.UNSET:
        changes[Expert.email] = data.email.strip().lower()
    for column, value in ((Expert.bio, data.bio), (Expert.topics, data.topics), (Expert.languages, data.languages)):
        if value is not msgspec.UNSET:
            changes[column] = value
    if changes:
        await Expert.update(changes).where(Expert.id == expert_id)
    return _expert_out(await _expert_row(expert_id))


async def get_expert(expert_id: int) -> ExpertOut:
    return _expert_out(await _expert_row(expert_id))


async def list_experts() -> list[ExpertOut]:
    rows = await Expert.select().order_by(Expert.name).output(load_json=True)
    return [_expert_out(row) for row in rows]


async def _expert_row(expert_id: int) -> dict[str, Any]:
    row = await Expert.select().where(Expert.id == expert_id).output(load_json=True).first()
    if row is None:
        raise ExpertNotFound(f"no expert with id {expert_id}")
    return row


# ---------------------------------------------------------------- slots


def _tech_day(event: EventRecord) -> EventRecord:
    if event.kind != EventKind.TECH_DAY:
        raise ExpertConflict("experts meet companies at Tech Days only", code="not_tech_day")
    if event.status == EventStatus.CANCELLED:
        raise ExpertConflict("the event is cancelled", code="event_cancelled")
    return event


def cut_slots(
    starts_at: datetime, ends_at: datetime, minutes: int, breaks: Sequence[tuple[datetime, datetime]] = ()
) -> list[tuple[datetime, datetime]]:
    """The window cut into whole slots of `minutes`, none touching a break: the stretches
    between breaks are cut one by one, so slots start again at a break's end (the clock the
    expert reads); a remainder shorter than a slot before a break or the window's end is left
    out. `breaks` are inside the window, sorted and apart (_checked_breaks)."""
    length = timedelta(minutes=minutes)
    edges = [starts_at, *(moment for pause in breaks for moment in pause), ends_at]
    cut = []
    for stretch_start, stretch_end in zip(edges[::2], edges[1::2], strict=True):
        count = int((stretch_end - stretch_start) / length)
        cut.extend((stretch_start + i * length, stretch_start + (i + 1) * length) for i in range(count))
    return cut


def _checked_breaks(breaks: list[Break], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The window's breaks in UTC, sorted; 422 naming the first one that is empty, outside the
    window or overlapping another."""
    pauses = sorted((as_utc(pause.starts_at), as_utc(pause.ends_at)) for pause in breaks)
    for number, (pause_start, pause_end) in enumerate(pauses, start=1):
        if pause_end <= pause_start:
            raise ExpertInvalid(f"break {number} (sorted by start) ends before it starts", code="break_empty",
                                extra={"break": number})
        if pause_start < start or pause_end > end:
            raise ExpertInvalid(f"break {number} (sorted by start) lies outside the window", code="break_outside_window",
                                extra={"break": number})
        if number > 1 and pause_start < pauses[number - 2][1]:
            raise ExpertInvalid(f"breaks {number - 1} and {number} (sorted by start) overlap", code="breaks_overlap",
                                extra={"break": number})
    return pauses


def _slot_out(row: dict[str, Any], meeting: dict[str, Any] | None = None) -> SlotOut:
    """`meeting`: the active meeting on the slot (id, rsvp, expert_rsvp), if any."""
    answers = {"meeting_id": meeting["id"], "rsvp": meeting["rsvp"], "expert_rsvp": meeting["expert_rsvp"]} if meeting else {}
    return SlotOut(id=row["id"], event_id=row["event"], expert_id=row["expert"], starts_at=as_utc(row["starts_at"]),
                   ends_at=as_utc(row["ends_at"]), status=SlotStatus(row["status"]), booked=meeting is not None, **answers)


async def open_slots(event_id: int, data: SlotsCreate, settings: Settings) -> list[SlotOut]:
    """Cut the expert's window into slots inside the Tech Day, around its breaks (201 with the
    new slots); a room or video link sent sets where the expert meets that day (where.py)."""
    event = _tech_day(await event_row(event_id))
    await _expert_row(data.expert_id)
    start, end = as_utc(data.starts_at), as_utc(data.ends_at)
    if end <= start:
        raise ExpertInvalid("ends_at must be after starts_at", code="window_empty")
    if start < event.starts_at or end > event.ends_at:
        raise ExpertInvalid("the window must lie inside the Tech Day", code="window_outside_event")
    cut = cut_slots(start, end, data.minutes, _checked_breaks(data.breaks, start, end))
    if not cut:
        raise ExpertInvalid("the window is shorter than one slot", code="window_too_short")
    if len(cut) > MAX_SLOTS_PER_REQUEST:
        raise ExpertInvalid(f"at most {MAX_SLOTS_PER_REQUEST} slots per request", code="too_many_slots")

    async def attempt() -> list[dict[str, Any]]:
        async with write_transaction():
            await _take_expert_turn(data.expert_id)
            if await ExpertSlot.count().where(ExpertSlot.event == event_id) + len(cut) > MAX_SLOTS_PER_EVENT:
                raise ExpertConflict(f"a Tech Day holds at most {MAX_SLOTS_PER_EVENT} slots", code="too_many_slots")
            overlapping = await ExpertSlot.exists().where(
                (ExpertSlot.expert == data.expert_id) & (ExpertSlot.status == SlotStatus.OPEN)
                & (ExpertSlot.starts_at < end) & (ExpertSlot.ends_at > start)
            )
            if overlapping:
                raise ExpertConflict("the expert has open slots in this window already", code="slots_overlap")
            await where.set_in_transaction(event_id, data.expert_id, _place_sent(data), settings)
            return await ExpertSlot.insert(
                *[ExpertSlot(event=event_id, expert=data.expert_id, starts_at=s, ends_at=e, status=SlotStatus.OPEN) for s, e in cut]
            ).returning(*ExpertSlot.all_columns())

    return [_slot_out(row) for row in await with_retry(attempt)]


# ---------------------------------------------------------------- where the expert meets


def _place_sent(data: SlotsCreate | WhereUpdate) -> dict[str, str | None]:
    """The fields of the place a request sets: with SlotsCreate, the ones given (not null);
    with WhereUpdate, the ones sent (null clears)."""
    skipped = (None, msgspec.UNSET) if isinstance(data, SlotsCreate) else (msgspec.UNSET,)
    sent = {"room": data.room, "video_url": data.video_url}
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in sent.items() if value not in skipped}


def _where_out(event_id: int, expert_id: int, place: where.Where) -> WhereOut:
    return WhereOut(event_id=event_id, expert_id=expert_id, room=place.room, video_url=place.video_url)


async def set_where(event_id: int, expert_id: int, data: WhereUpdate, settings: Settings) -> WhereOut:
    """Set or change where the expert meets at the Tech Day (only the fields sent); a change
    re-sends the invites of their booked meetings there (SEQUENCE raised, as a move does)."""
    _tech_day(await event_row(event_id))
    await _expert_row(expert_id)

    async def attempt() -> where.Where:
        async with write_transaction():
            # One change of the expert's place at a time (PostgreSQL: the expert's row lock, as
            # open_slots takes): each reads the place the one before it wrote, so a room and a
            # link set at once both stay (tests/experts/test_place_races.py).
            await _take_expert_turn(expert_id)
            return await where.set_in_transaction(event_id, expert_id, _place_sent(data), settings)

    return _where_out(event_id, expert_id, await with_retry(attempt))


async def event_places(event_id: int) -> list[WhereOut]:
    """Where each expert meets at the Tech Day (experts with a place set)."""
    _tech_day(await event_row(event_id))
    places = await where.places_of_event(event_id)
    return [_where_out(event_id, expert_id, place) for expert_id, place in sorted(places.items())]


async def event_slots(event_id: int) -> list[SlotOut]:
    await event_row(event_id)
    rows = await ExpertSlot.select().where(ExpertSlot.event == event_id).order_by(ExpertSlot.starts_at).order_by(ExpertSlot.id)
    meetings = {row["active_slot"]: row for row in await ExpertMeeting.select(
        ExpertMeeting.id, ExpertMeeting.active_slot, ExpertMeeting.rsvp, ExpertMeeting.expert_rsvp
    ).where((ExpertMeeting.event == event_id) & ExpertMeeting.active_slot.is_not_null())}
    return [_slot_out(row, meetings.get(row["id"])) for row in rows]


async def close_slot(event_id: int, slot_id: int, settings: Settings) -> SlotOut:
    """Close a slot: nobody can book it; a meeting on it is cancelled (with a CANCEL invite)."""

    async def attempt() -> dict[str, Any]:
        async with write_transaction():
            rows = await ExpertSlot.update({ExpertSlot.status: SlotStatus.CLOSED}).where(
                (ExpertSlot.id == slot_id) & (ExpertSlot.event == event_id)
            ).returning(*ExpertSlot.all_columns())
            if not rows:
                raise ExpertNotFound(f"no slot {slot_id} at event {event_id}")
            for meeting in await ExpertMeeting.select(ExpertMeeting.id).where(
                (ExpertMeeting.slot == slot_id) & (ExpertMeeting.status == MeetingStatus.BOOKED)
            ):
                await cancel_meeting_in_transaction(meeting["id"], settings)
            return rows[0]

    return _slot_out(await with_retry(attempt))


async def move_slot(event_id: int, slot_id: int, data: SlotMove, settings: Settings) -> SlotOut:
    """Move a slot (same length) inside the Tech Day. Whoever booked it keeps it and gets the
    invite again with a higher SEQUENCE (same UID), so their calendar moves the entry; a move
    onto another open slot of the expert, or onto another meeting of the booker, is refused."""
    event = _tech_day(await event_row(event_id))
    owner = await ExpertSlot.select(ExpertSlot.expert).where((ExpertSlot.id == slot_id) & (ExpertSlot.event == event_id)).first()
    if owner is None:
        raise ExpertNotFound(f"no slot {slot_id} at event {event_id}")

    async def attempt() -> dict[str, Any]:
        async with write_transaction():
            # The expert's turn (against opens and other moves), then the slot's own row lock
            # (against a booking of it): the meeting read below is then the one that holds it.
            await _take_expert_turn(owner["expert"])
            slot = await _take_slot_turn(slot_id, event_id)
            start = as_utc(data.starts_at)
            end = start + (as_utc(slot["ends_at"]) - as_utc(slot["starts_at"]))
            if start < event.starts_at or end > event.ends_at:
                raise ExpertInvalid("the slot must lie inside the Tech Day", code="window_outside_event")
            if start <= now_utc():
                raise ExpertInvalid("a slot moves to a time still to come", code="slot_past")
            if await ExpertSlot.exists().where(
                (ExpertSlot.expert == slot["expert"]) & (ExpertSlot.id != slot_id) & (ExpertSlot.status == SlotStatus.OPEN)
                & (ExpertSlot.starts_at < end) & (ExpertSlot.ends_at > start)
            ):
                raise ExpertConflict("the expert has another open slot at that time", code="slots_overlap")
            meeting = await ExpertMeeting.select(ExpertMeeting.id, ExpertMeeting.registration).where(
                (ExpertMeeting.slot == slot_id) & (ExpertMeeting.status == MeetingStatus.BOOKED)).first()
            if meeting is not None and meeting["registration"] is not None:
                await _take_person_turn(meeting["registration"], 0)
                if await ExpertMeeting.exists().where(
                    (ExpertMeeting.registration == meeting["registration"]) & (ExpertMeeting.id != meeting["id"])
                    & ExpertMeeting.status.is_in(list(ACTIVE)) & (ExpertMeeting.slot.starts_at < end) & (ExpertMeeting.slot.ends_at > start)
                ):
                    raise ExpertConflict("the person who booked it has another meeting then", code="overlapping_meeting")
            rows = await ExpertSlot.update({ExpertSlot.starts_at: start, ExpertSlot.ends_at: end}).where(
                ExpertSlot.id == slot_id).returning(*ExpertSlot.all_columns())
            if meeting is not None:
                await invites.reissue(meeting["id"], settings)
            return rows[0]

    return _slot_out(await with_retry(attempt))


async def _rules(event_id: int) -> RulesOut:
    row = await ExpertDayRules.select().where(ExpertDayRules.event == event_id).first()
    if row is None:
        return RulesOut(event_id=event_id, bookings_close_at=None, meetings_per_company_expert=1)
    closes = as_utc(row["bookings_close_at"]) if row["bookings_close_at"] else None
    return RulesOut(event_id=event_id, bookings_close_at=closes, meetings_per_company_expert=row["meetings_per_company_expert"])


async def event_rules(event_id: int) -> RulesOut:
    _tech_day(await event_row(event_id))
    return await _rules(event_id)


async def set_rules(event_id: int, data: RulesUpdate) -> RulesOut:
    _tech_day(await event_row(event_id))
    closes = as_utc(data.bookings_close_at) if data.bookings_close_at else None

    async def attempt() -> None:
        async with write_transaction():
            await ExpertDayRules.insert(ExpertDayRules(event=event_id)).on_conflict(action="DO NOTHING")
            await ExpertDayRules.update(
                {ExpertDayRules.bookings_close_at: closes, ExpertDayRules.meetings_per_company_expert: data.meetings_per_company_expert}
            ).where(ExpertDayRules.event == event_id)

    await with_retry(attempt)
    return await _rules(event_id)


async def public_slots(event_id: int) -> list[PublicSlot]:
    """Free slots of a published Tech Day still to come: expert name and topics, never the email."""
    event = await _published_tech_day(event_id)
    return [_public_slot(row) for row in await _free_slot_rows(event.id)]


async def _published_tech_day(event_id: int) -> EventRecord:
    event = await event_row(event_id)
    if event.status != EventStatus.PUBLISHED or event.kind != EventKind.TECH_DAY:
        raise ExpertNotFound(f"no published Tech Day with id {event_id}")
    return event


async def _free_slot_rows(event_id: int) -> list[dict[str, Any]]:
    """The Tech Day's open slots still to come that no meeting holds, in time order: each slot's
    row with its expert's name and topics (expert_name, expert_topics)."""
    rows = await ExpertSlot.select(
        *ExpertSlot.all_columns(),
        ExpertSlot.expert.name.as_alias("expert_name"), ExpertSlot.expert.topics.as_alias("expert_topics"),
    ).where(
        (ExpertSlot.event == event_id) & (ExpertSlot.status == SlotStatus.OPEN) & (ExpertSlot.starts_at > now_utc())
    ).order_by(ExpertSlot.starts_at).order_by(ExpertSlot.id).output(load_json=True)
    taken = {row["active_slot"] for row in await ExpertMeeting.select(ExpertMeeting.active_slot).where(
        (ExpertMeeting.event == event_id) & ExpertMeeting.active_slot.is_not_null())}
    return [row for row in rows if row["id"] not in taken]


def _public_slot(row: dict[str, Any]) -> PublicSlot:
    return PublicSlot(id=row["id"], expert=PublicExpert(name=row["expert_name"], topics=_json_list(row["expert_topics"])),
                      starts_at=as_utc(row["starts_at"]), ends_at=as_utc(row["ends_at"]))


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):  # a joined JSON column is not always decoded by load_json
        import json

        value = json.loads(value)
    return list(value or [])


# ---------------------------------------------------------------- booking


def meeting_token(settings: Settings, meeting_id: int, nonce: str) -> str:
    return token_for(settings, "meeting", meeting_id, nonce)


def company_day_key(expert_id: int, company_id: int, starts_at: datetime, timezone: str) -> str:
    """The counter of one company's meetings with one expert on one day (the event's local date)."""
    return f"{expert_id}:{company_id}:{starts_at.astimezone(ZoneInfo(timezone)).date().isoformat()}"


async def _slot_for(registration: RegistrationRecord, slot_id: int) -> dict[str, Any]:
    """The slot, if it belongs to the registration's event: a slot of another event is unknown here."""
    row = await ExpertSlot.select().where((ExpertSlot.id == slot_id) & (ExpertSlot.event == registration.event)).first()
    if row is None:
        raise ExpertNotFound(f"no slot {slot_id} at this event")
    return row


def _check_bookable(registration: RegistrationRecord, event: EventRecord, slot: dict[str, Any], rules: RulesOut) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ExpertConflict("only a confirmed registrant may book a meeting", code="not_confirmed")
    if event.kind != EventKind.TECH_DAY or event.status != EventStatus.PUBLISHED:
        raise ExpertConflict("meetings are booked at published Tech Days only", code="not_tech_day")
    if slot["status"] != SlotStatus.OPEN:
        raise ExpertConflict("this slot is closed", code="slot_closed")
    now, starts = now_utc(), as_utc(slot["starts_at"])
    if starts <= now:
        raise ExpertConflict("this slot has begun or passed", code="slot_past")
    if now >= (rules.bookings_close_at or starts):
        raise ExpertConflict("bookings for this Tech Day are closed", code="bookings_closed")


def times_overlap(starts: Any, ends: Any, other_starts: Any, other_ends: Any) -> Any:
    """The one rule of "at the same time": each begins before the other ends. Written with
    `<`, `>` and `&` only, so it reads datetimes (a bool) and Piccolo columns (a condition for
    the booking's transaction) alike."""
    return (other_starts < ends) & (other_ends > starts)


def below_company_cap(taken: Any, rules: RulesOut) -> Any:
    """A company may book one more meeting with an expert that day: an int (a bool) or the
    counter's column (the conditional UPDATE's condition)."""
    return taken < rules.meetings_per_company_expert


async def book(settings: Settings, token: str, data: MeetingCreate) -> MeetingBooked:
    """201 with the meeting; 409 for a slot taken meanwhile, a meeting at the same time, the
    company's cap, or closed bookings (see the module's rules)."""
    registration = await registration_by_token(settings, token)
    slot = await _slot_for(registration, data.slot_id)
    event = await event_row(registration.event)
    rules = await _rules(event.id)
    _check_bookable(registration, event, slot, rules)
    expert = await _expert_row(slot["expert"])
    topic = data.topic.strip()

    async def attempt() -> tuple[int, str]:
        async with write_transaction():
            return await _book_in_transaction(registration, event, slot, expert, rules, topic, settings)

    try:
        meeting_id, nonce = await with_retry(attempt)
    except Exception as error:
        if is_unique_violation(error):  # another booking holds the slot (committed first)
            raise ExpertConflict("this slot was booked meanwhile", code="slot_taken") from None
        raise
    place = await where.where_of(event.id, expert["id"])
    return MeetingBooked(
        id=meeting_id, slot=_meeting_slot(slot, expert), manage_token=meeting_token(settings, meeting_id, nonce), topic=topic,
        room=place.room, video_url=place.video_url,
    )


def refusal_of(
    registration: RegistrationRecord, event: EventRecord, slot: dict[str, Any], rules: RulesOut,
    held: Sequence[tuple[datetime, datetime]], company_taken: dict[str, int],
) -> str | None:
    """Why `book` would refuse this free slot now (its code), or None: the same rules, read
    from what the person holds (`held`: their active meetings' times) and their company's
    counters (`company_taken` by company_day_key), for a page that offers only what is
    bookable. The booking's transaction still decides: this is a read, not a hold."""
    try:
        _check_bookable(registration, event, slot, rules)
    except ExpertConflict as refusal:
        return refusal.code
    starts, ends = as_utc(slot["starts_at"]), as_utc(slot["ends_at"])
    if any(times_overlap(starts, ends, other_starts, other_ends) for other_starts, other_ends in held):
        return "overlapping_meeting"
    if registration.company is not None:
        key = company_day_key(slot["expert"], registration.company, starts, event.timezone)
        if not below_company_cap(company_taken.get(key, 0), rules):
            return "company_limit"
    return None


@dataclass(frozen=True)
class SlotOffer:
    """The free slots a registrant may book now, and whether bookings have closed meanwhile."""

    slots: list[PublicSlot]
    bookings_closed: bool = False


async def slots_bookable_by(settings: Settings, token: str) -> SlotOffer:
    """The Tech Day's free slots (public_slots) less those `refusal_of` refuses to this
    registrant: overlapping a meeting they hold, an expert their company has reached its
    per-day cap with, closed bookings. 404 (ExpertNotFound) when the Tech Day is not published."""
    registration = await registration_by_token(settings, token)
    event = await _published_tech_day(registration.event)
    rules = await _rules(event.id)
    free = await _free_slot_rows(event.id)
    held = [(as_utc(row["starts_at"]), as_utc(row["ends_at"])) for row in await ExpertMeeting.select(
        ExpertMeeting.slot.starts_at.as_alias("starts_at"), ExpertMeeting.slot.ends_at.as_alias("ends_at"),
    ).where((ExpertMeeting.registration == registration.id) & ExpertMeeting.status.is_in(list(ACTIVE)))]
    company_taken: dict[str, int] = {}
    if registration.company is not None:
        keys = sorted({company_day_key(row["expert"], registration.company, as_utc(row["starts_at"]), event.timezone)
                       for row in free})
        company_taken = {row["key"]: row["taken"] for row in await ExpertCompanyDay.select(
            ExpertCompanyDay.key, ExpertCompanyDay.taken).where(ExpertCompanyDay.key.is_in(keys or [""]))}
    refusals = {row["id"]: refusal_of(registration, event, row, rules, held, company_taken) for row in free}
    return SlotOffer(slots=[_public_slot(row) for row in free if refusals[row["id"]] is None],
                     bookings_closed="bookings_closed" in refusals.values())


def _meeting_slot(slot: dict[str, Any], expert: dict[str, Any]) -> MeetingSlot:
    return MeetingSlot(id=slot["id"], expert=PublicExpert(name=expert["name"], topics=_json_list(expert["topics"])),
                       starts_at=as_utc(slot["starts_at"]), ends_at=as_utc(slot["ends_at"]))


async def _take_expert_turn(expert_id: int) -> None:
    """Update the expert's row first (a change to nothing): on PostgreSQL its row lock makes
    the openings and moves of one expert's slots take turns, so the overlap check of each sees
    every window committed before it. Without it, two organisers opening overlapping windows
    at once both found none and both inserted."""
    if not await run_sql('UPDATE "expert" SET "name" = "name" WHERE "id" = {} RETURNING "id"', expert_id):
        raise ExpertNotFound(f"no expert with id {expert_id}")


async def _take_slot_turn(slot_id: int, event_id: int) -> dict[str, Any]:
    """The slot as it is now, its row locked until the transaction ends (a change to nothing)."""
    if not await run_sql('UPDATE "expert_slot" SET "status" = "status" WHERE "id" = {} AND "event" = {} RETURNING "id"',
                         slot_id, event_id):
        raise ExpertNotFound(f"no slot {slot_id} at event {event_id}")
    return await ExpertSlot.select().where(ExpertSlot.id == slot_id).first()


async def _take_person_turn(registration_id: int, change: int) -> None:
    """Update the person's booker row first: on PostgreSQL its row lock makes one person's
    bookings and cancellations take turns, so the overlap check sees every earlier one."""
    await ExpertBooker.insert(ExpertBooker(registration=registration_id, meetings=0)).on_conflict(action="DO NOTHING")
    await ExpertBooker.update({ExpertBooker.meetings: ExpertBooker.meetings + change}).where(ExpertBooker.registration == registration_id)


async def _book_in_transaction(
    registration: RegistrationRecord, event: EventRecord, slot: dict[str, Any], expert: dict[str, Any], rules: RulesOut, topic: str,
    settings: Settings,
) -> tuple[int, str]:
    await _take_person_turn(registration.id, +1)
    # Still open (and locked against a concurrent close or move until this commits); its times
    # as they are now, should a move have committed since the slot was read.
    held = await ExpertSlot.update({ExpertSlot.status: SlotStatus.OPEN}).where(
        (ExpertSlot.id == slot["id"]) & (ExpertSlot.status == SlotStatus.OPEN)
    ).returning(ExpertSlot.starts_at, ExpertSlot.ends_at)
    if not held:
        raise ExpertConflict("this slot is closed", code="slot_closed")
    slot.update(held[0])
    starts, ends = as_utc(slot["starts_at"]), as_utc(slot["ends_at"])
    if await ExpertMeeting.exists().where(
        (ExpertMeeting.registration == registration.id) & ExpertMeeting.status.is_in(list(ACTIVE))
        & times_overlap(starts, ends, ExpertMeeting.slot.starts_at, ExpertMeeting.slot.ends_at)
    ):
        raise ExpertConflict("you hold a meeting at this time already", code="overlapping_meeting")
    if registration.company is not None:
        key = company_day_key(expert["id"], registration.company, starts, event.timezone)
        await ExpertCompanyDay.insert(ExpertCompanyDay(key=key, taken=0)).on_conflict(action="DO NOTHING")
        if not await ExpertCompanyDay.update({ExpertCompanyDay.taken: ExpertCompanyDay.taken + 1}).where(
            (ExpertCompanyDay.key == key) & below_company_cap(ExpertCompanyDay.taken, rules)
        ).returning(ExpertCompanyDay.id):
            raise ExpertConflict("your company holds its meetings with this expert for the day", code="company_limit")
    nonce = new_nonce()
    rows = await ExpertMeeting.insert(
        ExpertMeeting(slot=slot["id"], event=event.id, expert=expert["id"], registration=registration.id, company=registration.company,
                      topic=topic, status=MeetingStatus.BOOKED, active_slot=slot["id"], token_nonce=nonce,
                      uid=f"meeting-{secrets.token_hex(12)}@{settings.host}", sequence=0)
    ).returning(ExpertMeeting.id)
    await invites.queue_invites(rows[0]["id"], settings, method="REQUEST")
    return rows[0]["id"], nonce


# ---------------------------------------------------------------- cancelling


async def cancel_meeting_in_transaction(meeting_id: int, settings: Settings) -> bool:
    """Cancel a booked meeting in the caller's write transaction: the slot is free at once, the
    person's and company's counts go down, both sides get a CANCEL. False when not booked.
    Also the registrant's Decline read from the reply mailbox (invite_answers.py)."""
    meeting = await ExpertMeeting.select().where(ExpertMeeting.id == meeting_id).first()
    if meeting is None or meeting["status"] != MeetingStatus.BOOKED:
        return False
    if meeting["registration"] is not None:
        await _take_person_turn(meeting["registration"], 0)
    changed = await ExpertMeeting.update(
        {ExpertMeeting.status: MeetingStatus.CANCELLED, ExpertMeeting.active_slot: None, ExpertMeeting.cancelled_at: now_utc(),
         ExpertMeeting.sequence: ExpertMeeting.sequence + 1}
    ).where((ExpertMeeting.id == meeting_id) & (ExpertMeeting.status == MeetingStatus.BOOKED)).returning(ExpertMeeting.id)
    if not changed:
        return False
    if meeting["registration"] is not None:
        await ExpertBooker.update({ExpertBooker.meetings: ExpertBooker.meetings - 1}).where(
            ExpertBooker.registration == meeting["registration"])
    if meeting["company"] is not None:
        slot = await ExpertSlot.select(ExpertSlot.starts_at, ExpertSlot.event.timezone.as_alias("tz")).where(
            ExpertSlot.id == meeting["slot"]).first()
        key = company_day_key(meeting["expert"], meeting["company"], as_utc(slot["starts_at"]), slot["tz"])
        await ExpertCompanyDay.update({ExpertCompanyDay.taken: ExpertCompanyDay.taken - 1}).where(
            (ExpertCompanyDay.key == key) & (ExpertCompanyDay.taken > 0))
    await invites.queue_invites(meeting_id, settings, method="CANCEL")
    return True


async def _meeting_by_token(settings: Settings, token: str) -> dict[str, Any]:
    parsed = read_token(settings.verification_keys, "meeting", token)
    row = None
    if parsed is not None:
        row = await ExpertMeeting.select().where(ExpertMeeting.id == parsed[0]).first()
    if row is None or parsed is None or not nonce_matches(row["token_nonce"], parsed[1]):
        raise ExpertNotFound("no meeting for this link; it may have been mistyped or replaced")
    return row


async def cancel_by_token(settings: Settings, token: str) -> MeetingOut:
    """Cancel by the meeting's own token (idempotent: cancelling again changes nothing)."""
    meeting = await _meeting_by_token(settings, token)
    await _cancel_unless_over(meeting, settings)
    return await meeting_out(meeting["id"])


async def _cancel_unless_over(meeting: dict[str, Any], settings: Settings) -> bool:
    """Cancel in a transaction of its own: True when this cancelled it, False when it was
    cancelled already; 409 for one that took place (held or missed)."""
    if meeting["status"] in (MeetingStatus.HELD, MeetingStatus.MISSED):
        raise ExpertConflict("this meeting has taken place", code="meeting_over")

    async def attempt() -> bool:
        async with write_transaction():
            return await cancel_meeting_in_transaction(meeting["id"], settings)

    return await with_retry(attempt)


async def cancel_meetings_of_registration(registration_id: int, settings: Settings) -> int:
    """The registration was cancelled (by its person, an organiser, the event or an erasure):
    its booked meetings go too, in the same transaction (registrations/cancel_hooks.py)."""
    rows = await ExpertMeeting.select(ExpertMeeting.id).where(
        (ExpertMeeting.registration == registration_id) & (ExpertMeeting.status == MeetingStatus.BOOKED)
    ).order_by(ExpertMeeting.id)
    cancelled = 0
    for row in rows:
        cancelled += await cancel_meeting_in_transaction(row["id"], settings)
    return cancelled


# ---------------------------------------------------------------- held or missed


async def meeting_out(meeting_id: int) -> MeetingOut:
    row = await ExpertMeeting.select(
        *ExpertMeeting.all_columns(), ExpertMeeting.slot.starts_at.as_alias("starts_at"), ExpertMeeting.slot.ends_at.as_alias("ends_at")
    ).where(ExpertMeeting.id == meeting_id).first()
    if row is None:
        raise ExpertNotFound(f"no meeting with id {meeting_id}")
    return MeetingOut(id=row["id"], event_id=row["event"], slot_id=row["slot"], expert_id=row["expert"],
                      registration_id=row["registration"], company_id=row["company"], topic=row["topic"],
                      status=MeetingStatus(row["status"]), starts_at=as_utc(row["starts_at"]), ends_at=as_utc(row["ends_at"]))


async def _hold(meeting_id: int, now: datetime) -> bool:
    """Booked (or marked missed by mistake) becomes held, once: of two scans at the same moment
    one conditional UPDATE wins, the other finds it held at the first scan's time."""

    async def attempt() -> bool:
        async with write_transaction():
            return bool(await ExpertMeeting.update({ExpertMeeting.status: MeetingStatus.HELD, ExpertMeeting.held_at: now}).where(
                (ExpertMeeting.id == meeting_id) & ExpertMeeting.status.is_in([MeetingStatus.BOOKED, MeetingStatus.MISSED])
            ).returning(ExpertMeeting.id))

    return await with_retry(attempt)


async def check_in_meeting(event_id: int, code: str, settings: Settings) -> MeetingAtDoor | None:
    """The door's check-in of a meeting code (attendance/door_codes.py): None when the code is
    no meeting code; 404 for a meeting of another event (nothing about it is told), 409 for a
    cancelled one; idempotent like a registration's check-in."""
    parsed = read_token(settings.verification_keys, "meeting_checkin", code)
    if parsed is None:
        return None
    row = await ExpertMeeting.select(ExpertMeeting.id, ExpertMeeting.event, ExpertMeeting.token_nonce).where(
        ExpertMeeting.id == parsed[0]).first()
    if row is None or not nonce_matches(row["token_nonce"], parsed[1]) or row["event"] != event_id:
        raise ExpertNotFound("no meeting with this code at this event")
    newly = await _hold(row["id"], now_utc())
    now = await ExpertMeeting.select(ExpertMeeting.status, ExpertMeeting.held_at, ExpertMeeting.registration).where(
        ExpertMeeting.id == row["id"]).first()
    if now["status"] != MeetingStatus.HELD:
        raise ExpertConflict("this meeting was cancelled", code="meeting_cancelled")
    if now["registration"] is None:
        raise ExpertNotFound("no meeting with this code at this event")  # its person was erased since
    return MeetingAtDoor(registration_id=now["registration"], meeting_id=row["id"], already_held=not newly,
                         held_at=as_utc(now["held_at"]))


async def set_status(meeting_id: int, status: MeetingStatus) -> MeetingOut:
    """Mark a meeting held or missed (at the door or afterwards); a cancelled one stays cancelled."""
    if status not in (MeetingStatus.HELD, MeetingStatus.MISSED):
        raise ExpertInvalid("a meeting is marked held or missed here; cancel it by its link", code="status_not_allowed")
    if status == MeetingStatus.HELD and await _hold(meeting_id, now_utc()):
        return await meeting_out(meeting_id)
    changes: dict[Any, Any] = {ExpertMeeting.status: status}
    if status == MeetingStatus.MISSED:
        changes[ExpertMeeting.held_at] = None
    changed = await ExpertMeeting.update(changes).where(
        (ExpertMeeting.id == meeting_id) & ExpertMeeting.status.is_in([MeetingStatus.BOOKED, MeetingStatus.HELD, MeetingStatus.MISSED])
    ).returning(ExpertMeeting.id)
    if not changed:
        await meeting_out(meeting_id)  # 404 for an unknown one
        raise ExpertConflict("a cancelled meeting cannot be marked held or missed", code="meeting_cancelled")
    return await meeting_out(meeting_id)


async def held_count(company_id: int) -> int:
    """Held meetings of the company's people (the company's engagement)."""
    return await ExpertMeeting.count().where((ExpertMeeting.company == company_id) & (ExpertMeeting.status == MeetingStatus.HELD))


async def held_meetings(start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    """Held meetings whose slot starts in [start, end), with their company (reports/experts.py)."""
    condition = (ExpertMeeting.status == MeetingStatus.HELD) & ExpertMeeting.company.is_not_null()
    if start is not None:
        condition &= ExpertMeeting.slot.starts_at >= as_utc(start)
    if end is not None:
        condition &= ExpertMeeting.slot.starts_at < as_utc(end)
    meetings = await ExpertMeeting.select(
        ExpertMeeting.id, ExpertMeeting.event, ExpertMeeting.company, ExpertMeeting.slot.starts_at.as_alias("starts_at")
    ).where(condition).order_by(ExpertMeeting.id)
    companies = {row["id"]: row for row in await Company.select(
        Company.id, Company.name, Company.vat_id, Company.country, Company.region, Company.size_class
    ).where(Company.id.is_in([m["company"] for m in meetings] or [0]))}
    return [{**m, "starts_at": as_utc(m["starts_at"]), "company_row": companies[m["company"]]} for m in meetings if m["company"] in companies]


async def meetings_for_registration(settings: Settings, registration_id: int) -> list[MeetingBooked]:
    """The registrant's active meetings, for their manage page (each with its own cancel token)."""
    rows = await ExpertMeeting.select(
        ExpertMeeting.id, ExpertMeeting.slot, ExpertMeeting.topic, ExpertMeeting.status, ExpertMeeting.token_nonce,
        ExpertMeeting.slot.starts_at.as_alias("starts_at"), ExpertMeeting.slot.ends_at.as_alias("ends_at"),
        ExpertMeeting.expert.name.as_alias("expert_name"), ExpertMeeting.expert.topics.as_alias("expert_topics"),
        ExpertMeeting.event, ExpertMeeting.expert,
    ).where((ExpertMeeting.registration == registration_id) & ExpertMeeting.status.is_in(list(ACTIVE))).order_by(ExpertMeeting.id)
    places = {(row["event"], row["expert"]): row for row in await ExpertDay.select().where(
        ExpertDay.event.is_in(sorted({row["event"] for row in rows}) or [0]))}
    return [
        MeetingBooked(
            id=row["id"],
            slot=MeetingSlot(id=row["slot"], expert=PublicExpert(name=row["expert_name"], topics=_json_list(row["expert_topics"])),
                             starts_at=as_utc(row["starts_at"]), ends_at=as_utc(row["ends_at"])),
            manage_token=meeting_token(settings, row["id"], row["token_nonce"]), status=MeetingStatus(row["status"]), topic=row["topic"],
            room=places.get((row["event"], row["expert"]), {}).get("room"),
            video_url=places.get((row["event"], row["expert"]), {}).get("video_url"),
        )
        for row in rows
    ]


async def meetings_by_registration_token(settings: Settings, token: str) -> list[MeetingBooked]:
    registration = await registration_by_token(settings, token)
    return await meetings_for_registration(settings, registration.id)


async def _own_meeting(settings: Settings, token: str, meeting_token: str) -> dict[str, Any]:
    """The meeting `meeting_token` names, in any status, if it is a meeting of the registration
    `token` names; another person's (or a mistyped token) is unknown here: 404."""
    registration = await registration_by_token(settings, token)
    meeting = await _meeting_by_token(settings, meeting_token)
    if meeting["registration"] != registration.id:
        raise ExpertNotFound("no meeting for this link; it may have been mistyped or cancelled")
    return meeting


async def cancel_registrant_meeting(settings: Settings, token: str, meeting_token: str) -> bool:
    """Cancel the registrant's own meeting from their manage page: True when this cancelled it,
    False when it was cancelled already (the form sent twice, or two at once: one cancels).
    Someone else's meeting: 404, nothing changed; one that took place: 409."""
    return await _cancel_unless_over(await _own_meeting(settings, token, meeting_token), settings)


async def registrant_meeting(settings: Settings, token: str, meeting_token: str) -> MeetingBooked | None:
    """One active meeting of the registration `token` names, by its own token; None when it is
    their own meeting cancelled already. A meeting of someone else (or one no longer active) is
    unknown here, so a manage page only ever shows and cancels its own person's meetings."""
    meeting = await _own_meeting(settings, token, meeting_token)
    if meeting["status"] == MeetingStatus.CANCELLED:
        return None
    for held in await meetings_for_registration(settings, meeting["registration"]):
        if held.id == meeting["id"]:
            return held
    raise ExpertNotFound("no meeting for this link; it may have been mistyped or cancelled")
