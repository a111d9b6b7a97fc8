"""End to end in a real browser (Playwright driving Debian's Chromium) against a real
`events-service serve` process, with mail delivered by `events-service worker --once` to an
aiosmtpd sink. Runs on SQLite and PostgreSQL like every DB test; screenshots of the key pages
go to docs/screenshots/ (from the SQLite run)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from events_service.settings import Settings
from tests import serving
from tests.attendance.support import ZOOM_PEOPLE, load
from tests.conftest import TEST_SECRET
from tests.factories import event_payload, partita_iva, registration_payload, tech_day_payload
from tests.mailparse import parse, text_body
from tests.support.browser import BROWSER_MARKS, chromium_page
from tests.support.polling import eventually
from tests.support.smtp import SmtpSink

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

with suppress(ImportError):  # without Playwright, BROWSER_MARKS skip the module, saying why
    from playwright.async_api import Page, expect

pytestmark = BROWSER_MARKS

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def server_env(settings: Settings, sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of the served app and of the mail worker; the port is chosen here so
    the links in emails (EVENTS_BASE_URL) point at the server under test."""
    port = serving.free_port()
    monkeypatch.setattr(serving, "free_port", lambda: port)
    return {
        "EVENTS_DB": settings.db_url,
        "EVENTS_SECRET_KEY": TEST_SECRET,
        "EVENTS_VAR_DIR": str(tmp_path / "served-var"),
        "EVENTS_BASE_URL": f"http://127.0.0.1:{port}",
        "EVENTS_SMTP_URL": sink.url(),
        "EVENTS_MAIL_FROM": "events@programme.example",
        "EVENTS_RUN_WORKER": "0",
        "EVENTS_PUBLIC_RATE_LIMIT": "1000",
    }


