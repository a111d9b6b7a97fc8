"""The console's reminder field, as organisers type it."""

import pytest

from events_service.web.event_form import OffsetError, offsets_text, parse_offsets


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1d, 3h, 30m", [1440, 180, 30]),
        ("1,5h", [90]),  # an Italian decimal comma, not 1 minute and 5 hours
        ("2,5 ore; 1g", [1440, 150]),
        ("1.5h, 30", [90, 30]),
        ("0,5g", [720]),
        ("30,60", [60, 30]),  # bare numbers are minutes: two reminders
        ("1d,1h", [1440, 60]),
        ("", []),
    ],
)
def test_reminder_times_as_typed(typed: str, minutes: list[int]) -> None:
    assert parse_offsets(typed) == minutes
    assert parse_offsets(offsets_text(minutes)) == minutes


@pytest.mark.parametrize("typed", ["1.5m", "0,25m", "soon", "1.2.3h"])
def test_what_is_not_a_whole_minute_or_a_time_is_refused(typed: str) -> None:
    with pytest.raises(OffsetError) as refused:
        parse_offsets(typed)
    assert refused.value.reason == "format"
