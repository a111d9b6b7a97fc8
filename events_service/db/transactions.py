"""Transactions and statements that behave the same on SQLite and PostgreSQL: the write
transaction, a retry when the database gave up for reasons of concurrency only, raw SQL for
the hot statements, and telling a unique violation from other errors."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from events_service.db.engines import current_engine, is_sqlite, sqlite_writer_turn

__all__ = ["contains_text", "is_unique_violation", "run_sql", "with_retry", "write_transaction"]

T = TypeVar("T")


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that may read then write.

    SQLite has one writer at a time: writers take turns (engines.sqlite_writer_turn) on the
    process's write connection with BEGIN IMMEDIATE, so none fails half-way with 'database is
    locked'. PostgreSQL needs none of this.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        if engine.current_transaction.get() is not None:
            yield  # already inside a write transaction: join it
            return
        async with sqlite_writer_turn(engine):
            yield
    else:
        async with engine.transaction():
            yield


_RETRYABLE_PG_ERRORS = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error)
    return isinstance(error, _RETRYABLE_PG_ERRORS)


async def with_retry(work: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run a transaction again when the database gave up on it for reasons of concurrency only."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except Exception as error:
            if attempt == attempts or not _is_transient(error):
                raise
            await asyncio.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return isinstance(error, asyncpg.exceptions.UniqueViolationError)


def contains_text(column: Any, text: str) -> Any:
    """Case-insensitive substring match: ILIKE on PostgreSQL, LIKE (already so) on SQLite."""
    pattern = f"%{text}%"
    return column.like(pattern) if is_sqlite(current_engine()) else column.ilike(pattern)


async def run_sql(statement: str, *values: Any) -> list[dict[str, Any]]:
    """Run one statement given as SQL text, with `{}` standing for each value, in the current
    transaction if there is one, and return its rows as dicts.

    For the few statements a registration rush runs thousands of times a minute: Piccolo's
    query builder spends 0.2-0.5 ms of CPU building each statement, more than the database
    takes to run it. The text must mean the same on SQLite and PostgreSQL (both take
    `ON CONFLICT … DO …` and `RETURNING`), and must name every timestamp column it inserts:
    SQLite's `DEFAULT current_timestamp` is not in the format Piccolo writes and compares.
    """
    rows = await current_engine().run_querystring(QueryString(statement, *values))
    return [row if isinstance(row, dict) else dict(row) for row in rows or ()]
