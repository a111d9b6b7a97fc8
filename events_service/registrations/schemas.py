from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from events_service.events.records import AttendanceMode
from events_service.events.schemas import PublicEventOut
from events_service.languages import Language
from events_service.questions.schemas import Answers
from events_service.registrations.records import RegistrationStatus, Rsvp
from events_service.validation import SINGLE_LINE

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320), SINGLE_LINE]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=100), SINGLE_LINE]

MAX_COLLEAGUES = 10


class CompanyRef(msgspec.Struct, forbid_unknown_fields=True):
    vat_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40), SINGLE_LINE]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE] | None = None
    country: Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z]{2}\Z")] | None = None
    region: Annotated[str, msgspec.Meta(max_length=100), SINGLE_LINE] | None = None


class Colleague(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    first_name: PersonName
    last_name: PersonName
    language: Language | None = None
    attendance_mode: AttendanceMode | None = None
    #: Answers to the event's registration questions, {"<question id>": value}.
    answers: Answers = msgspec.field(default_factory=dict)


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    first_name: PersonName
    last_name: PersonName
    company: CompanyRef
    consent_privacy: bool
    consent_marketing: bool | None = None
    language: Language | None = None
    attendance_mode: AttendanceMode | None = None
    colleagues: Annotated[list[Colleague], msgspec.Meta(max_length=MAX_COLLEAGUES)] = msgspec.field(default_factory=list)
    #: Answers to the event's registration questions, {"<question id>": value}.
    answers: Answers = msgspec.field(default_factory=dict)


class RegistrationCreated(msgspec.Struct):
    id: int
    email: str
    status: RegistrationStatus
    attendance_mode: AttendanceMode
    manage_token: str
    manage_url: str
    waitlist_position: int | None = None
    colleagues: list["RegistrationCreated"] = msgspec.field(default_factory=list)


class CompanyBrief(msgspec.Struct):
    id: int
    name: str
    vat_id: str


class RegistrationRow(msgspec.Struct):
    """An organiser's line of the registrations list."""

    id: int
    email: str
    first_name: str
    last_name: str
    company: CompanyBrief | None
    status: RegistrationStatus
    attendance_mode: AttendanceMode
    created_at: datetime
    attended: bool
    minutes_attended: int
    waitlist_position: int | None = None
    #: Answers to the event's registration questions, {"<question id>": value}.
    answers: dict[str, Any] = msgspec.field(default_factory=dict)
    #: The person's answer to the calendar invite (replies/), None until they answer.
    rsvp: Rsvp | None = None


class PublicRegistration(msgspec.Struct):
    """What the holder of a manage token sees: this registration only (no personal feed link:
    that travels only in the person's own emails); the join link only when confirmed."""

    id: int
    status: RegistrationStatus
    attendance_mode: AttendanceMode
    email: str
    first_name: str
    last_name: str
    company: str | None
    created_at: datetime
    waitlist_position: int | None
    event: PublicEventOut
    online_url: str | None
    manage_url: str
    checkin_code: str | None


class EventStats(msgspec.Struct):
    capacity: int
    online_capacity: int | None
    confirmed: int
    waitlisted: int
    cancelled: int
    attended: int
    no_show: int
    companies: int
    seats_left: int
    online_seats_left: int | None
    #: Answers to the invite (replies/): accepted/tentative among the confirmed; declined of any status.
    rsvp_accepted: int = 0
    rsvp_tentative: int = 0
    rsvp_declined: int = 0


class CompanyPerson(msgspec.Struct, frozen=True, kw_only=True):
    """One person who registered on behalf of a company (the console's company page)."""

    contact_id: int
    name: str
    email: str
    registrations: int
    attended: int
    minutes_attended: int


class UndoState(StrEnum):
    AVAILABLE = "available"  # a seat is free now: POST takes it
    SEAT_TAKEN = "seat_taken"  # no seat free (or the company holds all its seats)
    DONE = "done"  # the registration is confirmed (this link was used)
    EXPIRED = "expired"  # registration has closed
    EVENT_CANCELLED = "event_cancelled"
    OUTDATED = "outdated"  # the registration was cancelled again in another way since


class UndoOffer(msgspec.Struct, frozen=True):
    """What the undo link's page shows before anything is done (GET: never acts)."""

    state: UndoState
    event_title: str
    event_slug: str
    starts_at: datetime
    timezone: str
    #: Until when the link works (registration closes).
    undo_until: datetime
    #: The registration's own page, once it is confirmed again.
    manage_url: str | None
    #: The registration's language (it, en, de): the cancellation email's, so the page's too.
    language: str
