"""What the mailbox reader saw: one row per calendar answer (or per unreadable message), written
in the transaction that acts on it. The unique (message_id, uid, attendee, sequence, dtstamp)
index is what makes a message act once, however often it is read and by how many workers."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.events.tables import Event
from events_service.registrations.tables import Registration
from events_service.replies.decisions import IgnoreReason, ReplyAction


class InviteReply(Table, tablename="invite_reply"):
    message_id = Varchar(length=300)
    uid = Varchar(length=255, default="")
    attendee = Varchar(length=320, default="")
    sequence = Integer(default=0)
    # DTSTAMP as the text it was written in (UTC, yyyymmddThhmmssZ): "" when the answer had none.
    dtstamp = Varchar(length=20, default="")
    sender = Varchar(length=320, default="")
    partstat = Varchar(length=20, default="")
    action = Varchar(length=20, choices=ReplyAction)
    reason = Varchar(length=40, null=True, default=None, choices=IgnoreReason)
    event = ForeignKey(references=Event, null=True, on_delete=OnDelete.set_null)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.set_null)
    # The expert meeting an answer is about (its id: experts/ sits beside this domain, so no
    # foreign key to its table is declared from here).
    meeting = Integer(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
