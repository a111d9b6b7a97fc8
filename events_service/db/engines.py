"""The database engine: chosen by URL, held in one place that Piccolo and the service both
read, opened and closed; on SQLite, kept read connections and writers taking turns.

The engine in use lives here (`current_engine`, `use_engine`). Piccolo finds it through
`piccolo_conf.DB`, which reads it from here (Piccolo's `engine_finder`: tables on first use,
the migration runner); a switch makes every table read it again the way Piccolo's own test
runner switches engines (`TABLE_REGISTRY`, `refresh_db`). Nothing here imports piccolo_conf.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.table import TABLE_REGISTRY

from events_service.settings import database_url_from_env, redacted_url

# Where Piccolo's engine_finder() looks (tables, the migration runner): piccolo_conf.DB, which
# is current_engine().
os.environ.setdefault("PICCOLO_CONF", "events_service.piccolo_conf")


class WalSQLiteEngine(SQLiteEngine):
    """SQLite in WAL mode with synchronous=NORMAL on every connection Piccolo opens: in WAL
    mode that cannot corrupt the database, and it saves an fsync on every commit (a power cut
    may lose the last commits, not the file).

    Piccolo's own SQLiteEngine opens a new connection (a new thread, the schema parsed
    again) for every statement outside a transaction, ~1.5 ms each, and makes four trips to
    the connection's thread for one inside a transaction (PRAGMA foreign_keys again,
    execute, fetch, close the cursor). Here a statement that only reads, outside a
    transaction, runs on one of the process's kept read connections (_Readers), in one trip;
    one that writes still gets a connection of its own and SQLite's busy timeout, as Piccolo
    does it (but through get_connection(), so with synchronous=NORMAL too). Inside a transaction a statement is one call on the transaction's connection
    (in write_transaction(), no trip at all: see _TurnConnection). Needs SQLite >= 3.35
    (RETURNING), as the service does anyway.
    """

    async def get_connection(self) -> Any:
        connection = await super().get_connection()  # foreign_keys on, rows as dicts
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        # An aiosqlite connection from get_connection() (foreign_keys and the row factory are
        # set), or a writer's _TurnConnection.
        return await connection.execute_fetchall(query, args or [])

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if _only_reads(query):
            async with _readers(self).connection() as connection:
                return await connection.execute_fetchall(query, args or [])
        connection = await self.get_connection()  # Piccolo's own would skip synchronous=NORMAL
        try:
            return await connection.execute_fetchall(query, args or [])
        finally:
            await connection.close()


def _only_reads(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


class _Readers:
    """This process's read connections to one SQLite file, opened as needed up to `size` (a
    slow read holds up only the reads queued behind it on its connection). In WAL mode each
    statement reads the latest commit, as a new connection would."""

    def __init__(self, engine: SQLiteEngine, size: int) -> None:
        self._engine = engine
        self._room = size
        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        self._opened: list[Any] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        if self._idle.empty() and self._room > 0:
            self._room -= 1
            try:
                connection = await self._open()
            except BaseException:
                self._room += 1
                raise
            self._opened.append(connection)
        else:
            connection = await self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put_nowait(connection)

    async def _open(self) -> Any:
        """A connection set up as WalSQLiteEngine.get_connection() does, whose thread does not
        hold up the interpreter's exit: readers are kept per event loop, and a loop that ends
        without close_engine() (a script, a test's own loop) would otherwise leave the process
        hanging at exit in aiosqlite's non-daemon thread. Only reads run on it: nothing is lost
        if the thread dies with the process."""
        import aiosqlite

        pending = aiosqlite.connect(**self._engine.connection_kwargs)
        worker = getattr(pending, "_thread", None)  # aiosqlite >= 0.20 starts it when awaited
        if worker is not None:
            worker.daemon = True
        connection = await pending
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def close(self) -> None:
        for connection in self._opened:
            await connection.close()
        self._opened.clear()


_READ_CONNECTIONS = 2
_Kept = TypeVar("_Kept")
#: What a process keeps per event loop and database file: asyncio objects, and connections
#: whose results go to futures, belong to one loop.
_PerLoop = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Kept]]


def _kept(store: _PerLoop[_Kept], engine: SQLiteEngine, make: Callable[[], _Kept]) -> _Kept:
    kept = store.setdefault(asyncio.get_running_loop(), {})
    path = str(engine.path)
    if path not in kept:
        kept[path] = make()
    return kept[path]


def _forget(store: _PerLoop[_Kept], engine: SQLiteEngine) -> _Kept | None:
    return store.get(asyncio.get_running_loop(), {}).pop(str(engine.path), None)


_kept_readers: _PerLoop[_Readers] = weakref.WeakKeyDictionary()


def _readers(engine: SQLiteEngine) -> _Readers:
    return _kept(_kept_readers, engine, lambda: _Readers(engine, _READ_CONNECTIONS))


def engine_from_url(url: str) -> Engine:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return WalSQLiteEngine(path=path or "var/events.sqlite3", timeout=30)
    if parts.scheme in ("postgresql", "postgres"):
        # libpq's spelling for a Unix socket: postgresql://user@/db?host=/var/run/postgresql
        socket_folder = parse_qs(parts.query).get("host", [None])[0]
        return PostgresEngine(
            config={
                "host": socket_folder or parts.hostname or "127.0.0.1",
                "port": parts.port or 5432,
                "user": unquote(parts.username) if parts.username else "postgres",
                "password": unquote(parts.password) if parts.password else None,
                "database": parts.path.lstrip("/") or "postgres",
            }
        )
    raise ValueError(f"EVENTS_DB must start with sqlite:// or postgresql://, not {redacted_url(url)!r}")


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


_engine_in_use: Engine | None = None


def current_engine() -> Engine:
    """The engine in use: the one use_engine() was given, else the one EVENTS_DB names."""
    global _engine_in_use
    if _engine_in_use is None:
        _engine_in_use = engine_from_url(database_url_from_env())
    return _engine_in_use


def use_engine(engine: Engine) -> None:
    """Make `engine` the one in use, for the service and for Piccolo (tables, migration
    runner); the app calls this at start-up."""
    global _engine_in_use
    _engine_in_use = engine
    for table in TABLE_REGISTRY:  # every Table subclass defined so far; later ones ask on first use
        table._meta.refresh_db()


async def open_engine(engine: Engine, pool_size: int = 10) -> None:
    if isinstance(engine, SQLiteEngine):
        Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers run beside the one writer; it persists in the file. Writers' turns
        # need it: then no statement of a turn waits for a reader (_TurnConnection).
        answer = await engine.run_ddl("PRAGMA journal_mode=WAL")
        if answer[0]["journal_mode"] != "wal":
            raise RuntimeError(f"SQLite cannot use WAL mode for {engine.path} ({answer[0]['journal_mode']}): use a local file system")
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size, reset=_session_left_as_is)


async def _session_left_as_is(connection: Any) -> None:
    """What a pooled PostgreSQL connection needs on its way back to the pool beyond what asyncpg
    always does (roll back an open transaction): nothing. The service sets no session
    variables, opens no cursors, listens to nothing and takes advisory locks only on a
    connection of their own (run_migrations), so asyncpg's default reset query ('SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL') would be one more round trip
    per statement outside a transaction, for nothing."""


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, SQLiteEngine):
        await _close_kept_connections(engine)
    elif isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


# A writer waiting for its turn blocks a thread in flock(); a pool of their own keeps them from
# starving the default executor, which other work (to_thread) needs meanwhile. One thread
# waits per process and database file: the writers of a process queue on an asyncio lock.
_turn_waiters = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sqlite-writer-turn")


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


class _TurnConnection:
    """The process's write connection to one SQLite file, used only by the writer whose turn
    it is (one thread at a time, hence check_same_thread=False).

    Its statements run right on the event loop's thread. In its turn a writer owns the
    database: BEGIN IMMEDIATE succeeded, and in WAL mode no later statement of the
    transaction, COMMIT included, waits for another connection; a statement takes tens of
    microseconds. A trip to a connection thread (aiosqlite) costs more CPU than that, and
    the writer then waits for the loop to come back to it, behind every other request of the
    process: ~1 ms a statement under a rush, while the writers of every process wait for the
    turn. A long transaction still lets the loop serve others every few milliseconds.
    """

    SHARE_LOOP_EVERY = 0.005  # seconds

    def __init__(self, engine: SQLiteEngine) -> None:
        self._connection = sqlite3.connect(**engine.connection_kwargs, check_same_thread=False)
        self._connection.row_factory = dict_factory
        self._connection.execute("PRAGMA foreign_keys = 1")
        self._connection.execute("PRAGMA synchronous = NORMAL")  # as WalSQLiteEngine's
        self._running_since = time.monotonic()

    def begin(self) -> None:
        """BEGIN IMMEDIATE, in the turn's thread: it waits (busy timeout) for a writer that
        does not take turns, e.g. a plain Piccolo write outside write_transaction()."""
        self._connection.execute("BEGIN IMMEDIATE")

    def started(self) -> None:
        """The writer runs now, on the loop's thread."""
        self._running_since = time.monotonic()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """COMMIT, ROLLBACK and SAVEPOINTs, as Piccolo's transaction sends them."""
        await self._share_the_loop()
        self._connection.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        await self._share_the_loop()
        return self._connection.execute(sql, parameters).fetchall()

    async def _share_the_loop(self) -> None:
        if time.monotonic() - self._running_since > self.SHARE_LOOP_EVERY:
            await asyncio.sleep(0)
            self._running_since = time.monotonic()

    def end(self) -> None:
        """Roll back what is still open (a COMMIT that failed, a writer cancelled)."""
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()


def _begin_turn(lock_path: str, connection: _TurnConnection) -> int:
    """In a _turn_waiters thread: the file lock, then BEGIN IMMEDIATE. Returns the descriptor
    that holds the lock."""
    descriptor = _take_file_lock(lock_path)
    try:
        connection.begin()
    except BaseException:
        _give_file_lock(descriptor)
        raise
    return descriptor


def _end_turn(descriptor: int, connection: _TurnConnection) -> None:
    try:
        connection.end()
    finally:
        _give_file_lock(descriptor)


def _abandon_turn(taking: asyncio.Future[int], connection: _TurnConnection, lock: asyncio.Lock) -> None:
    try:
        if not taking.cancelled() and taking.exception() is None:
            _end_turn(taking.result(), connection)
    finally:
        lock.release()


@asynccontextmanager
async def sqlite_writer_turn(engine: SQLiteEngine) -> AsyncIterator[None]:
    """A write transaction on SQLite: this writer's turn (below), seen by Piccolo as the
    current transaction, committed at the end or rolled back on an exception."""
    async with _sqlite_writer_turn(engine) as connection, _TurnTransaction(engine, connection):
        yield


@asynccontextmanager
async def _sqlite_writer_turn(engine: SQLiteEngine) -> AsyncIterator[_TurnConnection]:
    """This writer's turn, among all writers of all processes on this database file: yields
    the process's write connection, in a transaction begun IMMEDIATE.

    SQLite's own busy handler polls with growing sleeps, which is unfair: under a rush some
    writers starve past any timeout. Writers here queue on a kernel file lock instead; BEGIN
    IMMEDIATE then finds the database free. The writers of one process first queue among
    themselves, in order, on an asyncio lock, so only one thread per process waits in flock().
    """
    connection = _turn_connection(engine)
    lock = _process_writer_lock(engine)
    await lock.acquire()
    taking: asyncio.Future[int] | None = None
    try:
        taking = asyncio.get_running_loop().run_in_executor(_turn_waiters, _begin_turn, f"{engine.path}.writer-lock", connection)
        descriptor = await asyncio.shield(taking)
    except BaseException as error:
        if isinstance(error, asyncio.CancelledError) and taking is not None:
            # The thread still takes the turn: end it as soon as it has it. Until then the
            # connection is the thread's, so the process's next writer waits.
            taking.add_done_callback(lambda done: _abandon_turn(done, connection, lock))
        else:
            lock.release()
        raise
    connection.started()
    try:
        yield connection
    finally:
        try:
            _end_turn(descriptor, connection)
        finally:
            lock.release()


_writer_locks: _PerLoop[asyncio.Lock] = weakref.WeakKeyDictionary()
_turn_connections: _PerLoop[_TurnConnection] = weakref.WeakKeyDictionary()


def _process_writer_lock(engine: SQLiteEngine) -> asyncio.Lock:
    return _kept(_writer_locks, engine, asyncio.Lock)


def _turn_connection(engine: SQLiteEngine) -> _TurnConnection:
    """The write connection of this process (and event loop); used only during a turn."""
    return _kept(_turn_connections, engine, lambda: _TurnConnection(engine))


class _TurnTransaction(SQLiteTransaction):
    """Piccolo's view of a writer's turn: queries inside it run on the turn's connection
    (WalSQLiteEngine._run_in_existing_connection), which BEGIN IMMEDIATE began already."""

    __slots__ = ("_turn",)

    def __init__(self, engine: SQLiteEngine, connection: _TurnConnection) -> None:
        super().__init__(engine, TransactionType.immediate, allow_nested=False)
        self._turn = connection

    async def get_connection(self) -> Any:
        return self._turn

    async def begin(self) -> None:
        pass  # begun in the turn's thread (_begin_turn)

    async def __aexit__(self, exc_type: object, exception: BaseException | None, traceback: object) -> bool:
        try:
            if exception is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            self.engine.current_transaction.reset(self.context)
        return False  # never swallow the exception


async def _close_kept_connections(engine: SQLiteEngine) -> None:
    connection = _forget(_turn_connections, engine)
    if connection is not None:
        connection.close()
    readers = _forget(_kept_readers, engine)
    if readers is not None:
        await readers.close()
