"""Read the attendance reports that Zoom, Microsoft Teams and Webex export.

Pure functions, no database: bytes in, one `Participant` per person out, with
the time each person actually spent in the event.

What the exports look like (and therefore what this module copes with):

* Zoom meeting participant report, UTF-8 with BOM, comma separated.  Optional
  preamble ("Meeting ID,Topic,Start time,...", one value line, a blank line),
  then ``Name (original name),User Email,Join time,Leave time,Duration
  (minutes),Guest,Recording disclaimer response,In waiting room``.  One row per
  session: a reconnect is a new row, and time spent in the waiting room is a
  row of its own with "In waiting room" = Yes.  Times: ``11/24/2026 05:02:13 PM``
  in the host's zone.
* Zoom webinar attendee report: "Attendee Report" preamble, then titled
  sections "Host Details", "Panelist Details", "Attendee Details", "Other
  Attended", each with its own header (``Attended,User Name (Original
  Name),...,Join Time,Leave Time,Time in Session (minutes),...``).  Registrants
  who never came are listed with Attended = No.  Older exports write times as
  ``Mar 28, 2020 08:07:27``.
* Microsoft Teams attendance report, UTF-16 LE with BOM, tab separated despite
  the .csv name: "1. Summary" (key/value lines), "2. Participants"
  (``Name, First Join, Last Leave, In-Meeting Duration, Email, Participant ID
  (UPN), Role``), "3. In-Meeting Activities" (``Name, Join Time, Leave Time,
  Duration, Email, Role``, one row per session).  Times follow the organiser's
  locale: ``11/24/26, 5:02:13 PM`` (en-US), ``24/11/26, 17:02:13``,
  ``24.11.26, 17:02:13``.  The pre-2021 export is an event log:
  ``Full Name, User Action (Joined / Left / Joined before), Timestamp``.
* Webex meeting attendee report: ``Meeting Name, Meeting Start Time, Meeting
  End Time, Display Name, First Name, Last Name, Role, Attendee Email, Join
  Time, Leave Time, Attendance Duration, Connection Type, Session Name`` (older
  exports: ``Name/Attendee Name, Email, Join Time, Leave Time, Duration``).
  Times ``2026-11-24 17:02:13`` or ``11/24/2026 5:02 PM``.

Any of these may also come back from Excel re-saved with semicolons, in
Windows-1252, with day-first dates: that is what an Italian or Swiss Excel
writes; or as an XLSX workbook (read with spreadsheets.xlsx_rows).

Issue 14 (../shared/REPORT-FORMATS.md): the header words of every platform and
language live in report_columns.py (Zoom it/en/de, Teams en/de, Webex); a header
in words not listed there is recognised by its structure (_structural_headers:
a column of join times next to one of leave times). The event's own date decides
day-first against month-first (_day_first); rows read that add no minutes
(waiting room, zero-length reconnects, webinar staff and absentees) are counted
in ParsedReport.left_out. The event's window is applied where every source of
attendance meets: service.merge_report.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from operator import itemgetter
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events_service.attendance import report_columns as columns_of
from events_service.attendance.durations import duration_seconds
from events_service.attendance.platforms import Platform
from events_service.attendance.report_columns import (
    COLUMN_ROLE,
    LAST_COLUMN_WINS,
    NAME_COLUMNS,
    ORIGINAL_NAME_COLUMNS,
    PLATFORM_MARKERS,
    SECTION_TITLES,
    STAFF_SECTIONS,
    norm_header,
)
from events_service.settings import DEFAULT_TIMEZONE
from events_service.spreadsheets import SpreadsheetError, csv_rows, decode_text, is_xlsx, xlsx_rows

__all__ = [
    "Interval",
    "LeftOut",
    "LeftOutReason",
    "ParsedReport",
    "Participant",
    "Platform",
    "ReportFormatError",
    "merge_intervals",
    "merged_minutes",
    "normalise_name",
    "parse_report",
    "ApiSession",
    "report_from_sessions",
]


class ReportFormatError(ValueError):
    """The uploaded file is not an attendance report this module can read.

    `code` is stable (attendance/report_errors.py words it in the organiser's language);
    `found` and `looked_for` name the header cells seen and the columns wanted, when no
    attendance table fitted.
    """

    def __init__(
        self, message: str, *, code: str = "not_a_report", found: Sequence[str] = (), looked_for: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.found = list(found)
        self.looked_for = list(looked_for)


class LeftOutReason(StrEnum):
    """Why rows of a report add no minutes; each is counted and shown to the organiser."""

    WAITING_ROOM = "waiting_room"  # Zoom: time in the waiting room, not in the meeting
    ZERO_LENGTH = "zero_length"  # a reconnect that joined and left at the same second
    NOT_ATTENDED = "not_attended"  # Zoom webinar: a registrant listed with Attended = No
    STAFF = "staff"  # Zoom webinar: the Host and Panelist sections
    OUTSIDE_EVENT = "outside_event"  # another day of a recurring meeting, or before/after the event


@dataclass
class LeftOut:
    reason: LeftOutReason
    rows: int
    #: local dates of the rows left out (OUTSIDE_EVENT: the other days of a recurring meeting)
    days: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Interval:
    """One stretch of presence, both ends aware and in UTC."""

    joined: datetime
    left: datetime


@dataclass
class Participant:
    name: str
    # Lower-cased; None for guests who joined without an account/e-mail.
    email: str | None
    # As read from the report, sorted by join time; may overlap (reconnects,
    # a second device).  `minutes` counts the overlaps once.
    intervals: list[Interval] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    #: the meeting's host ("(Host)" after the name in Zoom, role Organizer in Teams)
    host: bool = False

    @property
    def minutes(self) -> int:
        return merged_minutes(self.intervals)


@dataclass
class ParsedReport:
    platform: Platform
    rows: int  # data rows read from the attendance table(s) that were used
    participants: list[Participant]
    errors: list[str]  # "line N: why", rows that could not be used
    left_out: list[LeftOut] = field(default_factory=list)  # rows read but adding no minutes


# --------------------------------------------------------------------------- intervals


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of the intervals: overlapping or touching ones become one."""
    ordered = sorted(intervals, key=lambda i: i.joined)
    merged: list[Interval] = []
    for item in ordered:
        if merged and item.joined <= merged[-1].left:
            if item.left > merged[-1].left:
                merged[-1] = Interval(merged[-1].joined, item.left)
        else:
            merged.append(item)
    return merged


def merged_minutes(intervals: Iterable[Interval]) -> int:
    """Whole minutes covered by the union of the intervals (rounded down).

    Rounded down so that "minutes" means minutes actually present: a 40-second
    drop-in is 0, not the 1 that Zoom's own "Duration (minutes)" column shows.
    """
    seconds = sum((i.left - i.joined).total_seconds() for i in merge_intervals(intervals))
    return int(seconds // 60)


# --------------------------------------------------------------------------- headers

_NUMBERED_TITLE = re.compile(r"^\d{1,2}\.\s+\S")
_norm_header = norm_header


@dataclass
class _Header:
    columns: dict[str, int]  # role -> column index
    names: frozenset[str]  # all normalised header cells, for platform markers
    kind: Literal["sessions", "span", "events"]
    name_has_original: bool  # Zoom "Display (Original)" values


def _read_header(cells: Sequence[str]) -> _Header | None:
    """The header of an attendance table, found by the names the platforms write."""
    normalised = [_norm_header(c) for c in cells]
    columns: dict[str, int] = {}
    for index, text in enumerate(normalised):
        role = COLUMN_ROLE.get(text)
        if role and role != "name" and (role not in columns or role in LAST_COLUMN_WINS):
            columns[role] = index
    name_header = next((a for a in NAME_COLUMNS if a in normalised), None)
    if name_header is not None:
        columns["name"] = normalised.index(name_header)
    has_identity = "name" in columns or "email" in columns or "first_name" in columns
    if not has_identity:
        return None
    kind: Literal["sessions", "span", "events"]
    if "join" in columns and "leave" in columns:
        kind = "sessions"
    elif "first_join" in columns and "last_leave" in columns:
        kind = "span"
    elif "action" in columns and "timestamp" in columns:
        kind = "events"
    else:
        return None
    return _Header(
        columns=columns,
        names=frozenset(normalised),
        kind=kind,
        name_has_original=name_header in ORIGINAL_NAME_COLUMNS,
    )


_DELIMITERS = ("\t", ";", ",")


def _detect_delimiter(text: str) -> str:
    """The separator under which some line reads as an attendance header.

    Counting separators is fooled by Teams' tab-separated summary and by
    commas inside quoted names, so we look for the header itself instead; a
    header in words we do not know falls back to the separator most lines hold
    most of (the structure is read later, _structural_headers).
    """
    for line in io.StringIO(text, newline=""):
        for delimiter in _DELIMITERS:
            if delimiter in line:
                cells = line.rstrip("\r\n").split(delimiter)
                if _read_header(cells) is not None:
                    return delimiter
    lines = [line for line in io.StringIO(text[:65536], newline="") if line.strip()][:200]
    return max(_DELIMITERS, key=lambda d: sum(1 for line in lines if line.count(d) >= 2))


def _looks_like_totals_header(cells: Sequence[str]) -> bool:
    normalised = {_norm_header(c) for c in cells}
    has_name = any(COLUMN_ROLE.get(c) in ("name", "email") for c in normalised)
    has_total = any(word in c for c in normalised for word in ("duration", "durata", "dauer"))
    return has_name and has_total


def _nothing_fits(rows: Sequence[tuple[int, list[str]]]) -> ReportFormatError:
    """The error for a file in which no attendance table was found: it names the header
    cells the file does have (the first row of three cells or more) and what was wanted."""
    if any(_looks_like_totals_header(row) for _, row in rows):
        return ReportFormatError(
            "The report has no join and leave times (it was exported with "
            "'Show unique users' or as a summary). Export the participant report "
            "with one row per join/leave and upload it again.",
            code="no_times",
        )
    found = next(([c.strip() for c in row if c.strip()] for _, row in rows if sum(1 for c in row if c.strip()) >= 3), [])
    found = [cell[:60] for cell in found[:30]]
    looked_for = list(columns_of.LOOKED_FOR)
    return ReportFormatError(
        "No attendance table found: expected a header row with participant name "
        "or e-mail and join/leave times, as written by Zoom, Microsoft Teams or Webex. "
        f"Columns found: {', '.join(found) or '(none)'}. Columns looked for: {'; '.join(looked_for)}.",
        code="columns_not_found",
        found=found,
        looked_for=looked_for,
    )


# --------------------------------------------------------------------------- structure

#: Rows read below a header to judge its columns by their values.
_SAMPLE_ROWS = 5


def _is_time(cell: str, clock: _Clock) -> bool:
    return bool(cell.strip()) and clock[cell] is not None


def _structural_headers(rows: Sequence[tuple[int, list[str]]]) -> dict[tuple[str, ...], _Header]:
    """Headers in words we do not know (Teams in Italian, Webex in the user's language),
    recognised by what lies under them: two neighbouring columns of times (join, leave), a
    column of names, maybe one of e-mail addresses. Keyed by the normalised header cells."""
    clock = _Clock(UTC, day_first=True)  # any reading will do: only "is it a time?" matters
    found: dict[tuple[str, ...], _Header] = {}
    for index, (_, row) in enumerate(rows):
        cells = [c.strip() for c in row]
        if sum(1 for c in cells if c) < 3 or any(_is_time(c, clock) for c in cells):
            continue
        key = tuple(_norm_header(c) for c in cells)
        if key in found:
            continue
        sample: list[list[str]] = []
        for _, below in rows[index + 1 : index + 1 + _SAMPLE_ROWS]:
            if len(below) < len(cells) or not any(below[:2]):
                break
            sample.append(below)
        header = _header_from_values(key, sample, clock) if sample else None
        if header is not None:
            found[key] = header
    return found


def _header_from_values(key: tuple[str, ...], sample: list[list[str]], clock: _Clock) -> _Header | None:
    width = len(key)
    times = [j for j in range(width) if all(_is_time(row[j], clock) for row in sample)]
    join = next((j for j in times if j + 1 in times), None)
    if join is None:
        return None
    columns = {"join": join, "leave": join + 1}
    emails = [j for j in range(width) if j not in times and any("@" in row[j] for row in sample)]
    names = [
        j
        for j in range(width)
        if j not in times and j not in emails and all(any(ch.isalpha() for ch in row[j]) for row in sample)
    ]
    if emails:
        columns["email"] = emails[0]
    if names:
        columns["name"] = names[0]
    if "name" not in columns and "email" not in columns:
        return None
    return _Header(columns=columns, names=frozenset(key), kind="sessions", name_has_original=False)


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    header: _Header
    title: str | None
    lines: list[int] = field(default_factory=list)  # line each row starts on
    rows: list[list[str]] = field(default_factory=list)


def _is_title(cell: str) -> str | None:
    text = _norm_header(cell).rstrip(":")
    if text in SECTION_TITLES or _NUMBERED_TITLE.match(text):
        return text
    return None


def _split_tables(
    rows: Iterable[tuple[int, list[str]]], known: dict[tuple[str, ...], _Header] | None = None
) -> tuple[list[_Table], list[str]]:
    """Cut the file into header + rows tables, skipping preambles and summaries. `known`:
    headers recognised by their structure, matched by their exact (normalised) cells."""
    tables: list[_Table] = []
    titles: list[str] = []
    current: _Table | None = None
    title: str | None = None
    known_first = {key[0] for key in known} if known else set()
    for line_no, row in rows:
        if len(row) < 2 or (not row[1] and not any(row[2:])):
            if not row or not row[0].strip():
                continue  # blank line: Teams puts one between sections, Zoom between days
            found = _is_title(row[0])
            if found is not None:
                titles.append(found)
                title, current = found, None
                continue
        # Before the first table every row may be the header; inside a table
        # only rows starting with a column name are looked at, because most
        # rows are data and this keeps the check cheap.
        # casefold only (not _norm_header): this runs on every row, and header first cells
        # hold no apostrophes
        first = row[0].strip().strip('"\ufeff').casefold() if row else ""
        if current is None or first in _HEADER_FIRST_CELLS or first in known_first:
            header = _read_header(row)
            if header is None and known:
                header = known.get(tuple(_norm_header(c) for c in row))
            if header is not None:
                if current is not None and current.header.names == header.names and current.title == title:
                    continue  # the same header again: the next day of a recurring meeting
                current = _Table(header, title)
                tables.append(current)
                continue
        if current is not None:
            current.lines.append(line_no)
            current.rows.append(row)
    return tables, titles


# Cells a header row can start with: every column we read, plus the first
# columns of Webex/Zoom headers that we do not read.
_HEADER_FIRST_CELLS = frozenset(COLUMN_ROLE) | columns_of.OTHER_FIRST_CELLS


def _detect_platform(tables: Sequence[_Table], titles: Sequence[str], delimiter: str | None) -> Platform:
    seen: set[str] = set(titles)
    for table in tables:
        seen |= table.header.names
    scores = {platform: len(seen & markers) for platform, markers in PLATFORM_MARKERS.items()}
    best = max(scores, key=lambda p: scores[p])
    if scores[best] > 0:
        return best
    # Headers in words we do not know: Teams numbers its sections ("1. Riepilogo"); Webex's
    # Control Hub writes tab-separated UTF-16 without sections.
    if any(_NUMBERED_TITLE.match(t) for t in titles):
        return "teams"
    if delimiter == "\t":
        return "webex"
    raise ReportFormatError(
        "The file has attendance columns but none that identify Zoom, Teams or "
        "Webex; choose the platform explicitly.",
        code="platform_unknown",
    )


def _find_role_column(table: _Table, sample: int = 50) -> None:
    """Teams' role column under a header we do not know ("Rolle", "Ruolo"): the column where the
    organiser's row says Organizer / Organizzatore / Organisator."""
    if "role" in table.header.columns:
        return
    taken = set(table.header.columns.values())
    for row in table.rows[:sample]:
        for index, cell in enumerate(row):
            if index not in taken and cell.strip().casefold() in columns_of.HOST_ROLES:
                table.header.columns["role"] = index
                return


def _select_tables(tables: Sequence[_Table]) -> tuple[list[_Table], list[_Table]]:
    """The tables that hold the audience's presence, and the staff tables left out."""
    staff = [t for t in tables if t.title in STAFF_SECTIONS]
    chosen = [t for t in tables if t.title not in STAFF_SECTIONS]
    # Teams: section 3 has every join/leave; section 2 only first join and last
    # leave, which would count the gaps in between as presence.
    if any(t.header.kind != "span" for t in chosen):
        chosen = [t for t in chosen if t.header.kind != "span"]
    # Teams in a language whose headers we read by structure: both sections look like
    # sessions; section 3 is the one with every join and leave.
    in_section_3 = [t for t in chosen if t.title and t.title.startswith("3.")]
    if in_section_3:
        chosen = in_section_3
    return chosen, staff


# --------------------------------------------------------------------------- timestamps

_TZ = r"(?:\s*(?P<tz>Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}))?"
_AMPM = r"(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?"
_ISO = re.compile(
    r"\s*(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})[T\s]+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?" + _AMPM + _TZ + r"\s*$"
)
# "11/24/2026 05:02:13 PM" (Zoom), "11/24/26, 5:02:13 PM" (Teams en-US),
# "24/11/2026 17:02" (Excel it-CH re-save), "24.11.26, 17:02:13" (Teams de).
_NUMERIC = re.compile(
    r"\s*(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2}),?\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?" + _AMPM + _TZ + r"\s*$"
)
# "Mar 28, 2020 08:07:27" (older Zoom webinar reports).
_MONTH_NAME = re.compile(
    r"\s*(?P<mon>[A-Za-z]{3})[A-Za-z]*\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?" + _AMPM + _TZ + r"\s*$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Date tokens for the fast path: "11/24/26," "24.11.2026" "2026-11-24".
_DATE_TOKEN = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2}),?")
_ISO_DATE_TOKEN = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_PREFIX = re.compile(r"\s*(\d{1,2})([/\-])(\d{1,2})\2")


def _day_first(values: Iterable[str], event_dates: frozenset[date] = frozenset()) -> bool:
    """Whether "a/b/yy" (or "a-b-yy") dates in this file are day/month.

    The event decides first: Italian Zoom exports come month-first and day-first
    (with the same 12-hour clock), and a date whose day is 12 or less reads both
    ways; the reading that puts the times on the event's own date is the right
    one. Without an event, or when both or neither reading does, a value with a
    first part over 12 settles it one way, a second part over 12 the other. With
    no such value we go by the clock: en-US writes AM/PM and month first; it-CH,
    de-CH, en-GB write 24h and day first.
    """
    values = list(values)
    # One look per distinct date: a 5,000-row report of one meeting holds one or two.
    dates = {value.strip().partition(" ")[0] for value in values}
    day_votes = month_votes = 0
    on_event_day_first = on_event_month_first = 0
    for token in dates:
        match = _SLASH_PREFIX.match(token)
        if match is None:
            continue
        first, second = int(match[1]), int(match[3])
        year = _year_after(token, match.end())
        if event_dates and year is not None:
            on_event_day_first += _is_date(year, second, first, event_dates)
            on_event_month_first += _is_date(year, first, second, event_dates)
        if first > 12 >= second:
            day_votes += 1
        elif second > 12 >= first:
            month_votes += 1
    if bool(on_event_day_first) != bool(on_event_month_first):
        return bool(on_event_day_first)
    if day_votes or month_votes:
        return day_votes > month_votes
    saw_ampm = any(
        value.rstrip()[-2:].casefold() in ("am", "pm") or value.rstrip().endswith(("m.", "M.")) for value in values[:50]
    )
    return not saw_ampm


def _year_after(value: str, at: int) -> int | None:
    digits = re.match(r"\d{2,4}", value[at:])
    if digits is None:
        return None
    year = int(digits[0])
    return year + 2000 if year < 100 else year


def _is_date(year: int, month: int, day: int, dates: frozenset[date]) -> bool:
    try:
        return date(year, month, day) in dates
    except ValueError:
        return False


def _fixed_offset(text: str) -> timedelta:
    sign_at = max(text.rfind("+"), text.rfind("-"))
    if sign_at < 0:
        return timedelta(0)  # "Z", "UTC", "GMT"
    digits = text[sign_at + 1 :].replace(":", "").strip()
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if text[sign_at] == "-" else offset


class _Clock(dict[str, datetime | None]):
    """Turns the tools' local-time strings into aware UTC datetimes, memoised.

    This is most of the per-row cost, so: a dict subclass memoises values
    (leave times repeat: everyone leaves when the host ends the meeting) with
    hits served in C, regex groups are unpacked positionally, and the zone's
    UTC offset is looked up once per local minute instead of converting every
    value through the zone.
    """

    def __init__(self, zone: tzinfo, day_first: bool) -> None:
        super().__init__()
        self._zone = zone
        self._day_first = day_first
        self._offsets: dict[tuple[int, int, int, int, int], timedelta] = {}
        self._dates: dict[str, tuple[int, int, int] | None] = {}

    def __missing__(self, raw: str) -> datetime | None:
        value = self[raw] = self._parse(raw)
        return value

    def _parse(self, raw: str) -> datetime | None:
        # Fast path for "<date> <h:mm[:ss]>[ AM|PM]": the date token is the
        # same for the whole event, so only the clock part is new each time.
        date_token, _, clock_token = raw.strip().partition(" ")
        try:
            ymd = self._dates[date_token]
        except KeyError:
            ymd = self._dates[date_token] = self._date(date_token)
        if ymd is not None:
            hms = _clock_time(clock_token)
            if hms is not None:
                return self._local(*ymd, *hms)
        return self._parse_slow(raw)

    def _date(self, token: str) -> tuple[int, int, int] | None:
        match = _DATE_TOKEN.fullmatch(token)
        if match is not None:
            first, sep, second, year = match.groups()
            return self._ymd(first, sep, second, year)
        match = _ISO_DATE_TOKEN.fullmatch(token)
        if match is not None:
            year, month, day = match.groups()
            return int(year), int(month), int(day)
        return None

    def _ymd(self, first: str, sep: str, second: str, year: str) -> tuple[int, int, int]:
        # A dotted date is always day-first (de-CH, it-CH in some setups).
        day, month = (first, second) if self._day_first or sep == "." else (second, first)
        return int(year) + (2000 if len(year) == 2 else 0), int(month), int(day)

    def _parse_slow(self, raw: str) -> datetime | None:
        """Everything else: time zones, "T", NNBSP before PM, month names."""
        match = _NUMERIC.match(raw)
        if match is not None:
            first, sep, second, year, hour, minute, second_s, ampm, tz = match.groups()
            ymd = self._ymd(first, sep, second, year)
            return self._build(*ymd, hour, minute, second_s, ampm, tz)
        match = _ISO.match(raw)
        if match is not None:
            year, month, day, hour, minute, second_s, ampm, tz = match.groups()
            return self._build(int(year), int(month), int(day), hour, minute, second_s, ampm, tz)
        match = _MONTH_NAME.match(raw)
        if match is not None:
            name, day, year, hour, minute, second_s, ampm, tz = match.groups()
            month_no = _MONTHS.get(name[:3].casefold(), 0)
            return self._build(int(year), month_no, int(day), hour, minute, second_s, ampm, tz)
        return None

    def _build(
        self,
        year: int,
        month: int,
        day: int,
        hour_s: str,
        minute_s: str,
        second_s: str | None,
        ampm: str | None,
        tz: str | None,
    ) -> datetime | None:
        hour = _hour24(int(hour_s), ampm)
        if hour is None:
            return None
        minute, second = int(minute_s), int(second_s or 0)
        if not tz:
            return self._local(year, month, day, hour, minute, second)
        try:
            wall = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return None
        return wall - _fixed_offset(tz)

    def _local(
        self, year: int, month: int, day: int, hour: int, minute: int, second: int
    ) -> datetime | None:
        """A wall-clock reading in the default zone, as UTC."""
        try:
            # Labelled UTC only so that subtracting the offset gives the instant.
            wall = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return None  # 13th month, 30 February, 25 o'clock
        key = (year, month, day, hour, minute)
        offset = self._offsets.get(key)
        if offset is None:
            # Naive local time: fold=0, i.e. the first of two readings in the
            # repeated autumn hour, as zoneinfo does.
            offset = self._zone.utcoffset(wall.replace(tzinfo=None)) or timedelta(0)
            self._offsets[key] = offset
        return wall - offset


def _hour24(hour: int, ampm: str | None) -> int | None:
    if not ampm:
        return hour
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if ampm[0] in "Pp" else 0)


