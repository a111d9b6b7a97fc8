"""mail_quota: what anonymous requests made us send per recipient and per event in the current
hour (registrations/mail_quota.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T02:19:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "mail_quota table"


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
    manager.add_table(class_name="MailQuota", tablename="mail_quota", schema=None, columns=None)
    columns = [
        ("subject", "Varchar", Varchar, _params(length=80, default="", unique=True)),
        ("window_start", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("used", "Integer", Integer, _params(default=0)),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="MailQuota",
            tablename="mail_quota",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
