"""Public calendar feed: the service against icalendar alone, and its 304 against a constant.

    python -m bench.calendar_feed [--events 1000] [--pg postgresql://postgres@127.0.0.1/test]

Everything goes through HTTP the way a calendar client comes: GET /calendar/events.ics on the
real app (create_app), in process, through httpx.ASGITransport. Two comparisons, each against
a baseline measured in the same run:

1. full feed - 1,000 published events (a quarter of them Tech Days with an agenda) rendered
   by the service (query, agenda, entries, iCalendar text, HTTP) against serialising the same
   1,000 VEVENTs with icalendar alone (Event.new + Calendar.to_ical from values already in
   memory: the floor any implementation on icalendar pays). Target: ratio <= 1.5.
2. 304 - the same URL with a matching If-None-Match against a plain Litestar endpoint
   returning a constant, through the same kind of client. Target: ratio <= 1.3. A poll is
   answered from the ETag the process computed at most FEED_ETAG_MEMO_SECONDS ago; the row
   below it shows the same poll when the memo has expired and the aggregate query (count and
   latest updated_at, no rendering) runs: what one poll in every couple of seconds costs.

SQLite always; PostgreSQL with --pg (a fresh database is created there and dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from icalendar import Calendar
from icalendar import Event as VEvent
from litestar import Litestar, get

from bench.common import fresh_database
from events_service.app import create_app, running_service
from events_service.calendar.entries import public_entry
from events_service.calendar.ics import CalendarEntry
from events_service.events.queries import PUBLIC_COLUMNS, agenda_by_event
from events_service.events.records import public_event_from_row
from events_service.events.tables import AgendaSession, Event
from events_service.feeds import service as calendar
from events_service.settings import Settings

FEED_TARGET = 1.5
NOT_MODIFIED_TARGET = 1.3
FEED_PATH = "/calendar/events.ics"


# --------------------------------------------------------------------------- data


async def seed(count: int) -> None:
    """`count` published events over the coming year; every fourth a Tech Day with an agenda."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    for n in range(count):
        starts = now + timedelta(days=1 + n % 365, hours=n % 8)
        day = n % 4 == 0
        rows.append(
            Event(
                kind="tech_day" if day else "tech_talk",
                slug=f"event-{n}-{secrets.token_hex(3)}",
                title=f"{'Tech Day' if day else 'Tech Talk'} {n}: manutenzione predittiva, IoT e AI per le PMI",
                description="Sensori, dati e modelli per ridurre i fermi macchina; casi di aziende del territorio.\n" * 3,
                language="it" if n % 3 else "en",
                starts_at=starts,
                ends_at=starts + timedelta(hours=8 if day else 1, minutes=0 if day else 30),
                timezone="Europe/Rome",
                mode="in_person" if day else "online",
                capacity=100,
                venue_name="NOI Techpark" if day else None,
                venue_address="Via Alessandro Volta 13" if day else None,
                venue_city="Bolzano" if day else None,
                online_url=None if day else f"https://meet.example.org/j/{n:08d}",
                status="published",
                sequence=n % 3,
                topics=["iot", "ai"] if n % 2 else ["manufacturing"],
                published_at=now - timedelta(days=2),
                updated_at=now - timedelta(minutes=n),
            )
        )
    for chunk in range(0, len(rows), 200):
        await Event.insert(*rows[chunk : chunk + 200])
    days = await Event.select(Event.id, Event.starts_at).where(Event.kind == "tech_day")
    sessions = [
        AgendaSession(
            event=row["id"],
            title=title,
            starts_at=row["starts_at"] + timedelta(hours=offset),
            ends_at=row["starts_at"] + timedelta(hours=offset + 1),
            position=position,
        )
        for row in days
        for position, (offset, title) in enumerate([(0, "Benvenuto"), (1, "Cobot in officina"), (3, "Dati e AI")])
    ]
    for chunk in range(0, len(sessions), 300):
        await AgendaSession.insert(*sessions[chunk : chunk + 300])


async def entries_in_memory(settings: Settings) -> list[CalendarEntry]:
    """The feed's entries, read and built once, for the icalendar-only baseline."""
    query = calendar.FeedQuery.of(None, None)
    rows = await Event.select(*PUBLIC_COLUMNS).where(calendar._feed_condition(query)).order_by(Event.starts_at).output(load_json=True)
    events = [public_event_from_row(row) for row in rows]
    agenda = await agenda_by_event(event.id for event in events)
    return [public_entry(event, agenda[event.id], settings.base_url) for event in events]


def icalendar_alone(entries: list[CalendarEntry], stamp: datetime) -> bytes:
    """The same VEVENTs, straight into icalendar: no database, no escaping of our own, no HTTP."""
    events = [
        VEvent.new(
            uid=entry.uid,
            sequence=entry.sequence,
            stamp=stamp,
            start=entry.starts_at.astimezone(UTC),
            end=entry.ends_at.astimezone(UTC),
            summary=entry.summary,
            description=entry.description,
            location=entry.location,
            url=entry.url,
            status=entry.status,
            last_modified=entry.last_modified,
            categories=list(entry.categories),
        )
        for entry in entries
    ]
    return Calendar.new(prodid="-//bench//EN", method="PUBLISH", subcomponents=events).to_ical()


# --------------------------------------------------------------------------- timing


@dataclass
class Row:
    engine: str
    what: str
    seconds: float  # median of one operation
    baseline: str = ""
    ratio: float | None = None
    target: float | None = None


async def median_times(operations: list[Callable[[], Awaitable[object]]], repeat: int) -> list[float]:
    """Median time of each operation, run in turn `repeat` times, so drift hits all alike."""
    times: list[list[float]] = [[] for _ in operations]
    for _ in range(repeat):
        for operation, samples in zip(operations, times, strict=True):
            gc.collect()  # icalendar makes lots of garbage: collect it outside the timings
            started = time.perf_counter()
            await operation()
            samples.append(time.perf_counter() - started)
    return [statistics.median(samples) for samples in times]


async def interleaved(
    first: Callable[[], Awaitable[object]], second: Callable[[], Awaitable[object]], requests: int, blocks: int
) -> tuple[float, float]:
    """Per-request medians of blocks of `requests`, alternating, so drift hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(blocks):
        for operation, times in ((first, a), (second, b)):
            started = time.perf_counter()
            for _ in range(requests):
                await operation()
            times.append((time.perf_counter() - started) / requests)
    return statistics.median(a), statistics.median(b)


@get("/constant", sync_to_thread=False)
def constant() -> str:
    return "ok"


@asynccontextmanager
async def http_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.test") as client:
        yield client


async def run_engine(engine: str, db_url: str, count: int, repeat: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_url=db_url, secret_key="bench-secret-key-long-enough-for-signing", var_dir=Path(tmp), run_worker=False
        )
        async with running_service(settings):
            await seed(count)
            app = create_app(settings)
            async with http_client(app) as client, http_client(Litestar(route_handlers=[constant])) as plain:
                first = await client.get(FEED_PATH)
                assert first.status_code == 200, first.text
                etag = first.headers["etag"]
                assert first.content.count(b"BEGIN:VEVENT") == count, "every seeded event is in the feed"
                entries = await entries_in_memory(settings)
                assert len(entries) == count
                stamp = datetime.now(UTC).replace(microsecond=0)

                async def feed() -> None:
                    answer = await client.get(FEED_PATH)
                    assert answer.status_code == 200

                async def service_only() -> None:
                    await calendar.public_feed(calendar.FeedQuery.of(None, None), settings)

                async def baseline() -> None:
                    icalendar_alone(entries, stamp)

                async def not_modified() -> None:
                    answer = await client.get(FEED_PATH, headers={"If-None-Match": etag})
                    assert answer.status_code == 304

                async def not_modified_asking_the_database() -> None:
                    calendar.forget_feed_etags()  # as if every poll came after the memo's moment
                    await not_modified()

                async def plain_constant() -> None:
                    answer = await plain.get("/constant")
                    assert answer.status_code == 200

                await baseline()  # warm up
                alone, served, direct = await median_times([baseline, feed, service_only], repeat)
                for _ in range(50):  # warm up
                    await not_modified()
                    await plain_constant()
                cached, plain_time = await interleaved(not_modified, plain_constant, requests=200, blocks=7)
                asked, plain_again = await interleaved(not_modified_asking_the_database, plain_constant, requests=100, blocks=5)
    return [
        Row(engine, f"icalendar alone, {count} VEVENTs", alone),
        Row(engine, f"GET {FEED_PATH} ({count} events, HTTP)", served, "icalendar alone", served / alone, FEED_TARGET),
        Row(engine, "  service.public_feed() alone (no HTTP)", direct, "icalendar alone", direct / alone),
        Row(engine, "plain Litestar endpoint, constant", plain_time),
        Row(engine, f"GET {FEED_PATH} If-None-Match -> 304", cached, "constant", cached / plain_time, NOT_MODIFIED_TARGET),
        Row(engine, "  the same, ETag memo expired (aggregate query)", asked, "constant", asked / plain_again),
    ]


async def run(count: int, pg_url: str | None, repeat: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"sqlite: seeding {count} events and timing …", flush=True)
        rows += await run_engine("sqlite", f"sqlite:///{tmp}/bench.sqlite3", count, repeat)
    if pg_url:
        with fresh_database("postgres", pg_url) as db_url:
            print(f"postgresql: seeding {count} events and timing …", flush=True)
            rows += await run_engine("postgresql", db_url, count, repeat)
    return rows


def print_table(rows: list[Row]) -> None:
    print()
    print(f"{'engine':<11} {'what':<52} {'median':>10} {'ratio':>7} {'target':>7}")
    print("-" * 92)
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        target = f"<= {row.target}" if row.target is not None else ""
        verdict = ("  ok" if row.ratio is not None and row.ratio <= row.target else "  MISSED") if row.target else ""
        print(f"{row.engine:<11} {row.what:<52} {_duration(row.seconds):>10} {ratio:>7} {target:>7}{verdict}")
    print("\nratios: the service's time over the baseline measured just before it, in the same run")


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds >= 0.001 else f"{seconds * 1_000_000:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9, help="timed renderings of the full feed")
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL; a fresh database is made there")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    print_table(asyncio.run(run(args.events, args.pg, args.repeat)))


if __name__ == "__main__":
    main()
