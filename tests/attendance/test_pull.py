"""Pulling webinar attendance from Zoom's and Microsoft Graph's APIs (a local stand-in that
answers as their documentation says: tests/attendance/platform_standin.py), by hand and by the
worker; the same meeting through its report file and through a pull gives the same attendance.

The meetings are those of the sample files (tests/data/zoom_participants.csv and
teams_attendance.csv), as the APIs describe them (tests/attendance/pull_data.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from events_service.attendance.platform_api import forget_tokens
from events_service.attendance.pull import (
    PULL_DELAY,
    RETRY_DELAYS,
    pull_attendance,
    pull_ended_events,
)
from events_service.attendance.tables import AttendanceInterval, AttendancePull
from events_service.audit.actor import REGISTRANT, set_actor
from events_service.audit.tables import AuditEntry
from events_service.errors import DomainError
from events_service.events.tables import Event
from events_service.jobs import PeriodicJob
from events_service.mail.transport import FileTransport
from events_service.registrations.tables import Registration
from events_service.settings import Settings, SettingsError
from events_service.worker import PERIODIC_JOBS, Worker
from tests.attendance.platform_standin import SECRETS, StandIn, running_standin
from tests.attendance.pull_data import (
    TEAMS_EARLIER_RECORDS,
    TEAMS_EARLIER_REPORT,
    TEAMS_MEETING_ID,
    TEAMS_ORGANIZER,
    TEAMS_RECORDS,
    TEAMS_REPORT,
    ZOOM_MEETING_ID,
    ZOOM_ROWS,
)
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    checkin_code,
    load,
    move_event,
    register,
    talk,
    upload,
)
from tests.attendance.test_import import ZOOM_EXPECTED
from tests.conftest import token_headers
from tests.factories import partita_iva, published_event, swiss_uid

ZOOM_MEETING = {"platform": "zoom", "meeting_id": "812 3456 7890"}
TEAMS_MEETING = {"platform": "teams", "meeting_id": TEAMS_MEETING_ID, "organizer_id": TEAMS_ORGANIZER}
AFTER = TALK_ENDS + PULL_DELAY + timedelta(minutes=1)  # when the worker pulls the sample meetings



@pytest.fixture
def standin() -> Iterator[StandIn]:
    forget_tokens()  # tokens are cached per process: each test starts signed out
    with running_standin() as server:
        server.zoom_meetings[ZOOM_MEETING_ID] = ZOOM_ROWS
        server.graph_meetings[(TEAMS_ORGANIZER, TEAMS_MEETING_ID)] = [
            {"report": TEAMS_EARLIER_REPORT, "records": TEAMS_EARLIER_RECORDS},
            {"report": TEAMS_REPORT, "records": TEAMS_RECORDS},
        ]
        server.zoom_page_cap = 4  # 13 rows: 4 pages
        server.graph_page_size = 2  # 5 records: 3 pages
        yield server
    forget_tokens()


#: Seconds one request to the stand-in may take. Every pull in this module runs under it: a
#: request answered in milliseconds alone can wait seconds for a CPU on a loaded 2-core CI
#: machine (the SMTP sends of commit 3f2c9cd did), and would fail the pull as a timeout.
PLATFORM_TIMEOUT = 5


@pytest.fixture
async def settings(settings: Settings, standin: StandIn) -> Settings:
    """The suite's settings, with Zoom and Graph pointing at the stand-in."""
    return replace(settings, **standin.zoom_settings(), **standin.graph_settings(), platform_timeout_s=PLATFORM_TIMEOUT, platform_max_retry_wait_s=5)


async def _attendance(event_id: int) -> dict[str, tuple[bool, int, str | None]]:
    rows = await Registration.select(
        Registration.contact.email.as_alias("email"), Registration.attended, Registration.minutes_attended, Registration.attendance_source
    ).where(Registration.event == event_id)
    return {row["email"]: (row["attended"], row["minutes_attended"], row["attendance_source"]) for row in rows}


async def _intervals(event_id: int) -> set[tuple[str, Any, Any, str | None]]:
    rows = await AttendanceInterval.select(
        AttendanceInterval.participant_key,
        AttendanceInterval.joined_at,
        AttendanceInterval.left_at,
        AttendanceInterval.registration.contact.email.as_alias("email"),
    ).where(AttendanceInterval.event == event_id)
    return {(row["participant_key"], str(row["joined_at"]), str(row["left_at"]), row["email"]) for row in rows}


