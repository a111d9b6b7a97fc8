"""Durations in every unit spelling REPORT-FORMATS.md lists (Teams en/de/pl, Zoom minutes)."""

import pytest

from events_service.attendance.durations import duration_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m 59s", 659),
        ("1h 2m 3s", 3723),
        ("11m 31s", 691),
        ("59 Min. 0 Sek.", 3540),  # Teams de (unconfirmed)
        ("1 godz. 2 min 3 sek.", 3723),  # Teams pl
        ("45", 2700),  # Zoom's "Duration (minutes)"
        ("0:45:10", 2710),
        ("45 mins", 2700),
    ],
)
def test_durations_read_in_every_spelling(text: str, seconds: int) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1h x", "--", "5 parsecs"])
def test_what_is_no_duration_reads_as_none(text: str) -> None:
    assert duration_seconds(text) is None
