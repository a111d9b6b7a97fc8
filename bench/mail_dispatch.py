"""Mail dispatch throughput: the outbox Dispatcher against a bare aiosmtplib loop.

    python -m bench.mail_dispatch [--count 10000] [--pg postgresql://postgres@127.0.0.1/test]

10,000 reminder emails (jinja2 templates, an invite .ics, MIME via compose.build_email) are
queued in a fresh database, then sent by the Dispatcher to a local aiosmtpd sink that only
counts (in a process of its own, so it does not share the GIL with the client). The same
messages, pre-built, are sent by a bare loop over one aiosmtplib connection - half right
before, half right after each Dispatcher run, so a machine getting busier or quieter skews
both alike: what the network part costs without claims, leases and result bookkeeping.
Target: Dispatcher >= 0.7 x the bare loop.

PostgreSQL runs when --pg (or EVENTS_TEST_PG_URL) is given; the bench creates its own
database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import aiosmtplib

from bench.common import fresh_database
from events_service import db
from events_service.calendar.ics import CalendarEntry, build_invite
from events_service.mail import outbox
from events_service.mail.compose import build_email, render_message
from events_service.mail.dispatcher import Dispatcher
from events_service.mail.transport import SmtpTransport
from events_service.settings import Settings

MAIL_FROM = "events@programme.example"
TARGET_RATIO = 0.7


# --------------------------------------------------------------------------- the sink


def _sink_main(port: int, counter: multiprocessing.sharedctypes.Synchronized, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


class Sink:
    def __init__(self) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        self.counter = context.Value("q", 0)
        ready = context.Event()
        self.process = context.Process(target=_sink_main, args=(self.port, self.counter, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return int(self.counter.value)

    def url(self, connections: int) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0&connections={connections}"

    def close(self) -> None:
        self.process.kill()
        self.process.join()


# --------------------------------------------------------------------------- messages


def build_reminders(count: int) -> list[EmailMessage]:
    """Reminder emails as the reminder scheduler would write them: one per registrant."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    event = {
        "title": "Industria 4.0: manutenzione predittiva per le PMI",
        "kind": "tech_day",
        "mode": "hybrid",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=4),
        "timezone": "Europe/Rome",
        "venue_name": "NOI Techpark",
        "venue_address": "Via Alessandro Volta 13",
        "venue_city": "Bolzano",
        "online_url": "https://meet.example.org/j/8812345?pwd=s3cret",
        "description": "Sensori, dati e modelli per ridurre i fermi macchina.",
    }
    entry = dict(
        sequence=0,
        summary=event["title"],
        description=event["description"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        location="NOI Techpark, Via Alessandro Volta 13, Bolzano",
        url="https://events.example.org/e/industria-4-0",
    )
    messages = []
    for n in range(count):
        language = "it" if n % 3 else "en"
        person = {"first_name": f"Persona{n}", "last_name": "Rossi", "email": f"person{n}@company{n % 97}.example"}
        rendered = render_message(
            "reminder",
            language,
            {
                "event": event,
                "person": person,
                "programme_name": "InnoPMI Interreg",
                "minutes_until": 1440,
                "manage_url": f"https://events.example.org/r/manage/token{n:08d}",
            },
        )
        invite = build_invite(
            CalendarEntry(uid=f"event-7-registration-{n}@events.example.org", **entry),
            organizer_email=MAIL_FROM,
            organizer_name="InnoPMI Interreg",
            attendee_email=person["email"],
            attendee_name=f"{person['first_name']} {person['last_name']}",
            method="REQUEST",
        )
        messages.append(
            build_email(
                sender=MAIL_FROM,
                sender_name="InnoPMI Interreg",
                to=person["email"],
                rendered=rendered,
                calendar=invite,
                message_id_domain="events.example.org",
            )
        )
    return messages


# --------------------------------------------------------------------------- runs


@dataclass
class Result:
    engine: str
    method: str
    rate: float
    #: The bare loop's rate measured right before and after (half the messages each), so a
    #: machine that gets busier or quieter during the run skews both sides alike.
    bare_rate: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.rate / self.bare_rate if self.bare_rate else None


async def bare_loop(sink: Sink, raws: list[bytes], recipients: list[str]) -> float:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False, timeout=10)
    await smtp.connect()
    started = time.perf_counter()
    for raw, recipient in zip(raws, recipients, strict=True):
        await smtp.sendmail(MAIL_FROM, [recipient], raw)
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return elapsed