def _clock_time(token: str) -> tuple[int, int, int] | None:
    """ "17:02:13", "5:02 PM" -> (17, 2, 13), (17, 2, 0); None for anything else.

    Deliberately loose (int() does the checking, datetime() the ranges): it is
    the hot path, and whatever it refuses goes through the full regexes.
    """
    clock, _, suffix = token.partition(" ")
    hour_s, colon, rest = clock.partition(":")
    minute_s, _, second_s = rest.partition(":")
    if not colon:
        return None
    try:
        hour, minute, second = int(hour_s), int(minute_s), int(second_s or 0)
    except ValueError:
        return None  # fractions of a second, "5:02:13\u202fPM", ...
    if suffix:
        marker = suffix.casefold()
        if marker not in ("am", "pm"):
            return None
        hour24 = _hour24(hour, marker)
        if hour24 is None:
            return None
        hour = hour24
    return hour, minute, second


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {name!r}") from exc


# --------------------------------------------------------------------------- rows -> people

_ORIGINAL_NAME = re.compile(r"^(?P<display>.*\S)\s*\((?P<original>[^()]+)\)\s*$")
_TEAMS_MARKER = re.compile(r"\s*\((?:guest|external|unverified)\)\s*$", re.I)
_GUEST_VALUES = frozenset({"", "-", "--", "n/a", "none"})


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def normalise_name(name: str) -> str:
    """How names compare: NFC, casefolded, one kind of apostrophe (D’Angelo = d'angelo),
    whitespace collapsed; accents kept (Fà is not Fa)."""
    text = unicodedata.normalize("NFC", name)
    if not text.isascii() or "`" in text:  # translate() is slow: only where it may change something
        text = text.translate(_APOSTROPHES)
    return " ".join(text.casefold().split())


