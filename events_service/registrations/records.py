"""A registration's statuses, in one place: the table (`choices=`), the schemas and the
services all use these. How a person attends (AttendanceMode) is the event's concern:
events/records.py, next to which seat pool each mode draws from."""

from __future__ import annotations

from enum import StrEnum


class RegistrationStatus(StrEnum):
    """Waitlist order is arrival order; a waiting person is promoted when a seat frees up."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class CancelledBy(StrEnum):
    registrant = "registrant"  # by the manage link
    organiser = "organiser"
    event = "event"  # the event itself was cancelled
    erasure = "erasure"  # the person asked to be erased


class AttendanceSource(StrEnum):
    """Where a registration's attendance came from: the door's check-in, a platform's report, or both."""

    checkin = "checkin"
    imported = "import"
    checkin_and_import = "checkin,import"