async def dispatch(db_url: str, var_dir: Path, sink: Sink, messages: list[EmailMessage], connections: int) -> tuple[float, float]:
    """Queue every message in a fresh outbox, then time the Dispatcher draining it."""
    settings = Settings(db_url=db_url, secret_key="bench", var_dir=var_dir, mail_from=MAIL_FROM, run_worker=False)
    engine = db.engine_from_url(db_url)
    db.use_engine(engine)
    await db.open_engine(engine)
    try:
        await db.run_migrations()
        await engine.run_ddl("DELETE FROM outbox_message")
        started = time.perf_counter()
        for chunk in range(0, len(messages), 500):
            async with db.write_transaction():
                for n, message in enumerate(messages[chunk : chunk + 500], start=chunk):
                    await outbox.enqueue(message, kind="reminder", idempotency_key=f"reminder:{n}:1440:0")
        enqueue_seconds = time.perf_counter() - started

        transport = SmtpTransport.from_url(sink.url(connections))
        dispatcher = Dispatcher(settings, transport, "bench")
        before = sink.count
        started = time.perf_counter()
        stats = await dispatcher.drain(batch_size=50)
        elapsed = time.perf_counter() - started
        await transport.close()
        if stats.sent != len(messages) or sink.count - before != len(messages):
            raise RuntimeError(f"dispatch incomplete: {stats}; sink got {sink.count - before}")
        return enqueue_seconds, elapsed
    finally:
        await db.close_engine(engine)


async def run(count: int, pg_url: str | None, connections: list[int]) -> list[Result]:
    print(f"building {count} reminder emails (templates, invite .ics, MIME) …", flush=True)
    started = time.perf_counter()
    messages = build_reminders(count)
    raws = [message.as_bytes(policy=SMTP) for message in messages]
    recipients = [str(message["To"]) for message in messages]
    size = sum(map(len, raws)) / len(raws)
    print(f"  built in {time.perf_counter() - started:.1f} s, {size / 1024:.1f} KiB each", flush=True)
    half = count // 2

    sink = Sink()
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as databases:
            engines = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
            if pg_url:
                engines.append(("postgresql", databases.enter_context(fresh_database("postgres", pg_url))))
            for engine_name, url in engines:
                for n in connections:
                    before = await bare_loop(sink, raws[:half], recipients[:half])
                    enqueue_seconds, seconds = await dispatch(url, Path(tmp), sink, messages, n)
                    after = await bare_loop(sink, raws[half:], recipients[half:])
                    bare_rate = count / (before + after)
                    plural = "s" if n > 1 else ""
                    results.append(Result(engine_name, "enqueue, in the caller's transaction", count / enqueue_seconds))
                    results.append(Result(engine_name, f"Dispatcher, {n} connection{plural}", count / seconds, bare_rate))
                    print(f"  {engine_name}: Dispatcher ({n} connection{plural}) {count / seconds:.0f}/s, bare loop {bare_rate:.0f}/s", flush=True)
    finally:
        sink.close()
    return results


def print_table(results: list[Result]) -> None:
    print()
    print(f"{'engine':<11} {'method':<38} {'msgs/s':>7} {'bare loop':>10} {'ratio':>6}")
    print("-" * 76)
    for result in results:
        bare = f"{result.bare_rate:.0f}" if result.bare_rate else ""
        ratio = f"{result.ratio:.2f}" if result.ratio else ""
        print(f"{result.engine:<11} {result.method:<38} {result.rate:>7.0f} {bare:>10} {ratio:>6}")
    print(f"\nbare loop: aiosmtplib, 1 connection, same messages, timed right before and after; target ratio >= {TARGET_RATIO}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("EVENTS_TEST_PG_URL"), help="PostgreSQL server URL")
    parser.add_argument("--connections", default="1,4", help="Dispatcher pool sizes to try, e.g. 1,4")
    args = parser.parse_args()
    connections = [int(value) for value in args.connections.split(",")]
    print_table(asyncio.run(run(args.count, args.pg, connections)))


if __name__ == "__main__":
    main()
