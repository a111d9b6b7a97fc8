"""The unique (event, expert) index of expert_day: one place per expert per Tech Day, so two
organisers setting it at once update one row (experts/where.py upserts on it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T07:41:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "expert_day unique (event, expert)"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS expert_day_event_expert ON expert_day ("event", "expert")',
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
