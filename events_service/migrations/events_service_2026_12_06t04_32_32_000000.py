"""event.meeting_platform, meeting_id, meeting_organizer_id: the event's webinar on its
platform (events/online_meeting.py), to pull attendance from the platform's API."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T04:32:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "event online meeting columns"


def _params(**special: object) -> dict:
    return {
        "default": None,
        "null": True,
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
        ("meeting_platform", _params(length=20, choices=Enum("MeetingPlatform", {"ZOOM": "zoom", "TEAMS": "teams", "WEBEX": "webex"}))),
        ("meeting_id", _params(length=500)),
        ("meeting_organizer_id", _params(length=200)),
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
