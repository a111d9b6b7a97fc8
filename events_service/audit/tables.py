from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.audit.schemas import Action, Entity


class AuditEntry(Table, tablename="audit_entry"):
    """One change: to which entity, what, by whom (`actor`: audit/actor.py), and `changes`
    (field → [before, after], or the values a new row was made with). Only ever inserted."""

    at = Timestamptz(default=TimestamptzNow())
    actor = Varchar(length=60)
    action = Varchar(length=30, choices=Action)
    entity = Varchar(length=20, choices=Entity)
    entity_id = Integer()
    changes = JSON(default="{}")
