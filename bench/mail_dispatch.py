"""Mail dispatch throughput: the outbox Dispatcher against a bare aiosmtplib loop.

    python -m bench.mail_dispatch [--count 10000] [--pg postgresql://postgres@127.0.0.1/test]

The production path, from the database to the wire. A fresh database holds a hybrid Tech
Day and --count confirmed registrants (half in the room, half online; Italian and English).
Two kinds of mail go out, each measured on its own:

- reminders: the reminder scheduler (reminders.service.schedule_due) queues one intent per
  registrant; the Dispatcher claims them, renders them (jinja2 templates, Babel dates, the
  check-in QR code for people in the room, MIME) and sends them;
- confirmations: one intent per registrant, rendered with the invite (.ics, METHOD:REQUEST)
  and the QR code, and sent.

Against: a bare loop over one aiosmtplib connection sending the same emails, rendered
beforehand, half right before and half right after each Dispatcher run, so a machine getting
busier or quieter skews both alike. The sink is an aiosmtpd server that only counts, in a
process of its own. Target: Dispatcher >= 0.7 x the bare loop, rendering included.

PostgreSQL runs when --pg (or EVENTS_TEST_PG_URL) is given; the bench creates its own
database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib

from bench.common import fresh_database, insert_rows, print_table
from events_service import db
from events_service.companies.tables import Company, Contact
from events_service.events.tables import Event
from events_service.mail import outbox
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import SmtpTransport
from events_service.registrations.tables import Registration
from events_service.reminders.service import schedule_due
from events_service.settings import Settings
from events_service.worker import MESSAGE_RENDERERS, new_dispatcher

MAIL_FROM = "events@programme.example"
TARGET_RATIO = 0.7
CHUNK = 500


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


# --------------------------------------------------------------------------- the data


async def seed(count: int) -> None:
    """A hybrid Tech Day tomorrow and `count` registrants confirmed two days ago: its one-day
    reminder is five minutes overdue, so the scheduler queues it to go at once."""
    from tests.factories import partita_iva

    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(days=1) - timedelta(minutes=5)
    event_id = (await Event.insert(
        Event(
            kind="tech_day", slug="industria-4-0", title="Industria 4.0: manutenzione predittiva per le PMI",
            description="Sensori, dati e modelli per ridurre i fermi macchina.",
            starts_at=starts, ends_at=starts + timedelta(hours=4), timezone="Europe/Rome", mode="hybrid",
            capacity=count, online_capacity=count, seats_taken=count // 2, online_seats_taken=count - count // 2,
            venue_name="NOI Techpark", venue_address="Via Alessandro Volta 13", venue_city="Bolzano",
            online_url="https://meet.example.org/j/8812345?pwd=s3cret", status="published", published_at=now,
        )
    ).returning(Event.id))[0]["id"]
    companies = await insert_rows(Company, [Company(name=f"Azienda {n} Srl", vat_id=partita_iva(n), country="IT") for n in range(97)], Company.id)
    contacts = await insert_rows(Contact, [
        Contact(email=f"person{n}@company{n % 97}.example", first_name=f"Persona{n}", last_name="Rossi",
                company=companies[n % 97], language="it" if n % 3 else "en", consent_privacy_at=now)
        for n in range(count)
    ], Contact.id)
    confirmed = now - timedelta(days=2)
    await insert_rows(Registration, [
        Registration(event=event_id, contact=contact, company=companies[n % 97], status="confirmed",
                     attendance_mode="in_person" if n % 2 else "online", language="it" if n % 3 else "en",
                     token_nonce=secrets.token_hex(8), created_at=confirmed, confirmed_at=confirmed)
        for n, contact in enumerate(contacts)
    ])


async def queue_reminders(settings: Settings) -> int:
    return await schedule_due(settings)


async def queue_confirmations(settings: Settings) -> int:
    rows = await Registration.select(Registration.id, Registration.event, Registration.contact.email.as_alias("email"))
    for start in range(0, len(rows), CHUNK):
        async with db.write_transaction():
            for row in rows[start : start + CHUNK]:
                await outbox.enqueue_intent(
                    kind="confirmed", idempotency_key=f"confirmed:{row['id']}", to_address=row["email"],
                    event_id=row["event"], registration_id=row["id"], payload={},
                )
    return len(rows)


async def prerender(settings: Settings) -> tuple[list[bytes], list[str]]:
    """The queued emails, rendered as the Dispatcher will render them, for the bare loop."""
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.to_address).order_by(OutboxMessage.id)
    raws: list[bytes] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        rendered = await MESSAGE_RENDERERS.render([(row["id"], row["kind"]) for row in chunk], settings)
        for row in chunk:
            message = rendered[row["id"]]
            if isinstance(message, Exception):
                raise message
            raws.append(message.as_bytes())
    return raws, [row["to_address"] for row in rows]


# --------------------------------------------------------------------------- runs


@dataclass
class Result:
    engine: str
    method: str
    rate: float
    #: The bare loop's rate measured right before and after (half the messages each), so a
    #: machine that gets busier or quieter during the run skews both sides alike.
    bare_rate: float | None = None
    size: float | None = None

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


SCENARIOS = {"reminders": queue_reminders, "confirmations (invite + QR)": queue_confirmations}


async def run_engine(engine_name: str, db_url: str, var_dir: Path, sink: Sink, count: int, connections: list[int]) -> list[Result]:
    settings = Settings(db_url=db_url, secret_key="bench-secret-key-long-enough-for-signing", var_dir=var_dir,
                        mail_from=MAIL_FROM, run_worker=False)
    engine = db.engine_from_url(db_url)
    db.use_engine(engine)
    await db.open_engine(engine)
    results: list[Result] = []
    try:
        await db.run_migrations()
        print(f"  {engine_name}: seeding {count} registrants …", flush=True)
        await seed(count)
        for scenario, queue in SCENARIOS.items():
            for n in connections:
                await OutboxMessage.delete(force=True)
                started = time.perf_counter()
                queued = await queue(settings)
                queue_seconds = time.perf_counter() - started
                if queued != count:
                    raise RuntimeError(f"{scenario}: {queued} queued, expected {count}")
                raws, recipients = await prerender(settings)
                half = count // 2
                before = await bare_loop(sink, raws[:half], recipients[:half])
                seconds = await dispatch(settings, sink, count, n)
                after = await bare_loop(sink, raws[half:], recipients[half:])
                size = sum(map(len, raws)) / len(raws) / 1024
                plural = "s" if n > 1 else ""
                results.append(Result(engine_name, f"{scenario}: queue", count / queue_seconds))
                results.append(Result(engine_name, f"{scenario}: Dispatcher, {n} conn{plural}", count / seconds, count / (before + after), size))
                print(f"  {engine_name}: {scenario}, {n} connection{plural}: {count / seconds:.0f}/s, bare loop {count / (before + after):.0f}/s", flush=True)
    finally:
        await db.close_engine(engine)
    return results


async def dispatch(settings: Settings, sink: Sink, count: int, connections: int) -> float:
    """Time the Dispatcher draining the outbox: claim, render, store, send, record."""
    transport = SmtpTransport.from_url(sink.url(connections))
    dispatcher = new_dispatcher(settings, transport, "bench")
    before = sink.count
    started = time.perf_counter()
    stats = await dispatcher.drain(batch_size=50)
    elapsed = time.perf_counter() - started
    await transport.close()
    if stats.sent != count or sink.count - before != count:
        raise RuntimeError(f"dispatch incomplete: {stats}; sink got {sink.count - before}")
    return elapsed


async def run(count: int, pg_url: str | None, connections: list[int]) -> list[Result]:
    sink = Sink()
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as databases:
            engines = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
            if pg_url:
                engines.append(("postgresql", databases.enter_context(fresh_database("postgres", pg_url))))
            for engine_name, url in engines:
                results += await run_engine(engine_name, url, Path(tmp), sink, count, connections)
    finally:
        sink.close()
    return results


def report(results: list[Result]) -> None:
    rows = [
        [r.engine, r.method, r.rate, f"{r.bare_rate:.0f}" if r.bare_rate else "", f"{r.ratio:.2f}" if r.ratio else "", f"{r.size:.1f}" if r.size else ""]
        for r in results
    ]
    print_table("Mail dispatch", ["engine", "what", "msgs/s", "bare loop", "ratio", "KiB"], rows)
    print(f"\nbare loop: aiosmtplib, 1 connection, the same emails rendered beforehand, timed right before and after; target ratio >= {TARGET_RATIO}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("EVENTS_TEST_PG_URL"), help="PostgreSQL server URL")
    parser.add_argument("--connections", default="4", help="Dispatcher pool sizes to try, e.g. 1,4")
    args = parser.parse_args()
    connections = [int(value) for value in args.connections.split(",")]
    report(asyncio.run(run(args.count, args.pg, connections)))


if __name__ == "__main__":
    main()
