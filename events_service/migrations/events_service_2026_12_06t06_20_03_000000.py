"""expert_meeting.held_at: when a meeting was marked held (its code checked in at the door, or
PATCH /api/meetings/{id}); a second scan answers with the first time."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T06:20:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "expert_meeting.held_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ExpertMeeting",
        tablename="expert_meeting",
        column_name="held_at",
        db_column_name="held_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
