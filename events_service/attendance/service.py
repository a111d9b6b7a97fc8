"""Attendance: who came and for how long, from QR check-in at the door and from the webinar
platform's participant report; and, once an event is over, the follow-up emails.

A registration counts as attended when it was checked in, or when its minutes in the webinar
(the union of its intervals, overlaps counted once) reach the event's
`attendance_threshold_percent` of the event's length. Minutes come from platform reports
only: a check-in says someone came, not how long they stayed.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from piccolo.querystring import QueryString

from events_service.attendance import door_codes, messages
from events_service.attendance.parsers import (
    Interval,
    LeftOut,
    LeftOutReason,
    ParsedReport,
    Participant,
    ReportFormatError,
    merged_minutes,
    normalise_name,
    parse_report,
)
from events_service.attendance.schemas import (
    AttendanceImportResult,
    CheckinResult,
    FinaliseResult,
    FollowUpOut,
    FollowUpPatch,
    LeftOutRows,
    ReportPlatform,
    UnmatchedParticipant,
    WalkInCreate,
    WalkInResult,
)
from events_service.attendance.tables import AttendanceInterval
from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.db import is_unique_violation, with_retry, write_transaction
from events_service.errors import Conflict, DomainError, Invalid, NotFound
from events_service.events.queries import event_row
from events_service.events.records import EventRecord, EventStatus
from events_service.events.tables import Event
from events_service.registrations import service as registrations
from events_service.registrations.errors import RegistrationNotFound
from events_service.registrations.links import registration_by_token
from events_service.registrations.records import (
    AttendanceSource,
    CancelledBy,
    RegistrationRecord,
    RegistrationStatus,
)
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.webhooks import outbox as webhooks
from events_service.webhooks.schemas import EventType

#: The largest report accepted; real exports of a 1,000-person webinar are well under 1 MB.
MAX_REPORT_BYTES = 10 * 1024 * 1024
#: The automatic follow-up waits this long after an event ends, so organisers can import the
#: webinar report first; and it leaves alone events that ended longer ago than the window
#: (a first deployment must not thank the attendees of last year's events).
FOLLOW_UP_DELAY = timedelta(hours=24)
FOLLOW_UP_WINDOW = timedelta(days=14)
#: A report whose times all lie this far outside the event is the report of another event.
REPORT_SLACK = timedelta(hours=12)
ERASED_DOMAIN = "@erased.invalid"


class AttendanceError(DomainError):
    pass


class AttendanceNotFound(AttendanceError, NotFound):
    pass


class AttendanceConflict(AttendanceError, Conflict):
    pass


class InvalidReport(AttendanceError, Invalid):
    pass


class ReportTooLarge(AttendanceError):
    status_code = 413


# ---------------------------------------------------------------- check-in

# The source columns say where attendance came from (AttendanceSource): the door, a report or both.
_SOURCE_AFTER_CHECKIN = QueryString(
    f"CASE WHEN attendance_source LIKE '%{AttendanceSource.IMPORTED}%' THEN '{AttendanceSource.CHECKIN_AND_IMPORT}' "
    f"ELSE '{AttendanceSource.CHECKIN}' END"
)


async def _registration_for_code(code: str, settings: Settings) -> RegistrationRecord:
    """The QR code carries the check-in token; a registrant may also show the manage link."""
    for purpose in ("checkin", "manage"):
        try:
            return await registration_by_token(settings, code.strip(), purpose)  # type: ignore[arg-type]
        except RegistrationNotFound:
            continue
    raise AttendanceNotFound("unknown check-in code: it is not a code of this programme, or it has been replaced")


async def _checkin_result(registration_id: int, already: bool) -> CheckinResult:
    row = await (
        Registration.select(
            Registration.id,
            Registration.event,
            Registration.checked_in_at,
            Registration.checked_in_by,
            Registration.attendance_mode,
            Registration.walk_in,
            Registration.first_name,
            Registration.last_name,
            Registration.company.name.as_alias("company_name"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    return CheckinResult(
        registration_id=row["id"],
        event_id=row["event"],
        already_checked_in=already,
        checked_in_at=row["checked_in_at"],
        checked_in_by=row["checked_in_by"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        company=row["company_name"],
        attendance_mode=row["attendance_mode"],
        walk_in=row["walk_in"],
    )


async def _meeting_result(meeting: door_codes.HeldAtDoor) -> CheckinResult:
    """The person the meeting is with, and the meeting's own held time."""
    person = await _checkin_result(meeting.registration_id, already=meeting.already_held)
    return msgspec.structs.replace(person, checked_in_at=meeting.held_at, checked_in_by=None, meeting_id=meeting.meeting_id)


