from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

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
    platform = Varchar(length=20)
    joined_at = Timestamptz()
    left_at = Timestamptz()
    imported_at = Timestamptz(default=TimestamptzNow())
