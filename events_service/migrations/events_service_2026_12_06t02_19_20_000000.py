"""sign_in_failure: failed sign-ins in a row per email address, and the back-off they cause
(organisers/sign_in.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T02:19:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign_in_failure table"


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
    manager.add_table(class_name="SignInFailure", tablename="sign_in_failure", schema=None, columns=None)
    columns = [
        ("account", "Varchar", Varchar, _params(length=64, default="", unique=True)),
        ("failures", "Integer", Integer, _params(default=0)),
        ("locked_until", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("last_attempt_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="SignInFailure",
            tablename="sign_in_failure",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
