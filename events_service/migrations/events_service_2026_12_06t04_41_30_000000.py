"""Indexes of webhook_delivery (previous migration; Piccolo runs raw steps first, hence a
migration of their own): claiming reads due rows by (status, send_after), and a delivery log
is read per subscription."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:41:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook_delivery indexes"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS webhook_delivery_due ON webhook_delivery (status, send_after)",
    "CREATE INDEX IF NOT EXISTS webhook_delivery_subscription ON webhook_delivery (subscription, id)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
