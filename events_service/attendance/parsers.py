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
writes.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events_service.settings import DEFAULT_TIMEZONE

Platform = Literal["zoom", "teams", "webex"]

__all__ = [
    "Interval",
    "ParsedReport",
    "Participant",
    "Platform",
    "ReportFormatError",
    "merge_intervals",
    "merged_minutes",
    "parse_report",
]


class ReportFormatError(ValueError):
    """The uploaded file is not an attendance report this module can read."""


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

    @property
    def minutes(self) -> int:
        return merged_minutes(self.intervals)


@dataclass
class ParsedReport:
    platform: Platform
    rows: int  # data rows read from the attendance table(s) that were used
    participants: list[Participant]
    errors: list[str]  # "line N: why", rows that could not be used


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


# --------------------------------------------------------------------------- decoding

_UTF8_BOM = b"\xef\xbb\xbf"
# Signatures of files people upload by mistake instead of the CSV.
_NOT_CSV = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
}


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ReportFormatError("The file is empty.")
    for magic, what in _NOT_CSV.items():
        if data.startswith(magic):
            raise ReportFormatError(
                f"The file is {what}, not a CSV report. "
                "Download the attendance report as CSV and upload that file."
            )
    text = _decode_text(data)
    if not text.strip():
        raise ReportFormatError("The file is empty.")
    _reject_binary(text)
    return text


def _decode_text(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        return _utf8_or_windows(data[3:])
    # Teams (and Webex Control Hub) export UTF-16 LE with a BOM.
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    # UTF-16 without BOM (some re-saves): every other byte of ASCII text is NUL.
    sample = data[:4096]
    half = len(sample) // 2
    if half and sample[1::2].count(0) > half * 0.4 and sample[0::2].count(0) < half * 0.05:
        return data.decode("utf-16-le", errors="replace")
    if half and sample[0::2].count(0) > half * 0.4 and sample[1::2].count(0) < half * 0.05:
        return data.decode("utf-16-be", errors="replace")
    return _utf8_or_windows(data)


def _utf8_or_windows(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel "CSV (delimitato dal separatore di elenco)" on an Italian or
        # Swiss Windows writes Windows-1252, not UTF-8.
        return data.decode("cp1252", errors="replace")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _reject_binary(text: str) -> None:
    sample = text[:8192]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise ReportFormatError(
            "The file does not contain text (it looks like binary data). "
            "Upload the attendance report exported as CSV from Zoom, Teams or Webex."
        )


# --------------------------------------------------------------------------- headers

# Column roles, keyed by the normalised header text (casefolded, single spaces).
_NAME_ALIASES = (
    # Preferred first: Zoom's "Display (Original)" column, then display names.
    "name (original name)",
    "user name (original name)",
    "display name",
    "name",
    "full name",
    "attendee name",
    "participant name",
    "participant",
    "user name",
)
_ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "user email",
        "attendee email",
        "email address",
        "e-mail",
        "e-mail address",
        "participant email",
    ),
    "upn": ("participant id (upn)", "upn", "user principal name"),
    "join": ("join time", "join", "joined", "join date", "joined at", "join time (utc)"),
    "leave": ("leave time", "leave", "left", "leave date", "left at", "leave time (utc)"),
    "first_join": ("first join", "first join time", "first joined"),
    "last_leave": ("last leave", "last leave time", "last left"),
    "action": ("user action", "action", "activity"),
    "timestamp": ("timestamp", "time stamp", "date and time"),
    "first_name": ("first name",),
    "last_name": ("last name",),
    "attended": ("attended",),
    "waiting_room": ("in waiting room",),
}
_COLUMN_ROLE: dict[str, str] = {alias: "name" for alias in _NAME_ALIASES}
for _role, _aliases in _ROLE_ALIASES.items():
    _COLUMN_ROLE.update(dict.fromkeys(_aliases, _role))

