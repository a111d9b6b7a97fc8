from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.attendance.platforms import Platform
from events_service.events.tables import Event
from events_service.registrations.tables import Registration


class AttendanceInterval(Table, tablename="attendance_interval"):
    """One stretch of time one participant spent in a webinar, as a platform report says.

    Unique per (event, participant_key, joined_at, left_at), so importing a report again adds
    nothing and a second report adds only what is new. Rows nobody could match keep
    `registration` empty and are listed for the organiser, never dropped.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.set_null)
    participant_key = Varchar(length=320)
    name = Varchar(length=200)
    email = Varchar(length=320, null=True, default=None)
    platform = Varchar(length=20, choices=Platform)
    joined_at = Timestamptz()
    left_at = Timestamptz()
    imported_at = Timestamptz(default=TimestamptzNow())


class PullStatus(StrEnum):
    PENDING = "pending"  # not pulled yet, or to be tried again at next_attempt_at
    DONE = "done"  # pulled (by the worker or an organiser): the worker leaves it alone
    FAILED = "failed"  # every attempt failed; an organiser can still pull by hand


class AttendancePull(Table, tablename="attendance_pull"):
    """The pull of one event's attendance from its webinar platform's API by the worker
    (attendance/pull.py): once per event, retried later after a failure.

    One row per event (unique). A worker takes the row by setting `claimed_until` with a
    conditional UPDATE, so two workers never pull one event at the same moment; a crashed
    worker's claim runs out.
    """

    event = ForeignKey(references=Event, unique=True, on_delete=OnDelete.cascade)
    status = Varchar(length=20, default=PullStatus.PENDING.value, choices=PullStatus)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Varchar(length=500, null=True, default=None)
    pulled_at = Timestamptz(null=True, default=None)
