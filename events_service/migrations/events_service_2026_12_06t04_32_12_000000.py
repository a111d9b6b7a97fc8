"""event_message: the messages organisers send to an audience of an event's registrants
(broadcasts/); its unique index comes in the next migration (Piccolo runs a migration's raw
steps before its new tables)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T04:32:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_message table"


class Event(Table, tablename="event", schema=None):
    id = Integer(primary_key=True)


class Audience(str, Enum):
    """The audiences as they were when this migration was written (broadcasts/schemas.py)."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


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
    manager.add_table(class_name="EventMessage", tablename="event_message", schema=None, columns=None)
    columns = [
        ("event", "ForeignKey", ForeignKey, _params(
            references=Event, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True)),
        ("subject", "Varchar", Varchar, _params(length=200, default="")),
        ("body", "Text", Text, _params(default="")),
        ("audience", "Varchar", Varchar, _params(length=20, default="", choices=Audience)),
        ("attendance_mode", "Varchar", Varchar, _params(length=20, default=None, null=True)),
        ("idempotency_key", "Varchar", Varchar, _params(length=200, default=None, null=True)),
        ("recipients", "Integer", Integer, _params(default=0)),
        ("sent_by", "Integer", Integer, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="EventMessage",
            tablename="event_message",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
