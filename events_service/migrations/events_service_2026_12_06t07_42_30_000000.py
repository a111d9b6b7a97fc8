"""registration.undo_nonce: the random part of the undo link sent with a cancellation by a
Decline reply (a new one for each such cancellation, so a link undoes only the cancellation it
was sent for); registration.sequence_offset: how far the registration's calendar entry is ahead
of the event's SEQUENCE (each undone cancellation adds 2: its CANCEL, then the new REQUEST)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T07:42:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration.undo_nonce, registration.sequence_offset"


def _params(**given: object) -> dict[str, object]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **given,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="undo_nonce",
        db_column_name="undo_nonce",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=32, default=None, null=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="sequence_offset",
        db_column_name="sequence_offset",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(default=0),
        schema=None,
    )
    return manager