def _strip_host_marker(name: str) -> tuple[str, bool]:
    """Zoom writes "(Host)" (Italian exports: "(Organizzatore)") after the host's name."""
    if not name.endswith(")"):
        return name, False
    folded = name.casefold()
    for marker in columns_of.HOST_MARKERS:
        if folded.endswith(marker):
            return name[: -len(marker)].rstrip(), True
    return name, False


def _clean_name(raw: str, *, original: bool, teams: bool) -> str:
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if original:
        # Zoom writes "Display (Original)" when someone renamed themselves; the
        # original (account) name survives renames between reconnects.
        match = _ORIGINAL_NAME.match(name)
        if match is not None:
            name = match["original"].strip()
    if teams:
        while True:  # "Ada Rossi (Guest) (Unverified)"
            stripped = _TEAMS_MARKER.sub("", name)
            if stripped == name:
                break
            name = stripped
    return name


def _clean_email(raw: str) -> str | None:
    email = raw.strip().casefold()
    if email in _GUEST_VALUES or "@" not in email or "#" in email:
        return None  # Teams guest UPNs look like "x_y.it#EXT#@tenant"; not an address
    if email.endswith((".localhost", ".invalid")):
        return None  # placeholder addresses some tools give anonymous guests
    return email


# (line, name, email, normalised name, host, interval)
_Record = tuple[int, str, str | None, str, bool, Interval]
_Identity = tuple[str, str | None, str, bool]  # name, email, normalised name, host


