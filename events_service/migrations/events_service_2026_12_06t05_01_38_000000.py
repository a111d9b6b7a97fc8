"""survey_response: one answer per registration to an event's survey (surveys/); the unique
registration column refuses a second one."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Integer, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T05:01:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "survey_response table"


class Event(Table, tablename="event", schema=None):
    id = Integer(primary_key=True)


class Registration(Table, tablename="registration", schema=None):
    id = Integer(primary_key=True)


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
    manager.add_table(class_name="SurveyResponse", tablename="survey_response", schema=None, columns=None)
    columns = [
        ("registration", "ForeignKey", ForeignKey, _params(
            references=Registration, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade, target_column=None, null=True, unique=True)),
        ("event", "ForeignKey", ForeignKey, _params(
            references=Event, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True)),
        ("company", "Integer", Integer, _params(default=None, null=True)),
        ("rating", "Integer", Integer, _params(default=0)),
        ("answers", "JSON", JSON, _params(default="{}")),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="SurveyResponse",
            tablename="survey_response",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
