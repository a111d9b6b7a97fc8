"""Replies to expert meetings' invites (issue 19 x 18): expert_meeting.rsvp and .expert_rsvp (each
side's answer to the meeting's invite); expert_meeting.uid indexed (a reply names its meeting by
UID); invite_reply.meeting (the meeting an answer is about); the new reply action "refer" and
reasons "meeting_not_booked", "expert_declined" (choices only: no SQL on either engine)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T07:43:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "expert_meeting.rsvp, expert_rsvp, uid index; invite_reply.meeting"


class Rsvp(str, Enum):
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class ReplyAction(str, Enum):
    """The values as they were when this migration was written (replies/decisions.py)."""

    CANCEL = "cancel"
    RECORD_RSVP = "record_rsvp"
    RECORD_ONLY = "record_only"
    REFER = "refer"
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
    MEETING_NOT_BOOKED = "meeting_not_booked"
    EXPERT_DECLINED = "expert_declined"
    UNSUPPORTED_PARTSTAT = "unsupported_partstat"
    UNREADABLE = "unreadable"


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


def _add(manager: MigrationManager, class_name: str, tablename: str, column: str, column_class: type, params: dict) -> None:
    manager.add_column(
        table_class_name=class_name,
        tablename=tablename,
        column_name=column,
        db_column_name=column,
        column_class_name=column_class.__name__,
        column_class=column_class,
        params=params,
        schema=None,
    )


def _alter(manager: MigrationManager, class_name: str, tablename: str, column: str, params: dict, old_params: dict) -> None:
    manager.alter_column(
        table_class_name=class_name,
        tablename=tablename,
        column_name=column,
        db_column_name=column,
        params=params,
        old_params=old_params,
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    for column in ("rsvp", "expert_rsvp"):
        _add(manager, "ExpertMeeting", "expert_meeting", column, Varchar, _params(length=20, default=None, null=True, choices=Rsvp))
    _add(manager, "InviteReply", "invite_reply", "meeting", Integer, _params(default=None, null=True, index=True))
    _alter(manager, "ExpertMeeting", "expert_meeting", "uid", {"index": True}, {"index": False})
    _alter(manager, "InviteReply", "invite_reply", "action", {"choices": ReplyAction}, {"choices": None})
    _alter(manager, "InviteReply", "invite_reply", "reason", {"choices": IgnoreReason}, {"choices": None})
    return manager
