"""What Zoom's and Graph's APIs say about the two meetings whose report files are in tests/data/:
zoom_participants.csv (meeting 812 3456 7890) and teams_attendance.csv, row for row, in the
APIs' own shapes (UTC times; the files write Europe/Rome local time, UTC+1 in November).
"""

from __future__ import annotations

import secrets
from typing import Any

ZOOM_MEETING_ID = "81234567890"
TEAMS_ORGANIZER = "0b6f0c6e-5b0e-4c5e-9d1e-6b2f4a9c7d11"
TEAMS_MEETING_ID = "MSowYjZmMGM2ZS01YjBlLTRjNWUtOWQxZS02YjJmNGE5YzdkMTEqMCoqMTk6bWVldGluZ19OVGN5TWpJeU1UY3RPR0U0TnkwME5ERXdMV0ZoTVRndE5UazFaRGxpWVdJMk9UWTNAdGhyZWFkLnYy"


def _zoom_row(name: str, email: str, joined: str, left: str, duration_seconds: int, status: str = "in_meeting") -> dict[str, Any]:
    """One row of GET /report/meetings/{id}/participants, every documented field."""
    return {
        "id": secrets.token_urlsafe(16) if email else "",
        "user_id": str(16778240 + len(name)),
        "name": name,
        "user_email": email,
        "join_time": joined,
        "leave_time": left,
        "duration": duration_seconds,
        "registrant_id": "",
        "failover": False,
        "status": status,
        "customer_key": "",
        "participant_user_id": secrets.token_urlsafe(16) if email else "",
        "bo_mtg_id": "",
    }


# zoom_participants.csv, row by row (Anna's first row is her time in the waiting room).
ZOOM_ROWS = [
    _zoom_row("Giulia Ferri", "giulia.ferri@innovazione-pmi.it", "2026-11-24T15:52:10Z", "2026-11-24T17:31:44Z", 5974),
    _zoom_row("Anna Keller", "anna.keller@keller-praezision.ch", "2026-11-24T15:55:00Z", "2026-11-24T16:01:10Z", 370, "in_waiting_room"),
    _zoom_row("Anna Keller", "anna.keller@keller-praezision.ch", "2026-11-24T16:01:10Z", "2026-11-24T17:30:00Z", 5330),
    _zoom_row("Niccolò B.", "niccolo.bernasconi@bernasconi-meccanica.ch", "2026-11-24T15:58:03Z", "2026-11-24T16:40:15Z", 2532),
    _zoom_row("Zoë Müller", "Zoe.Mueller@Mueller-Textil.ch", "2026-11-24T16:05:30Z", "2026-11-24T16:40:00Z", 2070),
    _zoom_row("Marco Rossi", "", "2026-11-24T16:10:00Z", "2026-11-24T16:35:00Z", 1500),
    _zoom_row("Niccolò B.", "niccolo.bernasconi@bernasconi-meccanica.ch", "2026-11-24T16:39:50Z", "2026-11-24T17:30:02Z", 3012),
    _zoom_row("Zoë M.", "zoe.mueller@mueller-textil.ch", "2026-11-24T16:40:30Z", "2026-11-24T17:12:45Z", 1935),
    _zoom_row("Luca Bianchi", "luca.bianchi@officine-bianchi.it", "2026-11-24T16:00:00Z", "2026-11-24T16:20:00Z", 1200),
    _zoom_row("Luca Bianchi", "luca.bianchi@officine-bianchi.it", "2026-11-24T16:25:00Z", "2026-11-24T17:00:00Z", 2100),
    _zoom_row("Luca Bianchi", "luca.bianchi@officine-bianchi.it", "2026-11-24T16:30:00Z", "2026-11-24T16:45:00Z", 900),
    _zoom_row("marco  rossi", "", "2026-11-24T16:50:20Z", "2026-11-24T17:20:20Z", 1800),
    _zoom_row("Ferrari, Elena", "elena.ferrari@ferrari-packaging.it", "2026-11-24T16:02:00Z", "2026-11-24T17:29:30Z", 5250),
]


def _interval(joined: str, left: str, seconds: int) -> dict[str, Any]:
    # Graph writes seven decimals; the Teams file the same moments to the second.
    return {"joinDateTime": joined.replace("Z", ".4170000Z"), "leaveDateTime": left.replace("Z", ".6027225Z"), "durationInSeconds": seconds}


def _record(name: str, email: str | None, role: str, *intervals: dict[str, Any]) -> dict[str, Any]:
    """One attendanceRecord as GET …/attendanceRecords lists it."""
    return {
        "id": secrets.token_hex(8),
        "emailAddress": email,
        "totalAttendanceInSeconds": sum(i["durationInSeconds"] for i in intervals),
        "role": role,
        "identity": {"id": secrets.token_hex(8) if email else None, "displayName": name, "tenantId": None},
        "attendanceIntervals": list(intervals),
    }


# teams_attendance.csv's "In-Meeting Activities", as records with their intervals.
TEAMS_RECORDS = [
    _record("Federica Moretti", "federica.moretti@innovazione-pmi.it", "Organizer", _interval("2026-11-24T15:58:40Z", "2026-11-24T17:31:12Z", 5552)),
    _record(
        "Jürg Schäfer", "juerg.schaefer@schaefer-automation.ch", "Attendee",
        _interval("2026-11-24T16:01:05Z", "2026-11-24T16:32:40Z", 1895),
        _interval("2026-11-24T16:35:00Z", "2026-11-24T17:30:00Z", 3300),
    ),
    _record(
        "Élodie Favre", "elodie.favre@favre-horlogerie.ch", "Attendee",
        _interval("2026-11-24T16:00:00Z", "2026-11-24T17:00:00Z", 3600),
        _interval("2026-11-24T16:45:00Z", "2026-11-24T17:15:00Z", 1800),
    ),
    _record("Silvia Ricci", "silvia.ricci@ricci-logistica.it", "Presenter", _interval("2026-11-24T16:03:20Z", "2026-11-24T17:29:59Z", 5199)),
    _record("Tommaso Greco (Guest)", None, "Attendee", _interval("2026-11-24T16:10:00Z", "2026-11-24T16:40:30Z", 1830)),
]

TEAMS_REPORT = {
    "id": "c9b6db1c-d5eb-427d-a5c0-20088d9b22d7",
    "totalParticipantCount": 5,
    "meetingStartDateTime": "2026-11-24T15:58:40.2340000Z",
    "meetingEndDateTime": "2026-11-24T17:31:12.1010000Z",
}
# The same recurring meeting a week earlier: not the event's, never read.
TEAMS_EARLIER_REPORT = {
    "id": "1e5a7c33-8f0d-4b8e-a4de-2a6c1f3b9e07",
    "totalParticipantCount": 1,
    "meetingStartDateTime": "2026-11-17T15:58:00.0000000Z",
    "meetingEndDateTime": "2026-11-17T17:30:00.0000000Z",
}
TEAMS_EARLIER_RECORDS = [
    _record("Jürg Schäfer", "juerg.schaefer@schaefer-automation.ch", "Attendee", _interval("2026-11-17T16:00:00Z", "2026-11-17T17:30:00Z", 5400)),
]
