"""Checks shared by several domains."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import msgspec
from email_validator import EmailNotValidError, validate_email

from events_service.errors import Invalid

#: An event's reminders: at most this many, each at most this long before the start.
MAX_REMINDERS = 6
MAX_REMINDER_MINUTES = 60 * 24 * 60
#: The reminders an event gets when none are given: a day and an hour before the start.
DEFAULT_REMINDER_OFFSETS = (1440, 60)
#: A Tech Day's agenda has at most this many sessions (the API's and the console form's limit).
MAX_AGENDA_ITEMS = 100


def normalise_email(address: str) -> str:
    """Syntax only (no DNS look-up), lower-cased so one person is one address.

    Only addresses every mail server takes: a local part in ASCII (one with other letters needs
    SMTPUTF8 end to end, which neither our messages nor every relay speak, so its mail could
    never be sent), and the domain kept in its ASCII (IDNA) form, which any message can carry.
    """
    try:
        checked = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise Invalid(f"'{address}' is not a valid email address: {error}", code="invalid_email") from None
    return checked.ascii_email.lower()


# ---------------------------------------------------------------- hostile input

#: The largest id a row can have: ids are PostgreSQL `integer` (int4) columns, and a bigger
#: number in a query is an error there, not "no such row".
DB_INT_MAX = 2**31 - 1

#: A one-line text (names, titles, codes): no control characters at all. PostgreSQL refuses NUL
#: in text, and a line break in a name would end an email header. \A…\Z, not ^…$: `$` also
#: matches before a final newline.
SINGLE_LINE = msgspec.Meta(pattern=r"\A[^\x00-\x1f\x7f-\x9f]*\Z")
#: A text that may span lines (a description, a bio): tabs and line breaks, no other control.
#: A scanned code: one line, though a scanner that types like a keyboard adds spaces and the
#: Enter key around it (stripped by whoever reads it).
SCANNED_CODE = msgspec.Meta(pattern=r"\A[ \t\r\n]*[^\x00-\x1f\x7f-\x9f]*[ \t\r\n]*\Z")
MULTI_LINE = msgspec.Meta(pattern=r"\A[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*\Z")


def has_control_characters(text: str) -> bool:
    """What no path segment or query value of ours ever holds (NUL, line breaks, other controls)."""
    return any(ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F for character in text)


def as_row_id(text: str) -> int | None:
    """The id a path segment names, or None when it cannot name one: only ASCII digits count
    (`str.isdigit` is also true for '²' and '٣', which int() refuses or reads as another
    number), and only as far as an id can go."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(DB_INT_MAX)):
        return None
    number = int(text)
    return number if 0 < number <= DB_INT_MAX else None


#: Moments an event, a session or a report period may fall in. Outside it a date is a typing
#: mistake or an attack, and years 1 and 9999 overflow when moved to another timezone.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def in_window(value: datetime, field: str) -> datetime:
    """`value` if it lies within FIRST_YEAR..LAST_YEAR in UTC, else ValueError (msgspec turns
    one raised in __post_init__ into a 422 naming the field)."""
    try:
        year = value.astimezone(UTC).year
    except (OverflowError, ValueError):
        year = value.year
    if not FIRST_YEAR <= year <= LAST_YEAR or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{field} must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def moments_in_window(struct: msgspec.Struct, fields: Iterable[str]) -> None:
    """in_window() for each of a struct's datetime fields that is set."""
    for field in fields:
        value = getattr(struct, field, None)
        if isinstance(value, datetime):
            in_window(value, field)


def zone(name: str) -> ZoneInfo:
    if name not in _zone_names():
        raise Invalid(f"'{name}' is not an IANA timezone (e.g. Europe/Rome, Europe/Zurich)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"'{name}' is not an IANA timezone") from None


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES
