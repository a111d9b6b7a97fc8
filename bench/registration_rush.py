"""Registrations per second under a rush, against a bare insert endpoint in the same run.

    python -m bench.registration_rush [--pg postgresql://postgres@127.0.0.1:5432/test]

Both servers run as 2 uvicorn worker processes on the same engine, with the same settings
(pool size included); 50 concurrent clients send 1,000 requests to each. Then the service is
measured again with 1k, 10k and 100k existing registrations (spread over 100 past events, as
a programme accumulates them). The ratio is against the bare insert, as the target is set; the
same insert in the service's write transaction is printed beside it as a stricter baseline
(on SQLite, Piccolo's autocommit path opens a connection per insert, which a registration,
in a write transaction, does not).

The clients are a few lines of asyncio (post_json), not httpx: on a 2-core machine httpx's
CPU per request took most of a core from the servers, so both endpoints measured mostly the
driver (ratios near 1, and seconds-long p99s from requests queued in httpx's pool).

"server CPU ms/req" is the CPU the worker processes and PostgreSQL's backends spent per
request (Linux only): on 2 cores shared by client, workers and database, it is what the
throughput is made of, and it shows where a ratio comes from (statements per request).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.bare_app import BenchRow
from bench.common import (
    Timing,
    fresh_database,
    print_table,
    rows_per_engine,
    servers_cpu_seconds,
    service_database,
)
from tests.factories import event_payload, partita_iva, registration_payload
from tests.serving import served

CLIENTS = 50
REQUESTS = 1000
WORKERS = 2
SECRET = "bench-secret-key-long-enough-for-signing"


async def post_json(host: str, port: int, path: str, payload: dict[str, Any]) -> int:
    """POST one JSON body on a connection of its own, as each registrant's browser would, and
    return the status. (With 50 kept-alive connections, the worker process that accepted the
    opening burst kept most of them: up to 90 % of the load went to one worker.)"""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        body = json.dumps(payload).encode()
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
        )
        status = int((await reader.readline()).split()[1])
        await reader.read()  # the rest, until the server closes
        return status
    finally:
        writer.close()


async def drive(base_url: str, path: str, payloads: list[dict[str, Any]]) -> tuple[Timing, dict[int, int]]:
    """CLIENTS clients send the payloads, one request at a time each, until none is left."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = iter(range(len(payloads)))

    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def client() -> None:
        for index in next_index:
            started = time.perf_counter()
            status = await post_json(host, port, path, payloads[index])
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    cpu_before = servers_cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(CLIENTS)])
    elapsed = time.perf_counter() - started
    cpu_after = servers_cpu_seconds()
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Timing(len(payloads), elapsed, latencies, server_cpu), statuses


def _env(db_url: str, var_dir: Path) -> dict[str, str]:
    # The rush is one client registering 1,000 people for one event: limits off, their cost measured.
    return {"EVENTS_DB": db_url, "EVENTS_VAR_DIR": str(var_dir), "EVENTS_SECRET_KEY": SECRET, "EVENTS_PUBLIC_RATE_LIMIT": "1000000",
            "EVENTS_MAIL_QUOTA_PER_EVENT": "1000000"}


async def bare_timing(db_url: str, var_dir: Path, path: str = "/rows") -> Timing:
    from events_service.db import current_engine

    async with service_database(db_url, var_dir):
        # Bound here: a table outside the app's keeps the first engine it was used with.
        BenchRow._meta.db = current_engine()
        await BenchRow.create_table(if_not_exists=True)
    with served(_env(db_url, var_dir), workers=WORKERS, app_factory="bench.bare_app:create_bare_app", ready_path="/ready") as base_url:
        timing, statuses = await drive(base_url, path, [{"email": f"row{n}@bench.example"} for n in range(REQUESTS)])
    assert statuses == {201: REQUESTS}, statuses
    return timing


