"""Reports for the funder (issue 15): an event's `audience` (public: open to anyone and
advertised; targeted: the programme's own events for its companies, the default) and its
venue's `country` (ISO code; empty for an online event). Existing events with a venue get the
programme's country in the next migration (Piccolo runs raw steps first)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:43:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "event audience and venue_country"


class Audience(str, Enum):
    """The audiences as they were when this migration was written (events/schemas.py)."""

    PUBLIC = "public"
    TARGETED = "targeted"


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
    columns = [
        ("audience", _params(length=10, default="targeted", choices=Audience)),
        ("venue_country", _params(length=2, default=None, null=True)),
    ]
    for name, params in columns:
        manager.add_column(
            table_class_name="Event",
            tablename="event",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=params,
            schema=None,
        )
    return manager
