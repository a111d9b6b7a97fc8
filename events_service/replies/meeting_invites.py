"""The expert meetings' invites, as far as replies/ needs them (issue 19: "replies to expert
meetings work the same way").

The experts domain sits beside this one and cannot be imported from here (nor this from
there): the wiring (worker.py) hands its three functions in, as with the door's code readers
(attendance/door_codes.py). Without them (a process that did not load the wiring) a meeting's
UID is simply unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from events_service.registrations.records import Rsvp
from events_service.settings import Settings

__all__ = ["MeetingInvite", "MeetingReplies", "meeting_replies", "set_meeting_replies"]


class MeetingInvite(Protocol):
    """What the meeting a UID names looks like now (structural: experts' own record fits)."""

    @property
    def meeting_id(self) -> int: ...
    @property
    def event_id(self) -> int: ...
    @property
    def registration_id(self) -> int | None: ...
    @property
    def registrant_email(self) -> str: ...  # "" once the person was erased
    @property
    def registration_status(self) -> str: ...
    @property
    def expert_email(self) -> str: ...
    @property
    def booked(self) -> bool: ...
    @property
    def sequence(self) -> int: ...  # the SEQUENCE of the meeting's last invite


@dataclass(frozen=True)
class MeetingReplies:
    """Each runs inside the caller's write transaction."""

    #: The meeting whose invite carries this UID, or None.
    find: Callable[[str], Awaitable[MeetingInvite | None]]
    #: Cancel the meeting (slot freed, both sides get a CANCEL); False when it was not booked.
    cancel: Callable[[int, Settings], Awaitable[bool]]
    #: Note one side's answer ("registrant" or "expert") on the meeting.
    record_answer: Callable[[int, str, Rsvp], Awaitable[object]]


_REGISTERED: list[MeetingReplies] = []


def set_meeting_replies(port: MeetingReplies) -> None:
    """Set once by the wiring (idempotent: it may be imported by several entry points)."""
    _REGISTERED[:] = [port]


def meeting_replies() -> MeetingReplies | None:
    return _REGISTERED[0] if _REGISTERED else None
