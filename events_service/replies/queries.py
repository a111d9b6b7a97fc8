"""What organisers read of the reply mailbox: the answers to an event's invites that were not
acted on (ignored with a reason, only recorded because the event's switch is off, or an
expert's decline of a meeting, left to the organisers), and the answers tied to no event at
all (a UID that is not one of our invites, another host's, an unreadable message)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events_service.replies.decisions import IgnoreReason, ReplyAction
from events_service.replies.tables import InviteReply

#: Answers that changed nothing, or that organisers must act on themselves (an expert declined).
UNACTED = (ReplyAction.IGNORE, ReplyAction.RECORD_ONLY, ReplyAction.REFER)

#: The console shows the newest ones; a flood of forged replies cannot grow the page without end.
UNACTED_SHOWN = 200


@dataclass(frozen=True)
class UnactedReply:
    id: int
    received_at: datetime
    sender: str
    partstat: str
    action: ReplyAction
    reason: IgnoreReason | None
    uid: str


async def unacted_replies(event_id: int, limit: int = UNACTED_SHOWN) -> list[UnactedReply]:
    """The event's answers that changed nothing, newest first."""
    return await _unacted((InviteReply.event == event_id), limit)


async def unmatched_replies(before: int | None = None, limit: int = UNACTED_SHOWN) -> list[UnactedReply]:
    """The answers tied to no event, newest first; `before` (a row id) pages to older ones."""
    condition = InviteReply.event.is_null()
    if before is not None:
        condition = condition & (InviteReply.id < before)
    return await _unacted(condition, limit)


async def _unacted(condition: Any, limit: int) -> list[UnactedReply]:
    rows = (
        await InviteReply.select(
            InviteReply.id, InviteReply.created_at, InviteReply.sender, InviteReply.partstat, InviteReply.action,
            InviteReply.reason, InviteReply.uid,
        )
        .where(condition & InviteReply.action.is_in(list(UNACTED)))
        .order_by(InviteReply.id, ascending=False)
        .limit(limit)
    )
    return [
        UnactedReply(
            id=row["id"],
            received_at=row["created_at"],
            sender=row["sender"],
            partstat=row["partstat"],
            action=ReplyAction(row["action"]),
            reason=IgnoreReason(row["reason"]) if row["reason"] else None,
            uid=row["uid"],
        )
        for row in rows
    ]
