"""`events-service worker --once`, configured only through the environment (EVENTS_ZOOM_*),
pulls an event that ended an hour ago from the Zoom stand-in, and writes no secret to its
output; a second run pulls nothing more."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from events_service.attendance.tables import AttendanceInterval, AttendancePull
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.attendance.platform_standin import SECRETS, running_standin
from tests.attendance.pull_data import ZOOM_MEETING_ID, ZOOM_ROWS
from tests.attendance.support import ZOOM_PEOPLE, move_event, register, talk
from tests.attendance.test_import import ZOOM_EXPECTED
from tests.serving import CHECKOUT_CLI, server_env

# The sample meeting ran 16:00-17:30 UTC on 2026-11-24; here it is moved to have ended an hour ago.
SAMPLE_START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def _moved(rows: list[dict[str, Any]], delta: timedelta) -> list[dict[str, Any]]:
    def shift(text: str) -> str:
        return (datetime.fromisoformat(text) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [row | {"join_time": shift(row["join_time"]), "leave_time": shift(row["leave_time"])} for row in rows]


def _worker_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CHECKOUT_CLI, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_the_worker_process_pulls_with_credentials_from_the_environment(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    starts = (datetime.now(UTC) - timedelta(hours=2, minutes=30)).replace(second=0, microsecond=0)
    event = await talk(client, organiser, title="AI generativa per le PMI", online_meeting={"platform": "zoom", "meeting_id": "812 3456 7890"})
    for email, first, last, company in ZOOM_PEOPLE:
        await register(client, event["id"], email, first, last, company)
    await move_event(event["id"], starts, starts + timedelta(minutes=90))
    with running_standin() as standin:
        standin.zoom_meetings[ZOOM_MEETING_ID] = _moved(ZOOM_ROWS, starts - SAMPLE_START)
        standin.zoom_page_cap = 5
        env = {
            **server_env(settings, tmp_path / "var"),
            "PATH": "/usr/bin:/bin",
            "EVENTS_LOG_FORMAT": "text",
            **{name: value for name, value in (
                ("EVENTS_ZOOM_ACCOUNT_ID", standin.zoom_settings()["zoom_account_id"]),
                ("EVENTS_ZOOM_CLIENT_ID", standin.zoom_settings()["zoom_client_id"]),
                ("EVENTS_ZOOM_CLIENT_SECRET", standin.zoom_settings()["zoom_client_secret"]),
                ("EVENTS_ZOOM_API_URL", standin.zoom_settings()["zoom_api_url"]),
                ("EVENTS_ZOOM_OAUTH_URL", standin.zoom_settings()["zoom_oauth_url"]),
            )},
        }
        first = await asyncio.to_thread(_worker_once, env)
        assert first.returncode == 0, first.stderr
        second = await asyncio.to_thread(_worker_once, env)
        assert second.returncode == 0, second.stderr
        assert len(standin.token_requests("zoom")) == 1  # the second run asked Zoom nothing
        assert len(standin.api_requests("zoom")) == 3  # 13 rows, 5 a page
        issued = list(standin.issued)
    rows = await Registration.select(
        Registration.contact.email.as_alias("email"), Registration.attended, Registration.minutes_attended, Registration.attendance_source
    ).where(Registration.event == event["id"])
    assert {row["email"]: (row["attended"], row["minutes_attended"], row["attendance_source"]) for row in rows} == ZOOM_EXPECTED
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event["id"]) == 12
    assert (await AttendancePull.select(AttendancePull.status).where(AttendancePull.event == event["id"]).first())["status"] == "done"
    output = first.stdout + first.stderr + second.stdout + second.stderr
    for secret in (*SECRETS, *issued):
        assert secret not in output
