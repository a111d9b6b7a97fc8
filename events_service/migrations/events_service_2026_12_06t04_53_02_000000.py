"""question: an event's questions, asked on registration or in the survey after it
(questions/); registration.answers: a registration's answers to them."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T04:53:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "question table; registration.answers"


class Event(Table, tablename="event", schema=None):
    id = Integer(primary_key=True)


class QuestionKind(str, Enum):
    """The kinds as they were when this migration was written (questions/schemas.py)."""

    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    BOOLEAN = "boolean"


class QuestionStage(str, Enum):
    REGISTRATION = "registration"
    SURVEY = "survey"


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
    manager.add_table(class_name="Question", tablename="question", schema=None, columns=None)
    columns = [
        ("event", "ForeignKey", ForeignKey, _params(
            references=Event, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True)),
        ("label", "JSON", JSON, _params(default="{}")),
        ("kind", "Varchar", Varchar, _params(length=20, default="", choices=QuestionKind)),
        ("required", "Boolean", Boolean, _params(default=False)),
        ("stage", "Varchar", Varchar, _params(length=20, default="", choices=QuestionStage)),
        ("options", "JSON", JSON, _params(default="[]")),
        ("position", "Integer", Integer, _params(default=0)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="Question",
            tablename="question",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="answers",
        db_column_name="answers",
        column_class_name="JSON",
        column_class=JSON,
        params=_params(default=None, null=True),
        schema=None,
    )
    return manager
