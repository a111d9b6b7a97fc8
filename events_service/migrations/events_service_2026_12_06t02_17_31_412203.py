"""registration.first_name / last_name: the names typed with a registration belong to it
(a later registration of the same address no longer rewrites the person). Existing rows take
their contact's names (the next migration: Piccolo runs a migration's raw steps before its
added columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T02:17:31:412203"
VERSION = "1.38.0"
DESCRIPTION = "registration.first_name, registration.last_name"

def _name_params() -> dict:
    return {
        "length": 100,
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    for column in ("first_name", "last_name"):
        manager.add_column(
            table_class_name="Registration",
            tablename="registration",
            column_name=column,
            db_column_name=column,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_name_params(),
            schema=None,
        )
    return manager
