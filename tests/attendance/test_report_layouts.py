"""Every report layout of ../shared/REPORT-FORMATS.md, in every language listed, reads to the
same people and minutes (tests/data/README.md says what each fixture holds).

The meeting: 2025-09-04 18:00-19:30 Europe/Rome (CEST, 16:00-17:30 UTC). The 4th of September
reads as 9 April month-first: only the event's date tells the two apart. By hand:
  Giulia Ferri (Host)   17:50:12-19:31:40                       101 min, the host
  Zoë Müller            17:58:00-18:00:30 in the waiting room, then 18:00:30-19:30:00  89
  Niccolò Bernasconi    18:01:10-18:40:10, a zero-length reconnect, 18:41:00-19:25:00 39+44 = 83
  Chiara D’Angelo       guest without e-mail, 18:05-19:20             75
  Luca Bianchi          18:45-19:15                                    30
  Sala riunioni Lecco   guest without e-mail, 18:10-19:00              50
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events_service.attendance.parsers import (
    LeftOutReason,
    ParsedReport,
    ReportFormatError,
    parse_report,
)
from tests.attendance.support import load

EVENT_DAY = [date(2025, 9, 4)]

EVERYONE = {
    "Giulia Ferri": ("giulia.ferri@innovazione-pmi.it", 101),
    "Zoë Müller": ("zoe.mueller@mueller-textil.ch", 89),
    "Niccolò Bernasconi": ("niccolo.bernasconi@bernasconi-meccanica.ch", 83),
    "Chiara D’Angelo": (None, 75),
    "Luca Bianchi": ("luca.bianchi@officine-bianchi.it", 30),
    "Sala riunioni Lecco": (None, 50),
}
WITHOUT_HOST = {name: value for name, value in EVERYONE.items() if name != "Giulia Ferri"}


def minutes_of(report: ParsedReport) -> dict[str, tuple[str | None, int]]:
    return {p.name: (p.email, p.minutes) for p in report.participants}


def left_out(report: ParsedReport) -> dict[str, int]:
    return {item.reason.value: item.rows for item in report.left_out}


# file, platform detected, rows read, people, rows left out by reason, host recognised
LAYOUTS = [
    ("zoom_it_current_month_first.csv", "zoom", 9, EVERYONE, {"waiting_room": 1, "zero_length": 1}, True),
    ("zoom_it_current_day_first.csv", "zoom", 9, EVERYONE, {"waiting_room": 1, "zero_length": 1}, True),
    ("zoom_en_current.csv", "zoom", 9, EVERYONE, {"waiting_room": 1, "zero_length": 1}, True),
    ("zoom_it_two_block.csv", "zoom", 9, EVERYONE, {"waiting_room": 1, "zero_length": 1}, True),
    ("zoom_de_participants.csv", "zoom", 8, EVERYONE, {"zero_length": 1}, True),
    ("zoom_webinar_en.csv", "zoom", 7, WITHOUT_HOST, {"staff": 2, "not_attended": 1}, False),
    ("teams_en_utf16le.csv", "teams", 7, EVERYONE, {}, True),
    # German and Italian role headers are not listed: the role column is found by its values
    ("teams_de_utf16be.csv", "teams", 7, EVERYONE, {}, True),
    ("teams_it_utf16le.csv", "teams", 7, EVERYONE, {}, True),
    ("webex_attendees_utf16le.tsv", "webex", 7, EVERYONE, {}, False),
    ("webex_attendees_utf8.csv", "webex", 7, EVERYONE, {}, False),
]


@pytest.mark.parametrize(("name", "platform", "rows", "expected", "dropped", "host"), LAYOUTS, ids=[layout[0] for layout in LAYOUTS])
def test_every_layout_reads_the_same_people_and_minutes(
    name: str, platform: str, rows: int, expected: dict[str, tuple[str | None, int]], dropped: dict[str, int], host: bool
) -> None:
    report = parse_report(load(name), event_dates=EVENT_DAY)
    assert report.platform == platform
    assert report.errors == []
    assert report.rows == rows
    assert minutes_of(report) == expected
    assert left_out(report) == dropped
    hosts = [p.name for p in report.participants if p.host]
    assert hosts == (["Giulia Ferri"] if host else [])


@pytest.mark.parametrize("name", [layout[0] for layout in LAYOUTS])
def test_every_time_lands_on_the_event_day(name: str) -> None:
    report = parse_report(load(name), event_dates=EVENT_DAY)
    joins = {interval.joined.date() for person in report.participants for interval in person.intervals}
    assert joins == {date(2025, 9, 4)}


def test_the_event_decides_day_first_against_the_twelve_hour_clock() -> None:
    """"04/09/2025 06:00:30 PM": a 12-hour clock usually means month-first (en-US), which would
    put it on 9 April; this Italian export is day-first, and the event's date says so."""
    without_event = parse_report(load("zoom_it_current_day_first.csv"))
    first = without_event.participants[0].intervals[0].joined
    assert first.date() == date(2025, 4, 9)
    with_event = parse_report(load("zoom_it_current_day_first.csv"), event_dates=EVENT_DAY)
    assert with_event.participants[0].intervals[0].joined == datetime(2025, 9, 4, 15, 50, 12, tzinfo=UTC)
    month_first = parse_report(load("zoom_it_current_month_first.csv"), event_dates=EVENT_DAY)
    assert minutes_of(month_first) == minutes_of(with_event)


