"""The unique index that makes each answer to an invite act once (replies/service.py): a second
insert of the same (message_id, uid, attendee, sequence, dtstamp) does nothing. Its own
migration: Piccolo runs a migration's raw steps before its new tables exist."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T05:52:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "invite_reply unique answer index"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS invite_reply_once ON invite_reply ("message_id", "uid", "attendee", "sequence", "dtstamp")',
    'CREATE INDEX IF NOT EXISTS invite_reply_event ON invite_reply ("event")',
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
