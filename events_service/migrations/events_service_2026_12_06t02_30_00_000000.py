"""event_creation: the one-time keys of console forms that created an event
(events.service.create_event(once_key=...)); a form sent twice makes one event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_creation table"


def _params(**special: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **special,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    manager.add_table(class_name="EventCreation", tablename="event_creation", schema=None, columns=None)
    columns = [
        ("key", "Varchar", Varchar, _params(length=64, default="", unique=True)),
        ("event", "Integer", Integer, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="EventCreation",
            tablename="event_creation",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