async def _mark_present(registration_id: int, organiser_id: int | None, now: datetime) -> CheckinResult:
    """One conditional UPDATE: of two scans of the same code at the same moment exactly one
    checks the person in; the other finds them checked in, at the first scan's time. The
    check-in's webhook is written in the same transaction."""
    async with write_transaction():
        updated = await _set_present(registration_id, organiser_id, now)
        if updated:
            await audit.record(Entity.REGISTRATION, registration_id, Action.CHECKED_IN, {"checked_in_at": now.isoformat()})
            await webhooks.emit(
                EventType.CHECKIN_CREATED,
                {"registration_id": registration_id, "event_id": updated[0]["event"], "checked_in_at": now.isoformat()},
            )
    result = await _checkin_result(registration_id, already=not updated)
    if not updated and result.checked_in_at is None:
        raise AttendanceConflict("this registration is no longer confirmed (it was cancelled a moment ago)")
    return result


async def _set_present(registration_id: int, organiser_id: int | None, now: datetime) -> list[dict[str, Any]]:
    return await (
        Registration.update(
            {
                Registration.updated_at: now_utc(),
                Registration.checked_in_at: now,
                Registration.checked_in_by: organiser_id,
                Registration.attended: True,
                Registration.attendance_source: _SOURCE_AFTER_CHECKIN,
            }
        )
        .where(
            (Registration.id == registration_id)
            & Registration.checked_in_at.is_null()
            & (Registration.status == RegistrationStatus.CONFIRMED)
        )
        .returning(Registration.id, Registration.event)
    )


def _refuse_unseated(registration: RegistrationRecord) -> None:
    if registration.status == RegistrationStatus.CANCELLED:
        how = ["this registration was cancelled"]
        by = {CancelledBy.REGISTRANT: "by the registrant", CancelledBy.ORGANISER: "by an organiser", CancelledBy.EVENT: "with the event"}
        if registration.cancelled_by in by:
            how.append(by[registration.cancelled_by])
        if registration.cancelled_at:
            how.append(f"on {registration.cancelled_at:%Y-%m-%d %H:%M} UTC")
        raise AttendanceConflict(" ".join(how) + "; an organiser can let them in as a walk-in")
    if registration.status == RegistrationStatus.WAITLISTED:
        raise AttendanceConflict(
            "this person is on the waitlist and holds no seat; an organiser can let them in as a walk-in"
        )


async def check_in(event_id: int, code: str, organiser_id: int | None, settings: Settings, now: datetime | None = None) -> CheckinResult:
    """Check in the holder of a check-in (or manage) code at the door of event `event_id`.
    Idempotent: a second scan answers `already_checked_in` with the first scan's time."""
    await event_row(event_id)
    try:
        registration = await _registration_for_code(code, settings)
    except AttendanceNotFound:
        meeting = await door_codes.read_door_code(event_id, code.strip(), settings)
        if meeting is None:
            raise
        return await _meeting_result(meeting)
    if registration.event != event_id:
        other = await Event.select(Event.title, Event.starts_at).where(Event.id == registration.event).first()
        what = f"“{other['title']}” of {other['starts_at']:%Y-%m-%d}" if other else f"event {registration.event}"
        raise AttendanceConflict(f"this code is for another event: {what}")
    _refuse_unseated(registration)
    return await _mark_present(registration.id, organiser_id, now or now_utc())


async def walk_in(event_id: int, data: WalkInCreate, organiser_id: int | None) -> WalkInResult:
    """Record someone who came without a seat (see registrations.service.register_walk_in),
    checked in at once, in one transaction."""

    async def attempt() -> WalkInResult:
        async with write_transaction():
            registration_id, outcome = await registrations.register_walk_in(
                event_id,
                email=data.email,
                first_name=data.first_name,
                last_name=data.last_name,
                company=data.company,
                language=data.language,
            )
            checkin = await _mark_present(registration_id, organiser_id, now_utc())
            return WalkInResult(outcome=outcome, checkin=checkin)  # type: ignore[arg-type]

    try:
        return await with_retry(attempt)
    except Exception as error:
        if not is_unique_violation(error):
            raise
    # The same person entered at two desks at once: the other one created them; find them.
    return await with_retry(attempt)


