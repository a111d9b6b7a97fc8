"""expert_day: where one expert meets on one Tech Day (a room, a video link, or both), one row
per (event, expert); its unique index is the next migration's (Piccolo runs a migration's raw
steps before its new tables exist)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T07:41:34:000000"
VERSION = "1.38.0"
DESCRIPTION = "expert_day: room or video link per expert per Tech Day"


class Event(Table, tablename="event", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


class Expert(Table, tablename="expert", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


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


def _fk(references: type[Table], on_delete: OnDelete, **special: object) -> dict:
    # A Piccolo ForeignKey is nullable unless it says otherwise.
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **{"null": True, **special})


_COLUMNS = [
    ("event", "ForeignKey", ForeignKey, _fk(Event, OnDelete.cascade, index=True)),
    ("expert", "ForeignKey", ForeignKey, _fk(Expert, OnDelete.cascade)),
    ("room", "Varchar", Varchar, _params(length=200, default=None, null=True)),
    ("video_url", "Varchar", Varchar, _params(length=1000, default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    manager.add_table(class_name="ExpertDay", tablename="expert_day", schema=None, columns=None)
    for name, column_class_name, column_class, params in _COLUMNS:
        manager.add_column(
            table_class_name="ExpertDay",
            tablename="expert_day",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
