"""Pulling a webinar's attendance from its platform's API instead of uploading the report file:
by hand (`POST /api/events/{id}/attendance-pull`) or by the worker on its own once the event
has ended (attendance/background.py).

What is pulled goes through the same path as a file import (service.merge_report), so a pull
twice is a pull once, and a file import and a pull of the same meeting give the same
attendance. Zoom and Microsoft Teams (through Microsoft Graph) can be pulled; a platform
without credentials on this server, or Webex, answers 409 with the reason.

The worker pulls each event once: PULL_DELAY after its end (the platforms finish their
reports a little after the meeting), within PULL_WINDOW, when its platform is configured.
A failure of the platform (unreachable, 5xx, rate limits, the report not ready yet) is tried
again later (RETRY_DELAYS); after the last try the pull is `failed` and an organiser can
still pull by hand or import the file. Its state is one AttendancePull row per event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from events_service.attendance.graph_api import GraphClient
from events_service.attendance.parsers import ApiSession, ParsedReport, report_from_sessions
from events_service.attendance.platform_api import PlatformError, PlatformNotConfigured, http_client
from events_service.attendance.schemas import AttendanceImportResult
from events_service.attendance.service import AttendanceConflict, merge_report
from events_service.attendance.tables import AttendancePull, PullStatus
from events_service.attendance.zoom_api import ZoomClient
from events_service.clock import now_utc
from events_service.db import with_retry, write_transaction
from events_service.errors import DomainError
from events_service.events.online_meeting import MeetingPlatform, OnlineMeeting
from events_service.events.queries import event_row
from events_service.events.records import EventRecord, EventStatus
from events_service.events.tables import Event
from events_service.settings import PlatformApi, Settings

log = logging.getLogger(__name__)

PULL_DELAY = timedelta(minutes=30)
#: Events that ended longer ago are left alone (a first deployment does not pull last year).
PULL_WINDOW = timedelta(days=7)
#: The waits before the 2nd, 3rd, … attempt; after the last one the pull is `failed`.
RETRY_DELAYS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3), timedelta(hours=8), timedelta(hours=24))
#: A worker's claim on a pull; a worker that dies mid-pull frees it when this runs out.
CLAIM = timedelta(minutes=10)


# ---------------------------------------------------------------- fetching


def _api(platform: MeetingPlatform, settings: Settings) -> PlatformApi:
    if platform is MeetingPlatform.ZOOM:
        if settings.zoom_api is None:
            raise PlatformNotConfigured("Zoom is not configured on this server (EVENTS_ZOOM_ACCOUNT_ID, EVENTS_ZOOM_CLIENT_ID, EVENTS_ZOOM_CLIENT_SECRET); import the report file instead")
        return settings.zoom_api
    if platform is MeetingPlatform.TEAMS:
        if settings.graph_api is None:
            raise PlatformNotConfigured("Microsoft Graph is not configured on this server (EVENTS_GRAPH_TENANT_ID, EVENTS_GRAPH_CLIENT_ID, EVENTS_GRAPH_CLIENT_SECRET); import the report file instead")
        return settings.graph_api
    raise PlatformNotConfigured(f"attendance cannot be pulled from {platform.value.title()}; import its report file instead")


def pullable_platforms(settings: Settings) -> list[str]:
    """The platforms this server has credentials for."""
    return [
        platform.value
        for platform, api in ((MeetingPlatform.ZOOM, settings.zoom_api), (MeetingPlatform.TEAMS, settings.graph_api))
        if api is not None
    ]


async def fetch_report(event: EventRecord, meeting: OnlineMeeting, settings: Settings) -> ParsedReport:
    """The meeting's participants as its platform's API lists them, grouped as a report file
    of that platform would be."""
    api = _api(meeting.platform, settings)
    sessions: list[ApiSession]
    async with http_client(api) as http:
        if meeting.platform is MeetingPlatform.ZOOM:
            sessions, errors = await ZoomClient(api, http).sessions(meeting.meeting_id)
        else:
            graph = GraphClient(api, http)
            sessions, errors = await graph.sessions(meeting.organizer_id or "", meeting.meeting_id, event.starts_at, event.ends_at)
    return report_from_sessions(meeting.platform.value, sessions, errors)


def _pullable(event: EventRecord, now: datetime) -> OnlineMeeting:
    if event.status != EventStatus.PUBLISHED:
        raise AttendanceConflict(f"a {event.status} event has no attendance to pull")
    meeting = event.online_meeting
    if meeting is None:
        raise AttendanceConflict(
            "this event has no online meeting to pull attendance from: set its online_meeting {platform, meeting_id}",
            code="no_online_meeting",
        )
    if event.ends_at > now:
        raise AttendanceConflict(f"the event has not ended yet (it ends {event.ends_at:%Y-%m-%d %H:%M} UTC)", code="event_not_ended")
    return meeting


async def _pull(event: EventRecord, settings: Settings, now: datetime) -> AttendanceImportResult:
    meeting = _pullable(event, now)
    report = await fetch_report(event, meeting, settings)
    return await merge_report(event.id, report)


async def pull_attendance(event_id: int, settings: Settings, now: datetime | None = None) -> AttendanceImportResult:
    """Pull the event's attendance now (an organiser's request): the answer of a file import.
    The worker will not pull this event again afterwards."""
    moment = now or now_utc()
    event = await event_row(event_id)
    result = await _pull(event, settings, moment)
    await _settle(event_id, {AttendancePull.status: PullStatus.DONE.value, AttendancePull.pulled_at: moment, AttendancePull.last_error: None})
    return result


# ---------------------------------------------------------------- the worker's pulls


async def _settle(event_id: int, values: dict[Any, Any]) -> None:
    async def write() -> None:
        async with write_transaction():
            await AttendancePull.insert(AttendancePull(event=event_id)).on_conflict(action="DO NOTHING")
            await AttendancePull.update({**values, AttendancePull.claimed_until: None}).where(AttendancePull.event == event_id)

    await with_retry(write)


async def _claim(event_id: int, now: datetime) -> int | None:
    """Take the event's pull for this worker: its attempt number, or None when it is done,
    failed, not due yet or another worker has it. One conditional UPDATE decides."""

    async def claim() -> int | None:
        async with write_transaction():
            await AttendancePull.insert(AttendancePull(event=event_id)).on_conflict(action="DO NOTHING")
            taken = await (
                AttendancePull.update({AttendancePull.claimed_until: now + CLAIM, AttendancePull.attempts: AttendancePull.attempts + 1})
                .where(
                    (AttendancePull.event == event_id)
                    & (AttendancePull.status == PullStatus.PENDING.value)
                    & (AttendancePull.next_attempt_at.is_null() | (AttendancePull.next_attempt_at <= now))
                    & (AttendancePull.claimed_until.is_null() | (AttendancePull.claimed_until < now))
                )
                .returning(AttendancePull.attempts)
            )
            return taken[0]["attempts"] if taken else None

    return await with_retry(claim)


async def _failed(event_id: int, attempt: int, reason: str, now: datetime, *, transient: bool) -> None:
    if transient and attempt <= len(RETRY_DELAYS):
        values = {AttendancePull.next_attempt_at: now + RETRY_DELAYS[attempt - 1]}
    else:
        values = {AttendancePull.status: PullStatus.FAILED.value}
    await _settle(event_id, {**values, AttendancePull.last_error: reason[:500]})


async def pull_ended_events(settings: Settings, now: datetime | None = None) -> int:
    """The worker's periodic step: pull every published event with an online meeting on a
    configured platform that ended between PULL_WINDOW and PULL_DELAY ago and has not been
    pulled yet. Safe in several workers at once (the claim). Returns how many were pulled."""
    moment = now or now_utc()
    platforms = pullable_platforms(settings)
    if not platforms:
        return 0
    due = await Event.select(Event.id).where(
        (Event.status == EventStatus.PUBLISHED)
        & Event.meeting_platform.is_in(platforms)
        & (Event.ends_at <= moment - PULL_DELAY)
        & (Event.ends_at > moment - PULL_WINDOW)
    ).order_by(Event.ends_at)
    done = await AttendancePull.select(AttendancePull.event).where(
        AttendancePull.event.is_in([row["id"] for row in due] or [0]) & (AttendancePull.status != PullStatus.PENDING.value)
    )
    settled = {row["event"] for row in done}
    pulled = 0
    for row in due:
        if row["id"] not in settled and await _pull_one(row["id"], settings, moment):
            pulled += 1
    return pulled


async def _pull_one(event_id: int, settings: Settings, now: datetime) -> bool:
    attempt = await _claim(event_id, now)
    if attempt is None:
        return False
    try:
        await _pull(await event_row(event_id), settings, now)
    except PlatformError as error:  # the platform's trouble: try again later
        log.warning("pulling the attendance of event %s failed (attempt %s): %s", event_id, attempt, error.detail)
        await _failed(event_id, attempt, error.detail, now, transient=True)
        return False
    except DomainError as error:  # the event's own state (not published, another day): for good
        log.warning("the attendance of event %s cannot be pulled: %s", event_id, error.detail)
        await _failed(event_id, attempt, error.detail, now, transient=False)
        return False
    except Exception as error:
        log.exception("pulling the attendance of event %s failed unexpectedly", event_id)
        await _failed(event_id, attempt, f"unexpected {type(error).__name__}", now, transient=True)
        return False
    await _settle(event_id, {AttendancePull.status: PullStatus.DONE.value, AttendancePull.pulled_at: now, AttendancePull.last_error: None})
    return True
