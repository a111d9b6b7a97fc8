"""The organisers' console through the app (no browser): session, roles, events, registrations,
check-in, attendance import, dashboard, outbox."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from events_service.attendance import service as attendance
from events_service.events import queries as events
from events_service.events.records import EventStatus
from events_service.mail.compose import KINDS
from events_service.mail.records import OutboxStatus
from events_service.mail.tables import OutboxMessage
from events_service.organisers.records import Role
from events_service.registrations.tables import Registration
from events_service.web import session as console_session
from events_service.web.labels import LABELS
from tests.attendance.support import TALK_ENDS, TALK_STARTS, ZOOM_PEOPLE, load, move_event
from tests.attendance.support import register as api_register
from tests.factories import published_event, registration_payload
from tests.web.support import console_login, field_error, input_value, post_form

LOCAL_START = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d")


@pytest.fixture(autouse=True)
def english_browser(client: httpx.AsyncClient) -> None:
    """The console speaks the browser's language: these tests read it in English, as an
    English browser asks for it (a test of the Italian console asks otherwise)."""
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"


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


async def test_console_needs_a_session(client: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/events", "/console/outbox", "/console/checkin"):
        answer = await client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/login"), path
    client.cookies.set(console_session.SESSION_COOKIE, "0" * 64, path="/console")  # an id no sign-in gave
    assert (await client.get("/console")).status_code == 303


async def test_login_logout_and_wrong_password(client: httpx.AsyncClient) -> None:
    email = await console_login(client)
    cookie = next(c for c in client.cookies.jar if c.name == console_session.SESSION_COOKIE)
    assert cookie.path == "/console"
    assert cookie.has_nonstandard_attr("HttpOnly")
    dashboard = await client.get("/console")
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.text
    assert "No published events yet." in dashboard.text
    out = await post_form(client, "/console/logout", {}, page="/console")
    assert out.status_code == 303
    assert (await client.get("/console")).status_code == 303
    wrong = await post_form(client, "/console/login", {"email": email, "password": "nope"})
    assert wrong.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert 'value="' + email + '"' in wrong.text


async def test_checkin_role_sees_only_checkin(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    await console_login(client, "checkin")
    home = await client.get("/console")
    assert home.status_code == 303
    assert home.headers["location"] == "/console/checkin"
    for path in ("/console/events", "/console/outbox", f"/console/events/{day['id']}", f"/console/events/{day['id']}/registrations",
                 f"/console/events/{day['id']}/attendance", "/console/events/new"):
        assert (await client.get(path)).status_code == 403, path
    listing = await client.get("/console/checkin")
    assert listing.status_code == 200
    assert day["title"] in listing.text
    assert "Dashboard" not in listing.text
    assert (await client.get(f"/console/events/{day['id']}/checkin")).status_code == 200


async def test_create_publish_edit_and_cancel_an_event(client: httpx.AsyncClient) -> None:
    await console_login(client)
    bad = await post_form(client, "/console/events/new", event_form(ends_at=f"{LOCAL_START}T08:00"), page="/console/events/new")
    assert bad.status_code == 422
    assert "The event must end after it starts." in bad.text
    assert 'value="Tech Day Como: robots"' in bad.text
    bad_agenda = await post_form(client, "/console/events/new", event_form(agenda="nine to ten"), page="/console/events/new")
    assert bad_agenda.status_code == 422
    assert "agenda line 1" in bad_agenda.text

    created = await post_form(client, "/console/events/new", event_form(), page="/console/events/new")
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    api = await client.get(f"/console/events/{event_id}")
    assert 'id="event-status">draft<' in api.text
    assert "09:30-11:00 | Cobots | Marco Rossi" in api.text

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
    assert refused.status_code == 422
    assert "Before people can register, the event needs: Venue name, Venue address, City." in refused.text


async def test_service_refusals_speak_the_console_language(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser, capacity=5)
    for n in range(3):
        answer = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(f"p{n}.x@x.example", n))
        assert answer.status_code == 201
    await console_login(client)
    client.headers["Accept-Language"] = "it-IT,it;q=0.9"
    form = event_form(kind="tech_talk", mode="online", capacity="2", online_url="https://meet.example.org/talk",
                      venue_name="", venue_address="", venue_city="", agenda="")
    refused = await post_form(client, f"/console/events/{talk['id']}", form, page="/console/events")
    assert refused.status_code == 422  # the form, shown again with what was typed
    assert "I posti non possono scendere sotto i 3 già confermati." in refused.text
    assert (await events.get_event(talk["id"])).capacity == 5
    # the API keeps its English detail, with the code and the figure for programs
    api = await client.patch(f"/api/events/{talk['id']}", json={"capacity": 2}, headers=organiser)
    assert api.status_code == 409
    assert api.json()["code"] == "capacity_below_confirmed"
    assert api.json()["extra"] == {"confirmed": 3}
    assert "cannot go below the 3 seats" in api.json()["detail"]

    draft = await post_form(client, "/console/events/new", event_form(venue_name="", venue_address="", venue_city=""), page="/console/events")
    draft_id = int(draft.headers["location"].split("/")[3].split("?")[0])
    unpublished = await post_form(client, f"/console/events/{draft_id}/publish", {}, page="/console/events")
    assert unpublished.status_code == 422
    assert "Prima di aprire le iscrizioni l'evento ha bisogno di: Nome della sede, Indirizzo della sede, Città." in html.unescape(unpublished.text)


async def test_registrations_filter_csv_and_cancel(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    for n, email in enumerate(["ada.rossi@a.example", "bruno.verdi@b.example"], start=1):
        answer = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(email, n))
        assert answer.status_code == 201
    await console_login(client)
    page = await client.get(f"/console/events/{talk['id']}/registrations")
    assert "ada.rossi@a.example" in page.text
    assert "bruno.verdi@b.example" in page.text
    first = await Registration.select(Registration.id).order_by(Registration.id).first()
    cancelled = await post_form(client, f"/console/events/{talk['id']}/registrations/{first['id']}/cancel", {},
                                page=f"/console/events/{talk['id']}/registrations")
    assert cancelled.status_code == 303
    only_cancelled = await client.get(f"/console/events/{talk['id']}/registrations", params={"status": "cancelled"})
    assert "ada.rossi@a.example" in only_cancelled.text
    assert "bruno.verdi@b.example" not in only_cancelled.text
    csv = await client.get(f"/console/events/{talk['id']}/registrations.csv", params={"status": "confirmed"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "bruno.verdi@b.example" in csv.text
    assert "ada.rossi@a.example" not in csv.text
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
    assert first.status_code == 200
    assert "Welcome: Ada Rossi" in first.text
    again = await post_form(client, page, {"code": code})
    assert "Already checked in: Ada Rossi" in again.text
    unknown = await post_form(client, page, {"code": "nonsense"})
    assert unknown.status_code == 404
    assert "unknown check-in code" in unknown.text
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
    assert '<strong id="matched">6</strong>' in answer.text
    assert '<strong id="attended">6</strong>' in answer.text
    assert "Giulia Ferri" in answer.text
    nothing = await client.post(page, data={"_csrf_token": token})
    assert nothing.status_code == 422
    wrong_day = await published_event(client, organiser)
    refused = await client.post(f"/console/events/{wrong_day['id']}/attendance", data={"_csrf_token": token},
                                files={"file": ("p.csv", load("zoom_participants.csv"), "text/csv")})
    assert refused.status_code == 422
    assert "report of another event" in refused.text
    dashboard = await client.get("/console")
    assert '<span class="big" id="n-attendances">6</span>' in dashboard.text
    assert "<svg" in dashboard.text
    assert "6 attended" in dashboard.text


async def test_dashboard_escapes_titles_in_the_chart(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await published_event(client, organiser, title="<b>bold</b> & co")
    await console_login(client)
    page = await client.get("/console")
    assert page.status_code == 200
    assert "<b>bold" not in page.text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page.text


async def test_outbox_lists_and_retries(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada.rossi@a.example"))
    row = await OutboxMessage.select(OutboxMessage.id).first()
    await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.last_error: "550 no such user"}).where(OutboxMessage.id == row["id"])
    await console_login(client)
    page = await client.get("/console/outbox", params={"status": "failed"})
    assert "ada.rossi@a.example" in page.text
    assert "550 no such user" in page.text
    retried = await post_form(client, f"/console/outbox/{row['id']}/retry", {}, page="/console/outbox")
    assert retried.status_code == 303
    assert (await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == row["id"]).first())["status"] == "queued"
    again = await post_form(client, f"/console/outbox/{row['id']}/retry", {}, page="/console/outbox")
    assert again.status_code == 409
    assert "only failed or retry messages" in again.text


# ---------------------------------------------------------------- the console in Italian and English

CONSOLE_TEMPLATES = Path(__file__).resolve().parents[2] / "events_service" / "web" / "templates" / "console"
ITALIAN = {"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"}


async def test_console_in_italian_from_the_browser_language(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    client.headers.update(ITALIAN)
    login = await client.get("/console/login")
    assert '<html lang="it">' in login.text
    assert "Organizzatori: accesso" in login.text
    assert ">Accedi</button>" in login.text
    email = await console_login(client)
    wrong = await post_form(client, "/console/login", {"email": email, "password": "nope"})
    assert wrong.status_code == 401
    assert "Email o password errate." in wrong.text

    dashboard = await client.get("/console")
    assert '<html lang="it">' in dashboard.text
    for words in (">Cruscotto</a>", ">Posta in uscita</a>", ">Esci</button>", "eventi pubblicati", "(organizzatore)",
                  "Iscrizioni e presenze per evento", "<td>pubblicato</td>"):
        assert words in dashboard.text, words
    assert "Sign out" not in dashboard.text
    assert "published events" not in dashboard.text
    # the language switch, as on the public pages
    assert 'href="/console?lang=en" lang="en"' in dashboard.text
    assert 'href="/console?lang=it" lang="it" hreflang="it" aria-current="true"' in dashboard.text

    form = await client.get(f"/console/events/{day['id']}")
    assert "Salva le modifiche" in form.text
    assert "Promemoria prima dell&#39;evento" in form.text
    assert "Link alla registrazione video" in form.text
    assert 'data-confirm="Annullare questo evento?' in form.text
    checkin = await client.get(f"/console/events/{day['id']}/checkin")
    assert "Codice di check-in" in checkin.text
    assert 'data-start-label="Scansiona con la fotocamera"' in checkin.text
    empty = await post_form(client, f"/console/events/{day['id']}/checkin", {"code": ""})
    assert empty.status_code == 422
    assert "scansiona o digita un codice" in empty.text
    unknown = await post_form(client, f"/console/events/{day['id']}/checkin", {"code": "nonsense"})
    assert unknown.status_code == 404
    assert "codice di check-in sconosciuto" in unknown.text
    outbox = await client.get("/console/outbox")
    assert "Nessun messaggio." in outbox.text
    assert ">non riuscito</option>" in outbox.text


async def test_console_language_switch_with_lang_and_the_cookie(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    await console_login(client)
    assert ">Dashboard</a>" in (await client.get("/console")).text  # English, from Accept-Language
    switched = await client.get(f"/console/events/{talk['id']}/registrations", params={"status": "confirmed", "lang": "it"})
    assert '<html lang="it">' in switched.text
    assert "Iscrizioni: " in switched.text
    assert "Esporta CSV" in switched.text
    assert "lang=it" in switched.headers["set-cookie"]
    # the switch keeps the page's other parameters
    assert f'href="/console/events/{talk["id"]}/registrations?status=confirmed&amp;lang=en"' in switched.text
    # the cookie keeps the choice over the browser's English
    events = await client.get("/console/events")
    assert '<html lang="it">' in events.text
    assert "Nuovo evento" in events.text
    back = await client.get("/console/events", params={"lang": "en"})
    assert '<html lang="en">' in back.text
    assert "New event" in back.text


def test_every_word_of_the_console_goes_through_gettext() -> None:
    """No text of the console templates is left outside {{ _(...) }} (product names and
    punctuation aside); the words a code chooses have a label for every code. That the
    catalogs hold every word is tests/test_translations.py."""
    for template in CONSOLE_TEMPLATES.glob("*.html"):
        source = template.read_text()
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        leftovers = set(re.findall(r"[A-Za-zÀ-ÿ]{2,}", text)) - {"Zoom", "Microsoft", "Teams", "Webex"}
        assert not leftovers, f"{template.name}: {leftovers}"
        attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt|data-[a-z-]+)="([^"]*)"', source)
        assert all(value.startswith("{{") or not re.search("[A-Za-z]", value) for value in attributes), (template.name, attributes)
    # the words made of a code: label_of("event_status", event.status)
    assert set(LABELS["event_status"]) == set(EventStatus)
    assert set(LABELS["outbox_status"]) == set(OutboxStatus)
    assert set(LABELS["mail_kind"]) == set(KINDS)
    assert set(LABELS["role"]) == set(Role)


# ---------------------------------------------------------------- reminders and follow-up links in the event form


async def test_event_form_stores_reminders_and_follow_up_links(client: httpx.AsyncClient) -> None:
    await console_login(client)
    new = await client.get("/console/events/new")
    assert input_value(new.text, "reminder_offsets") == "1d, 1h"  # what the API gives an event by default
    created = await post_form(client, "/console/events/new", event_form(
        reminder_offsets="2d, 3h, 30", recording_url="https://video.example/tech-day", slides_url=""), page="/console/events/new")
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    assert (await events.get_event(event_id)).reminder_offsets_minutes == [2880, 180, 30]
    links = await attendance.get_follow_up(event_id)
    assert (links.recording_url, links.slides_url) == ("https://video.example/tech-day", None)

    page = await client.get(f"/console/events/{event_id}")
    assert input_value(page.text, "reminder_offsets") == "2d, 3h, 30m"
    assert input_value(page.text, "recording_url") == "https://video.example/tech-day"
    assert input_value(page.text, "slides_url") == ""

    edited = await post_form(client, f"/console/events/{event_id}", event_form(
        reminder_offsets="1 day; 2 ore, 90m", recording_url="", slides_url="https://slides.example/deck.pdf"), page="/console/events")
    assert edited.status_code == 303, edited.text
    assert (await events.get_event(event_id)).reminder_offsets_minutes == [1440, 120, 90]
    links = await attendance.get_follow_up(event_id)
    assert (links.recording_url, links.slides_url) == (None, "https://slides.example/deck.pdf")
    page = await client.get(f"/console/events/{event_id}")
    assert input_value(page.text, "reminder_offsets") == "1d, 2h, 90m"

    none = await post_form(client, f"/console/events/{event_id}", event_form(reminder_offsets=" "), page="/console/events")
    assert none.status_code == 303
    assert (await events.get_event(event_id)).reminder_offsets_minutes == []


async def test_bad_reminders_or_links_change_nothing_and_keep_what_was_typed(client: httpx.AsyncClient) -> None:
    await console_login(client)
    created = await post_form(client, "/console/events/new", event_form(recording_url="https://video.example/r"), page="/console/events/new")
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    before = await events.get_event(event_id)

    typed = event_form(title="A new title", reminder_offsets="1d, soon", recording_url="https://video.example/new",
                       slides_url="slides.pdf")
    bad = await post_form(client, f"/console/events/{event_id}", typed, page="/console/events")
    assert bad.status_code == 422
    assert field_error(bad.text, "reminder_offsets") == "“soon” is not a reminder time: write e.g. 1d, 3h, 30m"
    assert field_error(bad.text, "slides_url") == "a full address starting with http:// or https://"
    assert 'aria-describedby="reminder_offsets-hint reminder_offsets-error"' in bad.text
    assert input_value(bad.text, "reminder_offsets") == "1d, soon"
    assert input_value(bad.text, "slides_url") == "slides.pdf"
    assert input_value(bad.text, "title") == "A new title"
    assert input_value(bad.text, "recording_url") == "https://video.example/new"
    after = await events.get_event(event_id)
    assert (after.title, after.reminder_offsets_minutes, after.updated_at) == (before.title, [1440, 60], before.updated_at)
    assert (await attendance.get_follow_up(event_id)).recording_url == "https://video.example/r"

    for offsets, message in (("61d", "each reminder between 1 minute and 60 days before the event"),
                             ("0", "each reminder between 1 minute and 60 days before the event"),
                             ("1m, 2m, 3m, 4m, 5m, 6m, 7m", "at most 6 reminders")):
        refused = await post_form(client, f"/console/events/{event_id}", event_form(reminder_offsets=offsets), page="/console/events")
        assert refused.status_code == 422, offsets
        assert field_error(refused.text, "reminder_offsets") == message, offsets
    no_venue_name = await post_form(client, f"/console/events/{event_id}", event_form(venue_name=""), page="/console/events")
    assert no_venue_name.status_code == 422
    assert field_error(no_venue_name.text, "venue_name") == "too long (or empty)"
    assert (await events.get_event(event_id)).reminder_offsets_minutes == [1440, 60]

    in_italian = await post_form(client, "/console/events/new", event_form(reminder_offsets="2 settimane"),
                                 page="/console/events/new", headers=ITALIAN)
    assert in_italian.status_code == 422
    assert field_error(in_italian.text, "reminder_offsets") == "«2 settimane» non è un anticipo valido: scrivi ad esempio 1d, 3h, 30m"
    assert len(await events.list_events()) == 1


# ---------------------------------------------------------------- the camera scanner on the check-in page


async def test_checkin_page_carries_the_camera_scanner_and_the_field_still_works(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    created = await client.post(f"/api/public/events/{day['id']}/registrations", json=registration_payload("ada.rossi@a.example"))
    code = (await client.get(f"/api/public/registrations/{created.json()['manage_token']}")).json()["checkin_code"]
    await console_login(client, "checkin")
    page = await client.get(f"/console/events/{day['id']}/checkin")
    assert '<script src="/static/checkin-scanner.js" defer></script>' in page.text
    # hidden until the script finds BarcodeDetector and a camera; a real button; a live status
    assert re.search(r'<div class="scanner" id="scanner" hidden', page.text)
    assert '<button type="button" class="button secondary" id="scanner-toggle"' in page.text
    assert 'id="scanner-status" role="status" aria-live="polite"' in page.text
    assert 'data-start-label="Scan with the camera"' in page.text
    # no inline script, so a Content-Security-Policy without 'unsafe-inline' would hold
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert not re.search(r"\son[a-z]+=", page.text)

    script = await client.get("/static/checkin-scanner.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    for needle in ('new window.BarcodeDetector({ formats: ["qr_code"] })', 'facingMode: "environment"', "requestSubmit",
                   'getElementById("code")', "SAME_CODE_MS"):
        assert needle in script.text, needle
    assert (await client.get("/static/console.js")).status_code == 200

    # the scanner fills the same field and submits the same form: the server sees one path
    checked = await post_form(client, f"/console/events/{day['id']}/checkin", {"code": code})
    assert checked.status_code == 200
    assert "Welcome: Ada Rossi" in checked.text
    assert 'id="checkin-form"' in checked.text
    assert "checkin-scanner.js" in checked.text


async def test_event_form_sets_the_attendance_threshold(client: httpx.AsyncClient) -> None:
    await console_login(client)
    new = await client.get("/console/events/new")
    assert input_value(new.text, "attendance_threshold_percent") == "50"
    created = await post_form(client, "/console/events/new", event_form(attendance_threshold_percent="75"), page="/console/events/new")
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    assert (await attendance.get_follow_up(event_id)).attendance_threshold_percent == 75
    page = await client.get(f"/console/events/{event_id}")
    assert input_value(page.text, "attendance_threshold_percent") == "75"

    for typed, message in (("150", "a number out of range"), ("half", "a whole number")):
        refused = await post_form(client, f"/console/events/{event_id}", event_form(title="Not saved", attendance_threshold_percent=typed), page="/console/events")
        assert refused.status_code == 422
        assert message in (field_error(refused.text, "attendance_threshold_percent") or "").lower(), refused.text
        assert input_value(refused.text, "attendance_threshold_percent") == typed
    assert (await attendance.get_follow_up(event_id)).attendance_threshold_percent == 75
    assert (await events.get_event(event_id)).title == "Tech Day Como: robots"

    blank = await post_form(client, f"/console/events/{event_id}", event_form(attendance_threshold_percent=""), page="/console/events")
    assert blank.status_code == 303
    assert (await attendance.get_follow_up(event_id)).attendance_threshold_percent == 75  # a blank keeps it
    lowered = await post_form(client, f"/console/events/{event_id}", event_form(attendance_threshold_percent="30"), page="/console/events")
    assert lowered.status_code == 303
    assert (await attendance.get_follow_up(event_id)).attendance_threshold_percent == 30
