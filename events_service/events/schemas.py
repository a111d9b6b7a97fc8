from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from events_service.events.online_meeting import OnlineMeeting
from events_service.events.records import EventKind, EventMode, EventStatus
from events_service.languages import DEFAULT_LANGUAGE, Language
from events_service.settings import DEFAULT_TIMEZONE
from events_service.validation import (
    DEFAULT_REMINDER_OFFSETS,
    MAX_AGENDA_ITEMS,
    MAX_REMINDER_MINUTES,
    MAX_REMINDERS,
    MULTI_LINE,
    SINGLE_LINE,
    moments_in_window,
)

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, description="ISO 8601 with an offset")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE]
Description = Annotated[str, msgspec.Meta(max_length=20000), MULTI_LINE]
# \A…\Z: `$` would let a final newline through into emails and calendars.
Url = Annotated[str, msgspec.Meta(pattern=r"\Ahttps?://[^\s\x00-\x1f\x7f-\x9f]+\Z", max_length=1000)]
Seats = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
PerCompany = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
Topic = Annotated[str, msgspec.Meta(min_length=1, max_length=50), SINGLE_LINE]
Topics = Annotated[list[Topic], msgspec.Meta(max_length=20)]
OffsetMinutes = Annotated[int, msgspec.Meta(ge=1, le=MAX_REMINDER_MINUTES)]
Offsets = Annotated[list[OffsetMinutes], msgspec.Meta(max_length=MAX_REMINDERS)]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z]{2}\Z", description="ISO 3166 alpha-2, e.g. IT, CH")]


class Audience(StrEnum):
    """Who an event is for, as the funder counts it: `public` events are open to anyone and
    advertised; `targeted` ones are the programme's own events for its companies, whose
    attended registrations are its participations (reports/indicators.py)."""

    PUBLIC = "public"
    TARGETED = "targeted"


Timezone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=[DEFAULT_TIMEZONE]), SINGLE_LINE]


class Venue(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=300), SINGLE_LINE]
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100), SINGLE_LINE]
    # Where the venue is; EVENTS_PROGRAMME_COUNTRY when not given. Cross-border participations
    # are those of companies from another country.
    country: CountryCode | None = None


class SpeakerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE]
    email: Annotated[str, msgspec.Meta(max_length=320), SINGLE_LINE] | None = None
    bio: Annotated[str, msgspec.Meta(max_length=5000), MULTI_LINE] = ""


class AgendaItemIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    speaker: Annotated[str, msgspec.Meta(description="the name of one of the event's speakers"), SINGLE_LINE] | None = None

    def __post_init__(self) -> None:
        moments_in_window(self, ("starts_at", "ends_at"))


Agenda = Annotated[list[AgendaItemIn], msgspec.Meta(max_length=MAX_AGENDA_ITEMS)]


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: EventMode
    capacity: Seats
    description: Description = ""
    language: Language = DEFAULT_LANGUAGE
    timezone: Timezone = DEFAULT_TIMEZONE
    online_capacity: Seats | None = None
    max_per_company: PerCompany | None = None
    venue: Venue | None = None
    online_url: Url | None = None
    registration_closes_at: AwareDatetime | None = None
    reminder_offsets_minutes: Offsets = msgspec.field(default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS))
    speakers: Annotated[list[SpeakerIn], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    topics: Topics = msgspec.field(default_factory=list)
    agenda: Agenda = msgspec.field(default_factory=list)
    audience: Audience = Audience.TARGETED
    # The webinar on its platform, to pull attendance from (online and hybrid events only).
    online_meeting: OnlineMeeting | None = None

    def __post_init__(self) -> None:
        moments_in_window(self, ("starts_at", "ends_at", "registration_closes_at"))


class EventPatch(msgspec.Struct, forbid_unknown_fields=True):
    kind: EventKind | msgspec.UnsetType = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET
    starts_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    ends_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    timezone: Timezone | msgspec.UnsetType = msgspec.UNSET
    mode: EventMode | msgspec.UnsetType = msgspec.UNSET
    capacity: Seats | msgspec.UnsetType = msgspec.UNSET
    online_capacity: Seats | None | msgspec.UnsetType = msgspec.UNSET
    max_per_company: PerCompany | None | msgspec.UnsetType = msgspec.UNSET
    venue: Venue | None | msgspec.UnsetType = msgspec.UNSET
    online_url: Url | None | msgspec.UnsetType = msgspec.UNSET
    registration_closes_at: AwareDatetime | None | msgspec.UnsetType = msgspec.UNSET
    reminder_offsets_minutes: Offsets | msgspec.UnsetType = msgspec.UNSET
    speakers: Annotated[list[SpeakerIn], msgspec.Meta(max_length=50)] | msgspec.UnsetType = msgspec.UNSET
    topics: Topics | msgspec.UnsetType = msgspec.UNSET
    agenda: Agenda | msgspec.UnsetType = msgspec.UNSET
    audience: Audience | msgspec.UnsetType = msgspec.UNSET
    online_meeting: OnlineMeeting | None | msgspec.UnsetType = msgspec.UNSET
    #: False: replies to the invites are only recorded (a Decline no longer frees the seat).
    acts_on_replies: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        moments_in_window(self, ("starts_at", "ends_at", "registration_closes_at"))


class SpeakerOut(msgspec.Struct):
    id: int
    name: str
    email: str | None
    bio: str


class AgendaItemOut(msgspec.Struct):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    speaker: str | None


class EventOut(msgspec.Struct):
    """The organiser's view of an event, join link included."""

    id: int
    slug: str
    kind: EventKind
    title: str
    description: str
    language: Language
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: EventMode
    capacity: int
    online_capacity: int | None
    max_per_company: int | None
    venue: Venue | None
    online_url: str | None
    registration_closes_at: datetime | None
    reminder_offsets_minutes: list[int]
    status: EventStatus
    sequence: int
    topics: list[str]
    speakers: list[SpeakerOut]
    agenda: list[AgendaItemOut]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
    audience: Audience = Audience.TARGETED
    # Organisers only: PublicEventOut has no such field.
    online_meeting: OnlineMeeting | None = None
    #: Organisers only: whether a Decline in the calendar cancels (replies/), or is only recorded.
    acts_on_replies: bool = True


class PublicSpeakerOut(msgspec.Struct):
    name: str
    bio: str


class PublicEventOut(msgspec.Struct):
    """What anyone may see: never the join link, never speakers' emails."""

    id: int
    slug: str
    kind: EventKind
    title: str
    description: str
    language: Language
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: EventMode
    venue: Venue | None
    registration_closes_at: datetime
    registration_open: bool
    status: EventStatus
    topics: list[str]
    speakers: list[PublicSpeakerOut]
    agenda: list[AgendaItemOut]
    ics_url: str
    # "Add to calendar" links (no join link in them); None once the event is cancelled.
    google_calendar_url: str | None = None
    outlook_calendar_url: str | None = None