@pytest.fixture
def base_url(server_env: dict[str, str]) -> Iterator[str]:
    with serving.served(server_env) as url:
        assert url == server_env["EVENTS_BASE_URL"]
        yield url


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with chromium_page() as opened:
        yield opened


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "events_service.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def shot(page: Page, settings: Settings, name: str) -> None:
    if settings.is_sqlite:  # one set of pictures is enough
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def api_token(base_url: str, env: dict[str, str], role: str = "organiser") -> dict[str, str]:
    email = f"{role}@programme.example"
    cli(env, "organiser", "create", email, "--name", f"Olga {role.title()}", "--password", "correct horse battery", "--role", role)
    answer = httpx.post(f"{base_url}/api/auth/token", json={"email": email, "password": "correct horse battery"}, timeout=serving.HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def wait_for_mail(sink: SmtpSink, to: str, count: int, env: dict[str, str]) -> list[bytes]:
    def sent_so_far() -> list[bytes]:
        cli(env, "worker", "--once")
        mails = [item.raw for item in sink.handler.received if to in item.recipients]
        return mails if len(mails) >= count else []

    return eventually(
        sent_so_far, timeout=30, interval=0.5, what=lambda: f"no {count} email(s) to {to}: {sink.handler.received}"
    )


def publish_talk(base_url: str, headers: dict[str, str]) -> dict[str, Any]:
    """A published Tech Talk, and a draft that must not show."""
    created = httpx.post(f"{base_url}/api/events", json=event_payload(title="AI generativa per le PMI"), headers=headers, timeout=serving.HTTP_TIMEOUT)
    assert created.status_code == 201, created.text
    event = created.json()
    assert httpx.post(f"{base_url}/api/events/{event['id']}/publish", headers=headers, timeout=serving.HTTP_TIMEOUT).status_code == 200
    httpx.post(f"{base_url}/api/events", json=event_payload(title="Cybersecurity basics", topics=["security"]), headers=headers, timeout=serving.HTTP_TIMEOUT)
    return event


def registration_statuses(base_url: str, headers: dict[str, str], event_id: int) -> list[str]:
    listed = httpx.get(f"{base_url}/api/events/{event_id}/registrations", headers=headers, timeout=serving.HTTP_TIMEOUT).json()
    return [row["status"] for row in listed]


def register_people(base_url: str, event_id: int) -> str:
    """The Zoom report's people, online; one person in the room: returns her check-in code."""
    for email, first, last, company in ZOOM_PEOPLE:
        country = "CH" if company.startswith("CHE") else "IT"
        payload = registration_payload(email, first_name=first, last_name=last, attendance_mode="online",
                                       company={"vat_id": company, "name": f"Company {company}", "country": country})
        answer = httpx.post(f"{base_url}/api/public/events/{event_id}/registrations", json=payload, timeout=serving.HTTP_TIMEOUT)
        assert answer.status_code == 201, answer.text
    door = httpx.post(f"{base_url}/api/public/events/{event_id}/registrations",
                      json=registration_payload("paola.neri@neri.example", 99, first_name="Paola", last_name="Neri"), timeout=serving.HTTP_TIMEOUT)
    assert door.status_code == 201, door.text
    return httpx.get(f"{base_url}/api/public/registrations/{door.json()['manage_token']}", timeout=serving.HTTP_TIMEOUT).json()["checkin_code"]


async def test_a_person_registers_gets_the_email_and_cancels_from_its_link(
    page: Page, base_url: str, server_env: dict[str, str], sink: SmtpSink, settings: Settings
) -> None:
    headers = api_token(base_url, server_env)
    event = publish_talk(base_url, headers)

    await page.goto(f"{base_url}/?lang=en")
    await expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    await shot(page, settings, "event-list")
    await page.get_by_role("link", name="AI generativa per le PMI", exact=True).click()
    await expect(page.get_by_role("heading", name="AI generativa per le PMI", level=1)).to_be_visible()
    await expect(page.locator("#seats-left")).to_have_text("100")
    await shot(page, settings, "event-page")

    await page.get_by_role("link", name="Register").click()
    await page.get_by_label("Email").first.fill("ada.rossi@rossi-meccanica.example")
    await page.get_by_label("First name").first.fill("Ada")
    await page.get_by_label("Last name").first.fill("Rossi")
    await page.get_by_label("VAT number").fill("IT12345678900")
    await page.get_by_label("Company name").fill("Rossi Meccanica Srl")
    await page.locator("#consent_privacy").check()
    await page.get_by_role("button", name="Register").click()
    await expect(page.locator("#company_vat-error")).to_contain_text("This VAT number is not valid")
    await expect(page.get_by_label("Email").first).to_have_value("ada.rossi@rossi-meccanica.example")
    await shot(page, settings, "registration-error")

    await page.get_by_label("VAT number").fill(partita_iva(42))
    await page.get_by_role("button", name="Register").click()
    await expect(page.get_by_role("heading", name="You are registered")).to_be_visible()
    await expect(page.locator("#status")).to_have_text("Confirmed")
    await expect(page.locator("#join-link")).to_have_attribute("href", "https://meet.example.org/j/123456")

    [raw] = wait_for_mail(sink, "ada.rossi@rossi-meccanica.example", 1, server_env)
    message = parse(raw)
    assert "AI generativa per le PMI" in str(message["Subject"])
    link = re.search(rf"{re.escape(base_url)}/registrations/\S+", text_body(raw))
    assert link, text_body(raw)

    await page.goto(link.group(0) + "?lang=en")
    await expect(page.locator("#status")).to_have_text("Confirmed")
    assert "/r/" in page.url
    await shot(page, settings, "manage-page")
    await page.get_by_role("link", name="Cancel my registration").click()
    await expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    await page.get_by_role("button", name="Yes, cancel my registration").click()
    await expect(page.get_by_text("Your registration has been cancelled.")).to_be_visible()
    await expect(page.locator("#status")).to_have_text("Cancelled")

    mails = wait_for_mail(sink, "ada.rossi@rossi-meccanica.example", 2, server_env)
    assert len(mails) == 2
    assert registration_statuses(base_url, headers, event["id"]) == ["cancelled"]


async def test_an_organiser_runs_a_tech_day_from_the_console(
    page: Page, base_url: str, server_env: dict[str, str], settings: Settings
) -> None:
    api_token(base_url, server_env)  # creates organiser@programme.example
    # The sample Zoom report is of 24 Nov 2026, 17:00-18:30 Rome time: the Tech Day takes place
    # on a day ahead at the same hours, and the report is moved to that day.
    day = (datetime.now(UTC) + timedelta(days=10)).astimezone(ROME).date()

    await page.goto(f"{base_url}/console")
    await page.get_by_label("Email").fill("organiser@programme.example")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await expect(page.locator("#n-attendances")).to_have_text("0")

    await page.get_by_role("link", name="Events", exact=True).click()
    await page.get_by_role("link", name="New event").click()
    await page.get_by_label("Kind").select_option("tech_day")
    await page.get_by_label("Mode").select_option("hybrid")
    await page.get_by_label("Title", exact=True).fill("Tech Day Lugano: AI in the factory")
    await page.get_by_label("Description").fill("Cobots, vision and generative AI for SMEs.")
    await page.get_by_label("Starts (local time)").fill(f"{day.isoformat()}T17:00")
    await page.get_by_label("Ends (local time)").fill(f"{day.isoformat()}T18:30")
    await page.get_by_label("Capacity (seats in the room, or online seats)").fill("30")
    await page.get_by_label("Online capacity (hybrid only)").fill("50")
    await page.get_by_label("Venue name").fill("USI Campus Est")
    await page.get_by_label("Venue address").fill("Via la Santa 1")
    await page.get_by_label("City", exact=True).fill("Lugano")
    await page.get_by_label("Join link (online / hybrid)").fill("https://zoom.example/j/8123")
    await page.get_by_label("Speakers").fill("Marco Rossi | marco.rossi@supsi.example | SUPSI")
    await page.get_by_label("Agenda (Tech Day)").fill("17:00-17:30 | Welcome\n17:30-18:30 | Cobots on the shop floor | Marco Rossi")
    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator("#event-status")).to_have_text("draft")
    await page.get_by_role("button", name="Publish").click()
    await expect(page.locator("#event-status")).to_have_text("published")
    event_id = int(re.search(r"/console/events/(\d+)", page.url).group(1))  # type: ignore[union-attr]

    # People register through the public API: the report's people online, one at the door.
    code = register_people(base_url, event_id)

    await page.get_by_role("link", name="Check-in", exact=True).first.click()
    await page.get_by_role("link", name="Tech Day Lugano: AI in the factory").click()
    # No BarcodeDetector or no camera here: the camera button stays hidden, the field does it.
    await expect(page.get_by_role("button", name="Scan with the camera")).to_be_hidden()
    await page.get_by_label("Check-in code").fill(code)
    await page.get_by_label("Check-in code").press("Enter")  # what a handheld scanner does
    await expect(page.locator("#checkin-result")).to_contain_text("Welcome: Paola Neri")
    await shot(page, settings, "checkin")

    await page.goto(f"{base_url}/console")
    await expect(page.locator("#n-attendances")).to_have_text("1")

    report = load("zoom_participants.csv").replace(b"11/24/2026", day.strftime("%m/%d/%Y").encode())
    await page.goto(f"{base_url}/console/events/{event_id}/attendance")
    await page.get_by_label("Participant report (CSV or XLSX from Zoom, Teams or Webex)").set_input_files(
        files=[{"name": "participants.csv", "mimeType": "text/csv", "buffer": report}]
    )
    await page.get_by_label("Platform").select_option("zoom")
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#matched")).to_have_text("6")
    await expect(page.locator("#unmatched-count")).to_have_text("1")
    await expect(page.locator("#attended")).to_have_text("7")
    await expect(page.get_by_role("cell", name="Giulia Ferri")).to_be_visible()

    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator("#n-attendances")).to_have_text("7")
    await expect(page.locator("#n-confirmed")).to_have_text("8")
    await expect(page.locator(f".attended-{event_id}")).to_have_text("7")
    await expect(page.locator("figure.chart svg rect")).to_have_count(2)
    await shot(page, settings, "console-dashboard")

    # The console speaks Italian too: the switch in the header, remembered on the next page.
    await page.get_by_role("link", name="Italiano").click()
    await expect(page.get_by_role("heading", name="Cruscotto", level=1)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "it")
    await page.get_by_role("link", name="Eventi", exact=True).click()
    await expect(page.get_by_role("link", name="Nuovo evento")).to_be_visible()
    await expect(page.get_by_role("button", name="Esci")).to_be_visible()
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("link", name="New event")).to_be_visible()


