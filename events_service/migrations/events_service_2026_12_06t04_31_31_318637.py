"""`choices=` on the status, kind, mode, role, size-class, platform and source columns (the
StrEnums in each domain's records.py). Piccolo keeps choices in the migration state only
("'choices' isn't used directly in the schema", piccolo.columns.base): these steps run no SQL
on either engine; they keep `piccolo migrations new --auto` in step with the tables."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-06T04:31:31:318637"
VERSION = "1.38.0"
DESCRIPTION = "choices for statuses, kinds, modes, roles, size classes, platforms, sources"


# Member names as the StrEnums spell them: the value in capitals, but for the two that are no
# Python names.
_MEMBER_NAMES = {"import": "IMPORTED", "checkin,import": "CHECKIN_AND_IMPORT"}


def _choices(name: str, *values: str) -> Enum:
    return Enum(name, {_MEMBER_NAMES.get(value, value.upper()): value for value in values})


# (table class, table, column, the choices as the code declares them)
_COLUMNS = [
    ("Organiser", "organiser", "role", _choices("Role", "admin", "organiser", "checkin")),
    ("Company", "company", "size_class", _choices("SizeClass", "micro", "small", "medium", "large")),
    ("Event", "event", "kind", _choices("EventKind", "tech_talk", "tech_day")),
    ("Event", "event", "mode", _choices("EventMode", "online", "in_person", "hybrid")),
    ("Event", "event", "status", _choices("EventStatus", "draft", "published", "cancelled")),
    ("Registration", "registration", "status", _choices("RegistrationStatus", "confirmed", "waitlisted", "cancelled")),
    ("Registration", "registration", "attendance_mode", _choices("AttendanceMode", "in_person", "online")),
    ("Registration", "registration", "cancelled_by", _choices("CancelledBy", "registrant", "organiser", "event", "erasure")),
    ("Registration", "registration", "attendance_source", _choices("AttendanceSource", "checkin", "import", "checkin,import")),
    ("OutboxMessage", "outbox_message", "status",
     _choices("OutboxStatus", "queued", "sending", "sent", "retry", "failed", "withdrawn")),
    ("AttendanceInterval", "attendance_interval", "platform", _choices("Platform", "zoom", "teams", "webex")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    for class_name, tablename, column, choices in _COLUMNS:
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={"choices": choices},
            old_params={"choices": None},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )
    return manager
