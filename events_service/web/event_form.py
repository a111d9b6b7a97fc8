"""The console's event form: its fields read and checked as a whole into the event's struct
(EventCreate or EventPatch) and the follow-up links, and an event written back into the form.
The small grammars of its text fields live here too: local times, speakers, the agenda and
the reminder times (their limits are validation.py's, the API's own).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events_service.attendance.schemas import FollowUpPatch
from events_service.errors import DomainError
from events_service.events.schemas import EventCreate
from events_service.i18n import N_, Translate
from events_service.settings import DEFAULT_TIMEZONE
from events_service.validation import (
    DEFAULT_REMINDER_OFFSETS,
    MAX_AGENDA_ITEMS,
    MAX_REMINDER_MINUTES,
    MAX_REMINDERS,
    zone,
)
from events_service.web.forms import ERROR_PATH, FormErrors, form_values


def local_input(value: datetime | None, timezone: str) -> str:
    """A stored UTC time as the value of an <input type=datetime-local> in the event's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def parse_local(text: str, timezone: ZoneInfo) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=timezone)


def parse_speakers(text: str) -> list[dict[str, Any]]:
    """One speaker a line: `Name | email | bio` (email and bio optional)."""
    speakers = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        speakers.append({"name": parts[0], "email": parts[1] if len(parts) > 1 and parts[1] else None,
                         "bio": parts[2] if len(parts) > 2 else ""})
    return speakers


def speakers_text(speakers: list[Any]) -> str:
    return "\n".join(" | ".join([s.name, s.email or "", s.bio or ""]).rstrip(" |") for s in speakers)


# The times part only, matched after the line is split at "|": every pattern here runs on a
# short, bounded piece, and the line is read in one pass (a single regex over the whole line
# backtracked quadratically on long runs of spaces: 8,000 characters took seconds).
_AGENDA_TIMES = re.compile(r"(\d{1,2}:\d{2})[ \t]*[-–][ \t]*(\d{1,2}:\d{2})")
#: A session line: times, a title of at most 200 characters, a speaker's name; generous.
MAX_AGENDA_LINE = 600
#: The whole field, bounded before any parsing: the form is read on the event loop.
MAX_AGENDA_CHARS = MAX_AGENDA_ITEMS * (MAX_AGENDA_LINE + 1)


class AgendaLineError(ValueError):
    """A line of the agenda field that cannot be read; `line` counts from 1."""

    def __init__(self, line: int) -> None:
        super().__init__(f"agenda line {line}: write it as 09:00-09:30 | Title | Speaker")
        self.line = line


class AgendaTooLong(ValueError):
    """The agenda field is past a limit (`what`: "chars", "line" or "items"); nothing of it
    is parsed."""

    def __init__(self, what: str, line: int | None = None) -> None:
        super().__init__(f"agenda too long ({what})")
        self.what = what
        self.line = line


def _agenda_line(line: str, number: int) -> tuple[str, str, str, str | None]:
    """(start, end, title, speaker) of one line: `09:00-09:30 | Title | Speaker`. A speaker
    may contain "|"; the title may not (it ends at the first one after the times)."""
    parts = line.split("|", 2)
    if len(parts) < 2:
        raise AgendaLineError(number)
    times = _AGENDA_TIMES.fullmatch(parts[0].strip())
    title = parts[1].strip()
    if times is None or not title:
        raise AgendaLineError(number)
    speaker = parts[2].strip() if len(parts) == 3 else ""
    return times.group(1), times.group(2), title, speaker or None


def parse_agenda(text: str, day: datetime, timezone: ZoneInfo) -> list[dict[str, Any]]:
    """One session a line: `09:00-09:30 | Title | Speaker` on the event's first (local) day.
    Linear in the text's length, and refused unread past MAX_AGENDA_CHARS."""
    if len(text) > MAX_AGENDA_CHARS:
        raise AgendaTooLong("chars")
    items = []
    local_day = day.astimezone(timezone).date()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_AGENDA_LINE:
            raise AgendaTooLong("line", number)
        if len(items) == MAX_AGENDA_ITEMS:
            raise AgendaTooLong("items", number)
        start, end, title, speaker = _agenda_line(line, number)
        try:
            starts = datetime.combine(local_day, datetime.strptime(start, "%H:%M").time(), timezone)
            ends = datetime.combine(local_day, datetime.strptime(end, "%H:%M").time(), timezone)
        except ValueError:  # 25:00, 09:75
            raise AgendaLineError(number) from None
        if ends <= starts:
            ends += timedelta(days=1)
        items.append({"title": title, "starts_at": starts, "ends_at": ends, "speaker": speaker})
    return items


