"""The audit log (issue 16, item 7): audit_entry (audit/tables.py)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_entry table"

# The choices as they were when this migration was written (audit/schemas.py).
Action = Enum(
    "Action",
    {
        "CREATED": "created",
        "UPDATED": "updated",
        "PUBLISHED": "published",
        "CANCELLED": "cancelled",
        "PROMOTED": "promoted",
        "CHECKED_IN": "checked_in",
        "DISABLED": "disabled",
        "ENABLED": "enabled",
        "ROLE_CHANGED": "role_changed",
        "PASSWORD_CHANGED": "password_changed",
        "PASSWORD_RESET": "password_reset",
    },
)
Entity = Enum("Entity", {"EVENT": "event", "REGISTRATION": "registration", "COMPANY": "company", "ORGANISER": "organiser"})


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
    manager.add_table(class_name="AuditEntry", tablename="audit_entry", schema=None, columns=None)
    columns = [
        ("at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("actor", "Varchar", Varchar, _params(length=60, default="")),
        ("action", "Varchar", Varchar, _params(length=30, default="", choices=Action)),
        ("entity", "Varchar", Varchar, _params(length=20, default="", choices=Entity)),
        ("entity_id", "Integer", Integer, _params(default=0)),
        ("changes", "JSON", JSON, _params(default="{}")),
    ]
    for name, column_class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="AuditEntry",
            tablename="audit_entry",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