# Headers that only one tool writes: used to tell the platform apart.
_PLATFORM_MARKERS: dict[Platform, frozenset[str]] = {
    "zoom": frozenset(
        {
            "name (original name)",
            "user name (original name)",
            "user email",
            "duration (minutes)",
            "time in session (minutes)",
            "guest",
            "is guest",
            "in waiting room",
            "recording disclaimer response",
            "recording consent",
            "country/region name",
            "approval status",
            "host details",
            "panelist details",
            "attendee details",
            "other attended",
            "attendee report",
        }
    ),
    "teams": frozenset(
        {
            "first join",
            "last leave",
            "in-meeting duration",
            "participant id (upn)",
            "user action",
            "full name",
            "1. summary",
            "2. participants",
            "3. in-meeting activities",
        }
    ),
    "webex": frozenset(
        {
            "attendee email",
            "attendance duration",
            "display name",
            "connection type",
            "session name",
            "meeting name",
            "attendee name",
            "attended duration",
        }
    ),
}

# Section titles: a lone first cell that ends the table above it.  Zoom
# webinars write "Attendee Details," (trailing comma); Teams numbers them.
_SECTION_TITLES = frozenset(
    {
        "attendee report",
        "host details",
        "panelist details",
        "attendee details",
        "other attended",
        "other details",
        "summary",
        "participants",
        "in-meeting activities",
    }
)
_NUMBERED_TITLE = re.compile(r"^\d{1,2}\.\s+\S")
# Zoom webinar sections whose people run the event rather than attend it.
_STAFF_SECTIONS = frozenset({"host details", "panelist details"})


def _norm_header(cell: str) -> str:
    return " ".join(cell.strip().strip('"\ufeff').casefold().split())


@dataclass
class _Header:
    columns: dict[str, int]  # role -> column index
    names: frozenset[str]  # all normalised header cells, for platform markers
    kind: Literal["sessions", "span", "events"]
    name_has_original: bool  # Zoom "Display (Original)" values


def _read_header(cells: Sequence[str]) -> _Header | None:
    normalised = [_norm_header(c) for c in cells]
    columns: dict[str, int] = {}
    for index, text in enumerate(normalised):
        role = _COLUMN_ROLE.get(text)
        if role and role != "name" and role not in columns:
            columns[role] = index
    name_header = next((a for a in _NAME_ALIASES if a in normalised), None)
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
        name_has_original=bool(name_header and "(original name)" in name_header),
    )


_DELIMITERS = ("\t", ";", ",")


def _detect_delimiter(text: str) -> str:
    """The separator under which some line reads as an attendance header.

    Counting separators is fooled by Teams' tab-separated summary and by
    commas inside quoted names, so we look for the header itself instead.
    """
    near_miss = False
    for line in io.StringIO(text, newline=""):
        for delimiter in _DELIMITERS:
            if delimiter in line:
                cells = line.rstrip("\r\n").split(delimiter)
                if _read_header(cells) is not None:
                    return delimiter
                near_miss = near_miss or _looks_like_totals_header(cells)
    if near_miss:
        raise ReportFormatError(
            "The report has no join and leave times (it was exported with "
            "'Show unique users' or as a summary). Export the participant report "
            "with one row per join/leave and upload it again."
        )
    raise ReportFormatError(
        "No attendance table found: expected a header row with participant name "
        "or e-mail and join/leave times, as written by Zoom, Microsoft Teams or Webex."
    )


def _looks_like_totals_header(cells: Sequence[str]) -> bool:
    normalised = {_norm_header(c) for c in cells}
    has_name = any(_COLUMN_ROLE.get(c) in ("name", "email") for c in normalised)
    has_total = any("duration" in c for c in normalised)
    return has_name and has_total


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    header: _Header
    title: str | None
    lines: list[int] = field(default_factory=list)  # line each row starts on
    rows: list[list[str]] = field(default_factory=list)


def _iter_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows with the number of the physical line they start on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for row in reader:
            yield previous_end + 1, row
            previous_end = reader.line_num
    except csv.Error as exc:
        raise ReportFormatError(
            f"The CSV is malformed near line {previous_end + 1}: {exc}"
        ) from exc