def tech_day_with_one_registrant(base_url: str, headers: dict[str, str]) -> tuple[int, str]:
    """A published Tech Day and Paola's registration: the event's id and her check-in code."""
    created = httpx.post(f"{base_url}/api/events", json=tech_day_payload(), headers=headers, timeout=serving.HTTP_TIMEOUT)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert httpx.post(f"{base_url}/api/events/{event_id}/publish", headers=headers, timeout=serving.HTTP_TIMEOUT).status_code == 200
    door = httpx.post(f"{base_url}/api/public/events/{event_id}/registrations",
                      json=registration_payload("paola.neri@neri.example", 7, first_name="Paola", last_name="Neri"), timeout=serving.HTTP_TIMEOUT)
    assert door.status_code == 201, door.text
    return event_id, httpx.get(f"{base_url}/api/public/registrations/{door.json()['manage_token']}", timeout=serving.HTTP_TIMEOUT).json()["checkin_code"]


def attended_flags(base_url: str, headers: dict[str, str], event_id: int) -> list[bool]:
    return [row["attended"] for row in httpx.get(f"{base_url}/api/events/{event_id}/registrations", headers=headers, timeout=serving.HTTP_TIMEOUT).json()]


#: The browser's QR reader, for a Chromium that has none (Linux): always sees `code`, the way a
#: QR code held in front of the camera keeps being seen. `deny-camera` in sessionStorage makes
#: the camera refuse, as a person saying no to the permission prompt does.
FAKE_QR_READER = """
(() => {
  window.__detectorFormats = null;
  window.__cameraAsks = [];
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
    constructor(options) { window.__detectorFormats = options.formats; }
    async detect(source) { return [{ rawValue: %s, format: "qr_code" }]; }
  };
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => {
    window.__cameraAsks.push(constraints);
    if (sessionStorage.getItem("deny-camera")) {
      return Promise.reject(new DOMException("refused", "NotAllowedError"));
    }
    return real(constraints);
  };
})();
"""


