"""Indexes Piccolo cannot declare portably: composite unique indexes (its Unique([...])
constraint is rejected by SQLite) and the composite indexes the hot queries use."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique and lookup indexes"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS registration_event_contact ON registration ("event", "contact")',
    'CREATE INDEX IF NOT EXISTS registration_event_status ON registration ("event", "status", "id")',
    'CREATE INDEX IF NOT EXISTS registration_contact ON registration ("contact")',
    'CREATE INDEX IF NOT EXISTS registration_company ON registration ("company")',
    'CREATE UNIQUE INDEX IF NOT EXISTS company_seats_event_company ON company_seats ("event", "company")',
    'CREATE INDEX IF NOT EXISTS outbox_due ON outbox_message ("status", "send_after")',
    'CREATE INDEX IF NOT EXISTS outbox_registration ON outbox_message ("registration_id")',
    'CREATE INDEX IF NOT EXISTS event_status_starts ON event ("status", "starts_at")',
    'CREATE INDEX IF NOT EXISTS event_speaker_event ON event_speaker ("event")',
    'CREATE INDEX IF NOT EXISTS agenda_session_event ON agenda_session ("event")',
    'CREATE INDEX IF NOT EXISTS contact_company ON contact ("company")',
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