# ---------------------------------------------------------------- importing a platform report


def name_key(name: str) -> str:
    """Names compare casefolded, apostrophes made plain, accents kept, whitespace collapsed."""
    return normalise_name(name)


def participant_key(participant: Participant) -> str:
    return (participant.email or "name:" + name_key(participant.name))[:320]


@dataclass
class _Candidate:
    id: int
    email: str
    names: set[str]


def _candidate_names(first: str, last: str) -> set[str]:
    """"Ada Rossi", and the "Rossi, Ada" that Zoom shows for some accounts."""
    first, last = name_key(first), name_key(last)
    if not (first and last):
        return set()  # an erased contact has no name left to match
    return {f"{first} {last}", f"{last}, {first}"}


async def _candidates(event_id: int) -> list[_Candidate]:
    rows = await Registration.select(
        Registration.id,
        Registration.contact.email.as_alias("email"),
        Registration.first_name,
        Registration.last_name,
    ).where((Registration.event == event_id) & (Registration.status != RegistrationStatus.CANCELLED))
    return [_Candidate(row["id"], row["email"].lower(), _candidate_names(row["first_name"], row["last_name"])) for row in rows]


def match_participants(participants: Sequence[Participant], candidates: Sequence[_Candidate]) -> list[int | None]:
    """The registration each participant is, or None: by e-mail first; then by name, only when
    exactly one registration (not already claimed by e-mail in this report) bears it and only
    one unmatched participant does."""
    by_email = {candidate.email: candidate.id for candidate in candidates}
    matches: list[int | None] = [by_email.get(p.email) if p.email else None for p in participants]
    claimed = {match for match in matches if match is not None}
    by_name: dict[str, set[int]] = defaultdict(set)
    for candidate in candidates:
        if candidate.id not in claimed:
            for name in candidate.names:
                by_name[name].add(candidate.id)
    unmatched_names = Counter(name_key(p.name) for p, match in zip(participants, matches, strict=True) if match is None)
    for index, participant in enumerate(participants):
        if matches[index] is not None:
            continue
        key = name_key(participant.name)
        owners = by_name.get(key, set())
        if len(owners) == 1 and unmatched_names[key] == 1:
            matches[index] = next(iter(owners))
    return matches


def _check_report_day(event: EventRecord, participants: Iterable[Participant]) -> None:
    intervals = [interval for p in participants for interval in p.intervals]
    if not intervals:
        return
    first = min(i.joined for i in intervals)
    last = max(i.left for i in intervals)
    if last < event.starts_at - REPORT_SLACK or first > event.ends_at + REPORT_SLACK:
        raise InvalidReport(
            f"this report covers {first:%Y-%m-%d %H:%M}–{last:%H:%M} UTC, but the event runs "
            f"{event.starts_at:%Y-%m-%d %H:%M}–{event.ends_at:%H:%M} UTC: is it the report of another event?"
        )


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _store_intervals(event_id: int, platform: str, participants: Sequence[Participant], matches: Sequence[int | None]) -> int:
    """Insert every interval; one already stored (same person, same join and leave) is skipped
    by the unique index, so importing a report twice adds nothing."""
    now = now_utc()
    rows = [
        (
            event_id,
            registration_id,
            participant_key(participant),
            participant.name[:200],
            participant.email[:320] if participant.email else None,
            platform,
            interval.joined,
            interval.left,
            now,
        )
        for participant, registration_id in zip(participants, matches, strict=True)
        for interval in _distinct(participant.intervals)
    ]
    # One multi-row INSERT per 500 intervals; building 5,000 Table objects for Piccolo's
    # insert() cost three times as much as the rest of an import.
    added = 0
    for chunk in _chunks(rows, 500):
        values = ", ".join([_INTERVAL_PLACEHOLDERS] * len(chunk))
        inserted = await AttendanceInterval.raw(
            f"INSERT INTO attendance_interval {_INTERVAL_COLUMNS} VALUES {values} ON CONFLICT DO NOTHING RETURNING id",
            *[value for row in chunk for value in row],
        )
        added += len(inserted)
    return added


_INTERVAL_COLUMNS = '("event", "registration", "participant_key", "name", "email", "platform", "joined_at", "left_at", "imported_at")'
_INTERVAL_PLACEHOLDERS = "(" + ", ".join(["{}"] * 9) + ")"


