from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.companies.tables import Company, Contact
from events_service.events.records import AttendanceMode
from events_service.events.tables import Event
from events_service.languages import DEFAULT_LANGUAGE
from events_service.registrations.records import (
    AttendanceSource,
    CancelledBy,
    RegistrationStatus,
    Rsvp,
)


class Registration(Table, tablename="registration"):
    """One person's place at one event. Waitlist order is arrival order, i.e. `id`.

    `token_nonce` is the random part of the signed manage, feed and check-in tokens; changing
    it revokes every link ever sent for this registration.

    The names are the ones typed with this registration: the names shown for it. The contact
    keeps what the person gave first; a later registration of the same address (by them, or
    by anyone who knows it) does not rewrite them.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.set_null)
    first_name = Varchar(length=100, default="")
    last_name = Varchar(length=100, default="")
    status = Varchar(length=20, choices=RegistrationStatus)
    attendance_mode = Varchar(length=20, choices=AttendanceMode)
    language = Varchar(length=2, default=DEFAULT_LANGUAGE)
    token_nonce = Varchar(length=32)
    holds_company_seat = Boolean(default=False)
    registered_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # Every change sets it (lists read with `updated_since`, paging.py). No default in the
    # schema: SQLite cannot add a column whose default is the time to a table with rows; each
    # insert names it.
    updated_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancelled_by = Varchar(length=20, null=True, default=None, choices=CancelledBy)
    attended = Boolean(default=False)
    minutes_attended = Integer(default=0)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = Integer(null=True, default=None)
    walk_in = Boolean(default=False)
    # Where attendance came from: the door, a platform's report, or both.
    attendance_source = Varchar(length=40, null=True, default=None, choices=AttendanceSource)
    # Answers to the event's registration questions (questions/), {"<question id>": value}.
    answers = JSON(null=True, default=None)
    # The person's answer to the invite read from the reply mailbox (replies/): accepted or tentative.
    rsvp = Varchar(length=20, null=True, default=None, choices=Rsvp)
    # The random part of the undo link of a cancellation by a Decline reply (registrations/undo.py):
    # each such cancellation gets a new one, so a link undoes only the cancellation it came with.
    undo_nonce = Varchar(length=32, null=True, default=None)
    # How far this registration's calendar entry is ahead of the event's SEQUENCE: an undone
    # cancellation adds 2 (its CANCEL, then the new REQUEST), so every later entry outranks both.
    sequence_offset = Integer(default=0)


class CompanySeats(Table, tablename="company_seats"):
    """Confirmed seats a company holds at an event, taken with one conditional UPDATE."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade)
    taken = Integer(default=0)


class MailQuota(Table, tablename="mail_quota"):
    """How many emails anonymous requests made us send to one recipient, or about one event,
    in the hour that began at `window_start` (registrations/mail_quota.py). `subject` is
    `event:<id>` or `to:<hash of the address>`: no address is kept here."""

    subject = Varchar(length=80, unique=True)
    window_start = Timestamptz()
    used = Integer(default=0)
