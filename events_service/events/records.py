"""An event as the rest of the service sees it (a typed record of its row), and the facts
about an event that more than one module needs, each in this one place: the venue as text,
when registration closes, which seat pool an attendance mode draws from, who sees the join
link, what a mode needs before publication.

Pure: no database. `events.queries` reads the records; calendar entries, registrations,
feeds and attendance take them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from events_service.events.online_meeting import OnlineMeeting, meeting_from_columns


class EventKind(StrEnum):
    TECH_TALK = "tech_talk"  # an online webinar
    TECH_DAY = "tech_day"  # an in-person or hybrid day, with an agenda


class EventMode(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"  # two seat pools: the room's and the online one


class AttendanceMode(StrEnum):
    """How one person attends: an online event has only online attendees, an in-person one
    only in_person; at a hybrid event each registrant chooses (see draws_online_seats)."""

    IN_PERSON = "in_person"
    ONLINE = "online"


class EventStatus(StrEnum):
    """draft → published → cancelled (a draft may be cancelled too); nobody registers for a draft."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


# A change of any of these moves the attendee's calendar entry: SEQUENCE goes up.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "mode", "venue_name", "venue_address", "venue_city", "online_url")


class PublicEvent(msgspec.Struct, frozen=True, kw_only=True):
    """What anyone may see of an event: no join link, not even loaded (public feeds and
    downloads read only these columns, `PUBLIC_COLUMNS` in events.queries)."""

    id: int
    slug: str
    kind: EventKind
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: EventMode
    venue_name: str | None
    venue_address: str | None
    venue_city: str | None
    status: EventStatus
    sequence: int
    topics: list[str]
    updated_at: datetime | None
    venue_country: str | None = None  # ISO code; None without a venue

    @property
    def venue_text(self) -> str | None:
        return venue_text(self.venue_name, self.venue_address, self.venue_city)


class EventRecord(PublicEvent, frozen=True, kw_only=True):
    """The whole event row."""

    language: str
    capacity: int
    online_capacity: int | None
    seats_taken: int
    online_seats_taken: int
    max_per_company: int | None
    online_url: str | None
    registration_closes_at: datetime | None
    reminder_offsets: list[int]
    created_at: datetime | None
    published_at: datetime | None
    cancelled_at: datetime | None
    pending_changes: list[str]
    updates_due_at: datetime | None
    attendance_threshold_percent: int
    recording_url: str | None
    slides_url: str | None
    follow_up_sent_at: datetime | None
    audience: str = "targeted"  # events.schemas.Audience
    meeting_platform: str | None = None
    meeting_id: str | None = None
    meeting_organizer_id: str | None = None
    #: False: answers to the invites are only recorded, never acted on (replies/decisions.py).
    acts_on_replies: bool = True

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventRecord:
        """A row read with `output(load_json=True)`."""
        if "acts_on_replies" in row:  # SQLite gives a boolean as 0/1, which the strict convert refuses
            row = {**row, "acts_on_replies": bool(row["acts_on_replies"])}
        return msgspec.convert(row, cls)

    @property
    def closes_at(self) -> datetime:
        return registration_closes_at(self.registration_closes_at, self.starts_at)

    def draws_online_seats(self, attendance_mode: str) -> bool:
        return draws_online_seats(self.mode, attendance_mode)

    def join_url_for(self, registration_status: str, attendance_mode: str) -> str | None:
        """The join link as one registrant may see it, or None."""
        return self.online_url if shows_join_link(registration_status, attendance_mode, self.status) else None

    @property
    def online_meeting(self) -> OnlineMeeting | None:
        return meeting_from_columns(self.meeting_platform, self.meeting_id, self.meeting_organizer_id)

    def missing_for_publication(self) -> list[str]:
        return missing_for_publication(self.mode, self.venue_name, self.venue_address, self.venue_city, self.online_url)


def public_event_from_row(row: dict[str, Any]) -> PublicEvent:
    return msgspec.convert(row, PublicEvent)


# ---------------------------------------------------------------- the facts, one home each
# Functions of plain values as well as methods: the registration's hot path reads a narrow
# projection of the event row (registrations.seats), not the whole record.


def venue_text(name: str | None, address: str | None, city: str | None) -> str | None:
    return ", ".join(part for part in (name, address, city) if part) or None


def registration_closes_at(closes_at: datetime | None, starts_at: datetime) -> datetime:
    return closes_at or starts_at


def draws_online_seats(event_mode: str, attendance_mode: str) -> bool:
    """Whether an attendance mode draws from the online pool (online_seats_taken /
    online_capacity) rather than the event's seats: only hybrid events have two pools."""
    return attendance_mode == AttendanceMode.ONLINE and event_mode == EventMode.HYBRID


def shows_join_link(registration_status: str, attendance_mode: str, event_status: str) -> bool:
    """Who sees the webinar's join link: a confirmed online attendee of an event that is not
    cancelled. Never a public page or feed, never someone in the room, waiting or cancelled.

    `registration_status` is a registrations.records.RegistrationStatus; registrations sit
    above events, so its value is spelled here."""
    confirmed = registration_status == "confirmed"
    return confirmed and attendance_mode == AttendanceMode.ONLINE and event_status != EventStatus.CANCELLED


def missing_for_publication(
    mode: str, venue_name: str | None, venue_address: str | None, venue_city: str | None, online_url: str | None
) -> list[str]:
    """What an event's mode needs before people can register."""
    missing = []
    if mode in (EventMode.IN_PERSON, EventMode.HYBRID):
        venue = {"name": venue_name, "address": venue_address, "city": venue_city}
        missing += [f"venue.{part}" for part, value in venue.items() if not value]
    if mode in (EventMode.ONLINE, EventMode.HYBRID) and not online_url:
        missing.append("online_url")
    return missing


def schedule_changes(before: EventRecord, after: EventRecord) -> list[str]:
    """The fields of SCHEDULE_FIELDS that differ: what moves the attendees' calendar entries."""
    return [field for field in SCHEDULE_FIELDS if getattr(before, field) != getattr(after, field)]
