"""Expert meetings booked in a rush, against the registration rush's bare insert in the same run.

    python -m bench.expert_booking [--pg postgresql://postgres@127.0.0.1:5432/test]

A published Tech Day with 3 experts × 20 slots (60 slots); 200 confirmed registrants, each of
its own company, book at once through POST /api/public/registrations/{token}/meetings with 50
concurrent clients, about 3.3 people racing for each slot (person n wants slot n mod 60). The
answer must be 201 × 60 and 409 × 140: each slot is booked once (the rules of
experts/service.py under real concurrency). The baseline is bench.registration_rush's bare
insert endpoint (one INSERT per request), 200 requests by the same clients, on the same engine
with the same 2 worker processes. Ratio = bookings per second / bare inserts per second; p99
is per request (a refused booking counts: it is an answer the client waits for).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit

import httpx

from bench.bare_app import BenchRow
from bench.common import (
    Timing,
    fresh_database,
    print_table,
    rows_per_engine,
    service_database,
)
from bench.registration_rush import CLIENTS, WORKERS, _env, drive, post_json
from tests.factories import registration_payload, tech_day_payload
from tests.serving import served

BOOKINGS = 200
EXPERTS = 3
SLOTS_PER_EXPERT = 20
SLOT_MINUTES = 20


async def bare_timing(db_url: str, var_dir: Path) -> Timing:
    from events_service.db import current_engine

    async with service_database(db_url, var_dir):
        BenchRow._meta.db = current_engine()  # a table outside the app's keeps the first engine it met
        await BenchRow.create_table(if_not_exists=True)
    with served(_env(db_url, var_dir), workers=WORKERS, app_factory="bench.bare_app:create_bare_app", ready_path="/ready") as base_url:
        timing, statuses = await drive(base_url, "/rows", [{"email": f"row{n}@bench.example"} for n in range(BOOKINGS)])
    assert statuses == {201: BOOKINGS}, statuses
    return timing


async def _tech_day_with_slots(http: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, list[int]]:
    event = (await http.post("/api/events", json=tech_day_payload(capacity=BOOKINGS, max_per_company=5), headers=headers)).json()
    assert (await http.post(f"/api/events/{event['id']}/publish", headers=headers)).status_code == 200
    starts = datetime.fromisoformat(event["starts_at"]) + timedelta(minutes=60)
    slot_ids: list[int] = []
    for n in range(EXPERTS):
        expert = (await http.post("/api/experts", json={"name": f"Expert {n}", "email": f"expert{n}@experts.example"}, headers=headers)).json()
        cut = await http.post(f"/api/events/{event['id']}/expert-slots", headers=headers, json={
            "expert_id": expert["id"], "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=SLOT_MINUTES * SLOTS_PER_EXPERT)).isoformat(), "minutes": SLOT_MINUTES})
        assert cut.status_code == 201, cut.text
        slot_ids += [slot["id"] for slot in cut.json()]
    return event["id"], slot_ids


async def booking_timing(db_url: str, var_dir: Path) -> tuple[Timing, dict[int, int]]:
    from events_service.organisers.service import create_organiser

    async with service_database(db_url, var_dir):
        await create_organiser("bench@programme.example", "Bench", "bench-password", "organiser")
    with served(_env(db_url, var_dir), workers=WORKERS) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            token = (await http.post("/api/auth/token", json={"email": "bench@programme.example", "password": "bench-password"})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            event_id, slot_ids = await _tech_day_with_slots(http, headers)
            tokens = []
            for n in range(BOOKINGS):  # set-up, not measured
                answer = await http.post(f"/api/public/events/{event_id}/registrations",
                                         json=registration_payload(f"p{n}.booker@c{n}.example", company_no=n + 1))
                assert answer.status_code == 201 and answer.json()["status"] == "confirmed", answer.text
                tokens.append(answer.json()["manage_token"])
        return await _drive_bookings(base_url, tokens, slot_ids)


async def _drive_bookings(base_url: str, tokens: list[str], slot_ids: list[int]) -> tuple[Timing, dict[int, int]]:
    """registration_rush.drive's clients, each request to its person's own path (their token)."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = iter(range(len(tokens)))

    async def client() -> None:
        for n in next_index:
            started = time.perf_counter()
            status = await post_json(host, port, f"/api/public/registrations/{tokens[n]}/meetings", {"slot_id": slot_ids[n % len(slot_ids)]})
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(CLIENTS)])
    return Timing(len(tokens), time.perf_counter() - started, latencies), statuses


async def run_engine(engine: str, pg_url: str | None) -> list[list[object]]:
    with TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        with fresh_database(engine, pg_url) as db_url:
            bare = await bare_timing(db_url, Path(folder))
        with fresh_database(engine, pg_url) as db_url:
            booking, statuses = await booking_timing(db_url, Path(folder))
    slots = EXPERTS * SLOTS_PER_EXPERT
    assert statuses == {201: slots, 409: BOOKINGS - slots}, statuses  # each slot booked once, the rest refused
    outcome = " ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
    return [
        [engine, "bare insert", bare.per_second, bare.p50, bare.percentile(0.99), "1.00", f"201×{BOOKINGS}"],
        [engine, "expert booking", booking.per_second, booking.p50, booking.percentile(0.99),
         f"{booking.per_second / bare.per_second:.2f}", outcome],
    ]


def main() -> None:
    rows = rows_per_engine(__doc__ or "", run_engine)
    print_table(
        f"Expert booking: {BOOKINGS} bookings racing for {EXPERTS * SLOTS_PER_EXPERT} slots, {CLIENTS} concurrent clients, "
        f"{WORKERS} worker processes (ratio: against the bare insert of the same run)",
        ["engine", "endpoint", "req/s", "p50 ms", "p99 ms", "ratio", "answers"],
        rows,
    )


if __name__ == "__main__":
    main()