def agenda_text(agenda: list[Any], timezone: str) -> str:
    zone_info = ZoneInfo(timezone)
    return "\n".join(
        f"{item.starts_at.astimezone(zone_info):%H:%M}-{item.ends_at.astimezone(zone_info):%H:%M} | {item.title}"
        + (f" | {item.speaker}" if item.speaker else "")
        for item in agenda
    )


#: msgspec paths of the event (and follow-up) structs that are not named like the form's fields.
_EVENT_FORM_FIELDS = {"reminder_offsets_minutes": "reminder_offsets"}


def event_form_error(error: msgspec.ValidationError) -> tuple[str | None, str]:
    """The console's event form field a msgspec error is about (`$.venue.name` -> venue_name),
    and the message for it (English, translated where it is shown)."""
    text = str(error)
    match = ERROR_PATH.search(text)
    name = None
    if match:
        top, _index, sub = match.groups()
        name = f"venue_{sub}" if top == "venue" and sub else _EVENT_FORM_FIELDS.get(top, top)
    if name == "online_meeting":
        if match and match.group(3) == "platform":
            return "meeting_platform", N_("this value is not valid")
        if "organizer_id" in text:
            return "meeting_organizer_id", N_("a Teams meeting needs its organiser's user id (Microsoft Entra object id or address)")
        return "meeting_id", N_("not a meeting id of this platform (Zoom: the meeting number, 9 to 12 digits)")
    if "matching regex" in text:
        return name, N_("a full address starting with http:// or https://")
    if "length" in text:
        return name, N_("too long (or empty)")
    if ">=" in text or "<=" in text:
        return name, N_("a number out of range")
    return name, N_("this value is not valid")


_OFFSET = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)\s*([a-z]*)$")
# A comma between digits with the unit right after is an Italian decimal comma (`1,5h` is 90
# minutes), not two reminders: split at the comma, it read as 1 minute and 5 hours.
_DECIMAL_COMMA = re.compile(r"(\d),(\d+\s*[a-z])")
_OFFSET_UNITS = {"": 1, "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "minuto": 1, "minuti": 1,
                 "h": 60, "hour": 60, "hours": 60, "ora": 60, "ore": 60,
                 "d": 1440, "g": 1440, "day": 1440, "days": 1440, "giorno": 1440, "giorni": 1440}


class OffsetError(ValueError):
    """Why the reminder field cannot be read: `reason` is "format" (then `text` is the piece
    that is not a time), "range" or "count"."""

    def __init__(self, reason: str, text: str = "") -> None:
        super().__init__(f"reminder offsets: {reason} {text}".strip())
        self.reason = reason
        self.text = text


def parse_offsets(text: str) -> list[int]:
    """The reminder field: `1d, 3h, 30m` (also `2g`, `1 day`, `2 ore`, `1.5h` or `1,5h`; a bare
    number is minutes) as minutes before the event, largest first, each once. Empty means no
    reminders."""
    minutes: set[int] = set()
    for piece in re.split(r"[,;]", _DECIMAL_COMMA.sub(r"\1.\2", text.lower())):
        piece = piece.strip()
        if not piece:
            continue
        match = _OFFSET.match(piece)
        if not match or match.group(2) not in _OFFSET_UNITS:
            raise OffsetError("format", piece)
        amount = Decimal(match.group(1)) * _OFFSET_UNITS[match.group(2)]
        if amount != amount.to_integral_value():
            raise OffsetError("format", piece)  # reminders go out on whole minutes
        value = int(amount)
        if not 1 <= value <= MAX_REMINDER_MINUTES:
            raise OffsetError("range", piece)
        minutes.add(value)
    if len(minutes) > MAX_REMINDERS:
        raise OffsetError("count")
    return sorted(minutes, reverse=True)


