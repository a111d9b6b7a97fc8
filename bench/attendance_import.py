"""Attendance import and company reports at programme scale.

    python -m bench.attendance_import [--pg postgresql://postgres@127.0.0.1:5432/test] [--sqlite-only]

1. A 5,000-row Zoom participant report for a webinar with 3,000 registrations (reconnects,
   guests matched by name, people who never registered), imported through the service: read,
   matched, stored, minutes recomputed. Baseline in the same run: reading the same file with
   the csv module alone. The import runs twice: the second time nothing is new.
2. The companies CSV and the programme summary over 1,000 companies and 100,000
   registrations (100 events; 10 people per company, each registered for 10 events).
3. The report layouts of issue 14, parsing only (no database): the same 5,000 sessions as
   the English Zoom file (1.), written as the Italian Zoom current layout (24 columns, the
   meeting's repeated on every row, day-first with a 12-hour clock, decided by the event's
   date), as a Teams report (UTF-16 LE, tabs, three sections) and as an XLSX of the Italian
   Zoom rows with date cells. Each against its own baseline of the same run: the csv module
   over the same bytes (decoded), or the XLSX reader (python-calamine) alone. The last
   column is the cost per row over the baseline's, against the English Zoom file's.

Each engine gets a fresh database.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import (
    engine_arguments,
    engines,
    fresh_database,
    insert_rows,
    print_table,
    service_database,
)

REGISTRATIONS = 3_000
REPORT_ROWS = 5_000
COMPANIES = 1_000
PEOPLE_PER_COMPANY = 10
EVENTS = 100
EVENTS_PER_PERSON = 10
STARTS = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def best_of(times: int, work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


async def best_of_async(times: int, work: Callable[[], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - started)
    return best


def _vat(n: int) -> str:
    from tests.factories import partita_iva

    return partita_iva(n)


# ---------------------------------------------------------------- 1. import


def zoom_report(people: int) -> bytes:
    """REPORT_ROWS rows: the first 2,000 registrants twice (a reconnect), 500 once, 300
    registrants as guests without an address (matched by name), and 200 strangers."""
    local = STARTS + timedelta(hours=1)  # Europe/Rome in November

    def stamp(moment: datetime) -> str:
        return moment.strftime("%m/%d/%Y %I:%M:%S %p")

    lines = ["Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest"]
    randomness = random.Random(7)
    for n in range(people):
        joined = local + timedelta(seconds=randomness.randrange(0, 1200))
        left = joined + timedelta(minutes=randomness.randrange(5, 70))
        if n < 2000:
            lines.append(f"Person {n} Bench,person{n}@bench.example,{stamp(joined)},{stamp(left)},1,No")
            back = left + timedelta(minutes=randomness.randrange(0, 5))
            lines.append(f"Person {n} Bench,person{n}@bench.example,{stamp(back)},{stamp(back + timedelta(minutes=20))},1,No")
        elif n < 2500:
            lines.append(f"Person {n} Bench,person{n}@bench.example,{stamp(joined)},{stamp(left)},1,No")
        elif n < 2800:
            lines.append(f"Person {n} Bench,,{stamp(joined)},{stamp(left)},1,Yes")
        else:
            lines.append(f"Stranger {n},stranger{n}@elsewhere.example,{stamp(joined)},{stamp(left)},1,No")
    assert len(lines) - 1 == REPORT_ROWS, len(lines)
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def seed_webinar() -> int:
    from events_service.companies.tables import Company, Contact
    from events_service.events.tables import Event
    from events_service.registrations.tables import Registration

    event_id = (await Event.insert(
        Event(kind="tech_talk", slug="bench-webinar", title="Bench webinar", starts_at=STARTS, ends_at=STARTS + timedelta(minutes=90),
              mode="online", capacity=REGISTRATIONS, seats_taken=REGISTRATIONS, online_url="https://meet.example.org/b", status="published")
    ).returning(Event.id))[0]["id"]
    companies = await insert_rows(Company, [Company(name=f"Bench {n} Srl", vat_id=_vat(5000 + n), country="IT") for n in range(300)], Company.id)
    contacts = await insert_rows(
        Contact, [Contact(email=f"person{n}@bench.example", first_name=f"Person {n}", last_name="Bench", company=companies[n % 300])
                  for n in range(REGISTRATIONS)], Contact.id
    )
    await insert_rows(Registration, [
        # names on the registration too: guests without an address are matched by them
        Registration(event=event_id, contact=contact, company=companies[n % 300], status="confirmed", attendance_mode="online", token_nonce="x",
                     first_name=f"Person {n}", last_name="Bench")
        for n, contact in enumerate(contacts)
    ])
    return event_id


async def measure_import(db_url: str) -> list[list[object]]:
    from events_service.attendance.parsers import parse_report
    from events_service.attendance.service import finalise_attendance, import_report

    data = zoom_report(3_000)
    csv_seconds = best_of(5, lambda: list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    parse_seconds = best_of(5, lambda: parse_report(data, "zoom"))
    with TemporaryDirectory() as folder:
        async with service_database(db_url, Path(folder)) as settings:
            event_id = await seed_webinar()
            started = time.perf_counter()
            first = await import_report(event_id, data, "zoom")
            first_seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = await import_report(event_id, data, "zoom")
            again_seconds = time.perf_counter() - started
            started = time.perf_counter()
            finalised = await finalise_attendance(event_id, settings)  # type: ignore[arg-type]
            finalise_seconds = time.perf_counter() - started
    assert (first.rows, first.matched, len(first.unmatched)) == (REPORT_ROWS, 2_800, 200), (first.rows, first.matched, len(first.unmatched))
    assert again.intervals_added == 0
    assert again.attended == first.attended
    return [
        ["csv module only", csv_seconds * 1000, 1.0, ""],
        ["parse_report (no database)", parse_seconds * 1000, parse_seconds / csv_seconds, ""],
        ["import, first time", first_seconds * 1000, first_seconds / csv_seconds, f"{first.intervals_added} intervals, {first.attended} attended"],
        ["import again (no change)", again_seconds * 1000, again_seconds / csv_seconds, f"{again.intervals_added} intervals added"],
        ["finalise: queue follow-up emails", finalise_seconds * 1000, "",
         f"{finalised.thank_you_queued} thank_you, {finalised.missed_you_queued} missed_you"],
    ]


# ---------------------------------------------------------------- 2. reports


async def seed_programme() -> None:
    from events_service.companies.tables import Company, Contact
    from events_service.db import write_transaction
    from events_service.events.tables import Event
    from events_service.registrations.tables import Registration

    randomness = random.Random(11)
    regions = ["CO", "LC", "MB", "MI", "BG", "VA", "SO", "TI", "GR", None]
    sizes = ["micro", "small", "medium", "large", None]
    async with write_transaction():
        companies = await insert_rows(Company, [
            Company(name=f"Azienda {n:04d} Srl", vat_id=_vat(10_000 + n), country="IT", region=regions[n % 10], size_class=sizes[n % 5])
            for n in range(COMPANIES)
        ], Company.id)
        events = await insert_rows(Event, [
            Event(kind="tech_day" if n % 5 == 0 else "tech_talk", slug=f"bench-{n}", title=f"Event {n}",
                  starts_at=STARTS - timedelta(days=3 * n), ends_at=STARTS - timedelta(days=3 * n) + timedelta(hours=2),
                  mode="online", capacity=5000, online_url="https://meet.example.org/x", status="published")
            for n in range(EVENTS)
        ], Event.id)
        contacts = await insert_rows(Contact, [
            Contact(email=f"p{n}@azienda{n // PEOPLE_PER_COMPANY}.example", first_name="P", last_name=str(n), company=companies[n // PEOPLE_PER_COMPANY])
            for n in range(COMPANIES * PEOPLE_PER_COMPANY)
        ], Contact.id)
        rows = []
        for n, contact in enumerate(contacts):
            for event in randomness.sample(events, EVENTS_PER_PERSON):
                attended = randomness.random() < 0.6
                rows.append(Registration(
                    event=event, contact=contact, company=companies[n // PEOPLE_PER_COMPANY],
                    status="cancelled" if randomness.random() < 0.05 else "confirmed", attendance_mode="online", token_nonce="x",
                    attended=attended, minutes_attended=randomness.randrange(30, 120) if attended else 0,
                ))
        await insert_rows(Registration, rows, chunk=1000)


async def measure_reports(db_url: str) -> list[list[object]]:
    from events_service.reports import service as reports

    with TemporaryDirectory() as folder:
        async with service_database(db_url, Path(folder)):
            started = time.perf_counter()
            await seed_programme()
            seed_seconds = time.perf_counter() - started
            rows = await reports.company_rows(None, None)
            assert len(rows) == COMPANIES, len(rows)
            all_csv = await best_of_async(3, lambda: reports.companies_csv(None, None))
            year = STARTS.date().replace(month=1, day=1)
            period_csv = await best_of_async(3, lambda: reports.companies_csv(year, STARTS.date()))
            summary = await best_of_async(3, lambda: reports.summary(None, None))
    registrations = sum(row["registrations"] for row in rows)
    return [
        [f"seed {COMPANIES:,} companies, {COMPANIES * PEOPLE_PER_COMPANY * EVENTS_PER_PERSON:,} registrations", seed_seconds * 1000, f"{registrations:,} not cancelled"],
        ["companies.csv, all time", all_csv * 1000, f"{len(rows):,} rows"],
        ["companies.csv, this year", period_csv * 1000, ""],
        ["summary (JSON)", summary * 1000, ""],
    ]


# ---------------------------------------------------------------- 3. layouts

EVENT_DAY = (STARTS + timedelta(hours=1)).date()
ITALIAN_ZOOM_HEADER = (
    "Argomento,Digita,ID,Nome organizzatore,E-mail organizzatore,Ora di inizio,Ora di fine,Partecipanti,Durata (minuti),"
    "Minuti totali dei partecipanti,Reparto,Gruppo,Origine,Visualizzatori unici,Max visualizzazioni simultanee,"
    "Ora di creazione,Nome (nome originale),E-mail,Ora di ingresso,Ora di uscita,Durata (minuti),Guest,"
    "Risposta di esclusione di responsabilità per la registrazione,In sala d\u2019attesa"
)


def english_rows(data: bytes) -> list[list[str]]:
    """The English Zoom file's sessions: name, e-mail, join, leave (month-first text)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    return [[row[0], row[1], row[2], row[3], "Sì" if row[5] == "Yes" else "No"] for row in rows]


