from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.events.online_meeting import MeetingPlatform
from events_service.events.records import EventKind, EventMode, EventStatus
from events_service.events.schemas import Audience
from events_service.languages import DEFAULT_LANGUAGE
from events_service.settings import PROGRAMME_TIMEZONE
from events_service.validation import DEFAULT_REMINDER_OFFSETS


class Speaker(Table, tablename="speaker"):
    name = Varchar(length=200)
    email = Varchar(length=320, null=True, default=None)
    bio = Text(default="")


class Event(Table, tablename="event"):
    """A Tech Talk or Tech Day. Times are UTC; `timezone` is the IANA zone for display.

    `sequence` is the iCalendar SEQUENCE: it rises on every change of time, place or link.
    """

    kind = Varchar(length=20, choices=EventKind)
    slug = Varchar(length=120, unique=True)
    title = Varchar(length=200)
    description = Text(default="")
    language = Varchar(length=2, default=DEFAULT_LANGUAGE)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    timezone = Varchar(length=64, default=PROGRAMME_TIMEZONE)
    mode = Varchar(length=20, choices=EventMode)
    capacity = Integer()
    online_capacity = Integer(null=True, default=None)
    seats_taken = Integer(default=0)
    online_seats_taken = Integer(default=0)
    max_per_company = Integer(null=True, default=None)
    venue_name = Varchar(length=200, null=True, default=None)
    venue_address = Varchar(length=300, null=True, default=None)
    venue_city = Varchar(length=100, null=True, default=None)
    online_url = Varchar(length=1000, null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=20, default=EventStatus.DRAFT, choices=EventStatus)
    sequence = Integer(default=0)
    topics = JSON(default=[])
    reminder_offsets = JSON(default=list(DEFAULT_REMINDER_OFFSETS))
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    # Schedule changes not yet told to attendees; told once the edits settle (see
    # registrations.service.send_due_event_updates), so several edits make one email.
    pending_changes = JSON(default=[])
    updates_due_at = Timestamptz(null=True, default=None)
    # Share of the event's length a participant must attend to count as attended.
    attendance_threshold_percent = Integer(default=50)
    recording_url = Varchar(length=1000, null=True, default=None)
    slides_url = Varchar(length=1000, null=True, default=None)
    follow_up_sent_at = Timestamptz(null=True, default=None)
    # Reports for the funder (reports/indicators.py): who the event is for, and the country of
    # its venue (None when it has none: an online event's participations are never cross-border).
    audience = Varchar(length=10, default=Audience.TARGETED.value, choices=Audience)
    venue_country = Varchar(length=2, null=True, default=None)
    # The webinar on its platform, for pulling attendance from the platform's API
    # (events/online_meeting.py): all three None when there is none.
    meeting_platform = Varchar(length=20, null=True, default=None, choices=MeetingPlatform)
    meeting_id = Varchar(length=500, null=True, default=None)
    meeting_organizer_id = Varchar(length=200, null=True, default=None)
    # Act on Accept/Decline answers to the invites (replies/); False: only record them.
    acts_on_replies = Boolean(default=True)


class EventSpeaker(Table, tablename="event_speaker"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    speaker = ForeignKey(references=Speaker, on_delete=OnDelete.cascade)
    position = Integer(default=0)


class AgendaSession(Table, tablename="agenda_session"):
    """One slot of a Tech Day's programme."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    speaker = ForeignKey(references=Speaker, null=True, on_delete=OnDelete.set_null)
    position = Integer(default=0)


class EventCreation(Table, tablename="event_creation"):
    """One row per console form that created an event: the form's one-time key (a hidden
    field) is unique, so the same form sent twice (a double click, a resend) makes one event."""

    key = Varchar(length=64, unique=True)
    event = Integer(null=True, default=None)  # set in the transaction that inserts the event
    created_at = Timestamptz(default=TimestamptzNow())
