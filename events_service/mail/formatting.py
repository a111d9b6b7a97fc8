"""Locale-aware formatting of dates, times and durations for emails (Babel).

The languages are LANGUAGES (languages.py; anything else falls back to ``en``), each written
with its own CLDR patterns. English uses the British (``en_GB``) ones - "Tuesday, 24 November
2026" and a 24-hour clock - which is what a European audience expects; German the Swiss ones.

The timezone abbreviation is the IANA one for the event's zone *at that instant*
(``CET`` in winter, ``CEST`` in summer for Europe/Rome). Babel's own ``z`` pattern is not
used for it: CLDR ``en`` has no short name for Central European Time and prints ``+0100``.
Zones whose IANA abbreviation is only a number (e.g. ``-03``) get Babel's localized GMT
format instead (``GMT-03:00``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta, get_timezone_gmt

from events_service.languages import LANGUAGES

__all__ = [
    "format_duration_until",
    "format_event_date",
    "format_event_datetime",
    "format_time_range",
    "normalise_language",
]

#: The CLDR locale of a language where its region matters; any other language is its own code.
_LOCALES = {"en": "en_GB", "de": "de_CH"}
_TIME_PATTERN = "HH:mm"
_EN_DASH = "\u2013"


def normalise_language(language: str | None) -> str:
    """``"it"``, ``"it-CH"``, ``"IT_it"`` -> ``"it"``; anything unknown -> ``"en"``."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=8)
def _locale(language: str) -> Locale:
    code = normalise_language(language)
    return Locale.parse(_LOCALES.get(code, code))


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def _localise(dt: datetime, tz: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: event times must be timezone-aware (UTC)")
    return dt.astimezone(_zone(tz))


def _zone_abbreviation(local: datetime, language: str) -> str:
    abbr = local.tzname() or ""
    if not abbr or abbr[0] in "+-" or abbr[0].isdigit():
        return get_timezone_gmt(local, width="long", locale=_locale(language))
    return abbr


def _date_text(local: datetime | date, language: str) -> str:
    return format_date(local, format="full", locale=_locale(language))


def _time_text(local: datetime, language: str) -> str:
    return format_time(local, _TIME_PATTERN, locale=_locale(language))


# The same few dates are formatted for every registrant of an event: remember them.
@lru_cache(maxsize=4096)
def format_event_date(dt_utc: datetime, tz: str, language: str) -> str:
    """The local calendar date only: ``martedì 24 novembre 2026`` / ``Tuesday, 24 November 2026``."""
    return _date_text(_localise(dt_utc, tz), language)


# The same few dates are formatted for every registrant of an event: remember them.
@lru_cache(maxsize=4096)
def format_event_datetime(dt_utc: datetime, tz: str, language: str) -> str:
    """Full local date and time with the zone abbreviation valid at that instant.

    >>> format_event_datetime(datetime(2026, 11, 24, 16, tzinfo=UTC), "Europe/Rome", "it")
    'martedì 24 novembre 2026, 17:00 CET'
    >>> format_event_datetime(datetime(2026, 11, 24, 16, tzinfo=UTC), "Europe/Rome", "en")
    'Tuesday, 24 November 2026, 17:00 CET'
    """
    local = _localise(dt_utc, tz)
    return (
        f"{_date_text(local, language)}, {_time_text(local, language)} "
        f"{_zone_abbreviation(local, language)}"
    )


# The same few dates are formatted for every registrant of an event: remember them.
@lru_cache(maxsize=4096)
def format_time_range(start: datetime, end: datetime, tz: str, language: str) -> str:
    """``martedì 24 novembre 2026, 17:00–18:30 CET`` when both ends fall on the same local
    day, otherwise both full date-times joined by `` – ``."""
    s = _localise(start, tz)
    e = _localise(end, tz)
    if s.date() != e.date():
        return (
            f"{format_event_datetime(start, tz, language)} {_EN_DASH} "
            f"{format_event_datetime(end, tz, language)}"
        )
    s_abbr = _zone_abbreviation(s, language)
    e_abbr = _zone_abbreviation(e, language)
    s_time = _time_text(s, language)
    e_time = _time_text(e, language)
    if s_abbr == e_abbr:
        times = f"{s_time}{_EN_DASH}{e_time} {s_abbr}"
    else:  # the clocks change during the event
        times = f"{s_time} {s_abbr} {_EN_DASH} {e_time} {e_abbr}"
    return f"{_date_text(s, language)}, {times}"


# The same few dates are formatted for every registrant of an event: remember them.
@lru_cache(maxsize=4096)
def format_duration_until(
    delta: timedelta | int | float, language: str, *, add_direction: bool = False
) -> str:
    """A rounded, human duration: ``1 giorno``, ``2 ore``, ``30 minuti`` / ``1 day``.

    ``delta`` is a timedelta or a number of minutes. With ``add_direction=True`` the
    result reads ``tra 1 giorno`` / ``in 1 day``. Negative or sub-minute values are
    shown as one minute (a reminder is never "ago").
    """
    if not isinstance(delta, timedelta):
        delta = timedelta(minutes=delta)
    delta = max(delta, timedelta(minutes=1))
    return format_timedelta(
        delta,
        granularity="minute",
        threshold=0.85,
        add_direction=add_direction,
        format="long",
        locale=_locale(language),
    )