class _Identities(dict[tuple[str, ...], "_Identity | None"]):
    """Identity cells of a row -> (name, e-mail, casefolded name), memoised.

    A dict subclass so that hits (reconnects repeat the same cells) stay in C.
    """

    def __init__(self, roles: Sequence[str], original: bool, teams: bool) -> None:
        super().__init__()
        self.roles = roles  # which identity role each key position holds
        self.original = original
        self.teams = teams

    def __missing__(self, key: tuple[str, ...]) -> _Identity | None:
        value = self[key] = self._identity(dict(zip(self.roles, key, strict=True)))
        return value

    def _identity(self, cells: dict[str, str]) -> _Identity | None:
        raw, host = _strip_host_marker(" ".join(cells.get("name", "").split()))
        host = host or cells.get("role", "").strip().casefold() in columns_of.HOST_ROLES
        name = _clean_name(raw, original=self.original, teams=self.teams)
        first, last = cells.get("first_name", ""), cells.get("last_name", "")
        if not name and (first or last):
            name = _clean_name(f"{first} {last}", original=False, teams=False)
        address = _clean_email(cells.get("email", ""))
        if address is None and self.teams:
            address = _clean_email(cells.get("upn", ""))
        if not name and address is None:
            return None
        name = name or address or ""
        return name, address, normalise_name(name), host


