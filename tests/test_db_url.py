"""EVENTS_DB URLs as libpq and SQLAlchemy spell them."""

import asyncio
from pathlib import Path

import pytest

from events_service import db
from tests.conftest import PG_URL

SOCKET_FOLDER = Path("/var/run/postgresql")

# Piccolo's PostgresEngine asks the server for its version when it is made; these hosts don't answer.
unanswered = pytest.mark.filterwarnings("ignore:.*Unable to fetch server version")


@unanswered
def test_postgresql_url_over_tcp() -> None:
    engine = db.engine_from_url("postgresql://events:s%40cret@db.internal:6543/programme")
    assert engine.config == {"host": "db.internal", "port": 6543, "user": "events", "password": "s@cret", "database": "programme"}


@unanswered
def test_postgresql_url_over_a_unix_socket() -> None:
    engine = db.engine_from_url("postgresql://postgres@/test?host=/var/run/postgresql")
    assert engine.config["host"] == "/var/run/postgresql"
    assert engine.config["database"] == "test"


@pytest.mark.skipif(not PG_URL or not (SOCKET_FOLDER / ".s.PGSQL.5432").exists(), reason="EVENTS_TEST_PG_URL unset, or no PostgreSQL socket in /var/run/postgresql")
@pytest.mark.integration
def test_a_unix_socket_url_reaches_the_server() -> None:
    engine = db.engine_from_url(f"postgresql://postgres@/test?host={SOCKET_FOLDER}")

    async def ask() -> list[object]:
        return await engine._run_in_new_connection("SELECT 41 + 1 AS answer")

    assert [row["answer"] for row in asyncio.run(ask())] == [42]


def test_sqlite_url_relative_and_absolute() -> None:
    assert str(db.engine_from_url("sqlite:///var/events.sqlite3").path) == "var/events.sqlite3"
    assert str(db.engine_from_url("sqlite:////tmp/events.sqlite3").path) == "/tmp/events.sqlite3"


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="EVENTS_DB"):
        db.engine_from_url("mysql://root@localhost/events")
