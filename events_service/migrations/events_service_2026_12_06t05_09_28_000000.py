"""Organisers in the console (issue 16, item 8): organiser.disabled_at (an admin disables an
account) and password_reset (emailed single-use links, organisers/accounts.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T05:09:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "organiser.disabled_at; password_reset table"


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
    manager.add_column(
        table_class_name="Organiser",
        tablename="organiser",
        column_name="disabled_at",
        db_column_name="disabled_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(null=True, default=None),
        schema=None,
    )
    manager.add_table(class_name="PasswordReset", tablename="password_reset", schema=None, columns=None)
    columns = [
        ("organiser", "Integer", Integer, _params(default=0)),
        ("token_hash", "Varchar", Varchar, _params(length=64, default="", unique=True)),
        ("expires_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("used_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, column_class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="PasswordReset",
            tablename="password_reset",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
