"""The console's expert forms read into the experts API's structs (ExpertCreate/ExpertUpdate,
SlotsCreate, WhereUpdate, RulesUpdate, SlotMove): the small grammars of their text fields (a
comma list of topics, one break a line as `12:30-13:15`, local times in the Tech Day's zone)
and the errors shown next to each field. No rule lives here: the structs and the service check.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events_service.errors import DomainError
from events_service.experts.schemas import MAX_BREAKS
from events_service.i18n import N_, Translate
from events_service.web.event_form import local_input, parse_local
from events_service.web.forms import ERROR_PATH, FormErrors, error_text, form_values

EXPERT_FIELDS = ["name", "email", "bio", "topics", "languages"]
SLOT_FIELDS = ["expert_id", "starts_at", "ends_at", "minutes", "breaks", "room", "video_url"]
PLACE_FIELDS = ["room", "video_url"]
RULES_FIELDS = ["bookings_close_at", "meetings_per_company_expert"]

#: Each text field is cut to this before any parsing (the form is read on the event loop);
#: longer than any valid value, so the struct still refuses what is too long.
MAX_FIELD_CHARS = 5000

_NOT_VALID = N_("this value is not valid")
_WHOLE_NUMBER = N_("a whole number")
_BREAK_LINE = N_("write one break a line as 12:30-13:15")
_TIME_FORMAT = N_("a date and time, e.g. 2026-05-06T10:00")

#: Service error codes → the form field they are about (the message is the service's own).
ERROR_FIELDS = {
    "window_empty": "ends_at", "window_outside_event": "starts_at", "window_too_short": "ends_at", "too_many_slots": "minutes",
    "break_empty": "breaks", "break_outside_window": "breaks", "breaks_overlap": "breaks",
}

_BREAK = re.compile(r"(\d{1,2}):(\d{2})[ \t]*[-–][ \t]*(\d{1,2}):(\d{2})")


def read_form(form: Any, names: list[str]) -> dict[str, str]:
    return {name: value[:MAX_FIELD_CHARS] for name, value in form_values(form, names).items()}


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_validation_error(errors: FormErrors, error: msgspec.ValidationError, fields: list[str], _: Translate) -> None:
    """A struct's refusal next to the field it names (`$.breaks[2].starts_at` → breaks)."""
    match = ERROR_PATH.search(str(error))
    name = match.group(1) if match else None
    errors.add(name if name in fields else None, _(_NOT_VALID) if name in fields else str(error))


def add_service_error(errors: FormErrors, error: DomainError, _: Translate) -> None:
    errors.add(ERROR_FIELDS.get(error.code or ""), error_text(error, _))


def converted(payload: dict[str, Any], struct: type[Any], errors: FormErrors, fields: list[str], _: Translate) -> Any:
    """`payload` as `struct`, or None with the reason added to `errors`."""
    if errors:
        return None
    try:
        return msgspec.convert(payload, struct)
    except msgspec.ValidationError as error:
        add_validation_error(errors, error, fields, _)
        return None


# ---------------------------------------------------------------- an expert


def expert_payload(values: dict[str, str]) -> dict[str, Any]:
    """Every field, for a new expert (ExpertCreate) or a change (ExpertUpdate): the form shows them all."""
    return {"name": values["name"], "email": values["email"], "bio": values["bio"], "topics": _comma_list(values["topics"]),
            "languages": [code.lower() for code in _comma_list(values["languages"])]}


def expert_values(expert: Any) -> dict[str, str]:
    return {"name": expert.name, "email": expert.email, "bio": expert.bio, "topics": ", ".join(expert.topics),
            "languages": ", ".join(expert.languages)}


# ---------------------------------------------------------------- times in the Tech Day's zone


def _local_time(values: dict[str, str], name: str, zone: ZoneInfo, errors: FormErrors, _: Translate) -> datetime | None:
    try:
        return parse_local(values[name], zone)
    except ValueError:
        errors.add(name, _(_TIME_FORMAT))
        return None


def parse_breaks(text: str, day: datetime, zone: ZoneInfo) -> list[dict[str, str]]:
    """One break a line, `12:30-13:15`, on the window's local date; ValueError for a line that
    is not one (or more lines than a window may have: the struct would refuse them anyway)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_BREAKS:
        raise ValueError("too many breaks")
    breaks = []
    for line in lines:
        match = _BREAK.fullmatch(line)
        if match is None:
            raise ValueError(line)
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        start = datetime.combine(day.date(), time(start_h, start_m), tzinfo=zone)
        end = datetime.combine(day.date(), time(end_h, end_m), tzinfo=zone)
        breaks.append({"starts_at": start.isoformat(), "ends_at": end.isoformat()})
    return breaks


def slots_payload(values: dict[str, str], timezone: str, errors: FormErrors, _: Translate) -> dict[str, Any]:
    zone = ZoneInfo(timezone)
    payload: dict[str, Any] = {"room": values["room"] or None, "video_url": values["video_url"] or None}
    for name in ("expert_id", "minutes"):
        if not values[name].isdigit() or len(values[name]) > 10:
            errors.add(name, _(_WHOLE_NUMBER))
        else:
            payload[name] = int(values[name])
    for name in ("starts_at", "ends_at"):
        moment = _local_time(values, name, zone, errors, _)
        if moment is None and name not in errors.fields:
            errors.add(name, _("This field is required."))
        payload[name] = moment.isoformat() if moment else None
    if payload["starts_at"]:
        try:
            payload["breaks"] = parse_breaks(values["breaks"], datetime.fromisoformat(payload["starts_at"]), zone)
        except ValueError:
            errors.add("breaks", _(_BREAK_LINE))
    return payload


def place_payload(values: dict[str, str]) -> dict[str, Any]:
    """Both fields, blank meaning none: the form shows the place as a whole."""
    return {"room": values["room"] or None, "video_url": values["video_url"] or None}


def rules_payload(values: dict[str, str], timezone: str, errors: FormErrors, _: Translate) -> dict[str, Any]:
    closes = _local_time(values, "bookings_close_at", ZoneInfo(timezone), errors, _)
    payload: dict[str, Any] = {"bookings_close_at": closes.isoformat() if closes else None}
    cap = values["meetings_per_company_expert"]
    if not cap.isdigit() or len(cap) > 10:
        errors.add("meetings_per_company_expert", _(_WHOLE_NUMBER))
    else:
        payload["meetings_per_company_expert"] = int(cap)
    return payload


def move_payload(values: dict[str, str], timezone: str, errors: FormErrors, _: Translate) -> dict[str, Any]:
    moment = _local_time(values, "starts_at", ZoneInfo(timezone), errors, _)
    if moment is None and "starts_at" not in errors.fields:
        errors.add("starts_at", _("This field is required."))
    return {"starts_at": moment.isoformat() if moment else None}


def rules_values(rules: Any, timezone: str) -> dict[str, str]:
    return {"bookings_close_at": local_input(rules.bookings_close_at, timezone),
            "meetings_per_company_expert": str(rules.meetings_per_company_expert)}