def _distinct(intervals: Iterable[Interval]) -> list[Interval]:
    return list(dict.fromkeys(intervals))


async def _link_earlier_intervals(event_id: int, participants: Sequence[Participant], matches: Sequence[int | None]) -> None:
    """Intervals stored unmatched by an earlier import, of a person this report matched (e.g.
    registered since, or named differently there): link them now."""
    rows = await AttendanceInterval.select(AttendanceInterval.participant_key).where(
        (AttendanceInterval.event == event_id) & AttendanceInterval.registration.is_null()
    ).distinct()
    loose = {row["participant_key"] for row in rows}
    for participant, registration_id in zip(participants, matches, strict=True):
        key = participant_key(participant)
        if registration_id is not None and key in loose:
            await AttendanceInterval.update({AttendanceInterval.registration: registration_id}).where(
                (AttendanceInterval.event == event_id)
                & (AttendanceInterval.participant_key == key)
                & AttendanceInterval.registration.is_null()
            )


def attends(minutes: int, event: EventRecord) -> bool:
    """At least the threshold share of the event's length (exact integer arithmetic)."""
    length_seconds = int((event.ends_at - event.starts_at).total_seconds())
    return minutes * 60 * 100 >= event.attendance_threshold_percent * length_seconds


def minutes_needed(event: EventRecord) -> int:
    """The fewest whole minutes that `attends` accepts for this event (told to someone below it)."""
    length_seconds = int((event.ends_at - event.starts_at).total_seconds())
    return -(-event.attendance_threshold_percent * length_seconds // 6000)


def _attended_sql(present: bool) -> QueryString:
    # Checked in always counts; the check-in itself may happen at any moment, so it is read
    # in the UPDATE rather than trusted from an earlier SELECT.
    return QueryString(f"CASE WHEN checked_in_at IS NOT NULL THEN TRUE ELSE {'TRUE' if present else 'FALSE'} END")


def _source(checked_in: bool, imported: bool) -> AttendanceSource | None:
    if checked_in and imported:
        return AttendanceSource.CHECKIN_AND_IMPORT
    if checked_in:
        return AttendanceSource.CHECKIN
    return AttendanceSource.IMPORTED if imported else None


def _source_sql(imported: bool) -> QueryString:
    if imported:
        return QueryString(
            f"CASE WHEN checked_in_at IS NOT NULL THEN '{AttendanceSource.CHECKIN_AND_IMPORT}' ELSE '{AttendanceSource.IMPORTED}' END"
        )
    return QueryString(f"CASE WHEN checked_in_at IS NOT NULL THEN '{AttendanceSource.CHECKIN}' ELSE NULL END")


async def recompute_event(event: EventRecord) -> int:
    """Minutes (union of each registration's intervals) and attended for every live
    registration of the event; writes only what changed, one UPDATE per distinct outcome,
    and one audit entry per registration changed (before → after), by the current actor: the
    organiser who uploaded a report or changed the threshold, the system for the worker's
    pulls and follow-ups. Returns how many registrations changed."""
    intervals = await AttendanceInterval.select(
        AttendanceInterval.registration, AttendanceInterval.joined_at, AttendanceInterval.left_at
    ).where((AttendanceInterval.event == event.id) & AttendanceInterval.registration.is_not_null())
    by_registration: dict[int, list[Interval]] = defaultdict(list)
    for row in intervals:
        by_registration[row["registration"]].append(Interval(row["joined_at"], row["left_at"]))
    current = await Registration.select(
        Registration.id, Registration.checked_in_at, Registration.attended, Registration.minutes_attended, Registration.attendance_source
    ).where((Registration.event == event.id) & (Registration.status != RegistrationStatus.CANCELLED))
    changes: dict[tuple[int, bool, bool], list[int]] = defaultdict(list)
    logged: dict[int, dict[str, list[Any]]] = {}
    for row in current:
        imported = row["id"] in by_registration
        minutes = merged_minutes(by_registration[row["id"]]) if imported else 0
        present = imported and attends(minutes, event)
        checked_in = row["checked_in_at"] is not None
        wanted = (minutes, checked_in or present, _source(checked_in, imported))
        if wanted != (row["minutes_attended"], row["attended"], row["attendance_source"]):
            changes[(minutes, present, imported)].append(row["id"])
            logged[row["id"]] = audit.diff(row, dict(zip(_ATTENDANCE_FIELDS, wanted, strict=True)))
    for (minutes, present, imported), ids in changes.items():
        for chunk in _chunks(ids, 500):
            await Registration.update(
                {
                    Registration.updated_at: now_utc(),
                    Registration.minutes_attended: minutes,
                    Registration.attended: _attended_sql(present),
                    Registration.attendance_source: _source_sql(imported),
                }
            ).where(Registration.id.is_in(list(chunk)))
    await audit.record_many(Entity.REGISTRATION, Action.UPDATED, logged)
    return sum(len(ids) for ids in changes.values())


#: What recompute_event settles for a registration, in the order of its `wanted` tuple.
_ATTENDANCE_FIELDS = ("minutes_attended", "attended", "attendance_source")


async def _attended_count(event_id: int) -> int:
    return await Registration.count().where(
        (Registration.event == event_id) & (Registration.status != RegistrationStatus.CANCELLED) & Registration.attended.eq(True)
    )


async def import_report(event_id: int, data: bytes, platform: ReportPlatform = "auto") -> AttendanceImportResult:
    """Read a Zoom, Teams or Webex participant report (CSV or XLSX) into the event's attendance:
    parse the file, then `merge_report`."""
    if len(data) > MAX_REPORT_BYTES:
        raise ReportTooLarge(f"the report is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_REPORT_BYTES // (1024 * 1024)} MB")
    event = await event_row(event_id)
    if event.status != EventStatus.PUBLISHED:
        raise AttendanceConflict(f"a {event.status} event has no attendance to import")
    try:
        # A large report takes a moment to parse: keep the event loop free meanwhile.
        report = await asyncio.to_thread(
            parse_report, data, platform, default_timezone=event.timezone, event_dates=event_local_dates(event)
        )
    except ReportFormatError as error:
        raise InvalidReport(
            str(error), code=f"report_{error.code}", extra={"found": error.found, "looked_for": error.looked_for}
        ) from None
    return await merge_report(event_id, report)


def event_local_dates(event: EventRecord) -> list[date]:
    """The dates the event runs on, in its own zone (usually one)."""
    zone = ZoneInfo(event.timezone)
    first, last = event.starts_at.astimezone(zone).date(), event.ends_at.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def keep_inside_event(report: ParsedReport, event: EventRecord) -> ParsedReport:
    """Only the minutes inside the event's window count: each interval is cut to it, and an
    interval wholly outside (another day of a recurring meeting exported as one file, a test
    call the hour before) is left out, counted with the local dates it was on. The window is
    the event's own start and end: the threshold is a share of that length, so minutes before
    the start or after the end would let a late-night chat pass for attendance."""
    zone = ZoneInfo(event.timezone)
    dropped = 0
    days: set[str] = set()
    kept: list[Participant] = []
    for person in report.participants:
        inside: list[Interval] = []
        for interval in person.intervals:
            joined, left = max(interval.joined, event.starts_at), min(interval.left, event.ends_at)
            if left > joined:
                inside.append(Interval(joined, left))
            else:
                dropped += 1
                days.add(interval.joined.astimezone(zone).date().isoformat())
        if inside:
            kept.append(replace(person, intervals=inside))
    left_out = list(report.left_out)
    if dropped:
        left_out.append(LeftOut(LeftOutReason.OUTSIDE_EVENT, dropped, sorted(days)))
    return replace(report, participants=kept, left_out=left_out)


async def merge_report(event_id: int, report: ParsedReport) -> AttendanceImportResult:
    """THE merge path of attendance, for a parsed file and for a platform's API alike.

    `report` is a `parsers.ParsedReport`: `platform` ("zoom" | "teams" | "webex"), `rows` (rows
    read), `participants` (one `Participant(name, email, intervals=[Interval(joined, left)])`
    per person, times aware, in UTC) and `errors` ("line N: why"). An API pull builds the same
    record from the platform's answer and calls this; the result is the same answer as a file
    import's. Idempotent: every interval is stored once per (event, person, join, leave), so
    merging the same participants again changes nothing and a second source adds only what
    was missing. Every participant's intervals are stored (matched or not: the unmatched are
    listed for the organiser), then the minutes and attended flag of every registration are
    recomputed from all intervals stored for the event.
    """
    if not report.participants and report.errors:
        raise InvalidReport("no row of the report could be used: " + "; ".join(report.errors[:5]))
    event = await event_row(event_id)
    _check_report_day(event, report.participants)
    report = keep_inside_event(report, event)

    async def attempt() -> tuple[list[int | None], int, int, int]:
        async with write_transaction():
            current = await event_row(event_id)
            matches = match_participants(report.participants, await _candidates(event_id))
            added = await _store_intervals(event_id, report.platform, report.participants, matches)
            await _link_earlier_intervals(event_id, report.participants, matches)
            await recompute_event(current)
            return matches, added, await _attended_count(event_id), current.attendance_threshold_percent

    matches, added, attended, threshold = await with_retry(attempt)
    unmatched = [
        UnmatchedParticipant(name=p.name, email=p.email, minutes=p.minutes, host=p.host)
        for p, match in zip(report.participants, matches, strict=True)
        if match is None
    ]
    return AttendanceImportResult(
        platform=report.platform,
        rows=report.rows,
        participants=len(report.participants),
        matched=len(report.participants) - len(unmatched),
        unmatched=unmatched,
        attended=attended,
        intervals_added=added,
        threshold_percent=threshold,
        errors=report.errors,
        left_out=[LeftOutRows(reason=item.reason, rows=item.rows, days=item.days) for item in report.left_out],
    )


# ---------------------------------------------------------------- follow-up


def _follow_up_out(event: EventRecord) -> FollowUpOut:
    return FollowUpOut(
        event_id=event.id,
        recording_url=event.recording_url,
        slides_url=event.slides_url,
        attendance_threshold_percent=event.attendance_threshold_percent,
        follow_up_sent_at=event.follow_up_sent_at,
    )


async def get_follow_up(event_id: int) -> FollowUpOut:
    return _follow_up_out(await event_row(event_id))


async def update_follow_up(event_id: int, patch: FollowUpPatch) -> FollowUpOut:
    """Links for the follow-up emails and the attendance threshold; a new threshold is applied
    to the minutes already imported at once."""
    async with write_transaction():
        event = await event_row(event_id)
        changes: dict[Any, Any] = {}
        for field in ("recording_url", "slides_url", "attendance_threshold_percent"):
            value = getattr(patch, field)
            if value is not msgspec.UNSET and value != getattr(event, field):
                changes[getattr(Event, field)] = value
        if changes:
            threshold_changed = patch.attendance_threshold_percent not in (msgspec.UNSET, event.attendance_threshold_percent)
            await audit.record(
                Entity.EVENT, event_id, Action.UPDATED, {column._meta.name: [getattr(event, column._meta.name), value] for column, value in changes.items()}
            )
            changes[Event.updated_at] = now_utc()
            await Event.update(changes).where(Event.id == event_id)
            if threshold_changed:
                await recompute_event(await event_row(event_id))
    return await get_follow_up(event_id)


async def _follow_up_rows(event_id: int) -> list[dict[str, Any]]:
    return await (
        Registration.select(
            Registration.id,
            Registration.status,
            Registration.attended,
            Registration.language,
            Registration.token_nonce,
            Registration.contact.email.as_alias("email"),
            Registration.first_name,
            Registration.last_name,
        )
        .where((Registration.event == event_id) & (Registration.status != RegistrationStatus.CANCELLED))
        .order_by(Registration.id)
    )


FOLLOW_UP_BATCH = 200


def _follow_up_kind(row: dict[str, Any]) -> str | None:
    if row["attended"]:
        return "thank_you"
    if row["status"] == RegistrationStatus.CONFIRMED:
        return "missed_you"
    return None  # waitlisted and absent: they never had a seat


def _compose_batch(batch: list[tuple[str, dict[str, Any]]], event: EventRecord, settings: Settings) -> list[Any]:
    return [messages.compose_follow_up(kind, event, row, settings) for kind, row in batch]


async def _finalise(event_id: int, settings: Settings, now: datetime, *, manual: bool) -> FinaliseResult:
    """Three steps, none holding a write transaction for long: settle attendance; render the
    emails owed (in a thread, outside any transaction); write them in short transactions of
    FOLLOW_UP_BATCH. Idempotency keys make every step safe to repeat, so a crash half-way
    is finished by the next run, and two workers at once send nothing twice."""
    async def settle() -> EventRecord:
        async with write_transaction():
            event = await event_row(event_id)
            if manual and event.status != EventStatus.PUBLISHED:
                raise AttendanceConflict(f"a {event.status} event has no attendance to finalise")
            if manual and event.ends_at > now:
                raise AttendanceConflict(f"the event has not ended yet (it ends {event.ends_at:%Y-%m-%d %H:%M} UTC)")
            await recompute_event(event)
            return event

    event = await with_retry(settle)
    rows = await _follow_up_rows(event_id)
    attended = sum(1 for row in rows if row["attended"])
    no_show = sum(1 for row in rows if not row["attended"] and row["status"] == RegistrationStatus.CONFIRMED)
    already = await messages.follow_ups_queued([row["id"] for row in rows])
    # One follow-up per registration, ever: someone found in a report imported after the
    # "missed you" email does not get a "thank you" on top; erased people get nothing.
    owed = [
        (kind, row)
        for row in rows
        if (kind := _follow_up_kind(row)) and row["id"] not in already and not row["email"].endswith(ERASED_DOMAIN)
    ]
    queued = {"thank_you": 0, "missed_you": 0}
    for batch in _chunks(owed, FOLLOW_UP_BATCH):
        composed = await asyncio.to_thread(_compose_batch, list(batch), event, settings)

        async def write(batch: Sequence[tuple[str, dict[str, Any]]] = batch, composed: list[Any] = composed) -> dict[str, int]:
            written = {"thank_you": 0, "missed_you": 0}
            async with write_transaction():
                taken = await messages.follow_ups_queued([row["id"] for _, row in batch])
                for (kind, row), message in zip(batch, composed, strict=True):
                    if row["id"] not in taken and await messages.queue_follow_up(kind, event_id, row["id"], message):
                        written[kind] += 1
            return written

        for kind, count in (await with_retry(write)).items():
            queued[kind] += count
    async with write_transaction():
        first_time = await Event.update({Event.follow_up_sent_at: now}).where(
            (Event.id == event_id) & Event.follow_up_sent_at.is_null()
        ).returning(Event.id)
        if first_time:  # once per event, however often it is finalised again
            await webhooks.emit(
                EventType.ATTENDANCE_FINALISED, {"event_id": event_id, "attended": attended, "no_show": no_show}
            )
    sent_at = (await Event.select(Event.follow_up_sent_at).where(Event.id == event_id).first())["follow_up_sent_at"]
    return FinaliseResult(
        event_id=event_id,
        attended=attended,
        no_show=no_show,
        thank_you_queued=queued["thank_you"],
        missed_you_queued=queued["missed_you"],
        follow_up_sent_at=sent_at,
    )


async def finalise_attendance(event_id: int, settings: Settings, now: datetime | None = None) -> FinaliseResult:
    """After the event: every live registration is attended or (if it held a seat) a no-show;
    the attended get "thank you", the confirmed no-shows "we missed you", each once. Safe to
    call again, e.g. after importing a late report: it queues only what was not queued."""
    return await _finalise(event_id, settings, now or now_utc(), manual=True)


async def finalise_ended_events(settings: Settings, now: datetime | None = None) -> int:
    """The worker's periodic step: finalise each published event that ended between
    FOLLOW_UP_WINDOW and FOLLOW_UP_DELAY ago, has some attendance recorded (a check-in or an
    imported report) and was not finalised yet (follow_up_sent_at is
    set at the end, so an event interrupted half-way is picked up again). Safe in several
    workers at once: the idempotency keys decide. Returns the number of emails queued.
    Run every ten minutes by the worker (attendance/background.py)."""
    moment = now or now_utc()
    due = await Event.select(Event.id).where(
        (Event.status == EventStatus.PUBLISHED)
        & Event.follow_up_sent_at.is_null()
        & (Event.ends_at <= moment - FOLLOW_UP_DELAY)
        & (Event.ends_at > moment - FOLLOW_UP_WINDOW)
    ).order_by(Event.ends_at)
    queued = 0
    for row in due:
        if not await Registration.exists().where((Registration.event == row["id"]) & Registration.attendance_source.is_not_null()):
            # Nobody checked in and no report imported (yet): thanking no one and telling
            # everyone "we missed you" would be wrong; an organiser finalises it by hand.
            continue
        result = await _finalise(row["id"], settings, moment, manual=False)
        queued += result.thank_you_queued + result.missed_you_queued
    return queued
