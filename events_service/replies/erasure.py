"""The reply log's personal data: the attendee and sender addresses of invite_reply. They go
when the person is erased (privacy/service.py, in the erasure's transaction) and when a row
is older than the mail bodies' retention (EVENTS_RETENTION_MAIL_BODY_DAYS): the reply log is
mail read, kept as long as the mail we send.

The row stays: it is the exactly-once claim of its answer. Its unique key (message_id, uid,
attendee, sequence, dtstamp) covers the attendee, so once the attendee is replaced the same
message read again would insert a new row; service._claim looks for an erased row with the
same message, UID, SEQUENCE and DTSTAMP first and takes it as the earlier claim. The marker
is unique per row ("[erased <id>]"): two answers of one message told apart only by their
attendee (both the person's) cannot collide on the unique index once erased."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from piccolo.querystring import QueryString

from events_service.clock import now_utc
from events_service.replies.tables import InviteReply

__all__ = ["ERASED_PREFIX", "erase_reply_addresses", "forget_old_reply_addresses", "is_erased", "replies_held"]

#: How an erased attendee or sender begins. A forged ATTENDEE written so would only shadow the
#: other answers of its own message (the check needs the same Message-ID, UID and stamps).
ERASED_PREFIX = "[erased "


def _marker() -> QueryString:
    return QueryString("'[erased ' || id || ']'")


def is_erased(column: Any) -> Any:
    return column.like(f"{ERASED_PREFIX}%")


def _not_erased(column: Any) -> Any:
    return column.not_like(f"{ERASED_PREFIX}%")


async def erase_reply_addresses(address: str, registration_ids: list[int], meeting_ids: list[int]) -> int:
    """Replace `address` wherever the reply log holds it as attendee or sender, and both
    addresses of every answer about the person's registrations and expert meetings (a row
    about them says who they are, whoever sent it). Run inside the erasure's transaction;
    returns how many rows changed."""
    about_them = _about(registration_ids, meeting_ids)

    def rows_to_erase(column: Any) -> Any:
        holds_it = column == address
        return holds_it if about_them is None else holds_it | (about_them & _not_erased(column))

    return await _erase_addresses(rows_to_erase)


async def replies_held(address: str, registration_ids: list[int], meeting_ids: list[int]) -> list[dict[str, Any]]:
    """The rows erase_reply_addresses would change, as they are (for the person's export)."""
    condition = (InviteReply.attendee == address) | (InviteReply.sender == address)
    about_them = _about(registration_ids, meeting_ids)
    if about_them is not None:
        condition = condition | about_them
    return await InviteReply.select(
        InviteReply.created_at.as_alias("received_at"), InviteReply.message_id, InviteReply.uid, InviteReply.attendee,
        InviteReply.sender, InviteReply.partstat, InviteReply.action, InviteReply.reason, InviteReply.event, InviteReply.meeting,
    ).where(condition).order_by(InviteReply.id)


def _about(registration_ids: list[int], meeting_ids: list[int]) -> Any:
    condition = None
    if registration_ids:
        condition = InviteReply.registration.is_in(registration_ids)
    if meeting_ids:
        meetings = InviteReply.meeting.is_in(meeting_ids)
        condition = meetings if condition is None else condition | meetings
    return condition


async def forget_old_reply_addresses(days: int, *, now: datetime | None = None) -> int:
    """Erase the addresses of answers received more than `days` days ago (0 keeps them); how many rows."""
    if days <= 0:
        return 0
    cutoff = (now or now_utc()) - timedelta(days=days)
    return await _erase_addresses(lambda column: (InviteReply.created_at < cutoff) & _not_erased(column))


async def _erase_addresses(rows_to_erase: Callable[[Any], Any]) -> int:
    """Put the erasure marker in the attendee and the sender column of the rows
    `rows_to_erase(column)` selects for each; how many rows changed (in either or both)."""
    changed: set[int] = set()
    for column in (InviteReply.attendee, InviteReply.sender):
        rows = await InviteReply.update({column: _marker()}).where(rows_to_erase(column)).returning(InviteReply.id)
        changed |= {row["id"] for row in rows}
    return len(changed)
