"""The database engine: chosen by URL, bound to every table, migrated, and transactions
that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

# Piccolo's migration runner finds its engine through this module.
os.environ.setdefault("PICCOLO_CONF", "events_service.piccolo_conf")

APP_NAME = "events_service"


class WalSQLiteEngine(SQLiteEngine):
    """SQLite in WAL mode with synchronous=NORMAL on every connection Piccolo opens: in WAL
    mode that cannot corrupt the database, and it saves an fsync on every commit (a power cut
    may lose the last commits, not the file)."""

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def engine_from_url(url: str) -> Engine:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return WalSQLiteEngine(path=path or "var/events.sqlite3", timeout=30)
    if parts.scheme in ("postgresql", "postgres"):
        return PostgresEngine(
            config={
                "host": parts.hostname or "127.0.0.1",
                "port": parts.port or 5432,
                "user": unquote(parts.username) if parts.username else "postgres",
                "password": unquote(parts.password) if parts.password else None,
                "database": parts.path.lstrip("/") or "postgres",
            }
        )
    raise ValueError(f"EVENTS_DB must start with sqlite:// or postgresql://, not {url!r}")


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


def current_engine() -> Engine:
    from events_service import piccolo_conf

    return piccolo_conf.DB


def use_engine(engine: Engine) -> None:
    """Point Piccolo (tables, migration runner) at one engine; the app calls this at start-up."""
    from piccolo.apps.migrations.tables import Migration

    from events_service import piccolo_conf
    from events_service.piccolo_app import APP_CONFIG

    piccolo_conf.DB = engine
    for table in [*APP_CONFIG.table_classes, Migration]:
        table._meta.db = engine


async def open_engine(engine: Engine, pool_size: int = 10) -> None:
    if isinstance(engine, SQLiteEngine):
        Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers run beside the one writer; it persists in the file.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size)


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, SQLiteEngine):
        await _close_kept_connection(engine)
    elif isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def run_migrations() -> None:
    """Apply pending migrations; on PostgreSQL an advisory lock keeps concurrent starters in line."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        # A session-level lock needs one connection for lock, migrate and unlock.
        import asyncpg

        connection = await asyncpg.connect(**engine.config)
        try:
            await connection.execute("SELECT pg_advisory_lock(784512)")
            result = await run_forwards(APP_NAME)
            await connection.execute("SELECT pg_advisory_unlock(784512)")
        finally:
            await connection.close()
    else:
        result = await run_forwards(APP_NAME)
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


# Writers waiting for their turn each block a thread in flock(); a pool of their own keeps them
# from starving the default executor, which other work (to_thread) needs meanwhile.
_turn_waiters = ThreadPoolExecutor(max_workers=64, thread_name_prefix="sqlite-writer-turn")


def _take_file_lock(path: str) -> int:
    """Block until this writer holds the file lock; returns the descriptor that holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _give_file_lock(descriptor: int) -> None:
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    os.close(descriptor)


@asynccontextmanager
async def _sqlite_writer_turn(engine: SQLiteEngine) -> AsyncIterator[None]:
    """This writer's turn, among all writers of all processes on this database file.

    SQLite's own busy handler polls with growing sleeps, which is unfair: under a rush some
    writers starve past any timeout. Writers here queue on a kernel file lock instead (each
    with a descriptor of its own, so writers of one process exclude each other too); BEGIN
    IMMEDIATE then finds the database free.
    """
    taking = asyncio.get_running_loop().run_in_executor(_turn_waiters, _take_file_lock, f"{engine.path}.writer-lock")
    try:
        descriptor = await asyncio.shield(taking)
    except asyncio.CancelledError:
        # The thread still takes the lock: give it back as soon as it does.
        taking.add_done_callback(lambda done: None if done.exception() else _give_file_lock(done.result()))
        raise
    try:
        yield
    finally:
        _give_file_lock(descriptor)


class _KeptConnectionTransaction(SQLiteTransaction):
    """An IMMEDIATE transaction on the process's kept write connection. Piccolo's own opens a
    new connection (a thread, the schema parsed again) per transaction and closes it after;
    writers here take turns anyway, so one connection per process serves them all."""

    __slots__ = ("_kept",)

    def __init__(self, engine: SQLiteEngine, connection: Any) -> None:
        super().__init__(engine, TransactionType.immediate, allow_nested=False)
        self._kept = connection

    async def get_connection(self) -> Any:
        return self._kept

    async def __aexit__(self, exc_type: object, exception: BaseException | None, traceback: object) -> bool:
        try:
            if exception is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            self.engine.current_transaction.reset(self.context)
        return False  # never swallow the exception


_kept_connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()


async def _kept_connection(engine: SQLiteEngine) -> Any:
    """The write connection of this process (and event loop); called only during its turn."""
    connections = _kept_connections.setdefault(asyncio.get_running_loop(), {})
    path = str(engine.path)
    if path not in connections:
        connections[path] = await engine.get_connection()
    return connections[path]


async def _close_kept_connection(engine: SQLiteEngine) -> None:
    connections = _kept_connections.get(asyncio.get_running_loop(), {})
    connection = connections.pop(str(engine.path), None)
    if connection is not None:
        await connection.close()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that may read then write.

    SQLite has one writer at a time: writers take turns (_sqlite_writer_turn) on the process's
    kept connection with BEGIN IMMEDIATE, so none fails half-way with 'database is locked'.
    PostgreSQL needs none of this.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        if engine.current_transaction.get() is not None:
            yield  # already inside a write transaction: join it
            return
        async with _sqlite_writer_turn(engine):
            connection = await _kept_connection(engine)
            async with _KeptConnectionTransaction(engine, connection):
                yield
    else:
        async with engine.transaction():
            yield


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(error, asyncpg.exceptions.UniqueViolationError)


def contains_text(column: Any, text: str) -> Any:
    """Case-insensitive substring match: ILIKE on PostgreSQL, LIKE (already so) on SQLite."""
    pattern = f"%{text}%"
    return column.like(pattern) if is_sqlite(current_engine()) else column.ilike(pattern)