def test_the_participant_duration_is_the_second_durata_column() -> None:
    """Both `Durata (minuti)` columns are there; the first is the meeting's 102 minutes. The
    minutes come from the join and leave times anyway; the header maps to the second."""
    header = load("zoom_it_current_month_first.csv").decode("utf-8-sig").splitlines()[0].split(",")
    assert [i for i, cell in enumerate(header) if cell == "Durata (minuti)"] == [8, 20]
    report = parse_report(load("zoom_it_current_month_first.csv"), event_dates=EVENT_DAY)
    assert minutes_of(report)["Zoë Müller"] == ("zoe.mueller@mueller-textil.ch", 89)


def test_a_recurring_meeting_keeps_every_day_for_the_service_to_choose() -> None:
    """The parser reads both days (the event's window is applied where the merge happens,
    for files and API pulls alike: tests/attendance/test_import_layouts.py)."""
    report = parse_report(load("zoom_it_recurring_two_days.csv"), event_dates=EVENT_DAY)
    days = {interval.joined.date() for person in report.participants for interval in person.intervals}
    assert days == {date(2025, 8, 28), date(2025, 9, 4)}
    assert report.rows == 12
    assert report.errors == []


def test_apostrophes_and_case_do_not_split_a_person() -> None:
    text = (
        "Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,In waiting room\n"
        "Chiara D’Angelo,,09/04/2025 06:05:00 PM,09/04/2025 06:30:00 PM,25,Yes,No\n"
        "chiara d'angelo,,09/04/2025 06:31:00 PM,09/04/2025 07:00:00 PM,29,Yes,No\n"
    )
    report = parse_report(text.encode(), event_dates=EVENT_DAY)
    assert [(p.name, p.minutes) for p in report.participants] == [("Chiara D’Angelo", 54)]


