"""The database's own limit for a registration: the service's registration statements (the
very same SQL texts, imported from registrations/ and mail/outbox.py) run with the
raw driver (asyncpg, or the standard library's sqlite3) in one transaction, from a bare
Litestar handler. No Piccolo, no rules beyond what picks the next statement.

Served like the service (same workers, same pool size, same clients), it tells how much of a
registration's cost is the service's own Python around those statements: the registration
against this endpoint is the second ratio `bench.registration_rush` prints.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar, get, post
from litestar.params import JSONBody

# db imports Piccolo's SQLite engine, which registers the sqlite3 adapters: timestamps are stored as the service stores them.
from events_service import db
from events_service.mail import outbox
from events_service.registrations import queries, seats, service
from events_service.settings import Settings

Run = Callable[..., Awaitable[list[dict[str, Any]]]]


class CompanyIn(msgspec.Struct):
    vat_id: str
    name: str | None = None
    country: str | None = None


class RegistrationIn(msgspec.Struct):
    email: str
    first_name: str
    last_name: str
    company: CompanyIn
    consent_privacy: bool


class RegisteredOut(msgspec.Struct):
    id: int
    status: str


_PLACEHOLDER = re.compile(r"\{\}")
_INSERT_COMPANY = "INSERT INTO company (name, vat_id, country, created_at) VALUES ({}, {}, {}, {}) ON CONFLICT (vat_id) DO NOTHING RETURNING id"
_FIND_COMPANY = "SELECT id FROM company WHERE vat_id = {}"


def numbered(statement: str) -> str:
    """`{}` placeholders as asyncpg's $1, $2, …"""
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", statement)


def questioned(statement: str) -> str:
    return _PLACEHOLDER.sub("?", statement)


async def register_with(run: Run, event_id: int, data: RegistrationIn, wait_for_seats: Callable[[], Awaitable[None]]) -> RegisteredOut:
    """One registration as the service's statements make it, on the connection `run` uses, inside
    the caller's transaction: event read, company, contact upsert, registration, outbox row,
    then (after `wait_for_seats`) the seat claims. A colleague-free registration; the status
    follows the seat UPDATE."""
    now = datetime.now(UTC)
    vat = data.company.vat_id.replace(" ", "").upper()
    event = (await run(seats._REGISTERING_NEEDS, vat, event_id))[0]
    company_id = event["known_company_id"]
    if company_id is None:
        created = await run(_INSERT_COMPANY, data.company.name or vat, vat, data.company.country or "IT", now)
        company_id = created[0]["id"] if created else (await run(_FIND_COMPANY, vat))[0]["id"]
    email = data.email.strip().lower()
    contact = await run(service._UPSERT_CONTACT, *_contact_values(email, data, company_id, now))
    guess = "confirmed" if event["seats_taken"] < event["capacity"] else "waitlisted"
    registration = await run(service._INSERT_REGISTRATION, *_registration_values(event, contact[0]["id"], company_id, guess, now, data))
    registration_id = registration[0]["id"]
    payload: dict[str, Any] = {}
    if guess == "waitlisted":
        queue = await run(queries._WAITLIST_POSITION, event_id, registration_id)
        payload["waitlist_position"] = queue[0]["position"]
    await run(
        outbox._INSERT_QUEUED, f"{guess}:{registration_id}", guess, email, "", "", json.dumps(payload), now, None, event_id, registration_id,
        now, now,  # created_at, updated_at
    )
    await wait_for_seats()
    took_seat = bool(await run(seats._TAKE_SEAT, event_id))
    if took_seat and event["max_per_company"] is not None:
        await run(seats._TAKE_COMPANY_SEAT, event_id, company_id, event["max_per_company"])
    return RegisteredOut(id=registration_id, status="confirmed" if took_seat else "waitlisted")


def _contact_values(email: str, data: RegistrationIn, company_id: int, now: datetime) -> tuple[Any, ...]:
    """In `_UPSERT_CONTACT`'s order (see registrations/service.py `_contact_id`)."""
    return (email, data.first_name, data.last_name, company_id, "it", now, None, secrets.token_hex(16), now)


def _registration_values(event: dict[str, Any], contact_id: int, company_id: int, status: str, now: datetime, data: RegistrationIn) -> tuple[Any, ...]:
    """In `_INSERT_REGISTRATION`'s order (see registrations/service.py `_write_registration`)."""
    confirmed = status == "confirmed"
    return (event["id"], contact_id, company_id, status, "online", "it", secrets.token_hex(16),
            confirmed and event["max_per_company"] is not None, None, now, now if confirmed else None, data.first_name, data.last_name,
            None, now)  # no answers; updated_at = created_at


class _Postgres:
    """A pool as large as the service's. The process's registrations take their turn at the
    event row on an asyncio lock held to COMMIT, as the service's `_seat_queue` does: without
    it they wait as blocked backends, all woken by every commit, and the baseline measures
    that contention rather than the statements."""

    def __init__(self, config: dict[str, Any], pool_size: int) -> None:
        self.config, self.pool_size, self.pool = config, pool_size, None
        self.texts: dict[str, str] = {}
        self.seat_turn = asyncio.Lock()

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(**self.config, min_size=self.pool_size, max_size=self.pool_size)

    async def close(self) -> None:
        await self.pool.close()

    async def register(self, event_id: int, data: RegistrationIn) -> RegisteredOut:
        holding = False

        async def wait_for_seats() -> None:
            nonlocal holding
            await self.seat_turn.acquire()
            holding = True

        try:
            async with self.pool.acquire() as connection, connection.transaction():

                async def run(statement: str, *values: Any) -> list[dict[str, Any]]:
                    text = self.texts.get(statement) or self.texts.setdefault(statement, numbered(statement))
                    return [dict(row) for row in await connection.fetch(text, *values)]

                return await register_with(run, event_id, data, wait_for_seats)
        finally:
            if holding:
                self.seat_turn.release()


class _SQLite:
    """One connection per process, used on the loop thread: each statement is microseconds, and
    no await between BEGIN IMMEDIATE and COMMIT lets another request in."""

    def __init__(self, path: str) -> None:
        self.path, self.connection = path, None

    async def open(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connection.row_factory = sqlite3.Row
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.connection.execute(f"PRAGMA {pragma}")

    async def close(self) -> None:
        self.connection.close()

    async def register(self, event_id: int, data: RegistrationIn) -> RegisteredOut:
        connection = self.connection

        async def run(statement: str, *values: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in connection.execute(questioned(statement), values).fetchall()]

        connection.execute("BEGIN IMMEDIATE")
        try:
            registered = await register_with(run, event_id, data, _no_wait)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return registered


async def _no_wait() -> None:
    """SQLite: BEGIN IMMEDIATE already gives one writer at a time."""


def _driver(settings: Settings) -> _Postgres | _SQLite:
    """The database the service's own engine would open for these settings (db.engine_from_url)."""
    engine = db.engine_from_url(settings.db_url)
    if db.is_sqlite(engine):
        return _SQLite(engine.path)
    return _Postgres(engine.config, settings.db_pool_size)


def create_raw_app() -> Litestar:
    settings = Settings.from_env(secret_key="unused-by-this-app-but-long-enough")
    driver = _driver(settings)

    @post("/raw-registrations/{event_id:int}")
    async def register_raw(event_id: int, data: JSONBody[RegistrationIn]) -> RegisteredOut:
        return await driver.register(event_id, data)

    @get("/ready")
    async def ready() -> str:
        return "ok"

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await driver.open()
        try:
            yield
        finally:
            await driver.close()

    return Litestar(route_handlers=[register_raw, ready], lifespan=[lifespan])