_IDENTITY_ROLES = ("name", "first_name", "last_name", "email", "upn", "role")
_TIME_ROLES = {
    "sessions": ("join", "leave"),
    "span": ("first_join", "last_leave"),
    "events": ("timestamp", "action"),
}


class _RowReader:
    """Turns the rows of one table into records, noting unusable rows.

    Written for speed, column by column: one itemgetter picks the cells we
    need, zip() transposes them, and the memoising dicts are mapped over whole
    columns, so that per-row Python work is one short loop.
    """

    def __init__(
        self, table: _Table, clock: _Clock, teams: bool, errors: list[str], left_out: Counter[LeftOutReason]
    ) -> None:
        header = table.header.columns
        with_duration = ("duration",) if table.header.kind == "span" else ()
        wanted = (*_IDENTITY_ROLES, "attended", "waiting_room", *_TIME_ROLES[table.header.kind], *with_duration)
        self.roles = [role for role in wanted if role in header]
        self.indexes = [header[role] for role in self.roles]
        self.table = table
        self.clock = clock
        self.errors = errors
        self.left_out = left_out
        identity_roles = [role for role in self.roles if role in _IDENTITY_ROLES]
        self.identities = _Identities(identity_roles, table.header.name_has_original, teams)

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Role -> that column's cells; roles the table lacks read as ""."""
        rows = self.table.rows
        # Duplicate the last index so that itemgetter always returns a tuple.
        pick = itemgetter(*self.indexes, self.indexes[-1])
        try:
            picked = list(map(pick, rows))
        except IndexError:  # short rows (trailing cells dropped): pad them
            width = max(self.indexes) + 1
            padding = [""] * width
            picked = [pick(row if len(row) >= width else row + padding) for row in rows]
        transposed = list(zip(*picked, strict=True)) or [()] * (len(self.roles) + 1)
        empty = ("",) * len(rows)
        found = dict(zip(self.roles, transposed, strict=False))
        return {role: found.get(role, empty) for role in (*_IDENTITY_ROLES, *_ROW_ROLES)}

    def who(self, columns: dict[str, tuple[str, ...]]) -> list[_Identity | None]:
        keys = zip(*(columns[role] for role in self.identities.roles), strict=True)
        return list(map(self.identities.__getitem__, keys))

    def times(self, raw: tuple[str, ...]) -> list[datetime | None]:
        return list(map(self.clock.__getitem__, raw))

    def unreadable(self, line: int, raw: str, label: str) -> None:
        shown = raw.strip() or "(empty)"
        self.errors.append(f"line {line}: unreadable {label} time {shown!r}")

    def sessions(self) -> list[_Record]:
        kind = self.table.header.kind
        columns = self.columns()
        join_raw, leave_raw = (columns[role] for role in _TIME_ROLES[kind])
        present = (
            _presence(columns) if "attended" in self.roles or "waiting_room" in self.roles else None
        )
        records: list[_Record] = []
        errors = self.errors
        durations = columns["duration"] if kind == "span" and "duration" in self.roles else None
        for index, (line, who, joined, left) in enumerate(
            zip(
                self.table.lines,
                self.who(columns),
                self.times(join_raw),
                self.times(leave_raw),
                strict=True,
            )
        ):
            if present is not None and present[index] is not None:
                self.left_out[present[index]] += 1
                continue
            if who is None:
                errors.append(f"line {line}: no participant name or e-mail")
            elif joined is None:
                self.unreadable(line, join_raw[index], "join")
            elif left is None:
                self.unreadable(line, leave_raw[index], "leave")
            elif left < joined:
                errors.append(f"line {line}: leave time is before join time")
            elif left == joined:
                self.left_out[LeftOutReason.ZERO_LENGTH] += 1
            else:
                if durations is not None:
                    left = _span_end(joined, left, durations[index])
                records.append((line, *who, Interval(joined, left)))
        return records

    def events(self) -> list[_Record]:
        """Old Teams log: pair each "Left" with the earliest open "Joined"."""
        columns = self.columns()
        stamp_raw, actions = columns["timestamp"], columns["action"]
        open_joins: dict[str, list[tuple[int, datetime]]] = {}
        identities: dict[str, _Identity] = {}
        records: list[_Record] = []
        last_seen: datetime | None = None
        for index, (line, who, stamp) in enumerate(
            zip(self.table.lines, self.who(columns), self.times(stamp_raw), strict=True)
        ):
            if who is None:
                self.errors.append(f"line {line}: no participant name or e-mail")
                continue
            if stamp is None:
                self.unreadable(line, stamp_raw[index], "event")
                continue
            last_seen = stamp if last_seen is None else max(last_seen, stamp)
            key = who[1] or who[2]
            identities.setdefault(key, who)
            action = actions[index].strip().casefold()
            if action.startswith("join"):  # "Joined", "Joined before"
                open_joins.setdefault(key, []).append((line, stamp))
            elif action.startswith(("left", "leave")):
                pending = open_joins.get(key)
                if not pending:
                    self.errors.append(f"line {line}: 'Left' without a preceding 'Joined'")
                    continue
                join_line, joined = pending.pop(0)
                records.append((join_line, *who, Interval(joined, max(joined, stamp))))
            else:
                self.errors.append(f"line {line}: unknown action {action!r}")
        # Still in the meeting when the list was downloaded: present until the
        # last event the report knows of.
        for key, pending in open_joins.items():
            for join_line, joined in pending:
                end = max(joined, last_seen) if last_seen else joined
                records.append((join_line, *identities[key], Interval(joined, end)))
        return records


