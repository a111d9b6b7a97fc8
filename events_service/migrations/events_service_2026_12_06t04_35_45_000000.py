"""attendance_pull: the worker's pull of one event's attendance from its webinar platform's
API (attendance/pull.py), once per event, retried later after a failure."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T04:35:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_pull table"


class Event(Table, tablename="event", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


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
    manager.add_table(class_name="AttendancePull", tablename="attendance_pull", schema=None, columns=None)
    status = Enum("PullStatus", {"PENDING": "pending", "DONE": "done", "FAILED": "failed"})
    columns = [
        (
            "event",
            "ForeignKey",
            ForeignKey,
            _params(references=Event, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True, unique=True),
        ),
        ("status", "Varchar", Varchar, _params(length=20, default="pending", choices=status)),
        ("attempts", "Integer", Integer, _params(default=0)),
        ("next_attempt_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("claimed_until", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("last_error", "Varchar", Varchar, _params(length=500, default=None, null=True)),
        ("pulled_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="AttendancePull",
            tablename="attendance_pull",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
