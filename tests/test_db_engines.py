"""db/engines.py builds on Piccolo internals: the SQLite engine overrides private methods and
subclasses its transaction, and an engine switch re-reads the engine the way Piccolo's own
test runner does. A Piccolo upgrade that changes any of it fails here, by name, instead of
quietly sending statements past the kept connections or the writers' turns."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction
from piccolo.table import TABLE_REGISTRY, TableMeta

from events_service import db, piccolo_conf
from events_service.companies.tables import Company
from events_service.db import engines


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_piccolo_methods_the_sqlite_engine_overrides_keep_their_signatures() -> None:
    assert _parameters(SQLiteEngine._run_in_existing_connection) == ["self", "connection", "query", "args", "query_type", "table"]
    assert _parameters(SQLiteEngine._run_in_new_connection) == ["self", "query", "args", "query_type", "table"]
    assert _parameters(SQLiteEngine.get_connection) == ["self"]


def test_the_piccolo_transaction_the_writers_turn_subclasses_keeps_its_shape() -> None:
    assert _parameters(SQLiteTransaction.__init__) == ["self", "engine", "transaction_type", "allow_nested"]
    assert {"engine", "context", "connection"} <= set(SQLiteTransaction.__slots__)
    for method in ("get_connection", "begin", "commit", "rollback", "__aenter__", "__aexit__"):
        assert callable(getattr(SQLiteTransaction, method, None)), method


def test_an_engine_switch_still_has_piccolo_s_own_means() -> None:
    assert Company in TABLE_REGISTRY
    assert callable(getattr(TableMeta, "refresh_db", None))


@pytest.mark.integration  # opens a SQLite file of its own
def test_use_engine_is_what_piccolo_and_every_table_read(tmp_path: Path) -> None:
    before = db.current_engine()
    engine = db.engine_from_url(f"sqlite:///{tmp_path / 'switched.sqlite3'}")
    try:
        db.use_engine(engine)
        assert db.current_engine() is engine
        assert piccolo_conf.DB is engine
        assert engine_finder() is engine
        assert Company._meta.db is engine
    finally:
        db.use_engine(before)


@pytest.mark.integration  # runs statements on a SQLite file of its own
async def test_statements_take_the_kept_readers_and_the_writers_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Piccolo must still route a statement outside a transaction to _run_in_new_connection
    (reads on a kept reader) and one inside to _run_in_existing_connection (the turn's connection)."""
    before = db.current_engine()
    engine = db.engine_from_url(f"sqlite:///{tmp_path / 'routes.sqlite3'}")
    seen: list[str] = []
    readers_connection = engines._Readers.connection
    turn_fetchall = engines._TurnConnection.execute_fetchall

    def counted_reader(self: engines._Readers) -> object:
        seen.append("reader")
        return readers_connection(self)

    async def counted_turn(self: engines._TurnConnection, sql: str, parameters: object = ()) -> list[object]:
        seen.append("turn")
        return await turn_fetchall(self, sql, parameters)  # type: ignore[arg-type]

    monkeypatch.setattr(engines._Readers, "connection", counted_reader)
    monkeypatch.setattr(engines._TurnConnection, "execute_fetchall", counted_turn)
    db.use_engine(engine)
    await db.open_engine(engine)
    try:
        await engine.run_ddl("CREATE TABLE probe (value INTEGER)")
        seen.clear()
        async with db.write_transaction():
            await db.run_sql("INSERT INTO probe (value) VALUES ({})", 1)
        assert seen == ["turn"]
        seen.clear()
        assert await db.run_sql("SELECT value FROM probe") == [{"value": 1}]
        assert seen == ["reader"]
    finally:
        await db.close_engine(engine)
        db.use_engine(before)