def _span_end(first_join: datetime, last_leave: datetime, duration: str) -> datetime:
    """Teams' Participants section alone gives first join, last leave and the time actually
    in the meeting: the span would count the gaps between sessions, so the stay is the
    duration from the first join (never past the last leave)."""
    seconds = duration_seconds(duration)
    if seconds is None:
        return last_leave
    return min(last_leave, first_join + timedelta(seconds=seconds))


# The non-identity roles a reader may ask columns() for.
_ROW_ROLES = (
    "duration",
    "attended",
    "waiting_room",
    "join",
    "leave",
    "first_join",
    "last_leave",
    "timestamp",
    "action",
)


def _presence(columns: dict[str, tuple[str, ...]]) -> list[LeftOutReason | None]:
    """Why a row is in the report but is not presence; None for presence.

    Zoom webinars list registrants who never came (Attended = No, no times);
    Zoom meetings list time in the waiting room (`In sala d'attesa` = Sì) as its own row.
    """
    return [
        LeftOutReason.NOT_ATTENDED
        if attended.strip().casefold() in columns_of.NO
        else LeftOutReason.WAITING_ROOM
        if waiting.strip().casefold() in columns_of.YES
        else None
        for attended, waiting in zip(columns["attended"], columns["waiting_room"], strict=True)
    ]


