"""What observability costs a registration rush: /metrics (Litestar's Prometheus middleware on
every request, the service's figures read at each scrape) and JSON logs (one line per request),
against the same rush with both off, in the same run.

    python -m bench.operations_overhead [--pg postgresql://postgres@127.0.0.1:5432/test]

Each variant is a registration rush as in bench.registration_rush (2 uvicorn workers, 50
clients), of 4,000 registrations for one event, on a fresh database. "on" also scrapes /metrics
once a second during the rush, as Prometheus would. The variants take turns, off-on then on-off,
so a noisy neighbour and what one run leaves behind (PostgreSQL's checkpoint and autovacuum,
counted as server CPU) land on both alike; the table shows each run and the ratio of the medians
(goal: on/off >= 0.95, i.e. within 5 %), and the ratio of the server CPU spent per request
(workers and PostgreSQL; on/off, goal <= 1.05). "off" is the default set-up: uvicorn's text
access log writes a line per request; "on" replaces it with the JSON line.

Measured 2026-12-06 ~11:50 UTC on a quiet machine (nothing else running), 4 rounds:

    SQLite      608/639 req/s  ratio 0.951  CPU x1.077 (2.40 against 2.23 ms a request)
    PostgreSQL  466/487 req/s  ratio 0.956  CPU x1.049

Before, the same bench with 1,000-request rushes, always off then on, 3 rounds, gave SQLite
0.865 (x1.147) and PostgreSQL 0.878 (x1.138) on the same quiet machine. Two faults of the
bench, not of the service: a 1,000-request rush lasts about 1.5 s, so it met one or two scrapes,
each the first in its worker (16-28 ms against 3-7 ms later), 2-4 % of the whole rush; and "on"
always ran second, so the checkpoint and autovacuum after "off"'s 1,000 rows were counted
against it. What "on" adds per request, measured apart: ~27 µs of CPU for Litestar's Prometheus
middleware (cProfile in process agrees), ~8 µs for the JSON line over uvicorn's text line
(JsonFormatter with redaction, 18.6 µs, against 10.3 µs); one line per request in both modes.
What a scrape's read costs grows with the tables it counts (20-30 ms with 100,000
registrations and 100,000 emails), which is why a process reads at most once per
EVENTS_METRICS_MAX_AGE seconds (operations/metrics.py FiguresCache).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from bench.common import (
    Timing,
    fresh_database,
    print_table,
    rows_per_engine,
    service_database,
)
from bench.registration_rush import WORKERS, _env, drive
from tests.factories import event_payload, registration_payload
from tests.serving import served

ROUNDS = 4  # even: each variant goes first as often as second
#: Four times the registration rush's 1,000: a 1,000-request rush lasts about 1.5 s on SQLite, so it
#: met one or two scrapes, each the first in its worker process (16-28 ms, against 3-7 ms later) and
#: weighing 2-4 % of the whole rush; a real scrape interval (15 s) amortises that. Longer, the rush
#: measures what a steady scrape costs.
REQUESTS = 4000
COMPANIES = REQUESTS // 5  # max_per_company=5: every request a registration, none refused
VARIANTS = {
    "off": {"EVENTS_METRICS": "0", "EVENTS_LOG_FORMAT": "text"},
    "on": {"EVENTS_METRICS": "1", "EVENTS_LOG_FORMAT": "json"},
}


async def _scrape_every_second(base_url: str, stop: asyncio.Event, scrapes: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        while not stop.is_set():
            answer = await http.get("/metrics")
            scrapes.append(answer.status_code)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


async def rush(db_url: str, var_dir: Path, variant: str) -> tuple[Timing, dict[int, int], int]:
    from events_service.organisers.service import create_organiser

    async with service_database(db_url, var_dir):
        await create_organiser("bench-ops@programme.example", "Bench", "bench-password", "organiser")
    with served({**_env(db_url, var_dir), **VARIANTS[variant]}, workers=WORKERS, ready_path="/healthz") as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            token = (await http.post("/api/auth/token", json={"email": "bench-ops@programme.example", "password": "bench-password"})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            event = (await http.post("/api/events", json=event_payload(title="Ops rush", capacity=REQUESTS // 2, max_per_company=5), headers=headers)).json()
            await http.post(f"/api/events/{event['id']}/publish", headers=headers)
        payloads = [registration_payload(f"p{n}.ops@c{n % COMPANIES}.example", company_no=n % COMPANIES) for n in range(REQUESTS)]
        stop, scrapes = asyncio.Event(), []
        scraper = asyncio.create_task(_scrape_every_second(base_url, stop, scrapes)) if variant == "on" else None
        try:
            timing, statuses = await drive(base_url, f"/api/public/events/{event['id']}/registrations", payloads)
        finally:
            stop.set()
            if scraper is not None:
                await scraper
    assert all(status == 200 for status in scrapes), scrapes
    return timing, statuses, len(scrapes)


async def run_engine(engine: str, pg_url: str | None) -> list[list[object]]:
    rows: list[list[object]] = []
    rates: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    with TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        for round_number in range(1, ROUNDS + 1):
            # off-on, then on-off: what one run leaves behind (PostgreSQL's checkpoint and autovacuum
            # of the rows it wrote, counted as server CPU; the disk's writeback) lands on each alike.
            for variant in list(VARIANTS)[:: 1 if round_number % 2 else -1]:
                with fresh_database(engine, pg_url) as db_url:
                    timing, statuses, scrapes = await rush(db_url, Path(folder) / f"{variant}{round_number}", variant)
                rates[variant].append(timing.per_second)
                if timing.server_cpu_ms is not None:
                    cpu[variant].append(timing.server_cpu_ms)
                outcome = " ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
                rows.append([engine, variant, round_number, timing.per_second, timing.p50, timing.percentile(0.99),
                             "-" if timing.server_cpu_ms is None else f"{timing.server_cpu_ms:.2f}", scrapes or "-", outcome])
                print(f"  {engine} {variant} round {round_number}: {timing.per_second:.0f} req/s", flush=True)
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    # CPU per request moves less with a busy neighbour than throughput does: the steadier figure.
    cpu_ratio = f"{statistics.median(cpu['on']) / statistics.median(cpu['off']):.3f}" if cpu["on"] and cpu["off"] else "-"
    rows.append([engine, "median on/off", "-", f"{on:.0f}/{off:.0f}", "-", "-", f"CPU x{cpu_ratio}", "-", f"ratio {on / off:.3f}"])
    return rows


def main() -> None:
    rows = rows_per_engine(__doc__ or "", run_engine)
    print_table(
        f"Observability overhead: registration rush, {REQUESTS} requests, {WORKERS} worker processes; "
        "on = Prometheus metrics + JSON logs (+ a scrape a second), off = both off (ratio: on/off medians, goal >= 0.95)",
        ["engine", "variant", "round", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "scrapes", "answers"],
        rows,
    )


if __name__ == "__main__":
    main()
