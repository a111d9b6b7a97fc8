"""A Microsoft Teams meeting's attendance, through Microsoft Graph.

- Token: client credentials, `POST {login}/{tenant}/oauth2/v2.0/token` with the form
  `client_id, client_secret, scope=https://graph.microsoft.com/.default, grant_type=client_credentials`
  -> `{token_type, expires_in, ext_expires_in, access_token}`.
- Reports: `GET {api}/users/{organizer}/onlineMeetings/{meeting}/attendanceReports` ->
  `{value: [{id, totalParticipantCount, meetingStartDateTime, meetingEndDateTime}]}`, one per
  occurrence of the meeting (a recurring meeting has several: only those that overlap the
  event are read).
- Records: `GET …/attendanceReports/{report}/attendanceRecords` -> `{value: [{emailAddress,
  totalAttendanceInSeconds, role, identity: {id, displayName, tenantId}, attendanceIntervals:
  [{joinDateTime, leaveDateTime, durationInSeconds}]}], @odata.nextLink?}`; the next page is
  at `@odata.nextLink` until there is none. Times are UTC with up to seven decimals
  (`2021-10-05T04:38:27.6027225Z`); they are cut to the second, as the Teams report file
  writes them, so a pull and a file import of one meeting store the same intervals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from events_service.attendance.parsers import ApiSession
from events_service.attendance.platform_api import (
    MeetingNotFound,
    PlatformClient,
    PlatformUnavailable,
)

SCOPE = "https://graph.microsoft.com/.default"
#: A meeting with more pages of records than this is not a webinar of ours: stop.
MAX_PAGES = 200


class GraphClient(PlatformClient):
    def token_request(self) -> httpx.Request:
        return self.http.build_request(
            "POST",
            self.api.token_url,
            data={
                "client_id": self.api.client_id,
                "client_secret": self.api.client_secret,
                "scope": SCOPE,
                "grant_type": "client_credentials",
            },
            headers={"Accept": "application/json"},
        )

    async def sessions(self, organizer_id: str, meeting_id: str, starts: datetime, ends: datetime) -> tuple[list[ApiSession], list[str]]:
        """The sessions (attendance intervals: the rows of the Teams file's "In-Meeting
        Activities") of every attendance report of the meeting that overlaps [starts, ends]
        (with REPORT_SLACK either side), and the records that could not be used."""
        base = f"{self.api.api_url}/users/{quote(organizer_id, safe='')}/onlineMeetings/{quote(meeting_id, safe='')}/attendanceReports"
        what = f"Teams meeting {meeting_id[:24]}…" if len(meeting_id) > 24 else f"Teams meeting {meeting_id}"
        reports = await self._all(base, what=what)
        chosen = [report for report in reports if _overlaps(report, starts, ends)]
        if not chosen:
            raise MeetingNotFound(f"Microsoft Graph has no attendance report of {what} for the event's day yet")
        records: list[dict[str, Any]] = []
        for report in chosen:
            records += await self._all(f"{base}/{quote(str(report.get('id', '')), safe='')}/attendanceRecords", what=what)
        return sessions_from_records(records)

    async def _all(self, url: str, *, what: str) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            page = await self.get_json(next_url, what=what)
            value = page.get("value")
            if not isinstance(value, list):
                raise PlatformUnavailable(f"Microsoft Graph answered {what} without a value list")
            items.extend(item for item in value if isinstance(item, dict))
            link = page.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return items
            if link in seen:
                raise PlatformUnavailable(f"Microsoft Graph repeated a page of {what}")
            seen.add(link)
            next_url = link
        raise PlatformUnavailable(f"Microsoft Graph lists more than {MAX_PAGES} pages for {what}")


#: A report that starts or ends this close to the event is the event's (as for report files).
REPORT_SLACK = timedelta(hours=12)


def _overlaps(report: dict[str, Any], starts: datetime, ends: datetime) -> bool:
    began, ended = _moment(report.get("meetingStartDateTime")), _moment(report.get("meetingEndDateTime"))
    if began is None or ended is None:
        return True  # undated: let the report's own times decide (merge_report checks the day)
    return began <= ends + REPORT_SLACK and ended >= starts - REPORT_SLACK


def sessions_from_records(records: Iterable[dict[str, Any]]) -> tuple[list[ApiSession], list[str]]:
    sessions: list[ApiSession] = []
    errors: list[str] = []
    for number, record in enumerate(records, start=1):
        identity = record.get("identity") if isinstance(record.get("identity"), dict) else {}
        name = str(identity.get("displayName") or "").strip()
        email = str(record.get("emailAddress") or "").strip() or None
        role = str(record.get("role") or "")
        intervals = record.get("attendanceIntervals")
        if not isinstance(intervals, list):
            errors.append(f"record {number}: no attendance intervals")
            continue
        for interval in intervals:
            joined = _moment(interval.get("joinDateTime")) if isinstance(interval, dict) else None
            left = _moment(interval.get("leaveDateTime")) if isinstance(interval, dict) else None
            if joined is None or left is None:
                errors.append(f"record {number}: an interval without join or leave time")
            elif left < joined:
                errors.append(f"record {number}: an interval that ends before it starts")
            else:
                sessions.append(ApiSession(name, email, joined, left, role=role))
    return sessions, errors


def _moment(value: Any) -> datetime | None:
    """An aware UTC time cut to the second (Graph writes up to seven decimals)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(microsecond=0) if moment.tzinfo is not None else None
