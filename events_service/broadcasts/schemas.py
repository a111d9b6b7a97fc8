"""The shapes of messages to registrants: what an organiser posts, what comes back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from events_service.events.records import AttendanceMode
from events_service.validation import MULTI_LINE, SINGLE_LINE

#: Limits on what one message may carry: a subject is one line, a body a short letter.
MAX_SUBJECT = 200
MAX_BODY = 10_000


class Audience(StrEnum):
    """Who of an event's registrants gets a message. Cancelled registrations never do."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    NO_SHOW = "no_show"



class MessageCreate(msgspec.Struct, forbid_unknown_fields=True):
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SUBJECT), SINGLE_LINE]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY), MULTI_LINE]
    audience: Audience
    #: Hybrid events only: the people in the room, or those online (None: both).
    attendance_mode: AttendanceMode | None = None


class MessageQueued(msgspec.Struct):
    """202: `queued` emails written by this request (0 when it repeats an earlier one with the
    same Idempotency-Key: `replayed`); `recipients` of the message in all."""

    id: int
    queued: int
    recipients: int
    replayed: bool = False


class MessageOut(msgspec.Struct):
    id: int
    subject: str
    body: str
    audience: Audience
    attendance_mode: AttendanceMode | None
    recipients: int
    created_at: datetime
    sent_by: int | None


class RecipientCount(msgspec.Struct):
    audience: Audience
    attendance_mode: AttendanceMode | None
    recipients: int


class PreviewText(msgspec.Struct):
    subject: str
    text: str
    html: str


class MessagePreview(msgspec.Struct):
    """What the recipients would get, per language, and how many they would be."""

    recipients: int
    previews: dict[str, PreviewText]
