"""Existing registrations and outbox messages take, as `updated_at` (previous migration), the
last moment they are known to have changed."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:31:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "updated_at backfilled on registration and outbox_message"

BACKFILL = (
    "UPDATE registration SET updated_at = COALESCE(cancelled_at, checked_in_at, confirmed_at, created_at)",
    "UPDATE outbox_message SET updated_at = COALESCE(sent_at, created_at)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def backfill() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in BACKFILL:
            await engine.run_ddl(statement)

    manager.add_raw(backfill)
    return manager