def _is_title(cell: str) -> str | None:
    text = _norm_header(cell).rstrip(":")
    if text in _SECTION_TITLES or _NUMBERED_TITLE.match(text):
        return text
    return None


def _split_tables(text: str, delimiter: str) -> tuple[list[_Table], list[str]]:
    """Cut the file into header + rows tables, skipping preambles and summaries."""
    tables: list[_Table] = []
    titles: list[str] = []
    current: _Table | None = None
    title: str | None = None
    for line_no, row in _iter_rows(text, delimiter):
        if len(row) < 2 or (not row[1] and not any(row[2:])):
            if not row or not row[0].strip():
                continue  # blank line: Teams puts one between sections
            found = _is_title(row[0])
            if found is not None:
                titles.append(found)
                title, current = found, None
                continue
        # Before the first table every row may be the header; inside a table
        # only rows starting with a column name are looked at, because most
        # rows are data and this keeps the check cheap.
        if current is None or row[0].strip().casefold() in _HEADER_FIRST_CELLS:
            header = _read_header(row)
            if header is not None:
                current = _Table(header, title)
                tables.append(current)
                continue
        if current is not None:
            current.lines.append(line_no)
            current.rows.append(row)
    return tables, titles


# Cells a header row can start with: every column we read, plus the first
# columns of Webex/Zoom headers that we do not read.
_HEADER_FIRST_CELLS = frozenset(_COLUMN_ROLE) | {"meeting name", "meeting id", "topic", "role"}


def _detect_platform(tables: Sequence[_Table], titles: Sequence[str]) -> Platform:
    seen: set[str] = set(titles)
    for table in tables:
        seen |= table.header.names
    scores = {platform: len(seen & markers) for platform, markers in _PLATFORM_MARKERS.items()}
    best = max(scores, key=lambda p: scores[p])
    if scores[best] == 0:
        raise ReportFormatError(
            "The file has attendance columns but none that identify Zoom, Teams or "
            "Webex; choose the platform explicitly."
        )
    return best


def _select_tables(tables: Sequence[_Table]) -> list[_Table]:
    """The tables that hold the audience's presence."""
    chosen = [t for t in tables if t.title not in _STAFF_SECTIONS]
    # Teams: section 3 has every join/leave; section 2 only first join and last
    # leave, which would count the gaps in between as presence.
    if any(t.header.kind != "span" for t in chosen):
        chosen = [t for t in chosen if t.header.kind != "span"]
    return chosen


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


def _day_first(values: Iterable[str]) -> bool:
    """Whether "a/b/yy" (or "a-b-yy") dates in this file are day/month.

    A value with a first part over 12 settles it one way, a second part over 12
    the other.  With no such value (an event on 1-12 November) we go by the
    clock: en-US writes AM/PM and month first; it-CH, de-CH, en-GB write 24h
    and day first.
    """
    day_votes = month_votes = 0
    saw_ampm = False
    for value in values:
        if day_votes + month_votes >= 50:
            break  # plenty of evidence; no need to scan 10,000 cells
        match = _SLASH_PREFIX.match(value)
        if match is None:
            continue
        first, second = int(match[1]), int(match[3])
        if first > 12 >= second:
            day_votes += 1
        elif second > 12 >= first:
            month_votes += 1
        if not saw_ampm:
            tail = value.rstrip()[-2:].casefold()
            saw_ampm = tail in ("am", "pm") or value.rstrip().endswith(("m.", "M."))
    if day_votes or month_votes:
        return day_votes > month_votes
    return not saw_ampm


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


# (line, name, email, casefolded name, interval)
_Record = tuple[int, str, str | None, str, Interval]
_Identity = tuple[str, str | None, str]  # name, email, casefolded name


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
        name = _clean_name(cells.get("name", ""), original=self.original, teams=self.teams)
        first, last = cells.get("first_name", ""), cells.get("last_name", "")
        if not name and (first or last):
            name = _clean_name(f"{first} {last}", original=False, teams=False)
        address = _clean_email(cells.get("email", ""))
        if address is None and self.teams:
            address = _clean_email(cells.get("upn", ""))
        if not name and address is None:
            return None
        name = name or address or ""
        return name, address, name.casefold()


