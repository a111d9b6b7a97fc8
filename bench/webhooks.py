"""Webhook delivery throughput: the WebhookDispatcher against a bare loop of signed POSTs.

    python -m bench.webhooks [--count 2000] [--concurrency 10] [--pg postgresql://postgres@127.0.0.1/test]

The production path: --count deliveries queued in the webhooks' outbox (one subscription,
registration.created bodies as the registration code writes them); the dispatcher claims them
in batches, signs each (Standard Webhooks), POSTs it with httpx and records the result.

Against: a bare loop over the same httpx client and the same number of requests in flight,
signing and POSTing the same bodies with nothing read or written in the database; half right
before and half right after each dispatcher run, so a machine getting busier or quieter skews
both alike. The receiver is uvicorn with a tiny ASGI app that only counts, in a process of
its own. The ratio is the dispatcher's rate over the bare loop's: what the outbox (claiming,
leases, recording each result) costs over sending alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench.common import fresh_database, insert_rows, print_table
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
    """Sign and POST each body, `concurrency` at a time: sending alone, no database."""
    limit = asyncio.Semaphore(concurrency)

    async def one(body: str) -> None:
        async with limit:
            content = body.encode()
            answer = await client.post(url, content=content, headers=signed_headers(secret, new_webhook_id(), datetime.now(UTC), content))
            answer.raise_for_status()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        for body in bodies:
            tasks.create_task(one(body))
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


async def run(count: int, pg_url: str | None, concurrency: int) -> list[list[object]]:
    receiver = Receiver()
    rows: list[list[object]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as databases:
            engines = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
            if pg_url:
                engines.append(("postgresql", databases.enter_context(fresh_database("postgres", pg_url))))
            for name, url in engines:
                rows += await run_engine(name, url, Path(tmp), receiver, count, concurrency)
    finally:
        receiver.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--pg", default=os.environ.get("EVENTS_TEST_PG_URL"), help="PostgreSQL server URL")
    args = parser.parse_args()
    rows = asyncio.run(run(args.count, args.pg, args.concurrency))
    print_table("Webhook delivery", ["engine", "what", "deliveries/s", "bare loop/s", "ratio"], rows)
    print("\nbare loop: the same httpx client signing and POSTing the same bodies, as many in flight, no database;"
          " timed right before and after the dispatcher")


if __name__ == "__main__":
    main()