async def raw_timing(db_url: str, var_dir: Path) -> Timing:
    """The registration's own statements through the raw driver (bench.raw_registration_app),
    against an event like the service's: published, half as many seats as requests, 5 a company."""
    from events_service.events.tables import Event

    async with service_database(db_url, var_dir):
        starts = datetime.now(UTC) + timedelta(days=30)
        rows = await Event.insert(
            Event(kind="tech_talk", slug="raw-rush", title="Raw rush", starts_at=starts, ends_at=starts + timedelta(minutes=90), mode="online",
                  capacity=REQUESTS // 2, max_per_company=5, online_url="https://meet.example.org/j/1", status="published")
        ).returning(Event.id)
    event_id = rows[0]["id"]
    payloads = [registration_payload(f"p{n}.raw@c{n % 300}.example", company_no=n % 300) for n in range(REQUESTS)]
    with served(_env(db_url, var_dir), workers=WORKERS, app_factory="bench.raw_registration_app:create_raw_app", ready_path="/ready") as base_url:
        timing, statuses = await drive(base_url, f"/raw-registrations/{event_id}", payloads)
    assert statuses == {201: REQUESTS}, statuses
    return timing


async def _prefill(existing: int) -> None:
    """`existing` registrations over 100 past events, inserted in bulk (not through the API)."""
    from events_service.companies.tables import Company, Contact
    from events_service.events.tables import Event
    from events_service.registrations.tables import Registration

    if existing == 0:
        return
    now = datetime.now(UTC)
    events = []
    for n in range(100):
        starts = now - timedelta(days=200 - n)
        rows = await Event.insert(
            Event(kind="tech_talk", slug=f"past-{existing}-{n}", title=f"Past talk {n}", starts_at=starts, ends_at=starts + timedelta(hours=1),
                  mode="online", capacity=existing, online_url="https://meet.example.org/x", status="published")
        ).returning(Event.id)
        events.append(rows[0]["id"])
    companies = await Company.insert(
        *[Company(name=f"Prefill {n}", vat_id=partita_iva(100_000 + n), country="IT") for n in range(200)]
    ).returning(Company.id)
    company_ids = [row["id"] for row in companies]
    batch = 1000
    for start in range(0, existing, batch):
        size = min(batch, existing - start)
        contacts = await Contact.insert(
            *[Contact(email=f"pre{existing}-{start + i}@prefill.example", first_name="Pre", last_name=f"Fill{i}", company=company_ids[i % 200]) for i in range(size)]
        ).returning(Contact.id)
        await Registration.insert(
            *[Registration(event=events[(start + i) % 100], contact=row["id"], company=company_ids[i % 200], status="confirmed",
                           attendance_mode="online", token_nonce="prefill", created_at=now)
              for i, row in enumerate(contacts)]
        )


async def service_timing(db_url: str, var_dir: Path, existing: int) -> tuple[Timing, dict[int, int]]:
    from events_service.organisers.service import create_organiser

    async with service_database(db_url, var_dir):
        await _prefill(existing)
        email = f"bench-{existing}@programme.example"
        await create_organiser(email, "Bench", "bench-password", "organiser")
    with served(_env(db_url, var_dir), workers=WORKERS) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            token = (await http.post("/api/auth/token", json={"email": email, "password": "bench-password"})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            event = (await http.post("/api/events", json=event_payload(title=f"Rush {existing}", capacity=REQUESTS // 2, max_per_company=5), headers=headers)).json()
            await http.post(f"/api/events/{event['id']}/publish", headers=headers)
        payloads = [registration_payload(f"p{n}.rush{existing}@c{n % 300}.example", company_no=n % 300) for n in range(REQUESTS)]
        return await drive(base_url, f"/api/public/events/{event['id']}/registrations", payloads)


async def run_engine(engine: str, pg_url: str | None) -> list[list[object]]:
    rows: list[list[object]] = []
    with TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        with fresh_database(engine, pg_url) as db_url:
            bare = await bare_timing(db_url, Path(folder))
        with fresh_database(engine, pg_url) as db_url:
            stricter = await bare_timing(db_url, Path(folder), "/rows-in-transaction")
        with fresh_database(engine, pg_url) as db_url:
            raw = await raw_timing(db_url, Path(folder))
        rows.append([engine, "bare insert", "-", bare.per_second, bare.p50, bare.percentile(0.99), _cpu(bare), "1.00", "-", "201×1000"])
        rows.append([engine, "bare insert, write txn", "-", stricter.per_second, stricter.p50, stricter.percentile(0.99), _cpu(stricter),
                     f"{stricter.per_second / bare.per_second:.2f}", "-", "201×1000"])
        rows.append([engine, "raw-driver registration SQL", "-", raw.per_second, raw.p50, raw.percentile(0.99), _cpu(raw),
                     f"{raw.per_second / bare.per_second:.2f}", "1.00", "201×1000"])
        for existing in (0, 1_000, 10_000, 100_000):
            with fresh_database(engine, pg_url) as db_url:
                timing, statuses = await service_timing(db_url, Path(folder), existing)
            outcome = " ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
            rows.append([engine, "registration", f"{existing:,}", timing.per_second, timing.p50, timing.percentile(0.99), _cpu(timing),
                         f"{timing.per_second / bare.per_second:.2f}", f"{timing.per_second / raw.per_second:.2f}", outcome])
            print(f"  {engine}: {existing:,} existing: {timing.per_second:.0f} req/s (bare {bare.per_second:.0f}, raw SQL {raw.per_second:.0f})", flush=True)
    return rows


def _cpu(timing: Timing) -> str:
    return "-" if timing.server_cpu_ms is None else f"{timing.server_cpu_ms:.2f}"


def main() -> None:
    rows = rows_per_engine(__doc__ or "", run_engine)
    print_table(
        f"Registration rush: {REQUESTS} requests, {CLIENTS} concurrent clients, {WORKERS} worker processes "
        "(ratio: against the bare insert; vs raw SQL: against the registration's own statements on the raw driver, goal ≥ 0.5)",
        ["engine", "endpoint", "existing", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "ratio", "vs raw SQL", "answers"],
        rows,
    )


if __name__ == "__main__":
    main()