def test_host_marker_is_not_taken_for_an_original_name() -> None:
    """Zoom's "Display (Original)" rule must not turn "Giulia Ferri (Host)" into "Host"."""
    text = (
        "Name (original name),Email,Join time,Leave time\n"
        "Giulia Ferri (Host),g@x.it,09/04/2025 06:00:00 PM,09/04/2025 07:00:00 PM\n"
        "Gigi (Luigi Conti) (Organizzatore),l@x.it,09/04/2025 06:00:00 PM,09/04/2025 07:00:00 PM\n"
        "Bea (Beatrice Fontana),b@x.it,09/04/2025 06:00:00 PM,09/04/2025 07:00:00 PM\n"
    )
    report = parse_report(text.encode(), event_dates=EVENT_DAY)
    assert [(p.name, p.host) for p in report.participants] == [
        ("Giulia Ferri", True), ("Luigi Conti", True), ("Beatrice Fontana", False),
    ]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_resave_reads_like_the_csv() -> None:
    """Excel turns the times into date cells (no day/month question left) and keeps the rest."""
    text = load("zoom_it_current_day_first.csv").decode("utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()]
    times = {rows[0].index("Ora di ingresso"), rows[0].index("Ora di uscita")}

    def cell(index: int, value: str) -> object:
        if index in times:
            return datetime.strptime(value, "%d/%m/%Y %I:%M:%S %p")
        return value

    data = _xlsx([rows[0], *[[cell(i, v) for i, v in enumerate(row)] for row in rows[1:]]])
    from_xlsx = parse_report(data, event_dates=EVENT_DAY)
    from_csv = parse_report(load("zoom_it_current_day_first.csv"), event_dates=EVENT_DAY)
    assert minutes_of(from_xlsx) == minutes_of(from_csv) == EVERYONE
    assert left_out(from_xlsx) == left_out(from_csv)


def test_an_xlsx_of_text_cells_reads_like_the_csv() -> None:
    rows = [line.split("\t") for line in load("teams_en_utf16le.csv").decode("utf-16").splitlines()]
    report = parse_report(_xlsx(rows), event_dates=EVENT_DAY)  # type: ignore[arg-type]
    assert report.platform == "teams"
    assert minutes_of(report) == EVERYONE


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        ([["Nome", "Cognome", "Azienda"], ["Ada", "Galli", "Galli Srl"]], ["Nome", "Cognome", "Azienda"]),
        ([["Teilnehmer", "Firma", "Minuten"], ["Ada Galli", "Galli AG", "50"]], ["Teilnehmer", "Firma", "Minuten"]),
    ],
)
def test_nothing_fits_names_the_columns_found_and_looked_for(rows: list[list[str]], found: list[str]) -> None:
    for data in (_xlsx(rows), "\n".join(",".join(row) for row in rows).encode()):  # type: ignore[arg-type]
        with pytest.raises(ReportFormatError) as refused:
            parse_report(data, event_dates=EVENT_DAY)
        assert refused.value.code == "columns_not_found"
        assert refused.value.found == found
        assert any("Ora di ingresso" in wanted for wanted in refused.value.looked_for)
        assert "Columns found: " + ", ".join(found) in str(refused.value)


def test_left_out_reasons_are_the_documented_codes() -> None:
    assert {reason.value for reason in LeftOutReason} == {
        "waiting_room", "zero_length", "not_attended", "staff", "outside_event",
    }


# ------------------------------------------------------------------ hostile input, generated

_HEADER_WORDS = ["Nome (nome originale)", "E-mail", "Ora di ingresso", "Ora di uscita", "Durata (minuti)", "Guest",
                 "In sala d’attesa", "1. Summary", "3. In-Meeting activities", "Name", "Join time", "Leave time", "Role"]
_CELLS = st.one_of(
    st.sampled_from(_HEADER_WORDS),
    st.sampled_from(["04/09/2025 06:00:30 PM", "31/02/2025 25:61:00", "04.09.25, 18:00:30", "Sì", "", "Organizer", "a@b.it"]),
    st.text(max_size=12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_parse_or_raise_the_report_error(data: bytes) -> None:
    try:
        report = parse_report(data, event_dates=EVENT_DAY)
    except ReportFormatError as refused:
        assert str(refused)
        assert refused.code
        return
    assert report.rows >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELLS, min_size=1, max_size=8), min_size=1, max_size=12), st.sampled_from([",", ";", "\t"]))
def test_report_like_tables_parse_or_raise_the_report_error(rows: list[list[str]], separator: str) -> None:
    """Rows mixing real header words, dates good and impossible, and noise: never another error."""
    text = "\r\n".join(separator.join(cell.replace(separator, " ").replace('"', "") for cell in row) for row in rows)
    for data in (text.encode("utf-8"), b"\xff\xfe" + text.encode("utf-16-le")):
        try:
            report = parse_report(data, event_dates=EVENT_DAY)
        except ReportFormatError as refused:
            assert refused.code
            continue
        for person in report.participants:
            assert all(interval.left >= interval.joined for interval in person.intervals)