def offsets_text(minutes: list[int]) -> str:
    """[1440, 90, 60] -> `1d, 90m, 1h`: what parse_offsets reads back."""

    def one(value: int) -> str:
        if value % 1440 == 0:
            return f"{value // 1440}d"
        if value % 60 == 0:
            return f"{value // 60}h"
        return f"{value}m"

    return ", ".join(one(value) for value in minutes)


# ---------------------------------------------------------------- the form as a whole


EVENT_FIELDS = ["kind", "title", "description", "language", "starts_at", "ends_at", "timezone", "mode", "capacity",
                "online_capacity", "max_per_company", "venue_name", "venue_address", "venue_city", "online_url",
                "registration_closes_at", "topics", "speakers", "agenda", "reminder_offsets", "recording_url", "slides_url",
                "attendance_threshold_percent", "meeting_platform", "meeting_id", "meeting_organizer_id", "acts_on_replies"]
#: The event form's fields saved through the attendance service (FollowUpPatch), not with the
#: event: the links the follow-up emails carry, and the share of the event that counts as attended.
FOLLOW_UP_FIELDS = ("recording_url", "slides_url", "attendance_threshold_percent")


def event_values(event: Any, follow_up: Any) -> dict[str, str]:
    venue = event.venue
    return {
        "kind": event.kind, "title": event.title, "description": event.description, "language": event.language,
        "starts_at": local_input(event.starts_at, event.timezone), "ends_at": local_input(event.ends_at, event.timezone),
        "timezone": event.timezone, "mode": event.mode, "capacity": str(event.capacity),
        "online_capacity": "" if event.online_capacity is None else str(event.online_capacity),
        "max_per_company": "" if event.max_per_company is None else str(event.max_per_company),
        "venue_name": venue.name if venue else "", "venue_address": venue.address if venue else "",
        "venue_city": venue.city if venue else "", "online_url": event.online_url or "",
        "registration_closes_at": local_input(event.registration_closes_at, event.timezone),
        "topics": ", ".join(event.topics), "speakers": speakers_text(event.speakers),
        "agenda": agenda_text(event.agenda, event.timezone),
        "reminder_offsets": offsets_text(event.reminder_offsets_minutes),
        "recording_url": follow_up.recording_url or "", "slides_url": follow_up.slides_url or "",
        "attendance_threshold_percent": str(follow_up.attendance_threshold_percent),
        **meeting_values(event.online_meeting),
        "acts_on_replies": "1" if event.acts_on_replies else "0",
    }


def meeting_values(meeting: Any) -> dict[str, str]:
    """The webinar's platform fields of the form (events/online_meeting.py); blank: none."""
    return {
        "meeting_platform": meeting.platform.value if meeting else "",
        "meeting_id": meeting.meeting_id if meeting else "",
        "meeting_organizer_id": (meeting.organizer_id or "") if meeting else "",
    }


def _meeting_payload(values: dict[str, str]) -> dict[str, Any] | None:
    """No platform chosen: no online meeting (a meeting id typed without one is an error)."""
    if not values["meeting_platform"]:
        return None
    return {
        "platform": values["meeting_platform"],
        "meeting_id": values["meeting_id"].strip(),
        "organizer_id": values["meeting_organizer_id"].strip() or None,
    }


