"""Replies to invites (replies/, issue 19): invite_reply, one row per answer read from the reply
mailbox (its unique index: the next migration); registration.rsvp; event.acts_on_replies (organisers may switch acting off); registration.cancelled_by
may be "reply"."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T05:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invite_reply table; registration.rsvp; event.acts_on_replies"


class Event(Table, tablename="event", schema=None):
    id = Integer(primary_key=True)


class Registration(Table, tablename="registration", schema=None):
    id = Integer(primary_key=True)


class ReplyAction(str, Enum):
    """The values as they were when this migration was written (replies/decisions.py)."""

    CANCEL = "cancel"
    RECORD_RSVP = "record_rsvp"
    RECORD_ONLY = "record_only"
    IGNORE = "ignore"


class IgnoreReason(str, Enum):
    NOT_A_REPLY = "not_a_reply"
    COUNTER_PROPOSAL = "counter_proposal"
    UNKNOWN_UID = "unknown_uid"
    ATTENDEE_MISMATCH = "attendee_mismatch"
    FORGED_SENDER = "forged_sender"
    AUTH_FAILED = "auth_failed"
    STALE_SEQUENCE = "stale_sequence"
    NOT_CONFIRMED = "not_confirmed"
    UNSUPPORTED_PARTSTAT = "unsupported_partstat"
    UNREADABLE = "unreadable"


class CancelledBy(str, Enum):
    REGISTRANT = "registrant"
    ORGANISER = "organiser"
    EVENT = "event"
    ERASURE = "erasure"
    REPLY = "reply"


class Rsvp(str, Enum):
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


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
    manager.add_table(class_name="InviteReply", tablename="invite_reply", schema=None, columns=None)
    columns = [
        ("message_id", "Varchar", Varchar, _params(length=300, default="")),
        ("uid", "Varchar", Varchar, _params(length=255, default="")),
        ("attendee", "Varchar", Varchar, _params(length=320, default="")),
        ("sequence", "Integer", Integer, _params(default=0)),
        ("dtstamp", "Varchar", Varchar, _params(length=20, default="")),
        ("sender", "Varchar", Varchar, _params(length=320, default="")),
        ("partstat", "Varchar", Varchar, _params(length=20, default="")),
        ("action", "Varchar", Varchar, _params(length=20, default="", choices=ReplyAction)),
        ("reason", "Varchar", Varchar, _params(length=40, default=None, null=True, choices=IgnoreReason)),
        ("event", "ForeignKey", ForeignKey, _params(
            references=Event, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade, target_column=None, null=True)),
        ("registration", "ForeignKey", ForeignKey, _params(
            references=Registration, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade, target_column=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="InviteReply",
            tablename="invite_reply",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="rsvp",
        db_column_name="rsvp",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=20, default=None, null=True, choices=Rsvp),
        schema=None,
    )
    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="acts_on_replies",
        db_column_name="acts_on_replies",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=True),
        schema=None,
    )
    # A new value of the StrEnum: no SQL on either engine (see 2026-12-06T04:31:31).
    manager.alter_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="cancelled_by",
        db_column_name="cancelled_by",
        params={"choices": CancelledBy},
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
