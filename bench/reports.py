"""The funder's indicators at programme scale: 1,000 companies (Italian and Swiss), 200 events
(targeted and public, online and in person at Italian and Swiss venues) and 100,000
registrations, against the bare SQL aggregate of the same registrations in the same run.

    python -m bench.reports [--pg postgresql://postgres@127.0.0.1:5432/test] [--sqlite-only]

Baseline: one GROUP BY (participations by country and province) sent as SQL text, with no
Python around it. The indicators run their four queries (participations with cross-border,
events by audience, enterprises, expert meetings) and build the typed answer; the table forms
add CSV and XLSX writing; the evidence rows of a breakdown are the registrations behind it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
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

COMPANIES = 1_000
EVENTS = 200
PEOPLE_PER_COMPANY = 10
EVENTS_PER_PERSON = 10  # 1,000 x 10 x 10 = 100,000 registrations
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 12, 31)
REGIONS = {"IT": ["CO", "LC", "MB", "VA", "SO", None], "CH": ["TI", "GR", None]}
SIZES = ["micro", "small", "medium", "large", None]

BARE_SQL = """
    SELECT c.country, c.region, COUNT(*) AS participations
    FROM registration r JOIN "event" e ON e.id = r."event" LEFT JOIN company c ON c.id = r.company
    WHERE r.attended AND r.status <> 'cancelled' AND e.audience = 'targeted'
      AND e.starts_at >= {} AND e.starts_at < {}
    GROUP BY c.country, c.region
"""


def _vat(n: int) -> str:
    from stdnum import luhn

    digits = f"{n:07d}001"
    return "IT" + digits + luhn.calc_check_digit(digits)


async def seed() -> None:
    from events_service.companies.tables import Company, Contact
    from events_service.db import write_transaction
    from events_service.events.tables import Event
    from events_service.registrations.tables import Registration

    randomness = random.Random(15)
    async with write_transaction():
        companies = []
        for n in range(COMPANIES):
            country = "CH" if n % 4 == 0 else "IT"
            companies.append(Company(name=f"Azienda {n:04d}", vat_id=_vat(20_000 + n), country=country,
                                     region=REGIONS[country][n % len(REGIONS[country])], size_class=SIZES[n % 5]))
        company_ids = await insert_rows(Company, companies, Company.id)
        events = []
        for n in range(EVENTS):
            starts = datetime(2026, 1, 5, 16, tzinfo=UTC) + timedelta(days=n * 1.7)
            online = n % 3 == 0
            events.append(Event(kind="tech_talk" if online else "tech_day", slug=f"bench-{n}", title=f"Event {n}",
                                starts_at=starts, ends_at=starts + timedelta(hours=2), mode="online" if online else "in_person",
                                capacity=5000, status="published", audience="public" if n % 10 == 0 else "targeted",
                                venue_country=None if online else ("CH" if n % 4 == 1 else "IT")))
        event_ids = await insert_rows(Event, events, Event.id)
        contacts = await insert_rows(Contact, [
            Contact(email=f"p{n}@azienda{n // PEOPLE_PER_COMPANY}.example", first_name="P", last_name=str(n),
                    company=company_ids[n // PEOPLE_PER_COMPANY])
            for n in range(COMPANIES * PEOPLE_PER_COMPANY)
        ], Contact.id)
        rows = []
        for n, contact in enumerate(contacts):
            for event in randomness.sample(event_ids, EVENTS_PER_PERSON):
                attended = randomness.random() < 0.6
                rows.append(Registration(
                    event=event, contact=contact, company=company_ids[n // PEOPLE_PER_COMPANY],
                    status="cancelled" if randomness.random() < 0.05 else "confirmed", attendance_mode="online",
                    token_nonce="x", attended=attended, minutes_attended=randomness.randrange(30, 120) if attended else 0,
                    attendance_source="checkin" if attended else None,
                ))
        await insert_rows(Registration, rows, chunk=1000)


async def best_of(times: int, work: Callable[[], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - started)
    return best


async def measure(db_url: str) -> list[list[object]]:
    from events_service.registrations.tables import Registration
    from events_service.reports import indicators
    from events_service.reports.service import period_bounds

    with TemporaryDirectory() as folder:
        async with service_database(db_url, Path(folder)):
            started = time.perf_counter()
            await seed()
            seed_seconds = time.perf_counter() - started
            if db_url.startswith("postgres"):
                # Tables filled in seconds have no statistics yet; autovacuum would gather them
                # within a minute on a real server. Without them the planner guesses 1 row.
                await Registration.raw("ANALYZE")
            start, end = period_bounds(FIRST_DAY, LAST_DAY)
            bare_rows = await Registration.raw(BARE_SQL, start, end)
            report = await indicators.indicators(FIRST_DAY, LAST_DAY)
            assert report.participations.total == sum(int(row["participations"]) for row in bare_rows)  # the same figure
            bare = await best_of(5, lambda: Registration.raw(BARE_SQL, start, end))
            figures = await best_of(5, lambda: indicators.indicators(FIRST_DAY, LAST_DAY))

            async def as_csv() -> str:
                return indicators.indicators_csv(await indicators.indicators(FIRST_DAY, LAST_DAY))

            async def as_xlsx() -> bytes:
                return indicators.indicators_xlsx(await indicators.indicators(FIRST_DAY, LAST_DAY))

            csv_seconds = await best_of(3, as_csv)
            xlsx_seconds = await best_of(3, as_xlsx)
            ticino = indicators.Filters(region="CH-TI")
            evidence = await indicators.evidence(indicators.Figure.PARTICIPATIONS, FIRST_DAY, LAST_DAY, ticino, limit=100)
            page_seconds = await best_of(3, lambda: indicators.evidence(indicators.Figure.PARTICIPATIONS, FIRST_DAY, LAST_DAY, ticino, limit=100))

            async def evidence_xlsx() -> bytes:
                answer = await indicators.full_evidence(indicators.Figure.PARTICIPATIONS, FIRST_DAY, LAST_DAY, ticino)
                return indicators.evidence_xlsx(answer)

            evidence_seconds = await best_of(1, evidence_xlsx)
            registrations = await Registration.count()
    return [
        [f"seed {COMPANIES:,} companies, {EVENTS} events, {registrations:,} registrations", seed_seconds * 1000, "", ""],
        ["bare SQL aggregate (baseline)", bare * 1000, 1.0, f"{report.participations.total:,} participations"],
        ["indicators (JSON answer)", figures * 1000, figures / bare, f"{report.enterprises_supported.total} enterprises, "
                                                                      f"{report.cross_border_participations:,} cross-border"],
        ["indicators.csv", csv_seconds * 1000, csv_seconds / bare, ""],
        ["indicators.xlsx", xlsx_seconds * 1000, xlsx_seconds / bare, ""],
        ["evidence CH-TI, one page of 100", page_seconds * 1000, page_seconds / bare, f"{evidence.total:,} rows in all"],
        [f"evidence CH-TI as XLSX ({evidence.total:,} rows)", evidence_seconds * 1000, evidence_seconds / bare, ""],
    ]


def main() -> None:
    arguments = engine_arguments(__doc__ or "")
    rows: list[list[object]] = []
    for engine in engines(arguments):
        with fresh_database(engine, arguments.pg) as db_url:
            rows += [[engine, *row] for row in asyncio.run(measure(db_url))]
    print_table("The funder's indicators for a year (ratio: to the bare SQL aggregate of the same run)",
                ["engine", "step", "ms", "ratio", "result"], rows)


if __name__ == "__main__":
    main()