async def test_the_check_in_camera_reads_a_qr_code_once(
    base_url: str, server_env: dict[str, str], settings: Settings
) -> None:
    headers = api_token(base_url, server_env)
    event_id, code = tech_day_with_one_registrant(base_url, headers)
    cli(server_env, "organiser", "create", "door@programme.example", "--name", "Door", "--password", "correct horse battery",
        "--role", "checkin")

    # Chromium's fake camera (a test pattern) and an accepted permission prompt
    async with chromium_page(extra_args=("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")) as page:
        await page.add_init_script(FAKE_QR_READER % json.dumps(code))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{base_url}/console/login")
        await page.get_by_label("Email").fill("door@programme.example")
        await page.get_by_label("Password").fill("correct horse battery")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Tech Day Lecco: automation and AI").click()

        camera = page.get_by_role("button", name="Scan with the camera")
        await expect(camera).to_be_visible()
        await camera.click()
        # read, put in the field, the form submitted: the server checks Paola in
        await expect(page.locator("#checkin-result")).to_contain_text("Welcome: Paola Neri")
        assert await page.evaluate("window.__detectorFormats") == ["qr_code"]
        # after the page load the camera is on again for the next person, and the code
        # still in front of it is not sent a second time
        await expect(page.get_by_role("status").filter(has_text="Point the camera at the QR code.")).to_be_visible()
        await expect(page.get_by_role("button", name="Stop the camera")).to_be_visible()
        asks = await page.evaluate("window.__cameraAsks")
        assert asks == [{"video": {"facingMode": "environment"}, "audio": False}]
        await page.wait_for_timeout(1500)
        await expect(page.locator("#checkin-result")).to_contain_text("Welcome: Paola Neri")
        assert attended_flags(base_url, headers, event_id) == [True]

        await page.get_by_role("button", name="Stop the camera").click()
        await expect(page.locator("#scanner-status")).to_have_text("Camera stopped.")
        await expect(page.locator("#scanner-video")).to_be_hidden()

        # a refused camera: the button goes, the field stays and has the focus
        await page.evaluate("sessionStorage.setItem('deny-camera', '1')")
        await page.reload()
        await page.get_by_role("button", name="Scan with the camera").click()
        await expect(page.locator("#scanner-status")).to_contain_text("Camera access was refused")
        await expect(page.get_by_role("button", name="Scan with the camera")).to_be_hidden()
        await expect(page.get_by_label("Check-in code")).to_be_focused()
        assert errors == []


