"""The console's agenda field: read in one pass, refused unread past its limits (it is parsed
on the event loop: a quadratic parser froze the process for seconds on 8,000 characters)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.events.tables import Event
from events_service.web.event_form import (
    MAX_AGENDA_CHARS,
    MAX_AGENDA_ITEMS,
    MAX_AGENDA_LINE,
    AgendaLineError,
    AgendaTooLong,
    parse_agenda,
)
from tests.web.support import console_login, field_error, post_form
from tests.web.test_console import english_browser, event_form  # noqa: F401 - the fixture applies here too

ROME = ZoneInfo("Europe/Rome")
DAY = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)


#: The longest speaker name an event takes; an agenda's speaker must be one of the event's.
SPEAKER = "Marco Rossi".ljust(200, "y")


def _line(n: int) -> str:
    """A session line of exactly MAX_AGENDA_LINE characters: a 200-character title, the
    longest speaker name, and runs of spaces that made the old pattern backtrack."""
    start, end = 9 * 60 + 4 * n, 9 * 60 + 4 * n + 4  # inside the form's 09:00-17:00 day
    times = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    title = f"T{n:03d}".ljust(200, "x")
    padding = " " * (MAX_AGENDA_LINE - len(times) - len(title) - len(SPEAKER) - 4)
    return f"{times} |{title}{padding}| {SPEAKER}"


def test_a_maximal_legal_agenda_parses_exactly() -> None:
    lines = [_line(n) for n in range(MAX_AGENDA_ITEMS)]
    assert all(len(line) == MAX_AGENDA_LINE for line in lines)
    text = "\n".join(lines)
    assert len(text) <= MAX_AGENDA_CHARS
    items = parse_agenda(text, DAY, ROME)
    assert len(items) == MAX_AGENDA_ITEMS
    first, last = items[0], items[-1]
    assert first["title"] == "T000".ljust(200, "x")
    assert first["speaker"] == SPEAKER
    assert last["title"] == "T099".ljust(200, "x")
    assert first["starts_at"] == datetime(2030, 5, 6, 9, 0, tzinfo=ROME)
    assert first["ends_at"] == datetime(2030, 5, 6, 9, 4, tzinfo=ROME)
    assert last["ends_at"] == datetime(2030, 5, 6, 15, 40, tzinfo=ROME)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("09:00-09:30 | a" + " " * 8000 + "b|c|d", "line"),
        ("\n".join(["09:00-09:30 | Talk"] * (MAX_AGENDA_ITEMS + 1)), "items"),
        ("\n" * (MAX_AGENDA_CHARS + 1), "chars"),
    ],
)
def test_past_a_limit_the_agenda_is_refused_unread(text: str, why: str) -> None:
    with pytest.raises(AgendaTooLong) as refused:
        parse_agenda(text, DAY, ROME)
    assert refused.value.what == why


@pytest.mark.parametrize(
    "line",
    ["nine to ten", "09:00-09:30", "09:00-09:30 |   ", "09:00 09:30 | Talk", "25:00-26:00 | Talk", "09:75-10:00 | Talk",
     " " * 500 + "x", "09:00-09:30 | a" + " " * 500 + "b|"[:1] + "\x00" * 0],
)
def test_lines_that_cannot_be_read_name_their_number(line: str) -> None:
    text = "09:00-09:30 | Welcome\n" + line
    if line.startswith("09:00-09:30 | a"):  # spaces inside a title are kept, not a fault
        assert parse_agenda(text, DAY, ROME)[1]["title"] == "a" + " " * 500 + "b"
        return
    with pytest.raises(AgendaLineError) as refused:
        parse_agenda(text, DAY, ROME)
    assert refused.value.line == 2


async def test_the_console_refuses_a_hostile_agenda_with_a_form_error(client: httpx.AsyncClient) -> None:
    await console_login(client)
    hostile = "09:00-09:30 | a" + " " * 8000 + "b|c|d"
    answer = await post_form(client, "/console/events/new", event_form(agenda=hostile), page="/console/events/new")
    assert answer.status_code == 422
    assert field_error(answer.text, "agenda") == (
        f"The agenda is too long: at most {MAX_AGENDA_ITEMS} sessions, one a line of at most {MAX_AGENDA_LINE} characters."
    )
    assert await Event.count() == 0
    legal = "\n".join(_line(n) for n in range(MAX_AGENDA_ITEMS))
    created = await post_form(client, "/console/events/new", event_form(agenda=legal, speakers=f"{SPEAKER} | marco@supsi.example | Robotics"), page="/console/events/new")
    assert created.status_code == 303
    assert await Event.count() == 1
