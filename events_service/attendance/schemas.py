from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from events_service.attendance.parsers import LeftOutReason
from events_service.events.schemas import Url
from events_service.registrations.schemas import CompanyRef, Email, Language, PersonName
from events_service.validation import SCANNED_CODE

ReportPlatform = Literal["zoom", "teams", "webex", "auto"]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]


class CheckinRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=300, description="the QR code's content, or the manage token"), SCANNED_CODE]


class CheckinResult(msgspec.Struct):
    registration_id: int
    event_id: int
    already_checked_in: bool
    checked_in_at: datetime
    checked_in_by: int | None
    first_name: str
    last_name: str
    company: str | None
    attendance_mode: str
    walk_in: bool
    #: Set when the code was an expert meeting's: the meeting is marked held (not the person
    #: checked in); already_checked_in/checked_in_at then tell of the meeting.
    meeting_id: int | None = None


class WalkInCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    first_name: PersonName
    last_name: PersonName
    company: CompanyRef
    language: Language | None = None


class WalkInResult(msgspec.Struct):
    """`outcome`: "created" (a new walk-in registration), "admitted" (a waitlisted or cancelled
    registration confirmed at the door) or "registered" (they had a seat: simply checked in)."""

    outcome: Literal["created", "admitted", "registered"]
    checkin: CheckinResult


@dataclass
class AttendanceUpload:
    """The multipart form of a platform report upload."""

    file: UploadFile
    platform: ReportPlatform = "auto"


class UnmatchedParticipant(msgspec.Struct):
    name: str
    email: str | None
    minutes: int
    host: bool = False  # the meeting's host ("(Host)" in Zoom, Organizer in Teams)


class LeftOutRows(msgspec.Struct):
    """Rows of a report that were read but add no minutes, and why: `waiting_room`,
    `zero_length` (a reconnect that joined and left at once), `not_attended` (a webinar
    registrant who never came), `staff` (the webinar's host and panelists) or `outside_event`
    (another day of a recurring meeting, or outside the event's hours: `days` lists them)."""

    reason: LeftOutReason
    rows: int
    days: list[str] = []


class AttendanceImportResult(msgspec.Struct):
    platform: str
    rows: int  # data rows of the report that were read
    participants: int  # distinct people in the report
    matched: int  # participants linked to a registration of this event
    unmatched: list[UnmatchedParticipant]
    # registrations of this event that count as attended once this report is in
    attended: int
    intervals_added: int  # 0 when the same report is imported again
    threshold_percent: int
    errors: list[str]  # "line N: why" for rows that could not be used
    left_out: list[LeftOutRows] = []  # rows read that add no minutes, by reason


class FollowUpPatch(msgspec.Struct, forbid_unknown_fields=True):
    recording_url: Url | None | msgspec.UnsetType = msgspec.UNSET
    slides_url: Url | None | msgspec.UnsetType = msgspec.UNSET
    attendance_threshold_percent: Percent | msgspec.UnsetType = msgspec.UNSET


class FollowUpOut(msgspec.Struct):
    event_id: int
    recording_url: str | None
    slides_url: str | None
    attendance_threshold_percent: int
    follow_up_sent_at: datetime | None


class FinaliseResult(msgspec.Struct):
    event_id: int
    attended: int
    no_show: int  # confirmed and not attended
    thank_you_queued: int
    missed_you_queued: int
    follow_up_sent_at: datetime | None
