"""Bringing the database's schema up to date: Piccolo's migrations of the events_service app."""

from __future__ import annotations

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.postgres import PostgresEngine

from events_service.db.engines import current_engine

__all__ = ["APP_NAME", "run_migrations"]

APP_NAME = "events_service"


async def run_migrations() -> None:
    """Apply pending migrations; on PostgreSQL an advisory lock keeps concurrent starters in line."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        # A session-level lock needs one connection for lock, migrate and unlock.
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
