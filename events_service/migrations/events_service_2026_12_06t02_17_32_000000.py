"""Existing registrations take their contact's names, which is what they showed until the
names typed with a registration were kept on it (previous migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T02:17:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration names backfilled from the contact"

BACKFILL = (
    "UPDATE registration SET "
    "first_name = (SELECT contact.first_name FROM contact WHERE contact.id = registration.contact), "
    "last_name = (SELECT contact.last_name FROM contact WHERE contact.id = registration.contact)"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def backfill() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(BACKFILL)

    manager.add_raw(backfill)
    return manager
