"""Attendance import and company reports at programme scale.

    python -m bench.attendance_import [--pg postgresql://postgres@127.0.0.1:5432/test] [--sqlite-only]

1. A 5,000-row Zoom participant report for a webinar with 3,000 registrations (reconnects,
   guests matched by name, people who never registered), imported through the service: read,
   matched, stored, minutes recomputed. Baseline in the same run: reading the same file with
   the csv module alone. The import runs twice: the second time nothing is new.
2. The companies CSV and the programme summary over 1,000 companies and 100,000
   registrations (100 events; 10 people per company, each registered for 10 events).

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
        Registration(event=event_id, contact=contact, company=companies[n % 300], status="confirmed", attendance_mode="online", token_nonce="x")
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
    assert again.intervals_added == 0 and again.attended == first.attended
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


if __name__ == "__main__":
    main()