def _group(records: Iterable[_Record]) -> list[Participant]:
    """One participant per e-mail, else per normalised name."""
    people: dict[str, Participant] = {}
    names_of: dict[str, set[str]] = {}  # participant key -> normalised names seen
    for line, name, email, name_key, host, interval in records:
        key = "email:" + email if email else "name:" + name_key
        person = people.get(key)
        if person is None:
            person = people[key] = Participant(name, email)
            names_of[key] = set()
        names_of[key].add(name_key)
        person.host = person.host or host
        person.intervals.append(interval)
        person.line_numbers.append(line)
    _fold_guest_rows(people, names_of)
    for person in people.values():
        person.intervals.sort(key=_interval_order)
        person.line_numbers.sort()
    return list(people.values())


def _interval_order(interval: Interval) -> tuple[datetime, datetime]:
    return interval.joined, interval.left


def _fold_guest_rows(people: dict[str, Participant], names_of: dict[str, set[str]]) -> None:
    """Give name-only rows to the one e-mail participant with that name.

    Someone who dropped out and came back through the browser as a guest
    appears once with and once without an e-mail.  Only merged when exactly one
    e-mail participant bears the name, so two namesakes are never joined.
    """
    by_name: dict[str, list[str]] = {}
    for key, names in names_of.items():
        if key.startswith("email:"):
            for name in names:
                by_name.setdefault(name, []).append(key)
    for key in [k for k in people if k.startswith("name:")]:
        owners = by_name.get(key[len("name:") :], [])
        if len(owners) == 1:
            guest = people.pop(key)
            target = people[owners[0]]
            target.intervals.extend(guest.intervals)
            target.line_numbers.extend(guest.line_numbers)
            target.host = target.host or guest.host