def _ambiguous_day_ahead() -> Any:
    """A date at least 8 days ahead whose day is 12 or less and not its month: it reads as a
    date both day-first and month-first, so only the event can tell the two apart."""
    day = (datetime.now(UTC) + timedelta(days=8)).astimezone(ROME).date()
    while day.day > 12 or day.day == day.month:
        day += timedelta(days=1)
    return day


def _on_day(name: str, day: Any) -> bytes:
    """An issue-14 fixture (4 Sep 2025, the week before on 28 Aug) moved to `day`."""
    text = load(name).decode("utf-8-sig")
    text = text.replace("04/09/2025", day.strftime("%d/%m/%Y"))
    return text.replace("28/08/2025", (day - timedelta(days=7)).strftime("%d/%m/%Y")).encode("utf-8-sig")


def _talk_with_the_report_people(base_url: str, headers: dict[str, str], day: Any) -> int:
    """A Tech Talk on `day`, 18:00-19:30 Rome time, with the issue-14 fixtures' people registered."""
    starts = datetime(day.year, day.month, day.day, 18, 0, tzinfo=ROME)
    created = httpx.post(f"{base_url}/api/events", json=event_payload(title="Cybersecurity per le PMI", starts=starts), headers=headers, timeout=serving.HTTP_TIMEOUT)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert httpx.post(f"{base_url}/api/events/{event_id}/publish", headers=headers, timeout=serving.HTTP_TIMEOUT).status_code == 200
    people = [
        ("zoe.mueller@mueller-textil.ch", "Zoë", "Müller"),
        ("niccolo.bernasconi@bernasconi-meccanica.ch", "Niccolò", "Bernasconi"),
        ("chiara.dangelo@dangelo-meccanica.it", "Chiara", "D'Angelo"),
        ("luca.bianchi@officine-bianchi.it", "Luca", "Bianchi"),
        ("anna.keller@keller-praezision.ch", "Anna", "Keller"),
    ]
    for number, (email, first, last) in enumerate(people, start=31):
        answer = httpx.post(f"{base_url}/api/public/events/{event_id}/registrations",
                            json=registration_payload(email, number, first_name=first, last_name=last), timeout=serving.HTTP_TIMEOUT)
        assert answer.status_code == 201, answer.text
    return event_id


def _minutes(base_url: str, headers: dict[str, str], event_id: int) -> dict[str, int]:
    listed = httpx.get(f"{base_url}/api/events/{event_id}/registrations", headers=headers, timeout=serving.HTTP_TIMEOUT).json()
    return {row["email"]: row["minutes_attended"] for row in listed}


