"""Integrators (issue 16, item 5): registration and outbox_message get `updated_at`, so their
lists can be read with `updated_since` (events and companies have it already); existing rows
take the last moment they are known to have changed (next migration: Piccolo runs raw steps first). api_token: long-lived tokens for
integrators, kept only as a SHA-256 hash (organisers/tokens.py says why that hash)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:31:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "updated_at on registration and outbox_message; api_token table"

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
    for class_name, tablename in (("Registration", "registration"), ("OutboxMessage", "outbox_message")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="updated_at",
            db_column_name="updated_at",
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params=_params(null=True, default=None),
            schema=None,
        )

    manager.add_table(class_name="ApiToken", tablename="api_token", schema=None, columns=None)
    columns = [
        ("name", "Varchar", Varchar, _params(length=200, default="")),
        ("role", "Varchar", Varchar, _params(length=20, default="organiser")),
        ("token_hash", "Varchar", Varchar, _params(length=64, default="", unique=True)),
        ("created_by", "Integer", Integer, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("last_used_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("revoked_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
    ]
    for name, column_class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="ApiToken",
            tablename="api_token",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