# --------------------------------------------------------------------------- entry point


def parse_report(
    data: bytes,
    platform: Literal["zoom", "teams", "webex", "auto"] = "auto",
    *,
    default_timezone: str = DEFAULT_TIMEZONE,
    event_dates: Iterable[date] = (),
) -> ParsedReport:
    """Read a Zoom, Teams or Webex attendance export, CSV (any encoding the tools or Excel
    write) or XLSX.

    `default_timezone` is the zone of times written without one: the tools
    write the organiser's local time. `event_dates` are the event's own local
    dates: they decide between day-first and month-first dates (see _day_first).
    Rows that cannot be used are listed in `errors` with their line number; the
    others are kept; rows that are read but add no minutes are counted in
    `left_out`. Raises `ReportFormatError` when the file is not a recognisable
    report.
    """
    zone = _zone(default_timezone)
    rows, delimiter = _read_rows(data)
    tables, titles = _split_tables(rows)
    if not tables:
        tables, titles = _split_tables(rows, _structural_headers(rows))
    if not tables:
        raise _nothing_fits(rows)
    detected: Platform = _detect_platform(tables, titles, delimiter) if platform == "auto" else platform
    chosen, staff = _select_tables(tables)
    for table in chosen:
        _find_role_column(table)

    time_roles = ("join", "leave", "first_join", "last_leave", "timestamp")
    clock = _Clock(zone, _day_first(_time_values(chosen, time_roles), frozenset(event_dates)))
    errors: list[str] = []
    left_out: Counter[LeftOutReason] = Counter()
    left_out[LeftOutReason.STAFF] = sum(len(t.rows) for t in staff)
    records: list[_Record] = []
    read = 0
    for table in chosen:
        read += len(table.rows)
        reader = _RowReader(table, clock, detected == "teams", errors, left_out)
        if table.header.kind == "events":
            records.extend(reader.events())
        else:
            records.extend(reader.sessions())
    errors.sort(key=_error_line)
    return ParsedReport(
        platform=detected,
        rows=read,
        participants=_group(records),
        errors=errors,
        left_out=[LeftOut(reason, count) for reason, count in left_out.items() if count],
    )


def _read_rows(data: bytes) -> tuple[list[tuple[int, list[str]]], str | None]:
    """The file's rows with their line numbers, and the CSV separator (None for XLSX)."""
    try:
        if is_xlsx(data):
            return list(enumerate(xlsx_rows(data), 1)), None
        text = decode_text(data)
        delimiter = _detect_delimiter(text)
        return list(csv_rows(text, delimiter)), delimiter
    except SpreadsheetError as error:
        raise ReportFormatError(str(error), code=error.code) from None


def _time_values(tables: Iterable[_Table], roles: Sequence[str]) -> Iterator[str]:
    for table in tables:
        indexes = [table.header.columns[r] for r in roles if r in table.header.columns]
        for row in table.rows:
            for index in indexes:
                if index < len(row):
                    yield row[index]


def _error_line(message: str) -> int:
    match = re.match(r"line (\d+)", message)
    return int(match[1]) if match else 0


# --------------------------------------------------------------------------- from an API


@dataclass(frozen=True)
class ApiSession:
    """One stretch of presence as a platform's API lists it (attendance/pull.py): a Zoom
    participant-report row, or one attendanceInterval of a Graph attendanceRecord."""

    name: str
    email: str | None
    joined: datetime
    left: datetime
    role: str = ""  # Graph's "Organizer", "Presenter", "Attendee"
    waiting_room: bool = False  # Zoom's status "in_waiting_room"


def report_from_sessions(platform: Platform, sessions: Sequence[ApiSession], errors: list[str]) -> ParsedReport:
    """The report a platform's API describes, read by the same rules as a report file of that
    platform (names, addresses, the host, guests folded into their account, waiting room and
    zero-length reconnects left out), so that a pull and a file import of the same meeting
    store the same participants. `errors` are the API's records that could not be used."""
    identities = _Identities(("name", "email", "role"), original=False, teams=platform == "teams")
    left_out: Counter[LeftOutReason] = Counter()
    records: list[_Record] = []
    for line, session in enumerate(sessions, start=1):
        identity = identities[(session.name, session.email or "", session.role)]
        if session.waiting_room:
            left_out[LeftOutReason.WAITING_ROOM] += 1
        elif identity is None:
            errors.append(f"record {line}: no participant name or e-mail")
        elif session.left == session.joined:
            left_out[LeftOutReason.ZERO_LENGTH] += 1
        else:
            records.append((line, *identity, Interval(session.joined.astimezone(UTC), session.left.astimezone(UTC))))
    return ParsedReport(
        platform=platform,
        rows=len(sessions) + len(errors),
        participants=_group(records),
        errors=errors,
        left_out=[LeftOut(reason, count) for reason, count in left_out.items() if count],
    )
