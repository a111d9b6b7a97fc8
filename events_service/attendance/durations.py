"""Durations as the reports write them, in seconds.

Teams: `10m 59s`, `1h 2m 3s` (en), `59 Min. 0 Sek.` (de, unconfirmed), `1 godz. 2 min 3 sek.`
(Polish exports); Zoom and Webex: whole minutes (`45`); Webex also `0:45:10` or `45 mins`.
A duration says how long someone stayed, not when: it is used only where a report has no
join/leave pair per session (Teams' Participants section on its own).
"""

from __future__ import annotations

import re

# Unit spellings, casefolded, without the trailing dot: seconds per unit.
_UNITS = {
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "godz": 3600, "std": 3600, "ora": 3600, "ore": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "minuti": 60, "minuten": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "sek": 1, "secondi": 1, "sekunden": 1,
}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)?\.?", re.UNICODE)
_CLOCK = re.compile(r"(\d+):(\d{2})(?::(\d{2}))?")


def duration_seconds(text: str) -> int | None:
    """Seconds in `text`, or None when it is not a duration. A bare number is minutes."""
    value = text.strip().casefold()
    if not value:
        return None
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        return hours * 3600 + minutes * 60 + seconds
    total = 0.0
    position = 0
    for match in _PART.finditer(value):
        if value[position : match.start()].strip():
            return None  # words that are no unit: not a duration
        number, unit = float(match[1].replace(",", ".")), match[2]
        if unit is None:
            total += number * 60  # Zoom's "Duration (minutes)"
        elif unit in _UNITS:
            total += number * _UNITS[unit]
        else:
            return None
        position = match.end()
    if position == 0 or value[position:].strip():
        return None
    return int(total)