async def _zoom_talk(client: httpx.AsyncClient, organiser: dict[str, str], **overrides: Any) -> dict[str, Any]:
    event = await talk(client, organiser, title="AI generativa per le PMI", **overrides)
    for email, first, last, company in ZOOM_PEOPLE:
        await register(client, event["id"], email, first, last, company)
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    return event


def _pull(client: httpx.AsyncClient, headers: dict[str, str], event_id: int) -> Any:
    return client.post(f"/api/events/{event_id}/attendance-pull", headers=headers)


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("platform", "rows", "participants", "matched", "attended", "threshold_percent", "errors", "left_out")
    return {key: body[key] for key in keys} | {"unmatched": sorted((u["email"] or "", u["minutes"], u["host"]) for u in body["unmatched"])}


# ---------------------------------------------------------------- the same as a file


async def test_a_zoom_pull_gives_what_the_report_file_gives(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    by_file = await _zoom_talk(client, organiser)
    by_api = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    file_answer = await upload(client, organiser, by_file["id"], load("zoom_participants.csv"))
    assert file_answer.status_code == 200, file_answer.text

    answer = await _pull(client, organiser, by_api["id"])
    assert answer.status_code == 200, answer.text
    assert _comparable(answer.json()) == _comparable(file_answer.json())
    assert answer.json()["intervals_added"] == file_answer.json()["intervals_added"] == 12
    assert await _attendance(by_api["id"]) == await _attendance(by_file["id"]) == ZOOM_EXPECTED
    assert await _intervals(by_api["id"]) == await _intervals(by_file["id"])
    # One token, then the report page by page (4 rows a page), each page asking for the next.
    assert len(standin.token_requests("zoom")) == 1
    pages = standin.api_requests("zoom")
    assert [page.path for page in pages] == [f"/zoom/v2/report/meetings/{ZOOM_MEETING_ID}/participants"] * 4
    assert [page.query.get("next_page_token") for page in pages] == [None, ["tok4"], ["tok8"], ["tok12"]]


async def test_a_file_and_a_pull_of_one_meeting_add_up_to_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).json()["intervals_added"] == 12
    intervals = await _intervals(event["id"])
    for _ in range(2):  # a pull after the file, and a pull twice: nothing new
        answer = await _pull(client, organiser, event["id"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["intervals_added"] == 0
    assert await _intervals(event["id"]) == intervals
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event["id"]) == 12
    assert await _attendance(event["id"]) == ZOOM_EXPECTED
    # And the file after a pull adds nothing either.
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).json()["intervals_added"] == 0


