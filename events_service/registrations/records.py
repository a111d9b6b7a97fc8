"""A registration as the rest of the service sees it (a typed record of its row), and its
statuses, in one place: the table (`choices=`), the schemas and the services all use these.
How a person attends (AttendanceMode) is the event's concern: events/records.py, next to
which seat pool each mode draws from."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from events_service.events.records import AttendanceMode, EventRecord


class RegistrationStatus(StrEnum):
    """Waitlist order is arrival order; a waiting person is promoted when a seat frees up."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class CancelledBy(StrEnum):
    REGISTRANT = "registrant"  # by the manage link
    ORGANISER = "organiser"
    EVENT = "event"  # the event itself was cancelled
    ERASURE = "erasure"  # the person asked to be erased
    REPLY = "reply"  # the person declined the invite in their calendar (replies/)


class Rsvp(StrEnum):
    """A person's answer to the invite, read from the reply mailbox (replies/)."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class AttendanceSource(StrEnum):
    """Where a registration's attendance came from: the door's check-in, a platform's report, or both."""

    CHECKIN = "checkin"
    IMPORTED = "import"
    CHECKIN_AND_IMPORT = "checkin,import"


class RegistrationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A registration row as the rest of the service sees it (see registrations/tables.py for
    what each column means). `event`, `contact` and `company` are ids."""

    id: int
    event: int
    contact: int
    company: int | None
    first_name: str
    last_name: str
    status: RegistrationStatus
    attendance_mode: AttendanceMode
    language: str
    token_nonce: str
    holds_company_seat: bool
    registered_by: int | None
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: CancelledBy | None
    attended: bool
    minutes_attended: int
    checked_in_at: datetime | None
    checked_in_by: int | None
    walk_in: bool
    attendance_source: AttendanceSource | None
    undo_nonce: str | None = None
    sequence_offset: int = 0

    def entry_sequence(self, event: EventRecord) -> int:
        """The SEQUENCE of this registration's live calendar entry: the event's, plus what
        undone cancellations added (tables.py, sequence_offset)."""
        return event.sequence + self.sequence_offset

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RegistrationRecord:
        """A row of `Registration.select()` (every column). SQLite gives booleans as 0/1."""
        return msgspec.convert(row, cls, strict=False)

    def join_url(self, event: EventRecord) -> str | None:
        """The webinar's link as this registrant may see it (events.records.shows_join_link)."""
        return event.join_url_for(self.status, self.attendance_mode)