async def test_the_console_imports_every_format_and_shows_what_it_left_out(
    page: Page, base_url: str, server_env: dict[str, str]
) -> None:
    """Issue 14 item 7 in Chromium: an Italian Zoom export of a recurring meeting (two days,
    day-first with a 12-hour clock), then an XLSX re-save, then a file that is no report, in
    the console's Italian."""
    headers = api_token(base_url, server_env)
    day = _ambiguous_day_ahead()
    event_id = _talk_with_the_report_people(base_url, headers, day)

    await page.goto(f"{base_url}/console")
    await page.get_by_label("Email").fill("organiser@programme.example")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await page.goto(f"{base_url}/console/events/{event_id}/attendance?lang=it")
    upload = page.get_by_label("Report dei partecipanti (CSV o XLSX da Zoom, Teams o Webex)")

    await upload.set_input_files(files=[{"name": "partecipanti.csv", "mimeType": "text/csv",
                                         "buffer": _on_day("zoom_it_recurring_two_days.csv", day)}])
    await page.get_by_role("button", name="Importa").click()
    await expect(page.locator("#matched")).to_have_text("4")
    await expect(page.locator("#unmatched-count")).to_have_text("2")
    await expect(page.locator("#attended")).to_have_text("3")
    await expect(page.locator("#unmatched")).to_contain_text("Giulia Ferri (organizzatore della riunione)")
    await expect(page.locator("#unmatched")).to_contain_text("Sala riunioni Lecco")
    left_out = page.locator("#left-out")
    week_before = (day - timedelta(days=7)).isoformat()
    await expect(left_out.locator("tr[data-reason=outside_event]")).to_contain_text(week_before)
    await expect(left_out.locator("tr[data-reason=outside_event] td").nth(1)).to_have_text("3")
    await expect(left_out.locator("tr[data-reason=waiting_room]")).to_contain_text("in sala d'attesa")
    await expect(left_out.locator("tr[data-reason=zero_length] td").nth(1)).to_have_text("1")

    # Organisers re-save reports in Excel: the same file as XLSX adds nothing new.
    rows = [line.split(",") for line in _on_day("zoom_it_recurring_two_days.csv", day).decode("utf-8-sig").splitlines()]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    xlsx = io.BytesIO()
    book.save(xlsx)
    await page.get_by_label("Report dei partecipanti (CSV o XLSX da Zoom, Teams o Webex)").set_input_files(
        files=[{"name": "partecipanti.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": xlsx.getvalue()}])
    await page.get_by_role("button", name="Importa").click()
    await expect(page.locator("#matched")).to_have_text("4")
    await expect(page.locator("#attended")).to_have_text("3")
    await expect(page.locator("#intervals-added")).to_have_text("0")

    # A file that is no report: refused whole, naming the columns found and those looked for.
    await page.get_by_label("Report dei partecipanti (CSV o XLSX da Zoom, Teams o Webex)").set_input_files(
        files=[{"name": "iscritti.csv", "mimeType": "text/csv", "buffer": b"Nome,Cognome,Azienda\nAda,Galli,Galli Srl\n"}])
    await page.get_by_role("button", name="Importa").click()
    error = page.locator("#import-error")
    await expect(error).to_contain_text("Nessuna tabella delle presenze")
    await expect(error).to_contain_text("Nome, Cognome, Azienda")
    await expect(error).to_contain_text("Ora di ingresso")
    assert _minutes(base_url, headers, event_id) == {
        "zoe.mueller@mueller-textil.ch": 89, "niccolo.bernasconi@bernasconi-meccanica.ch": 83,
        "chiara.dangelo@dangelo-meccanica.it": 75, "luca.bianchi@officine-bianchi.it": 30, "anna.keller@keller-praezision.ch": 0,
    }
