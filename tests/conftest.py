"""Test fixtures: every database test runs twice, on a real SQLite file and on a real
PostgreSQL server (EVENTS_TEST_PG_URL), each in a database of its own for this run."""

from __future__ import annotations

import asyncio
import os
import secrets
import types
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from events_service import db
from events_service.app import create_app, running_service
from events_service.organisers.service import create_organiser
from events_service.piccolo_app import APP_CONFIG
from events_service.settings import Settings
from tests.support.smtp import SmtpSink

PG_URL = os.environ.get("EVENTS_TEST_PG_URL")
PG_SKIP_REASON = "EVENTS_TEST_PG_URL is not set: the PostgreSQL half of the suite did NOT run"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-signing"


def pytest_report_header(config: pytest.Config) -> str:
    return f"PostgreSQL: {PG_URL}" if PG_URL else f"WARNING: {PG_SKIP_REASON}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PG_URL:
        terminalreporter.section("PostgreSQL skipped", sep="!", red=True, bold=True)
        terminalreporter.line(PG_SKIP_REASON, red=True, bold=True)


#: A test that uses any of these (directly or through another fixture) touches a database or
#: an SMTP server.
INTEGRATION_FIXTURES = frozenset({"settings", "client", "database_url", "sink"})
#: Modules that drive real processes: the browser, and whatever runs `events-service serve`.
INTEGRATION_MODULES = frozenset({"tests.serving", "playwright.sync_api"})


def _drives_real_processes(module: object) -> bool:
    for value in vars(module).values():
        home = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if home in INTEGRATION_MODULES:
            return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `unit` or `integration`, so `pytest -m unit` runs the fast ones."""
    for item in items:
        integration = (
            item.get_closest_marker("integration") is not None
            or INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ()))
            or (isinstance(item, pytest.Function) and _drives_real_processes(item.module))
        )
        item.add_marker(pytest.mark.integration if integration else pytest.mark.unit)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "events.sqlite3"
        yield f"sqlite:///{path}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    name = f"events_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(PG_URL, name)
    finally:
        asyncio.run(_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_migrated: set[str] = set()


async def reset_database(url: str) -> None:
    """Migrate once per database, then empty every table so each test starts clean."""
    engine = db.engine_from_url(url)
    db.use_engine(engine)
    await db.open_engine(engine)
    try:
        if url not in _migrated:
            await db.run_migrations()
            _migrated.add(url)
        tables = [table._meta.tablename for table in APP_CONFIG.table_classes]
        if db.is_sqlite(engine):
            for table in reversed(tables):
                await engine.run_ddl(f'DELETE FROM "{table}"')
        else:
            names = ", ".join(f'"{table}"' for table in tables)
            await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await db.close_engine(engine)


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    await reset_database(database_url)
    return Settings(
        db_url=database_url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path / "var",
        base_url="http://events.test",
        mail_from="events@programme.example",
        run_worker=False,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in the test's own event loop: Litestar's AsyncTestClient runs it in another
    thread's loop, which a PostgreSQL pool shared with the test cannot survive, and its
    lifespan's cancel scope cannot span a fixture's setup and teardown tasks."""
    app = create_app(settings)
    async with running_service(settings):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as test_client:
            yield test_client


async def token_headers(client: httpx.AsyncClient, role: str = "organiser") -> dict[str, str]:
    email = f"{role}-{secrets.token_hex(3)}@programme.example"
    await create_organiser(email, f"Test {role}", "correct horse battery", role)
    answer = await client.post("/api/auth/token", json={"email": email, "password": "correct horse battery"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, recording what arrives."""
    server = SmtpSink()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def organiser(client: httpx.AsyncClient) -> dict[str, str]:
    return await token_headers(client, "organiser")
