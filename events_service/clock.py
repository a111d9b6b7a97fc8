"""The service's one clock, and the two ways a moment is brought to UTC.

Every moment the service writes or compares is an aware UTC datetime: SQLite stores
`Timestamptz` as UTC text and compares it as text, so a naive or non-UTC value would
silently match the wrong rows there (and the right ones on PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "now_utc", "stored_utc"]


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware moment in UTC; a naive one is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: only timezone-aware datetimes are compared or stored")
    return moment.astimezone(UTC)


def stored_utc(value: datetime | str) -> datetime:
    """A timestamp as the driver returns it, in UTC: SQLite may give the stored text (and
    `MAX()` of a timestamp is always text there), PostgreSQL a datetime; naive means UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