def _day_first(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%m/%d/%Y %I:%M:%S %p")


def italian_zoom(sessions: list[list[str]]) -> bytes:
    meeting = "Tech Talk: PMI e cybersecurity,Riunione,812 3456 7890,Giulia Ferri,giulia.ferri@innovazione-pmi.it,{d} 04:50:00 PM,{d} 06:40:00 PM,3000,110,99999,,,Zoom,,,{d} 04:00:00 PM"
    day = EVENT_DAY.strftime("%d/%m/%Y")
    lines = [ITALIAN_ZOOM_HEADER]
    for name, email, joined, left, guest in sessions:
        j, lv = _day_first(joined), _day_first(left)
        lines.append(",".join([meeting.format(d=day), name, email, j.strftime("%d/%m/%Y %I:%M:%S %p"),
                               lv.strftime("%d/%m/%Y %I:%M:%S %p"), str(max(1, int((lv - j).total_seconds() // 60))), guest, "", "No"]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def teams_utf16(sessions: list[list[str]]) -> bytes:
    def stamp(value: str) -> str:
        return _day_first(value).strftime("%d/%m/%y, %H:%M:%S")

    lines = ["1. Summary", "Meeting title\tTech Talk", "Attended participants\t2800", "", "2. Participants",
             "Name\tFirst join\tLast leave\tIn-meeting duration\tEmail\tParticipant ID (UPN)\tRole"]
    first: dict[str, list[str]] = {}
    for name, email, joined, left, _ in sessions:
        first.setdefault(name, [name, stamp(joined), stamp(left), "30m 0s", email, email, "Attendee"])[2] = stamp(left)
    lines += ["\t".join(row) for row in first.values()]
    lines += ["", "3. In-Meeting activities", "Name\tJoin time\tLeave time\tDuration\tEmail\tRole"]
    lines += ["\t".join([name, stamp(joined), stamp(left), "30m 0s", email, "Attendee"]) for name, email, joined, left, _ in sessions]
    return b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le")


def xlsx_of(data: bytes) -> bytes:
    """The Italian Zoom file as Excel saves it: times as date cells, the rest as text."""
    import xlsxwriter

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r and c in (18, 19):
                sheet.write_datetime(r, c, datetime.strptime(value, "%d/%m/%Y %I:%M:%S %p"), dates)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


def measure_layouts() -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    from events_service.attendance.parsers import parse_report

    english = zoom_report(3_000)
    sessions = english_rows(english)
    italian = italian_zoom(sessions)
    teams = teams_utf16(sessions)
    workbook = xlsx_of(italian)
    cases: list[tuple[str, bytes, Callable[[], Any]]] = [
        ("Zoom en (today's file)", english, lambda: list(csv.reader(io.StringIO(english.decode("utf-8-sig"))))),
        ("Zoom it, current layout", italian, lambda: list(csv.reader(io.StringIO(italian.decode("utf-8-sig"))))),
        ("Teams en-GB, UTF-16 LE", teams, lambda: list(csv.reader(io.StringIO(teams[2:].decode("utf-16-le")), delimiter="\t"))),
        ("Zoom it as XLSX", workbook, lambda: CalamineWorkbook.from_filelike(io.BytesIO(workbook)).get_sheet_by_index(0).to_python()),
    ]
    table: list[list[object]] = []
    english_extra = 0.0
    for label, data, baseline in cases:
        base = best_of(5, baseline)
        parsed = best_of(5, lambda data=data: parse_report(data, event_dates=[EVENT_DAY]))  # type: ignore[misc]
        report = parse_report(data, event_dates=[EVENT_DAY])
        assert report.rows >= REPORT_ROWS and len(report.participants) == 3_000 and not report.errors, (label, report.rows, report.errors[:3])
        extra = (parsed - base) / REPORT_ROWS * 1e6
        english_extra = english_extra or extra
        table.append([label, f"{len(data) // 1024} KB", base * 1000, parsed * 1000, parsed / base, extra, extra / english_extra])
    return table


def main() -> None:
    arguments = engine_arguments(__doc__ or "")
    import_rows: list[list[object]] = []
    report_rows: list[list[object]] = []
    for engine in engines(arguments):
        with fresh_database(engine, arguments.pg) as db_url:
            import_rows += [[engine, *row] for row in asyncio.run(measure_import(db_url))]
        with fresh_database(engine, arguments.pg) as db_url:
            report_rows += [[engine, *row] for row in asyncio.run(measure_reports(db_url))]
    print_table(
        f"Importing a {REPORT_ROWS:,}-row Zoom report onto {REGISTRATIONS:,} registrations (ratio: to reading it with the csv module)",
        ["engine", "step", "ms", "ratio", "result"],
        import_rows,
    )
    print_table("Company reports", ["engine", "query", "ms", "result"], report_rows)
    print_table(
        f"Parsing {REPORT_ROWS:,} sessions in each layout (ratio: to the baseline reading the same bytes; "
        "per row: parse_report's cost over the baseline, in µs, and against the English Zoom file's)",
        ["layout", "size", "baseline ms", "parse ms", "ratio", "µs/row over baseline", "vs Zoom en"],
        measure_layouts(),
    )


if __name__ == "__main__":
    main()
