from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.events.tables import Event
from events_service.experts.records import MeetingStatus, SlotStatus
from events_service.registrations.records import Rsvp
from events_service.registrations.tables import Registration


class Expert(Table, tablename="expert"):
    """An Innovation Expert. The email is for invites only: never shown on public pages."""

    name = Varchar(length=200)
    email = Varchar(length=320)
    bio = Text(default="")
    topics = JSON(default=[])
    languages = JSON(default=[])
    created_at = Timestamptz(default=TimestamptzNow())


class ExpertSlot(Table, tablename="expert_slot"):
    """One bookable slot of an expert inside a Tech Day (times UTC)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    expert = ForeignKey(references=Expert, on_delete=OnDelete.cascade)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    status = Varchar(length=10, default=SlotStatus.OPEN, choices=SlotStatus)


class ExpertMeeting(Table, tablename="expert_meeting"):
    """A booking of a slot by a registrant. `active_slot` is the slot's id while the meeting
    holds it and NULL once cancelled: its unique constraint is the "one booking per slot" rule
    (NULLs never collide), so two racing bookings cannot both win on either engine.
    `uid` and `sequence` are the meeting's own iCalendar identity (invites.py); `rsvp` and
    `expert_rsvp` are the two sides' answers to its current invite (replies/, through
    invite_answers.py), cleared when the meeting moves."""

    slot = ForeignKey(references=ExpertSlot, on_delete=OnDelete.cascade)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    expert = ForeignKey(references=Expert, on_delete=OnDelete.cascade)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.set_null, index=True)
    company = Integer(null=True, default=None, index=True)
    topic = Varchar(length=200, default="")
    status = Varchar(length=10, default=MeetingStatus.BOOKED, choices=MeetingStatus)
    active_slot = Integer(null=True, default=None, unique=True)
    token_nonce = Varchar(length=32)
    uid = Varchar(length=200, index=True)
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    held_at = Timestamptz(null=True, default=None)
    rsvp = Varchar(length=20, null=True, default=None, choices=Rsvp)
    expert_rsvp = Varchar(length=20, null=True, default=None, choices=Rsvp)


class ExpertBooker(Table, tablename="expert_booker"):
    """One row per registration that booked: booking updates it first, so one person's
    bookings take turns on PostgreSQL (a row lock) and the overlap check inside sees every
    earlier booking of theirs. `meetings` counts their active meetings."""

    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, unique=True)
    meetings = Integer(default=0)


class ExpertCompanyDay(Table, tablename="expert_company_day"):
    """Active meetings of one company with one expert on one day (the event's local date);
    `key` is "<expert>:<company>:<date>". Taken with one conditional UPDATE (taken < cap)."""

    key = Varchar(length=80, unique=True)
    taken = Integer(default=0)


class ExpertDayRules(Table, tablename="expert_day_rules"):
    """What an organiser sets for the meetings of one Tech Day: when booking closes (None: at
    each slot's start) and how many meetings a company may hold with one expert that day."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, unique=True)
    bookings_close_at = Timestamptz(null=True, default=None)
    meetings_per_company_expert = Integer(default=1)


class ExpertDay(Table, tablename="expert_day"):
    """Where one expert meets on one Tech Day: a room of the venue, a video link, or both (a
    hybrid day). One row per (event, expert) (a unique index, migration 2026-12-06T07:41:35): every slot
    of the expert that day, whichever window opened it, shares it. The video link is private:
    only the meeting's two sides see it (their invites, the registrant's manage page)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    expert = ForeignKey(references=Expert, on_delete=OnDelete.cascade)
    room = Varchar(length=200, null=True, default=None)
    video_url = Varchar(length=1000, null=True, default=None)