_IDENTITY_ROLES = ("name", "first_name", "last_name", "email", "upn")
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

    def __init__(self, table: _Table, clock: _Clock, teams: bool, errors: list[str]) -> None:
        header = table.header.columns
        wanted = (*_IDENTITY_ROLES, "attended", "waiting_room", *_TIME_ROLES[table.header.kind])
        self.roles = [role for role in wanted if role in header]
        self.indexes = [header[role] for role in self.roles]
        self.table = table
        self.clock = clock
        self.errors = errors
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
        for index, (line, who, joined, left) in enumerate(
            zip(
                self.table.lines,
                self.who(columns),
                self.times(join_raw),
                self.times(leave_raw),
                strict=True,
            )
        ):
            if present is not None and not present[index]:
                continue
            if who is None:
                errors.append(f"line {line}: no participant name or e-mail")
            elif joined is None:
                self.unreadable(line, join_raw[index], "join")
            elif left is None:
                self.unreadable(line, leave_raw[index], "leave")
            elif left < joined:
                errors.append(f"line {line}: leave time is before join time")
            else:
                records.append((line, who[0], who[1], who[2], Interval(joined, left)))
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


# The non-identity roles a reader may ask columns() for.
_ROW_ROLES = (
    "attended",
    "waiting_room",
    "join",
    "leave",
    "first_join",
    "last_leave",
    "timestamp",
    "action",
)


def _presence(columns: dict[str, tuple[str, ...]]) -> list[bool]:
    """False for rows that are in the report but are not presence.

    Zoom webinars list registrants who never came (Attended = No, no times);
    Zoom meetings list time in the waiting room as its own row.
    """
    return [
        attended.strip().casefold() != "no" and waiting.strip().casefold() != "yes"
        for attended, waiting in zip(columns["attended"], columns["waiting_room"], strict=True)
    ]


def _group(records: Iterable[_Record]) -> list[Participant]:
    """One participant per e-mail, else per normalised name."""
    people: dict[str, Participant] = {}
    names_of: dict[str, set[str]] = {}  # participant key -> normalised names seen
    for line, name, email, name_key, interval in records:
        key = "email:" + email if email else "name:" + name_key
        person = people.get(key)
        if person is None:
            person = people[key] = Participant(name, email)
            names_of[key] = set()
        names_of[key].add(name_key)
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


# --------------------------------------------------------------------------- entry point


def parse_report(
    data: bytes,
    platform: Literal["zoom", "teams", "webex", "auto"] = "auto",
    *,
    default_timezone: str = DEFAULT_TIMEZONE,
) -> ParsedReport:
    """Read a Zoom, Teams or Webex attendance export.

    `default_timezone` is the zone of times written without one: the tools
    write the organiser's local time.  Rows that cannot be used are listed in
    `errors` with their line number; the others are kept.  Raises
    `ReportFormatError` when the file is not a recognisable report.
    """
    zone = _zone(default_timezone)
    text = _decode(data)
    delimiter = _detect_delimiter(text)
    tables, titles = _split_tables(text, delimiter)
    detected: Platform = _detect_platform(tables, titles) if platform == "auto" else platform
    chosen = _select_tables(tables)

    time_roles = ("join", "leave", "first_join", "last_leave", "timestamp")
    clock = _Clock(zone, _day_first(_time_values(chosen, time_roles)))
    errors: list[str] = []
    records: list[_Record] = []
    rows = 0
    for table in chosen:
        rows += len(table.rows)
        reader = _RowReader(table, clock, detected == "teams", errors)
        if table.header.kind == "events":
            records.extend(reader.events())
        else:
            records.extend(reader.sessions())
    errors.sort(key=_error_line)
    return ParsedReport(platform=detected, rows=rows, participants=_group(records), errors=errors)


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
