"""The audit log is read per entity (GET /api/audit?entity=&entity_id=): an index for it
(a migration of its own: Piccolo runs raw steps before the previous one's table exists)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:50:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_entry index"

INDEX = "CREATE INDEX IF NOT EXISTS audit_entry_entity ON audit_entry (entity, entity_id, id)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(INDEX)

    manager.add_raw(create_index)
    return manager
