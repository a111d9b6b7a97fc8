"""The unique key that makes re-importing a webinar report a no-op (a raw step: Piccolo's
composite Unique constraint is rejected by SQLite), and its lookup indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T20:48:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance interval unique key"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS attendance_interval_unique ON attendance_interval '
    '("event", "participant_key", "joined_at", "left_at")',
    'CREATE INDEX IF NOT EXISTS attendance_interval_registration ON attendance_interval ("registration")',
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
