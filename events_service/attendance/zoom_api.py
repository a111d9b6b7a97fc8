"""Zoom's participant report of a past meeting or webinar, through its REST API.

- Token: Server-to-Server OAuth, `POST {oauth}/oauth/token?grant_type=account_credentials&account_id=…`
  with HTTP basic auth (client id, client secret) -> `{access_token, token_type, expires_in, scope}`.
- Participants: `GET {api}/report/meetings/{id}/participants?page_size=300[&next_page_token=…]`
  (a webinar: `/report/webinars/{id}/participants`) -> `{page_count, page_size, total_records,
  next_page_token, participants: [{id, user_id, name, user_email, join_time, leave_time,
  duration, status, …}]}`; one row per session (a reconnect is a new row), times in UTC
  (`2026-11-24T15:55:00Z`), `status` "in_waiting_room" for time in the waiting room, which is
  not presence; `next_page_token` is empty on the last page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from events_service.attendance.parsers import ApiSession
from events_service.attendance.platform_api import (
    MeetingNotFound,
    PlatformClient,
    PlatformUnavailable,
    basic_auth,
)

PAGE_SIZE = 300  # Zoom's largest page
#: A report longer than this many pages (300 rows each) is not a webinar of ours: stop.
MAX_PAGES = 200


class ZoomClient(PlatformClient):
    def token_request(self) -> httpx.Request:
        return self.http.build_request(
            "POST",
            self.api.token_url,
            params={"grant_type": "account_credentials", "account_id": self.api.account},
            headers={"Authorization": basic_auth(self.api.client_id, self.api.client_secret), "Accept": "application/json"},
        )

    async def sessions(self, meeting_id: str) -> tuple[list[ApiSession], list[str]]:
        """Every row of the meeting's participant report (a meeting, else a webinar with that
        id) as a session, and the rows that could not be used."""
        try:
            rows = await self._rows("meetings", meeting_id)
        except MeetingNotFound:
            rows = await self._rows("webinars", meeting_id)
        return sessions_from_rows(rows)

    async def _rows(self, kind: str, meeting_id: str) -> list[dict[str, Any]]:
        url = f"{self.api.api_url}/report/{kind}/{path_id(meeting_id)}/participants"
        what = f"{kind[:-1]} {meeting_id}"
        rows: list[dict[str, Any]] = []
        token = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"page_size": PAGE_SIZE}
            if token:
                params["next_page_token"] = token
            page = await self.get_json(url, params, what=what)
            participants = page.get("participants")
            if not isinstance(participants, list):
                raise PlatformUnavailable(f"Zoom answered the report of {what} without a participants list")
            rows.extend(row for row in participants if isinstance(row, dict))
            token = page.get("next_page_token") or ""
            if not isinstance(token, str) or not token:
                return rows
            if token in seen:  # the same page again: a loop, not more rows
                raise PlatformUnavailable(f"Zoom repeated a page of the report of {what}")
            seen.add(token)
        raise PlatformUnavailable(f"Zoom's report of {what} has more than {MAX_PAGES} pages")


def path_id(meeting_id: str) -> str:
    """A meeting id as a path segment; a UUID that starts with "/" or holds "//" is encoded
    twice, as Zoom's documentation asks."""
    once = quote(meeting_id, safe="")
    if meeting_id.startswith("/") or "//" in meeting_id:
        return quote(once, safe="")
    return once


def sessions_from_rows(rows: Iterable[dict[str, Any]]) -> tuple[list[ApiSession], list[str]]:
    sessions: list[ApiSession] = []
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        email = str(row.get("user_email") or "").strip() or None
        joined, left = _moment(row.get("join_time")), _moment(row.get("leave_time"))
        if joined is None or left is None:
            errors.append(f"record {number}: no join or leave time")
        elif left < joined:
            errors.append(f"record {number}: leaves before joining")
        else:
            # Waiting to be let in is not attending: kept to be counted as left out.
            sessions.append(ApiSession(name, email, joined, left, waiting_room=row.get("status") == "in_waiting_room"))
    return sessions, errors


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
