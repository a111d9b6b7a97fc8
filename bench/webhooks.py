"""Webhooks: delivery throughput against a bare loop of signed POSTs, and what a subscription
costs the registration rush.

    python -m bench.webhooks [--count 2000] [--concurrency 10] [--pg postgresql://postgres@127.0.0.1/test]
                             [--sqlite-only | --pg-only] [--no-rush] [--rounds 2]

1. Delivery. The production path: --count deliveries queued in the webhooks' outbox (one subscription,
registration.created bodies as the registration code writes them); the dispatcher claims them
in batches, signs each (Standard Webhooks), POSTs it with httpx and records the result.

Against: a bare loop over the same httpx client and the same number of requests in flight,
signing and POSTing the same bodies with nothing read or written in the database; half right
before and half right after each dispatcher run, so a machine getting busier or quieter skews
both alike. The receiver is uvicorn with a tiny ASGI app that only counts, in a process of
its own. The ratio is the dispatcher's rate over the bare loop's: what the outbox (claiming,
leases, recording each result) costs over sending alone.

2. The rush (bench.questions' rush, served the same way: 2 uvicorn workers, 50 clients, 1,000
public registrations): with 3 questions answered and one webhook subscription to
registration.created (each registration then also writes its delivery in its transaction),
against the rush with neither, and with the questions only, so each part's cost shows. The
served processes run no worker (as in bench.questions); afterwards a dispatcher here delivers
what the rush queued to the receiver, and the count that arrived must equal the registrations
made (201s). The three rushes take turns, --rounds times; each row sums its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import socket
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import msgspec

from bench.common import Timing, engines, fresh_database, insert_rows, print_table, service_database
from bench.questions import rush
from bench.registration_rush import CLIENTS, REQUESTS, WORKERS, _cpu
from events_service import db
from events_service.settings import Settings
from events_service.webhooks.delivery import WebhookDispatcher
from events_service.webhooks.outbox import new_webhook_id
from events_service.webhooks.signing import new_secret, signed_headers
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription

# --------------------------------------------------------------------------- the receiver


def _receiver_main(port: int, counter: Any, ready: Any) -> None:
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        with counter.get_lock():
            counter.value += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    ready.set()
    server.run()


class Receiver:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        self.counter = context.Value("q", 0)
        ready = context.Event()
        self.process = context.Process(target=_receiver_main, args=(self.port, self.counter, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the receiver did not start")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # uvicorn binds a moment after it starts
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("the receiver does not listen")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def count(self) -> int:
        return int(self.counter.value)

    def close(self) -> None:
        self.process.kill()
        self.process.join()


# --------------------------------------------------------------------------- the runs


def _body(n: int) -> str:
    data = {
        "registration_id": n, "event_id": 1, "company_id": 1 + n % 40, "email": f"person{n}@azienda{n % 40}.example",
        "status": "confirmed", "attendance_mode": "in_person",
    }
    return msgspec.json.encode({"type": "registration.created", "timestamp": datetime.now(UTC).isoformat(), "data": data}).decode()


async def queue(subscription_id: int, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        WebhookDelivery(
            subscription=subscription_id, webhook_id=new_webhook_id(), type="registration.created", body=_body(n),
            status="queued", send_after=now, created_at=now, updated_at=now,
        )
        for n in range(count)
    ]
    await insert_rows(WebhookDelivery, rows)


async def bare_loop(client: httpx.AsyncClient, url: str, secret: str, bodies: list[str], concurrency: int) -> float:
    """Sign and POST each body, `concurrency` senders taking the next one, as the dispatcher's
    senders do: sending alone, no database. (A task per body waiting on a semaphore was up to
    40 % slower on this machine, which flattered the dispatcher: ratios above 1 on SQLite.)"""
    waiting = deque(bodies)

    async def sender() -> None:
        while waiting:
            content = waiting.popleft().encode()
            answer = await client.post(url, content=content, headers=signed_headers(secret, new_webhook_id(), datetime.now(UTC), content))
            answer.raise_for_status()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        for _ in range(concurrency):
            tasks.create_task(sender())
    return time.perf_counter() - started


async def run_engine(name: str, url: str, var_dir: Path, receiver: Receiver, count: int, concurrency: int) -> list[list[object]]:
    engine = db.engine_from_url(url)
    db.use_engine(engine)
    await db.open_engine(engine)
    try:
        await db.run_migrations()
        settings = Settings(db_url=url, secret_key="bench-secret-key-long-enough-for-signing", var_dir=var_dir, webhook_private_addresses=True)
        secret = new_secret()
        subscription = WebhookSubscription(url=receiver.url, events="registration.created", secret=secret)
        await subscription.save()
        await queue(subscription.id, count)
        bodies = [_body(n) for n in range(count)]
        half = count // 2
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
            before = await bare_loop(client, receiver.url, secret, bodies[:half], concurrency)
            received = receiver.count
            dispatcher = WebhookDispatcher(settings, client, concurrency=concurrency, worker_id="bench")
            started = time.perf_counter()
            stats = await dispatcher.drain(batch_size=100)
            seconds = time.perf_counter() - started
            arrived = receiver.count - received
            after = await bare_loop(client, receiver.url, secret, bodies[half:], concurrency)
        if stats.delivered != count or arrived != count:
            raise RuntimeError(f"incomplete: {stats.delivered} delivered, {arrived} arrived, {count} queued")
        bare = count / (before + after)
        print(f"  {name}: dispatcher {count / seconds:.0f}/s, bare loop {bare:.0f}/s", flush=True)
        return [[name, f"dispatcher, {concurrency} in flight", count / seconds, f"{bare:.0f}", f"{count / seconds / bare:.2f}"]]
    finally:
        await db.close_engine(engine)


# --------------------------------------------------------------------------- the rush

RUSHES = [  # (what, questions answered, a webhook subscription)
    ("no questions, no webhook (baseline)", False, False),
    ("3 questions", True, False),
    ("3 questions + 1 webhook subscription", True, True),
]


async def deliver_afterwards(db_url: str, var_dir: Path, receiver: Receiver, expected: int) -> float:
    """Deliver what the rush queued, from here; check every delivery arrived. Returns the seconds taken."""
    received = receiver.count
    async with service_database(db_url, var_dir) as settings, httpx.AsyncClient() as client:
        allowed = dataclasses.replace(cast(Settings, settings), webhook_private_addresses=True)  # the receiver is on 127.0.0.1
        dispatcher = WebhookDispatcher(allowed, client, worker_id="bench")
        started = time.perf_counter()
        stats = await dispatcher.drain()
        seconds = time.perf_counter() - started
    arrived = receiver.count - received
    if not stats.delivered == arrived == expected:
        raise RuntimeError(f"deliveries: {stats.delivered} delivered, {arrived} arrived, {expected} registrations")
    return seconds


async def rush_engine(engine: str, pg_url: str | None, var_dir: Path, receiver: Receiver, rounds: int) -> list[list[object]]:
    """Each rush `rounds` times, taking turns (A B C A B C), so a machine getting busier or
    quieter during the run skews them alike; a row sums its rounds."""
    timings: dict[str, list[Timing]] = {what: [] for what, _, _ in RUSHES}
    answers: dict[str, Counter[int]] = {what: Counter() for what, _, _ in RUSHES}
    deliveries: dict[str, list[tuple[int, float]]] = {what: [] for what, _, _ in RUSHES}
    for round_number in range(1, rounds + 1):
        for what, with_questions, with_webhook in RUSHES:
            with fresh_database(engine, pg_url) as db_url:
                timing, statuses = await rush(db_url, var_dir, with_questions, receiver.url if with_webhook else None)
                if with_webhook:
                    made = statuses.get(201, 0)
                    deliveries[what].append((made, await deliver_afterwards(db_url, var_dir, receiver, made)))
            timings[what].append(timing)
            answers[what].update(statuses)
            print(f"  {engine}, round {round_number}: {what}: {timing.per_second:.0f} req/s", flush=True)
    base = Timing.combined(timings[RUSHES[0][0]])
    rows: list[list[object]] = []
    for what, _, _ in RUSHES:
        timing = Timing.combined(timings[what])
        made = sum(count for count, _ in deliveries[what])
        delivered = f"{made} of {made} ({made / sum(seconds for _, seconds in deliveries[what]):.0f}/s)" if deliveries[what] else "-"
        outcome = " ".join(f"{code}×{count}" for code, count in sorted(answers[what].items()))
        rows.append([engine, what, timing.per_second, timing.p50, timing.percentile(0.99), _cpu(timing),
                     f"{timing.per_second / base.per_second:.2f}", outcome, delivered])
    return rows


# --------------------------------------------------------------------------- both


async def run(arguments: argparse.Namespace) -> tuple[list[list[object]], list[list[object]]]:
    receiver = Receiver()
    delivery_rows: list[list[object]] = []
    rush_rows: list[list[object]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for engine in engines(arguments):
                with fresh_database(engine, arguments.pg) as url:
                    delivery_rows += await run_engine(engine, url, Path(tmp), receiver, arguments.count, arguments.concurrency)
                if not arguments.no_rush:
                    rush_rows += await rush_engine(engine, arguments.pg, Path(tmp), receiver, arguments.rounds)
    finally:
        receiver.close()
    return delivery_rows, rush_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--pg", default=os.environ.get("EVENTS_TEST_PG_URL"), help="PostgreSQL server URL")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--no-rush", action="store_true", help="the delivery comparison only")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three rushes, taking turns")
    arguments = parser.parse_args()
    delivery_rows, rush_rows = asyncio.run(run(arguments))
    print_table("Webhook delivery", ["engine", "what", "deliveries/s", "bare loop/s", "ratio"], delivery_rows)
    print("\nbare loop: the same httpx client signing and POSTing the same bodies, as many in flight, no database;"
          " timed right before and after the dispatcher")
    if rush_rows:
        print_table(
            f"Registration rush with questions and a webhook subscription: {REQUESTS} requests, {CLIENTS} concurrent clients, "
            f"{WORKERS} worker processes, {arguments.rounds} rounds taking turns (ratio: against the rush with neither, same engine, same run)",
            ["engine", "rush", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "ratio", "answers", "webhooks delivered afterwards"],
            rush_rows,
        )


if __name__ == "__main__":
    main()
