"""The unique (event, idempotency_key) index of event_message: a message request repeated with
the same Idempotency-Key writes nothing more (broadcasts/service.py). NULL keys never collide."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:32:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_message unique idempotency key"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS event_message_event_key ON event_message ("event", "idempotency_key")',
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
