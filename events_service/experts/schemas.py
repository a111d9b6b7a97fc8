"""The shapes of the experts API (API.md "Innovation Experts at Tech Days")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from events_service.events.schemas import AwareDatetime, Url
from events_service.experts.records import MeetingStatus, SlotStatus
from events_service.registrations.records import Rsvp
from events_service.validation import SINGLE_LINE

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
EmailText = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+$")]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
LanguageCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")]

#: Limits on what one request may ask for (sizes and counts).
MAX_TOPICS = 20
MAX_SLOTS_PER_REQUEST = 48
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
#: Breaks one window may hold: a day of meetings has a few (coffee, lunch), never dozens.
MAX_BREAKS = 8

#: Where an expert meets on a Tech Day: a room of the venue (one line) ...
Room = Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE]
#: ... or a video link (http/https only: no javascript:, data: or newlines into invites).
VideoUrl = Url


class ExpertCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: EmailText
    bio: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    topics: Annotated[list[Word], msgspec.Meta(max_length=MAX_TOPICS)] = msgspec.field(default_factory=list)
    languages: Annotated[list[LanguageCode], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)


class ExpertOut(msgspec.Struct):
    id: int
    name: str
    email: str
    bio: str
    topics: list[str]
    languages: list[str]


class ExpertUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A change to an expert: only the fields sent change."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: EmailText | msgspec.UnsetType = msgspec.UNSET
    bio: Annotated[str, msgspec.Meta(max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    topics: Annotated[list[Word], msgspec.Meta(max_length=MAX_TOPICS)] | msgspec.UnsetType = msgspec.UNSET
    languages: Annotated[list[LanguageCode], msgspec.Meta(max_length=10)] | msgspec.UnsetType = msgspec.UNSET


class Break(msgspec.Struct, forbid_unknown_fields=True):
    """A pause inside a window: no slot touches it; slots start again at its end."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime


class SlotsCreate(msgspec.Struct, forbid_unknown_fields=True):
    expert_id: Annotated[int, msgspec.Meta(gt=0, le=2**31 - 1)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    minutes: Annotated[int, msgspec.Meta(ge=MIN_SLOT_MINUTES, le=MAX_SLOT_MINUTES)]
    breaks: Annotated[list[Break], msgspec.Meta(max_length=MAX_BREAKS)] = msgspec.field(default_factory=list)
    #: Where the expert meets that day (expert_day): a value sent here sets (or changes) it;
    #: null leaves it as it is (PATCH .../expert-days/{expert_id} clears it).
    room: Room | None = None
    video_url: VideoUrl | None = None


class WhereUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Where an expert meets on a Tech Day; null clears, a field not sent stays."""

    room: Room | None | msgspec.UnsetType = msgspec.UNSET
    video_url: VideoUrl | None | msgspec.UnsetType = msgspec.UNSET


class WhereOut(msgspec.Struct):
    event_id: int
    expert_id: int
    room: str | None
    video_url: str | None


class SlotMove(msgspec.Struct, forbid_unknown_fields=True):
    """A slot's new start; its length stays."""

    starts_at: AwareDatetime


class SlotOut(msgspec.Struct):
    id: int
    event_id: int
    expert_id: int
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus
    booked: bool = False
    #: The meeting holding the slot (booked or held), and each side's answer to its current
    #: invite read from the reply mailbox: an `expert_rsvp` of "declined" asks the organisers
    #: to move the slot or cancel the meeting (the expert's Decline does not cancel it).
    meeting_id: int | None = None
    rsvp: Rsvp | None = None
    expert_rsvp: Rsvp | None = None


class PublicExpert(msgspec.Struct):
    """What the public sees of an expert: never the email."""

    name: str
    topics: list[str]


class PublicSlot(msgspec.Struct):
    id: int
    expert: PublicExpert
    starts_at: datetime
    ends_at: datetime


class RulesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    bookings_close_at: AwareDatetime | None = None
    meetings_per_company_expert: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1


class RulesOut(msgspec.Struct):
    event_id: int
    bookings_close_at: datetime | None
    meetings_per_company_expert: int


class MeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: Annotated[int, msgspec.Meta(gt=0, le=2**31 - 1)]
    topic: Annotated[str, msgspec.Meta(max_length=200)] = ""


class MeetingSlot(msgspec.Struct):
    id: int
    expert: PublicExpert
    starts_at: datetime
    ends_at: datetime


class MeetingBooked(msgspec.Struct):
    """The registrant's own meeting (their manage page): the room and the video link are theirs
    to see, never the public's."""

    id: int
    slot: MeetingSlot
    manage_token: str
    status: MeetingStatus = MeetingStatus.BOOKED
    topic: str = ""
    room: str | None = None
    video_url: str | None = None


class MeetingStatusUpdate(msgspec.Struct, forbid_unknown_fields=True):
    status: MeetingStatus


class MeetingOut(msgspec.Struct):
    id: int
    event_id: int
    slot_id: int
    expert_id: int
    registration_id: int | None
    company_id: int | None
    topic: str
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime
