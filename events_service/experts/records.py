"""The experts domain's statuses (used by the tables' `choices=`, the schemas and the service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SlotStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # closed by an organiser: not bookable, its meeting (if any) cancelled


class MeetingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    HELD = "held"
    MISSED = "missed"


#: A meeting in these statuses occupies its slot and its person's time.
ACTIVE = (MeetingStatus.BOOKED, MeetingStatus.HELD)


@dataclass(frozen=True)
class MeetingAtDoor:
    """A meeting's code checked at the door (attendance/door_codes.py reads it structurally)."""

    registration_id: int
    meeting_id: int
    already_held: bool
    held_at: datetime


@dataclass(frozen=True)
class MeetingInvite:
    """The meeting an invite's UID names, for its answers (replies/meeting_invites.py reads it
    structurally)."""

    meeting_id: int
    event_id: int
    registration_id: int | None
    registrant_email: str  # "" once the person was erased
    registration_status: str
    expert_email: str
    booked: bool
    sequence: int
