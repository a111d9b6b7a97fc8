"""An event's webinar on a platform (Zoom, Microsoft Teams, Webex): which platform, which
meeting, and whose meeting it is, so that attendance can be pulled from the platform's API
(attendance/pull.py) instead of uploading the report file.

The organisers' business only: shown in the organiser's view of an event (EventOut), never on
public pages, feeds or emails. Stored in three columns of the event row (`meeting_platform`,
`meeting_id`, `meeting_organizer_id`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import msgspec


class MeetingPlatform(StrEnum):
    ZOOM = "zoom"
    TEAMS = "teams"
    WEBEX = "webex"


# The ids go into a URL path of the platform's API (quoted there as well): letters, digits and
# the few signs their ids use (base64 of Zoom's meeting UUIDs and Graph's onlineMeeting ids).
MeetingId = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\A[A-Za-z0-9+/=_*. -]+\Z")]
# A Microsoft Entra user object id (a GUID) or a user principal name (an address).
OrganizerId = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\A[A-Za-z0-9._@+-]+\Z")]

# Zoom: the meeting number people type ("812 3456 7890", 9 to 12 digits), or the UUID of one
# past instance of a recurring meeting ("4444AAAiAAAAAiAiAiiAii==").
_ZOOM_NUMBER = re.compile(r"\A[0-9][0-9 -]{7,18}[0-9]\Z")
_ZOOM_UUID = re.compile(r"\A[A-Za-z0-9+/]{22}==\Z")


class OnlineMeeting(msgspec.Struct, forbid_unknown_fields=True):
    """`{platform, meeting_id, organizer_id?}`. Teams needs `organizer_id`: Microsoft Graph
    reads a meeting's attendance only under its organiser (/users/{organizer_id}/onlineMeetings)."""

    platform: MeetingPlatform
    meeting_id: MeetingId
    organizer_id: OrganizerId | None = None

    def __post_init__(self) -> None:
        # A ValueError here is a 422 naming the field (msgspec turns it into a ValidationError).
        self.meeting_id = self.meeting_id.strip()
        if self.platform is MeetingPlatform.ZOOM:
            self.meeting_id = zoom_meeting_id(self.meeting_id)
        elif " " in self.meeting_id:
            raise ValueError("meeting_id: a Teams or Webex meeting id has no spaces")
        if self.platform is MeetingPlatform.TEAMS and not self.organizer_id:
            raise ValueError("organizer_id: a Teams meeting needs its organiser's user id (Microsoft Entra object id or address)")


def zoom_meeting_id(text: str) -> str:
    """The digits of a Zoom meeting number ("812 3456 7890" -> "81234567890"), or a meeting UUID as it is."""
    if _ZOOM_UUID.match(text):
        return text
    if _ZOOM_NUMBER.match(text):
        digits = re.sub(r"[ -]", "", text)
        if 9 <= len(digits) <= 12:
            return digits
    raise ValueError("meeting_id: a Zoom meeting id is its number (9 to 12 digits) or a meeting UUID")


def meeting_columns(meeting: OnlineMeeting | None) -> dict[str, Any]:
    """The event row's columns for an online meeting (all None: no meeting)."""
    return {
        "meeting_platform": meeting.platform.value if meeting else None,
        "meeting_id": meeting.meeting_id if meeting else None,
        "meeting_organizer_id": meeting.organizer_id if meeting else None,
    }


def meeting_from_columns(platform: str | None, meeting_id: str | None, organizer_id: str | None) -> OnlineMeeting | None:
    if not (platform and meeting_id):
        return None
    return OnlineMeeting(platform=MeetingPlatform(platform), meeting_id=meeting_id, organizer_id=organizer_id)


def allows_online_meeting(mode: str) -> bool:
    """Only an event with an online part has a webinar to pull attendance from."""
    return mode in ("online", "hybrid")
