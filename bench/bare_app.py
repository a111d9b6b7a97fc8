"""The baseline: a bare Litestar + Piccolo endpoint that inserts one row and does nothing else,
on the same engine and the same number of worker processes as the service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from litestar import Litestar, get, post
from litestar.params import JSONBody
from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service import db
from events_service.settings import Settings


class BenchRow(Table, tablename="bench_row"):
    email = Varchar(length=320)
    created_at = Timestamptz(default=TimestamptzNow())


class RowIn(msgspec.Struct):
    email: str


class RowOut(msgspec.Struct):
    id: int


@post("/rows")
async def insert_row(data: JSONBody[RowIn]) -> RowOut:
    rows = await BenchRow.insert(BenchRow(email=data.email)).returning(BenchRow.id)
    return RowOut(id=rows[0]["id"])


@post("/rows-in-transaction")
async def insert_row_in_transaction(data: JSONBody[RowIn]) -> RowOut:
    """The same insert in the service's write transaction (db.write_transaction): on SQLite
    the process's kept write connection, not a new one per statement as Piccolo's autocommit
    path opens; on PostgreSQL BEGIN and COMMIT around it. A stricter baseline, printed beside."""
    async with db.write_transaction():
        rows = await BenchRow.insert(BenchRow(email=data.email)).returning(BenchRow.id)
    return RowOut(id=rows[0]["id"])


@get("/ready")
async def ready() -> str:
    return "ok"


def create_bare_app() -> Litestar:
    # The service's own settings: same database, same pool size. (It signs nothing: no secret.)
    settings = Settings.from_env(secret_key="unused")
    engine = db.engine_from_url(settings.db_url)
    BenchRow._meta.db = engine
    db.use_engine(engine)  # write_transaction() finds it there

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open_engine(engine, pool_size=settings.db_pool_size)  # the benchmark creates the table before serving
        try:
            yield
        finally:
            await db.close_engine(engine)

    return Litestar(route_handlers=[insert_row, insert_row_in_transaction, ready], lifespan=[lifespan])
