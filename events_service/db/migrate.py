"""Bringing the database's schema up to date: Piccolo's migrations of the events_service app."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import asyncpg
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.postgres import PostgresEngine

from events_service.db.engines import current_engine

__all__ = ["APP_NAME", "pending_migrations", "run_migrations"]

APP_NAME = "events_service"
log = logging.getLogger(__name__)


async def run_migrations() -> None:
    """Apply pending migrations; on PostgreSQL an advisory lock keeps concurrent starters in line."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        # A session-level lock needs one connection for lock, migrate and unlock.
        connection = await asyncpg.connect(**engine.config)
        try:
            await connection.execute("SELECT pg_advisory_lock(784512)")
            result = await _run_forwards_logged()
            await connection.execute("SELECT pg_advisory_unlock(784512)")
        finally:
            await connection.close()
    else:
        result = await _run_forwards_logged()
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def _run_forwards_logged() -> Any:
    """Piccolo's runner prints its progress; it goes to the log instead (INFO, one record a
    line), so stdout stays free for a command's answer and JSON logs stay JSON."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        result = await run_forwards(APP_NAME)
    for line in captured.getvalue().splitlines():
        if line.strip():
            log.info("migrations: %s", line.strip())
    return result


_known_ids: list[str] | None = None


def _migration_ids_in_code() -> list[str]:
    """The IDs of the migrations this code ships (read once: the code does not change while it runs)."""
    global _known_ids
    if _known_ids is None:
        finder = BaseMigrationManager()
        ids: list[str] = []
        for app_module in finder.get_app_modules():
            config = app_module.APP_CONFIG
            if config.app_name == APP_NAME:
                ids = finder.get_migration_ids(finder.get_migration_modules(config.resolved_migrations_folder_path))
        _known_ids = ids
    return _known_ids


async def pending_migrations() -> list[str]:
    """The migrations the code has and the database has not run, oldest first; reads only
    (a readiness probe and `events-service check` must not change the database)."""
    known = _migration_ids_in_code()
    if not await Migration.table_exists().run():
        return known
    ran = set(await Migration.get_migrations_which_ran(APP_NAME))
    return [migration_id for migration_id in known if migration_id not in ran]
