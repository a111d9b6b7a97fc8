"""iCalendar documents for invites (iTIP, RFC 5546), downloads and feeds.

Pure functions: no database, no I/O. Every text that reaches a calendar goes
through icalendar's own escaping; this module adds only what icalendar does
not do for us (UTC conversion, control characters, clean CN parameters,
REFRESH-INTERVAL with an explicit VALUE=DURATION).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlencode

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from events_service.clock import now_utc

PRODID = "-//events_service//Tech Talks and Tech Days//EN"

GOOGLE_TEMPLATE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE_URL = "https://outlook.live.com/calendar/0/deeplink/compose"

Status = Literal["CONFIRMED", "CANCELLED"]
InviteMethod = Literal["REQUEST", "CANCEL"]

# RFC 5545 TEXT excludes CONTROL characters except HTAB and the escaped
# newline; C1 controls are legal but no client shows them meaningfully.
_CONTROL_CHARS = {
    code: None
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
    if code not in (0x09, 0x0A)
}

# Deliberately stricter than RFC 5322: an address ends up inside a URI value
# (mailto:) where quotes, spaces and separators would need percent-encoding.
_EMAIL_RE = re.compile(r"[^\s\"<>()\[\]\\,;:@]+@[^\s\"<>()\[\]\\,;:@]+")


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT, already decided by the caller (uid and sequence included)."""

    uid: str
    sequence: int
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str | None
    url: str | None
    status: Status = "CONFIRMED"
    last_modified: datetime | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Fail where the entry is made: a naive time would be written as
        # "floating" local time, which every attendee reads differently.
        _require_aware("starts_at", self.starts_at)
        _require_aware("ends_at", self.ends_at)
        if self.last_modified is not None:
            _require_aware("last_modified", self.last_modified)
        # Compare in UTC: aware datetimes sharing one tzinfo compare by wall
        # clock, which gets the repeated hour of a DST change wrong.
        if _utc(self.ends_at) <= _utc(self.starts_at):
            raise ValueError("ends_at must be after starts_at")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if not self.uid.strip():
            raise ValueError("uid must not be empty")


def build_invite(
    entry: CalendarEntry,
    *,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
    method: InviteMethod,
    prodid: str = PRODID,
    alarm_minutes: int | None = 15,
    now: datetime | None = None,
) -> bytes:
    """Return an iTIP invite (METHOD:REQUEST) or cancellation (METHOD:CANCEL).

    The caller owns the UID and SEQUENCE: a CANCEL must reuse the UID of the
    REQUEST and carry a higher SEQUENCE, otherwise clients ignore it.
    ``alarm_minutes=None`` leaves the reminder to the attendee's client.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported invite method: {method!r}")
    if method == "REQUEST" and entry.status == "CANCELLED":
        # A cancelled entry sent as REQUEST would leave a live event behind.
        raise ValueError("a cancelled entry must be sent with method='CANCEL'")
    if alarm_minutes is not None and alarm_minutes < 0:
        raise ValueError("alarm_minutes must not be negative")

    organizer = _address(organizer_email, organizer_name)
    is_request = method == "REQUEST"
    # A request asks for a reply (RFC 5546 3.2.2): the attendee's Accept/Decline comes back
    # to ORGANIZER as METHOD:REPLY, which replies/ reads. A cancellation asks for none.
    attendee = _address(
        attendee_email,
        attendee_name,
        role="REQ-PARTICIPANT",
        partstat="NEEDS-ACTION",
        rsvp=is_request,
    )
    alarms = (
        [_display_alarm(entry.summary, alarm_minutes)]
        if is_request and alarm_minutes is not None
        else []
    )
    event = _vevent(
        entry,
        stamp=_stamp(now),
        status=entry.status if is_request else "CANCELLED",
        organizer=organizer,
        attendees=[attendee],
        subcomponents=alarms,
    )
    return _calendar(method, prodid, [event]).to_ical()


def build_publish(
    entries: Iterable[CalendarEntry],
    *,
    calendar_name: str,
    refresh_minutes: int = 60,
    prodid: str = PRODID,
    now: datetime | None = None,
) -> bytes:
    """Return a METHOD:PUBLISH calendar (download or subscribed feed).

    No ORGANIZER/ATTENDEE: a published copy is read-only, and clients turn
    events with attendees into meetings the subscriber seems to own.
    Cancelled entries stay in the feed with STATUS:CANCELLED so subscribers
    drop them instead of keeping a stale copy.
    """
    if refresh_minutes <= 0:
        raise ValueError("refresh_minutes must be positive")
    stamp = _stamp(now)  # once per feed: it is the same instant for all events
    events = [_vevent(entry, stamp=stamp, status=entry.status) for entry in entries]
    calendar = _calendar("PUBLISH", prodid, events)
    _add_calendar_name(calendar, calendar_name)
    interval = _minutes_duration(refresh_minutes)
    # RFC 7986 requires VALUE=DURATION on REFRESH-INTERVAL; icalendar omits it.
    calendar.add("REFRESH-INTERVAL", vText(interval), parameters={"VALUE": "DURATION"})
    # Outlook and older clients read only the non-standard X-PUBLISHED-TTL.
    calendar.add("X-PUBLISHED-TTL", vText(interval))
    return calendar.to_ical()


def google_calendar_link(entry: CalendarEntry) -> str:
    """Return a Google Calendar "add event" link with UTC times."""
    dates = f"{_compact_utc(entry.starts_at)}/{_compact_utc(entry.ends_at)}"
    params = {
        "action": "TEMPLATE",
        "text": _text(entry.summary),
        "dates": dates,
        "details": _link_body(entry),
    }
    if entry.location:
        params["location"] = _text(entry.location)
    return f"{GOOGLE_TEMPLATE_URL}?{urlencode(params, quote_via=quote)}"


def outlook_link(entry: CalendarEntry) -> str:
    """Return an Outlook.com "add event" deep link with UTC times."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": _text(entry.summary),
        "startdt": _iso_utc(entry.starts_at),
        "enddt": _iso_utc(entry.ends_at),
        "body": _link_body(entry),
    }
    if entry.location:
        params["location"] = _text(entry.location)
    return f"{OUTLOOK_COMPOSE_URL}?{urlencode(params, quote_via=quote)}"


# --- building blocks -------------------------------------------------------


def _vevent(
    entry: CalendarEntry,
    *,
    stamp: datetime,
    status: Status,
    organizer: vCalAddress | None = None,
    attendees: list[vCalAddress] | None = None,
    subcomponents: Sequence[Alarm] = (),
) -> Event:
    return Event.new(
        uid=entry.uid,
        sequence=entry.sequence,
        stamp=stamp,
        # UTC only: an aware Rome time would be written as TZID=Europe/Rome,
        # which needs a VTIMEZONE; icalendar's generated ones (RDATE-based,
        # 1970-2038) are mishandled by Outlook.
        start=_utc(entry.starts_at),
        end=_utc(entry.ends_at),
        summary=_text(entry.summary),
        description=_optional_text(entry.description),
        location=_optional_text(entry.location),
        url=entry.url or None,
        status=status,
        last_modified=_utc(entry.last_modified) if entry.last_modified else None,
        categories=[_text(c) for c in entry.categories if c.strip()],
        organizer=organizer,
        attendees=attendees,
        subcomponents=subcomponents or None,
    )


def _calendar(method: str, prodid: str, events: list[Event]) -> Calendar:
    calendar = Calendar.new(prodid=prodid, method=method, subcomponents=events)
    # Calendar.new adds a random calendar-level UID; we have no stable
    # identity for it, and dropping it keeps the output reproducible.
    del calendar["UID"]
    return calendar


def _add_calendar_name(calendar: Calendar, name: str) -> None:
    # Not Calendar.new(name=...): icalendar 7.3 types NAME and X-WR-CALNAME as
    # vUnknown and writes them verbatim, so "," and ";" go out unescaped and a
    # newline is stopped only by an `assert` (gone under `python -O`).
    # A calendar name is one line in every client, so line breaks are flattened.
    value = vText(" ".join(_text(name).split()))
    calendar.add("NAME", value)  # RFC 7986
    calendar.add("X-WR-CALNAME", value)  # what Apple, Google and Outlook read


def _display_alarm(summary: str, minutes: int) -> Alarm:
    # DISPLAY alarms require a non-empty DESCRIPTION.
    return Alarm.new_display(_text(summary) or "Reminder", trigger=timedelta(minutes=-minutes))


def _address(
    email: str,
    name: str,
    *,
    role: str | None = None,
    partstat: str | None = None,
    rsvp: bool | None = None,
) -> vCalAddress:
    if not _EMAIL_RE.fullmatch(email):
        raise ValueError(f"not a usable e-mail address: {email!r}")
    return vCalAddress.new(
        email,
        cn=_param_text(name) or None,
        role=role,
        partstat=partstat,
        rsvp=rsvp,
    )


def _stamp(now: datetime | None) -> datetime:
    if now is None:
        return now_utc().replace(microsecond=0)
    _require_aware("now", now)
    return _utc(now).replace(microsecond=0)


# --- text and time helpers -------------------------------------------------


def _text(value: str) -> str:
    """Normalise user text for a TEXT value; icalendar escapes the rest.

    iCalendar has a single newline escape, so CRLF and lone CR become LF
    (icalendar would turn them into LF anyway, but silently).
    """
    normalised = value.replace("\r\n", "\n").replace("\r", "\n")
    return normalised.translate(_CONTROL_CHARS)


def _optional_text(value: str | None) -> str | None:
    # Empty strings would still emit an empty property; leave them out.
    if not value:
        return None
    return _text(value) or None


def _param_text(value: str) -> str:
    """Make a parameter value (CN) safe for every client.

    icalendar quotes such values and applies RFC 6868 (^' for a quote, ^n for
    a newline), but Outlook and Gmail do not decode RFC 6868 and would show
    the carets, so quotes and line breaks are removed before icalendar sees them.
    """
    flattened = _text(value).replace('"', "")
    return " ".join(flattened.split())


def _require_aware(field: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _compact_utc(value: datetime) -> str:
    return _utc(value).strftime("%Y%m%dT%H%M%SZ")


def _iso_utc(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes_duration(minutes: int) -> str:
    return f"PT{minutes}M"


def _link_body(entry: CalendarEntry) -> str:
    # The web templates have no URL field, so the link goes into the body.
    body = _text(entry.description)
    if entry.url:
        body = f"{body}\n\n{entry.url}" if body else entry.url
    return body