async def test_a_zoom_webinar_id_is_read_from_the_webinar_report(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    standin.zoom_webinars["98765432101"] = standin.zoom_meetings.pop(ZOOM_MEETING_ID)
    event = await _zoom_talk(client, organiser, online_meeting={"platform": "zoom", "meeting_id": "987 6543 2101"})
    answer = await _pull(client, organiser, event["id"])
    assert answer.status_code == 200, answer.text
    assert await _attendance(event["id"]) == ZOOM_EXPECTED
    paths = {request.path for request in standin.api_requests("zoom")}
    assert paths == {"/zoom/v2/report/meetings/98765432101/participants", "/zoom/v2/report/webinars/98765432101/participants"}


async def _teams_day(client: httpx.AsyncClient, organiser: dict[str, str], **overrides: Any) -> dict[str, Any]:
    day = await published_event(
        client, organiser, tech_day=True, mode="hybrid", online_capacity=50, online_url="https://teams.example/l/meetup", agenda=[],
        title="Tech Day Ticino: Industria 4.0", **overrides,
    )
    online = {"attendance_mode": "online"}
    await register(client, day["id"], "juerg.schaefer@schaefer-automation.ch", "Jürg", "Schäfer", swiss_uid(41), **online)
    await register(client, day["id"], "e.favre@favre-horlogerie.example", "Élodie", "Favre", swiss_uid(42), **online)
    tommaso = await register(client, day["id"], "tommaso.greco@greco-srl.example", "Tommaso", "Greco", partita_iva(43), **online)
    marta = await register(client, day["id"], "marta.galli@galli-srl.example", "Marta", "Galli", partita_iva(44))
    for person in (tommaso, marta):
        code = person["manage_token"] if person is tommaso else await checkin_code(client, person)
        assert (await client.post(f"/api/events/{day['id']}/checkins", json={"code": code}, headers=organiser)).status_code == 200
    await move_event(day["id"], TALK_STARTS, TALK_ENDS)
    return day


async def test_a_teams_pull_gives_what_the_report_file_gives(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    by_file = await _teams_day(client, organiser)
    by_api = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    file_answer = await upload(client, organiser, by_file["id"], load("teams_attendance.csv"), "meetingAttendanceReport.csv")
    assert file_answer.status_code == 200, file_answer.text

    answer = await _pull(client, organiser, by_api["id"])
    assert answer.status_code == 200, answer.text
    assert _comparable(answer.json()) == _comparable(file_answer.json())
    assert await _attendance(by_api["id"]) == await _attendance(by_file["id"])
    assert await _attendance(by_api["id"]) == {
        "juerg.schaefer@schaefer-automation.ch": (True, 86, "import"),
        "e.favre@favre-horlogerie.example": (True, 75, "import"),
        "tommaso.greco@greco-srl.example": (True, 30, "checkin,import"),
        "marta.galli@galli-srl.example": (True, 0, "checkin"),
    }
    assert await _intervals(by_api["id"]) == await _intervals(by_file["id"])
    # The reports list, then the event's report's records over three pages (@odata.nextLink);
    # the same meeting's report of a week earlier is never read.
    paths = [request.path for request in standin.api_requests("graph")]
    reports = f"/graph/v1.0/users/{TEAMS_ORGANIZER}/onlineMeetings/{TEAMS_MEETING_ID}/attendanceReports"
    assert paths == [reports] + [f"{reports}/{TEAMS_REPORT['id']}/attendanceRecords"] * 3
    assert not any(TEAMS_EARLIER_REPORT["id"] in path for path in paths)
    assert all(request.authorization and request.authorization.startswith("Bearer graph-") for request in standin.api_requests("graph"))


# ---------------------------------------------------------------- what the platforms do


async def test_a_429_is_waited_out_as_retry_after_says(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    standin.faults["zoom"].extend(["429", "429"])
    answer = await _pull(client, organiser, event["id"])
    assert answer.status_code == 200, answer.text
    assert await _attendance(event["id"]) == ZOOM_EXPECTED
    assert len(standin.api_requests("zoom")) == 4 + 2  # the refused requests, asked again


async def test_a_429_asking_for_too_long_a_wait_is_503_with_retry_after(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    standin.faults["zoom"].append("429-long")
    answer = await _pull(client, organiser, event["id"])
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "platform_busy"
    assert "Zoom" in answer.json()["detail"]
    assert answer.headers["Retry-After"] == "3600"
    assert await AttendanceInterval.count() == 0
    # Four 429s in a row: three waited out, the fourth gives up.
    standin.faults["zoom"].extend(["429"] * 4)
    again = await _pull(client, organiser, event["id"])
    assert again.status_code == 503, again.text
    assert await AttendanceInterval.count() == 0


async def test_an_expired_token_is_renewed_once(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    assert (await _pull(client, organiser, event["id"])).status_code == 200
    standin.faults["zoom"].append("expire")  # the cached token stops working
    answer = await _pull(client, organiser, event["id"])
    assert answer.status_code == 200, answer.text
    assert len(standin.token_requests("zoom")) == 2
    # Refused again with the new token: not a loop, a clear 502 naming the platform.
    standin.faults["zoom"].extend(["expire", "expire"])
    refused = await _pull(client, organiser, event["id"])
    assert refused.status_code == 502, refused.text
    assert refused.json()["code"] == "platform_refused"
    assert "Zoom" in refused.json()["detail"]
    assert len(standin.token_requests("zoom")) == 3


async def test_graph_token_expiry_is_renewed_too(client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn) -> None:
    day = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    standin.faults["graph"].extend(["429", "expire"])  # a 429, then the token expires mid-paging
    answer = await _pull(client, organiser, day["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["attended"] == 4
    assert len(standin.token_requests("graph")) == 2


async def _nothing_written(event_id: int) -> None:
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event_id) == 0
    assert set((await _attendance(event_id)).values()) == {(False, 0, None)}


async def test_platform_failures_are_502_naming_the_platform_and_write_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], standin: StandIn, settings: Settings
) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    standin.broken["zoom"] = "500"
    answer = await _pull(client, organiser, event["id"])
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "platform_unavailable"
    assert "Zoom" in answer.json()["detail"]
    assert "500" in answer.json()["detail"]
    await _nothing_written(event["id"])

    standin.broken["zoom"] = None
    standin.faults["zoom"].extend(["429", "500"])  # a failure half-way through the pages
    assert (await _pull(client, organiser, event["id"])).status_code == 502
    await _nothing_written(event["id"])

    standin.slow_seconds = 3 * PLATFORM_TIMEOUT
    standin.faults["zoom"].append("slow")  # slower than the settings allow
    slow = await _pull(client, organiser, event["id"])
    assert slow.status_code == 502, slow.text
    assert f"did not answer within {PLATFORM_TIMEOUT} s" in slow.json()["detail"]
    await _nothing_written(event["id"])

    day = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    standin.broken["graph"] = "500"
    graph = await _pull(client, organiser, day["id"])
    assert graph.status_code == 502, graph.text
    assert "Microsoft Graph" in graph.json()["detail"]
    assert await AttendanceInterval.count() == 0


async def test_unreachable_and_misconfigured_platforms(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    closed = replace(settings, zoom_api_url="http://127.0.0.1:9/v2", zoom_oauth_url="http://127.0.0.1:9")
    with pytest.raises(DomainError) as unreachable:
        await pull_attendance(event["id"], closed)
    assert unreachable.value.status_code == 502
    assert "Zoom could not be reached" in unreachable.value.detail

    wrong = replace(settings, zoom_client_secret="not-the-secret")
    with pytest.raises(DomainError) as refused:
        await pull_attendance(event["id"], wrong)
    assert (refused.value.status_code, refused.value.code) == (502, "platform_refused")
    assert "credentials" in refused.value.detail

    other = await _zoom_talk(client, organiser, online_meeting={"platform": "zoom", "meeting_id": "11122233344"})
    unknown = await _pull(client, organiser, other["id"])
    assert unknown.status_code == 409, unknown.text
    assert unknown.json()["code"] == "meeting_not_found"
    await _nothing_written(other["id"])


# ---------------------------------------------------------------- who may, and when


async def test_who_may_pull_and_what_cannot_be_pulled(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    assert (await _pull(client, {}, event["id"])).status_code == 401
    checkin = await token_headers(client, "checkin")
    assert (await _pull(client, checkin, event["id"])).status_code == 403
    assert (await _pull(client, organiser, 999_999)).status_code == 404
    assert (await client.post("/api/events/not-a-number/attendance-pull", headers=organiser)).status_code in (404, 405)

    no_meeting = await _zoom_talk(client, organiser)
    answer = await _pull(client, organiser, no_meeting["id"])
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "no_online_meeting"

    upcoming = await talk(client, organiser, online_meeting=ZOOM_MEETING)
    early = await _pull(client, organiser, upcoming["id"])
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "event_not_ended"

    webex = await _zoom_talk(client, organiser, online_meeting={"platform": "webex", "meeting_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90"})
    refused = await _pull(client, organiser, webex["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "platform_not_configured"
    assert "Webex" in refused.json()["detail"]

    with pytest.raises(DomainError) as unconfigured:
        await pull_attendance(event["id"], replace(settings, zoom_client_secret=None))
    assert (unconfigured.value.status_code, unconfigured.value.code) == (409, "platform_not_configured")
    assert "EVENTS_ZOOM_CLIENT_SECRET" in unconfigured.value.detail
    assert standin.api_requests("zoom") == []  # nothing was asked of Zoom by any of these
    assert await AttendanceInterval.count() == 0


async def test_secrets_never_reach_logs_or_answers(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    day = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    for_the_worker = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    answers = [await _pull(client, organiser, event["id"]), await _pull(client, organiser, day["id"])]
    standin.faults["zoom"].extend(["expire", "expire"])
    standin.faults["graph"].append("500")
    answers += [await _pull(client, organiser, event["id"]), await _pull(client, organiser, day["id"])]
    assert [answer.status_code for answer in answers] == [200, 200, 502, 502]
    for target, wrong in (
        (event["id"], replace(settings, zoom_client_secret=SECRETS[0] + "x")),
        (day["id"], replace(settings, graph_client_secret=SECRETS[1] + "x")),
    ):
        with pytest.raises(DomainError) as error:
            await pull_attendance(target, wrong)
        assert error.value.code == "platform_refused"
        told = f"{error.value.detail} {error.value!r} {error.value.extra}"
        assert not any(secret in told for secret in SECRETS)
    assert await pull_ended_events(replace(settings, zoom_client_secret="bad-" + SECRETS[0]), now=AFTER) == 0
    issued = list(standin.issued)
    assert issued
    text = caplog.text + " ".join(answer.text for answer in answers) + repr(settings) + str(settings)
    for secret in (*SECRETS, *issued):
        assert secret not in text
    failure = await AttendancePull.select(AttendancePull.last_error).where(AttendancePull.event == for_the_worker["id"]).first()
    assert "refused the server's credentials" in failure["last_error"]
    assert not any(secret in failure["last_error"] for secret in SECRETS)


# ---------------------------------------------------------------- the worker


async def test_the_worker_pulls_each_ended_event_once(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    assert "attendance-pull" in {job.name for job in PERIODIC_JOBS}
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    day = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    without = await _zoom_talk(client, organiser)

    assert await pull_ended_events(settings, now=TALK_ENDS + PULL_DELAY - timedelta(minutes=1)) == 0  # too early
    assert standin.api_requests("zoom") == []
    assert await pull_ended_events(settings, now=AFTER) == 2
    assert await _attendance(event["id"]) == ZOOM_EXPECTED
    assert (await _attendance(day["id"]))["juerg.schaefer@schaefer-automation.ch"] == (True, 86, "import")
    assert await _nothing_written_yet(without["id"])
    requests = len(standin.requests)
    assert await pull_ended_events(settings, now=AFTER + timedelta(hours=1)) == 0  # once per event
    assert len(standin.requests) == requests
    rows = await AttendancePull.select(AttendancePull.event, AttendancePull.status, AttendancePull.attempts).order_by(AttendancePull.event)
    assert rows == [
        {"event": event["id"], "status": "done", "attempts": 1},
        {"event": day["id"], "status": "done", "attempts": 1},
    ]


async def _nothing_written_yet(event_id: int) -> bool:
    return await AttendanceInterval.count().where(AttendanceInterval.event == event_id) == 0


async def test_the_worker_tries_again_later_after_a_failure(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    standin.broken["zoom"] = "500"
    assert await pull_ended_events(settings, now=AFTER) == 0
    row = await AttendancePull.select().where(AttendancePull.event == event["id"]).first()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "Zoom answered HTTP 500" in row["last_error"]
    assert await _nothing_written_yet(event["id"])

    asked = len(standin.requests)
    assert await pull_ended_events(settings, now=AFTER + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0  # not due yet
    assert len(standin.requests) == asked
    standin.broken["zoom"] = None
    assert await pull_ended_events(settings, now=AFTER + RETRY_DELAYS[0]) == 1
    row = await AttendancePull.select().where(AttendancePull.event == event["id"]).first()
    assert (row["status"], row["attempts"], row["last_error"]) == ("done", 2, None)
    assert await _attendance(event["id"]) == ZOOM_EXPECTED


async def test_the_worker_gives_up_after_the_last_retry(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    standin.broken["zoom"] = "500"
    moment = AFTER
    for delay in (*RETRY_DELAYS, timedelta(0)):
        await pull_ended_events(settings, now=moment)
        moment += delay
    row = await AttendancePull.select().where(AttendancePull.event == event["id"]).first()
    assert (row["status"], row["attempts"]) == ("failed", len(RETRY_DELAYS) + 1)
    asked = len(standin.requests)
    await pull_ended_events(settings, now=moment + timedelta(days=1))
    assert len(standin.requests) == asked
    # An organiser can still pull by hand once the platform is back.
    standin.broken["zoom"] = None
    assert (await _pull(client, organiser, event["id"])).status_code == 200
    assert (await AttendancePull.select(AttendancePull.status).where(AttendancePull.event == event["id"]).first())["status"] == "done"


async def test_a_pull_by_hand_spares_the_worker(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    assert (await _pull(client, organiser, event["id"])).status_code == 200
    asked = len(standin.requests)
    assert await pull_ended_events(settings, now=AFTER) == 0
    assert len(standin.requests) == asked


async def test_workers_at_once_pull_an_event_once(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    events = [await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING) for _ in range(3)]
    results = await asyncio.gather(*(pull_ended_events(settings, now=AFTER) for _ in range(4)))
    assert sum(results) == 3
    assert len(standin.api_requests("zoom")) == 3 * 4  # each event's 4 pages, once
    for event in events:
        assert await _attendance(event["id"]) == ZOOM_EXPECTED
    rows = await AttendancePull.select(AttendancePull.status, AttendancePull.attempts)
    assert rows == [{"status": "done", "attempts": 1}] * 3


async def test_a_pull_and_a_file_import_at_once_store_the_meeting_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    answers = await asyncio.gather(
        _pull(client, organiser, event["id"]),
        upload(client, organiser, event["id"], load("zoom_participants.csv")),
        _pull(client, organiser, event["id"]),
    )
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert sum(answer.json()["intervals_added"] for answer in answers) == 12
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event["id"]) == 12
    assert await _attendance(event["id"]) == ZOOM_EXPECTED


async def test_the_worker_leaves_unconfigured_platforms_and_other_events_alone(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn
) -> None:
    day = await _teams_day(client, organiser, online_meeting=TEAMS_MEETING)
    cancelled = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    await Event.update({Event.status: "cancelled"}).where(Event.id == cancelled["id"])
    assert await pull_ended_events(replace(settings, graph_client_secret=None), now=AFTER) == 0
    assert await pull_ended_events(replace(settings, zoom_client_secret=None, graph_client_secret=None), now=AFTER) == 0
    assert await pull_ended_events(settings, now=TALK_ENDS + timedelta(days=8)) == 0  # too long ago
    assert standin.requests == []
    assert await AttendancePull.count() == 0
    assert await pull_ended_events(settings, now=AFTER) == 1  # the Teams day, once Graph is configured
    assert (await _attendance(day["id"]))["e.favre@favre-horlogerie.example"] == (True, 75, "import")


# ---------------------------------------------------------------- settings


def test_platform_credentials_come_from_the_environment_all_or_none(tmp_path: Any) -> None:
    base = {"EVENTS_SECRET_KEY": "k" * 40, "EVENTS_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(base).zoom_api is None
    assert Settings.from_env(base).graph_api is None
    zoom = Settings.from_env({**base, "EVENTS_ZOOM_ACCOUNT_ID": "acc", "EVENTS_ZOOM_CLIENT_ID": "cid", "EVENTS_ZOOM_CLIENT_SECRET": SECRETS[0]})
    assert zoom.zoom_api is not None
    assert (zoom.zoom_api.api_url, zoom.zoom_api.token_url) == ("https://api.zoom.us/v2", "https://zoom.us/oauth/token")
    assert SECRETS[0] not in repr(zoom)
    assert SECRETS[0] not in repr(zoom.zoom_api)
    graph = Settings.from_env({
        **base, "EVENTS_GRAPH_TENANT_ID": "tenant-1", "EVENTS_GRAPH_CLIENT_ID": "cid", "EVENTS_GRAPH_CLIENT_SECRET": SECRETS[1],
        "EVENTS_GRAPH_LOGIN_URL": "http://127.0.0.1:8080/login/", "EVENTS_GRAPH_API_URL": "http://127.0.0.1:8080/graph/v1.0",
    })
    assert graph.graph_api is not None
    assert graph.graph_api.token_url == "http://127.0.0.1:8080/login/tenant-1/oauth2/v2.0/token"
    with pytest.raises(SettingsError) as half:
        Settings.from_env({**base, "EVENTS_GRAPH_CLIENT_ID": "cid", "EVENTS_GRAPH_CLIENT_SECRET": SECRETS[1]})
    assert half.value.problems[0].startswith("EVENTS_GRAPH_TENANT_ID is missing")
    assert SECRETS[1] not in str(half.value)
    with pytest.raises(SettingsError) as spaced:
        Settings.from_env({**base, "EVENTS_ZOOM_CLIENT_SECRET": "two words"})
    assert "two words" not in str(spaced.value)


async def test_the_workers_pull_is_logged_as_the_systems(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, standin: StandIn) -> None:
    event = await _zoom_talk(client, organiser, online_meeting=ZOOM_MEETING)
    job = PeriodicJob("attendance-pull-after-the-talk", lambda settings: pull_ended_events(settings, now=AFTER), every_seconds=600)
    set_actor(REGISTRANT)  # what the test's own requests left behind: the worker must not inherit it
    await Worker(settings, jobs=[job], transport=FileTransport(settings.mail_dir)).run_once()
    ids = [row["id"] for row in await Registration.select(Registration.id).where(Registration.event == event["id"])]
    entries = await AuditEntry.select().where(AuditEntry.entity_id.is_in(ids) & (AuditEntry.action == "updated")).output(load_json=True)
    assert len(entries) == 6 and {entry["actor"] for entry in entries} == {"system"}
    assert {entry["changes"]["minutes_attended"][1] for entry in entries} == {88, 90, 66, 55, 87}