def default_reminders() -> list[int]:
    """The reminders an event gets when the API leaves them out, for the new-event form."""
    return list(DEFAULT_REMINDER_OFFSETS)


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def _event_payload(values: dict[str, str], errors: FormErrors, _: Translate) -> dict[str, Any]:
    """The event form as the API's JSON would carry it; what cannot be read is an error next
    to its field."""
    payload: dict[str, Any] = {}
    for name in ("kind", "title", "description", "language", "mode"):
        payload[name] = values[name]
    timezone_name = values["timezone"] or DEFAULT_TIMEZONE
    payload["timezone"] = timezone_name
    try:
        tz = zone(timezone_name)
    except DomainError as error:
        errors.add("timezone", error.detail)
        tz = ZoneInfo(DEFAULT_TIMEZONE)
    for name in ("starts_at", "ends_at", "registration_closes_at"):
        try:
            payload[name] = parse_local(values[name], tz)
        except ValueError:
            errors.add(name, _("date and time like 2026-12-01T09:30"))
    for name in ("starts_at", "ends_at", "title", "capacity"):
        if not values[name]:
            errors.add(name, _("required"))
    for name in ("capacity", "online_capacity", "max_per_company"):
        try:
            payload[name] = _int_or_none(values[name])
        except ValueError:
            errors.add(name, _("a whole number"))
    try:
        payload["reminder_offsets_minutes"] = parse_offsets(values["reminder_offsets"])
    except OffsetError as error:
        message = {"range": _("each reminder between 1 minute and 60 days before the event"), "count": _("at most 6 reminders")}.get(error.reason)
        errors.add("reminder_offsets", message or _("“{text}” is not a reminder time: write e.g. 1d, 3h, 30m").format(text=error.text))
    venue = {part: values[f"venue_{part}"] for part in ("name", "address", "city")}
    payload["venue"] = venue if any(venue.values()) else None
    payload["online_url"] = values["online_url"] or None
    payload["online_meeting"] = _meeting_payload(values)
    if payload["online_meeting"] is None and values["meeting_id"].strip():
        errors.add("meeting_platform", _("choose the platform of this meeting"))
    payload["topics"] = [topic.strip() for topic in values["topics"].split(",") if topic.strip()]
    payload["speakers"] = parse_speakers(values["speakers"])
    payload["agenda"] = []
    if values["agenda"].strip() and payload.get("starts_at"):
        try:
            payload["agenda"] = parse_agenda(values["agenda"], payload["starts_at"], tz)
        except AgendaLineError as error:
            errors.add("agenda", _("agenda line {line}: write it as 09:00-09:30 | Title | Speaker").format(line=error.line))
        except AgendaTooLong:
            errors.add("agenda", _("The agenda is too long: at most {items} sessions, one a line of at most {chars} characters.").format(items=MAX_AGENDA_ITEMS, chars=MAX_AGENDA_LINE))
    return payload


def _add_validation_error(errors: FormErrors, error: msgspec.ValidationError, _: Translate) -> None:
    """A msgspec error next to the form's field it is about, translated; one about no field
    of the form is shown above the form as msgspec words it."""
    name, message = event_form_error(error)
    if name in EVENT_FIELDS:
        errors.add(name, _(message))
    else:
        errors.add(None, str(error))


def checked_event_form(form: Any, struct: type[Any], _: Translate) -> tuple[dict[str, str], Any, FollowUpPatch | None, FormErrors]:
    """The event form read and checked as a whole before anything is saved: what was typed,
    the event as `struct` (EventCreate or EventPatch) and the follow-up links, or the errors.
    Reminders or links a form does not carry at all are left as they are (or the default)."""
    values = form_values(form, EVENT_FIELDS)
    errors = FormErrors()
    payload = _event_payload(values, errors, _)
    if "reminder_offsets" not in form:
        payload.pop("reminder_offsets_minutes", None)
    if "meeting_platform" not in form:  # a form without the fields leaves the meeting as it is
        payload.pop("online_meeting", None)
    # Only the edit form has the switch (a new event acts on replies); without it, it stays.
    if struct is not EventCreate and "acts_on_replies" in form:
        if values["acts_on_replies"] in ("0", "1"):
            payload["acts_on_replies"] = values["acts_on_replies"] == "1"
        else:
            errors.add("acts_on_replies", _("this value is not valid"))
    event = None
    links: dict[str, Any] = {}
    for name in FOLLOW_UP_FIELDS:  # one by one, so that each can be wrong at once
        if name not in form:
            continue
        value: Any = values[name] or None
        if name == "attendance_threshold_percent":
            if value is None:
                continue  # a blank threshold keeps the event's
            try:
                value = int(value)
            except ValueError:
                errors.add(name, _("a whole number"))
                continue
        try:
            links[name] = getattr(msgspec.convert({name: value}, FollowUpPatch), name)
        except msgspec.ValidationError as error:
            _add_validation_error(errors, error, _)
    follow_up = None if errors else FollowUpPatch(**links)
    if not errors:
        if struct is EventCreate:
            payload = {k: v for k, v in payload.items() if v is not None}
        try:
            event = msgspec.convert(payload, struct)
        except msgspec.ValidationError as error:
            _add_validation_error(errors, error, _)
    return values, event, follow_up, errors
