"""The organisers' console through the app (no browser): session, roles, events, registrations,
check-in, attendance import, dashboard, outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.web import service as web
from tests.attendance.support import TALK_ENDS, TALK_STARTS, ZOOM_PEOPLE, load, move_event
from tests.attendance.support import register as api_register
from tests.factories import published_event, registration_payload
from tests.web.support import console_login, post_form

LOCAL_START = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d")


def event_form(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "tech_day", "mode": "in_person", "language": "en", "title": "Tech Day Como: robots",
        "description": "A day on cobots.", "starts_at": f"{LOCAL_START}T09:00", "ends_at": f"{LOCAL_START}T17:00",
        "timezone": "Europe/Rome", "capacity": "50", "venue_name": "ComoNExT", "venue_address": "Via Cavour 2",
        "venue_city": "Lomazzo", "topics": "robotics, ai", "speakers": "Marco Rossi | marco@supsi.example | Robotics",
        "agenda": "09:00-09:30 | Welcome\n09:30-11:00 | Cobots | Marco Rossi",
    }
    data.update(overrides)
    return data


async def test_console_needs_a_session(client: httpx.AsyncClient, settings: Settings) -> None:
    for path in ("/console", "/console/events", "/console/outbox", "/console/checkin"):
        answer = await client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login"), path
    forged = web.make_session(Settings(secret_key="another-secret-key-of-some-length-xx"), 1)
    client.cookies.set(web.SESSION_COOKIE, forged, path="/console")
    assert (await client.get("/console")).status_code == 303
    expired = web.make_session(settings, 1, now=datetime.now(UTC).timestamp() - 13 * 3600)
    assert web.read_session(settings, expired) is None


async def test_login_logout_and_wrong_password(client: httpx.AsyncClient) -> None:
    email = await console_login(client)
    cookie = next(c for c in client.cookies.jar if c.name == web.SESSION_COOKIE)
    assert cookie.path == "/console" and cookie.has_nonstandard_attr("HttpOnly")
    dashboard = await client.get("/console")
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text and "No published events yet." in dashboard.text
    out = await post_form(client, "/console/logout", {}, page="/console")
    assert out.status_code == 303
    assert (await client.get("/console")).status_code == 303
    wrong = await post_form(client, "/console/login", {"email": email, "password": "nope"})
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text
    assert 'value="' + email + '"' in wrong.text


async def test_checkin_role_sees_only_checkin(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    await console_login(client, "checkin")
    home = await client.get("/console")
    assert home.status_code == 303 and home.headers["location"] == "/console/checkin"
    for path in ("/console/events", "/console/outbox", f"/console/events/{day['id']}", f"/console/events/{day['id']}/registrations",
                 f"/console/events/{day['id']}/attendance", "/console/events/new"):
        assert (await client.get(path)).status_code == 403, path
    listing = await client.get("/console/checkin")
    assert listing.status_code == 200 and day["title"] in listing.text and "Dashboard" not in listing.text
    assert (await client.get(f"/console/events/{day['id']}/checkin")).status_code == 200


async def test_create_publish_edit_and_cancel_an_event(client: httpx.AsyncClient) -> None:
    await console_login(client)
    bad = await post_form(client, "/console/events/new", event_form(ends_at=f"{LOCAL_START}T08:00"), page="/console/events/new")
    assert bad.status_code == 422 and "ends_at must be after starts_at" in bad.text
    assert 'value="Tech Day Como: robots"' in bad.text
    bad_agenda = await post_form(client, "/console/events/new", event_form(agenda="nine to ten"), page="/console/events/new")
    assert bad_agenda.status_code == 422 and "agenda line 1" in bad_agenda.text

    created = await post_form(client, "/console/events/new", event_form(), page="/console/events/new")
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    api = await client.get(f"/console/events/{event_id}")
    assert 'id="event-status">draft<' in api.text and "09:30-11:00 | Cobots | Marco Rossi" in api.text

    published = await post_form(client, f"/console/events/{event_id}/publish", {}, page="/console/events")
    assert published.status_code == 303
    page = await client.get(f"/console/events/{event_id}")
    assert 'id="event-status">published<' in page.text
    public = await client.get("/", params={"lang": "en"})
    assert "Tech Day Como: robots" in public.text

    edited = await post_form(client, f"/console/events/{event_id}", event_form(title="Tech Day Como: robots and AI"), page="/console/events")
    assert edited.status_code == 303
    assert "Tech Day Como: robots and AI" in (await client.get("/console/events")).text

    cancelled = await post_form(client, f"/console/events/{event_id}/cancel", {}, page="/console/events")
    assert cancelled.status_code == 303
    assert 'id="event-status">cancelled<' in (await client.get(f"/console/events/{event_id}")).text


async def test_publishing_without_a_venue_says_why(client: httpx.AsyncClient) -> None:
    await console_login(client)
    created = await post_form(client, "/console/events/new", event_form(venue_name="", venue_address="", venue_city=""), page="/console/events")
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    refused = await post_form(client, f"/console/events/{event_id}/publish", {}, page="/console/events")
    assert refused.status_code == 422 and "cannot publish a in_person event without" in refused.text


async def test_registrations_filter_csv_and_cancel(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    for n, email in enumerate(["ada.rossi@a.example", "bruno.verdi@b.example"], start=1):
        answer = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(email, n))
        assert answer.status_code == 201
    await console_login(client)
    page = await client.get(f"/console/events/{talk['id']}/registrations")
    assert "ada.rossi@a.example" in page.text and "bruno.verdi@b.example" in page.text
    first = await Registration.select(Registration.id).order_by(Registration.id).first()
    cancelled = await post_form(client, f"/console/events/{talk['id']}/registrations/{first['id']}/cancel", {},
                                page=f"/console/events/{talk['id']}/registrations")
    assert cancelled.status_code == 303
    only_cancelled = await client.get(f"/console/events/{talk['id']}/registrations", params={"status": "cancelled"})
    assert "ada.rossi@a.example" in only_cancelled.text and "bruno.verdi@b.example" not in only_cancelled.text
    csv = await client.get(f"/console/events/{talk['id']}/registrations.csv", params={"status": "confirmed"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "bruno.verdi@b.example" in csv.text and "ada.rossi@a.example" not in csv.text
    other = await published_event(client, organiser)
    wrong_event = await post_form(client, f"/console/events/{other['id']}/registrations/{first['id']}/cancel", {}, page="/console")
    assert wrong_event.status_code == 404


async def test_checkin_by_code(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    created = await client.post(f"/api/public/events/{day['id']}/registrations", json=registration_payload("ada.rossi@a.example"))
    view = await client.get(f"/api/public/registrations/{created.json()['manage_token']}")
    code = view.json()["checkin_code"]
    await console_login(client, "checkin")
    page = f"/console/events/{day['id']}/checkin"
    first = await post_form(client, page, {"code": code})
    assert first.status_code == 200 and "Welcome: Ada Rossi" in first.text
    again = await post_form(client, page, {"code": code})
    assert "Already checked in: Ada Rossi" in again.text
    unknown = await post_form(client, page, {"code": "nonsense"})
    assert unknown.status_code == 404 and "unknown check-in code" in unknown.text
    empty = await post_form(client, page, {"code": " "})
    assert empty.status_code == 422


async def test_attendance_import_shows_matched_and_unmatched(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    for email, first, last, company in ZOOM_PEOPLE:
        await api_register(client, talk["id"], email, first, last, company)
    await move_event(talk["id"], TALK_STARTS, TALK_ENDS)
    await console_login(client)
    page = f"/console/events/{talk['id']}/attendance"
    await client.get(page)
    token = client.cookies.get("csrftoken")
    answer = await client.post(page, data={"_csrf_token": token, "platform": "zoom"},
                               files={"file": ("participants.csv", load("zoom_participants.csv"), "text/csv")})
    assert answer.status_code == 200, answer.text
    assert '<strong id="matched">6</strong>' in answer.text and '<strong id="attended">6</strong>' in answer.text
    assert "Giulia Ferri" in answer.text
    nothing = await client.post(page, data={"_csrf_token": token})
    assert nothing.status_code == 422
    wrong_day = await published_event(client, organiser)
    refused = await client.post(f"/console/events/{wrong_day['id']}/attendance", data={"_csrf_token": token},
                                files={"file": ("p.csv", load("zoom_participants.csv"), "text/csv")})
    assert refused.status_code == 422 and "report of another event" in refused.text
    dashboard = await client.get("/console")
    assert '<span class="big" id="n-attendances">6</span>' in dashboard.text
    assert "<svg" in dashboard.text and "6 attended" in dashboard.text


async def test_dashboard_escapes_titles_in_the_chart(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await published_event(client, organiser, title="<b>bold</b> & co")
    await console_login(client)
    page = await client.get("/console")
    assert page.status_code == 200 and "<b>bold" not in page.text and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page.text


async def test_outbox_lists_and_retries(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada.rossi@a.example"))
    row = await OutboxMessage.select(OutboxMessage.id).first()
    await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.last_error: "550 no such user"}).where(OutboxMessage.id == row["id"])
    await console_login(client)
    page = await client.get("/console/outbox", params={"status": "failed"})
    assert "ada.rossi@a.example" in page.text and "550 no such user" in page.text
    retried = await post_form(client, f"/console/outbox/{row['id']}/retry", {}, page="/console/outbox")
    assert retried.status_code == 303
    assert (await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == row["id"]).first())["status"] == "queued"
    again = await post_form(client, f"/console/outbox/{row['id']}/retry", {}, page="/console/outbox")
    assert again.status_code == 409 and "only failed or retry messages" in again.text
