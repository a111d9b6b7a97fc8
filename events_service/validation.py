"""Checks shared by several domains."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from email_validator import EmailNotValidError, validate_email

from events_service.errors import Invalid


def normalise_email(address: str) -> str:
    """Syntax only (no DNS look-up), lower-cased so one person is one address."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise Invalid(f"'{address}' is not a valid email address: {error}", code="invalid_email") from None
    return checked.normalized.lower()


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


def require_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"{field} must carry a timezone offset, e.g. 2026-11-24T17:00:00+01:00")
    return value
