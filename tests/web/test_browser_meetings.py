"""A meeting with an Innovation Expert, booked and cancelled from the manage page in a real
browser (Playwright driving Debian's Chromium, with JavaScript off: the page's plain forms must
do it all) against a served process, with mail delivered by `events-service worker --once` to
an SMTP sink. SQLite and PostgreSQL; screenshots into docs/screenshots/ from the SQLite run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.settings import Settings
from tests.factories import registration_payload, tech_day_payload
from tests.mailparse import calendar_of
from tests.serving import HTTP_TIMEOUT
from tests.support.browser import chromium_page
from tests.support.smtp import SmtpSink
from tests.web.test_browser import (
    api_token,
    base_url,
    pytestmark,
    server_env,
    shot,
    wait_for_mail,
)

with suppress(ImportError):  # without Playwright, test_browser's pytestmark skips the module, saying why
    from playwright.async_api import Page, expect

__all__ = ["base_url", "pytestmark", "server_env"]

ROME = ZoneInfo("Europe/Rome")
PAOLA = "paola.neri@neri-automazione.example"
EXPERT = "elena.conti@experts.example"
VENUE = "Polo Territoriale di Lecco, Via Gaetano Previati 1/c, Lecco"
ROOM = "Sala Volta, first floor"


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A browser page with JavaScript turned off: booking and cancelling are plain forms."""
    async with chromium_page(java_script_enabled=False) as opened:
        yield opened


def _tech_day_with_an_expert(base_url: str, headers: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A published Tech Day (Europe/Rome) and Elena's three 20-minute slots an hour after it
    begins, in a room of the venue."""
    created = httpx.post(f"{base_url}/api/events", json=tech_day_payload(), headers=headers, timeout=HTTP_TIMEOUT)
    assert created.status_code == 201, created.text
    day = created.json()
    assert httpx.post(f"{base_url}/api/events/{day['id']}/publish", headers=headers, timeout=HTTP_TIMEOUT).status_code == 200
    elena = httpx.post(f"{base_url}/api/experts", headers=headers, json={
        "name": "Elena Conti", "email": EXPERT, "topics": ["automation", "energy"], "languages": ["it", "en"]}, timeout=HTTP_TIMEOUT)
    assert elena.status_code == 201, elena.text
    starts = datetime.fromisoformat(day["starts_at"]) + timedelta(hours=1)
    cut = httpx.post(f"{base_url}/api/events/{day['id']}/expert-slots", headers=headers, json={
        "expert_id": elena.json()["id"], "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=60)).isoformat(), "minutes": 20, "room": ROOM}, timeout=HTTP_TIMEOUT)
    assert cut.status_code == 201, cut.text
    return day, cut.json()


def _register(base_url: str, day_id: int, email: str, company_no: int, **names: str) -> str:
    answer = httpx.post(f"{base_url}/api/public/events/{day_id}/registrations", json=registration_payload(email, company_no, **names), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 201 and answer.json()["status"] == "confirmed", answer.text
    return answer.json()["manage_token"]


def _local_span(slot: dict[str, Any]) -> str:
    """'10:20–10:40': the slot's start and end on the Tech Day's clock (Europe/Rome)."""
    start, end = (datetime.fromisoformat(slot[key]).astimezone(ROME) for key in ("starts_at", "ends_at"))
    return f"{start:%H:%M}–{end:%H:%M}"


def _meeting_invites(raws: list[bytes]) -> list[tuple[str, str, int]]:
    """(METHOD, UID, SEQUENCE) of each meeting invite among the messages, in arrival order."""
    found = []
    for raw in raws:
        calendar = calendar_of(raw)
        if calendar is None:
            continue
        event = calendar.walk("VEVENT")[0]
        if str(event["UID"]).startswith("meeting-"):  # not the registration's own invite
            found.append((str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])))
    return found


def _of_meeting(uid: str, raws: list[bytes]) -> list[tuple[str, int]]:
    """(METHOD, SEQUENCE) of the invites of the meeting `uid`, by SEQUENCE."""
    return sorted(((method, sequence) for method, other, sequence in _meeting_invites(raws) if other == uid), key=lambda pair: pair[1])


async def test_a_registrant_books_sees_and_cancels_a_meeting_from_the_manage_page(
    page: Page, base_url: str, server_env: dict[str, str], sink: SmtpSink, settings: Settings
) -> None:
    headers = api_token(base_url, server_env)
    day, cut = _tech_day_with_an_expert(base_url, headers)
    token = _register(base_url, day["id"], PAOLA, 7, first_name="Paola", last_name="Neri")
    quicker = _register(base_url, day["id"], "marco.galli@galli-stampi.example", 8)

    await page.goto(f"{base_url}/r/{token}?lang=en")
    await expect(page.get_by_role("heading", name="Meetings with Innovation Experts")).to_be_visible()
    free = page.get_by_label("Free slot")
    await expect(free.locator("option")).to_have_count(3)
    await expect(free.locator("option").first).to_contain_text(f"{_local_span(cut[0])} · Elena Conti (automation, energy)")

    # Paola picks the first slot; someone else books it before she presses the button.
    await free.select_option(str(cut[0]["id"]))
    async with httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT) as http:
        taken = await http.post(f"/api/public/registrations/{quicker}/meetings", json={"slot_id": cut[0]["id"]})
    assert taken.status_code == 201, taken.text
    await page.get_by_role("button", name="Book a meeting").click()
    await expect(page.get_by_role("alert")).to_have_text("Someone booked this slot a moment ago. Please choose another one.")
    await expect(free.locator("option")).to_have_count(2)  # the page shows what is free now
    await shot(page, settings, "meeting-slot-taken")

    await free.select_option(str(cut[1]["id"]))
    await page.get_by_label("Topic (optional)").fill("Energy audit of our press line")
    await page.get_by_role("button", name="Book a meeting").click()
    await expect(page.locator("#meeting-booked")).to_have_text("Your meeting is booked. We have sent you a calendar invite.")
    meeting = page.locator("#my-meetings li.meeting")
    await expect(meeting).to_have_count(1)
    await expect(meeting.locator(".meeting-expert")).to_have_text("Elena Conti")
    await expect(meeting.locator(".meeting-when")).to_contain_text(_local_span(cut[1]))
    await expect(meeting.locator(".meeting-topic")).to_have_text("Energy audit of our press line")
    await expect(meeting.locator(".meeting-room")).to_have_text(f"Room: {ROOM}")
    await expect(meeting.locator(".meeting-where")).to_have_text(f"Where: {VENUE}")
    # Elena's last slot is free, but Paola's company has its meeting with her that day: not offered.
    await expect(free.locator("option")).to_have_count(0)
    await expect(page.locator("#no-free-slots")).to_have_text("No free slots you can book are left.")
    await shot(page, settings, "meeting-booked")

    # Both Paola and Elena get the meeting's own invite (REQUEST).
    paola_mail = wait_for_mail(sink, PAOLA, 2, server_env)  # her registration, then the meeting
    [(method, uid, sequence)] = _meeting_invites(paola_mail)
    assert (method, sequence) == ("REQUEST", 0)
    assert _of_meeting(uid, wait_for_mail(sink, EXPERT, 2, server_env)) == [("REQUEST", 0)]  # and Marco's meeting

    # Cancelling asks first; "No, keep it" keeps it.
    await meeting.get_by_role("link", name="Cancel this meeting").click()
    await expect(page.get_by_role("heading", name="Cancel this meeting?")).to_be_visible()
    await expect(page.locator("li.meeting .meeting-when")).to_contain_text(_local_span(cut[1]))
    await shot(page, settings, "meeting-cancel")
    await page.get_by_role("link", name="No, keep it").click()
    await expect(page.locator("#my-meetings li.meeting")).to_have_count(1)
    await page.locator("#my-meetings li.meeting").get_by_role("link", name="Cancel this meeting").click()
    await page.get_by_role("button", name="Yes, cancel this meeting").click()

    await expect(page.locator("#meeting-cancelled")).to_have_text("Your meeting has been cancelled.")
    await expect(page.locator("#my-meetings")).to_have_count(0)
    await expect(free.locator("option")).to_have_count(2)  # her slot is free again
    await expect(free.locator(f"option[value='{cut[1]['id']}']")).to_contain_text(_local_span(cut[1]))

    # The CANCEL reaches both, same UID, SEQUENCE raised.
    assert _of_meeting(uid, wait_for_mail(sink, PAOLA, 3, server_env)) == [("REQUEST", 0), ("CANCEL", 1)]
    assert _of_meeting(uid, wait_for_mail(sink, EXPERT, 3, server_env)) == [("REQUEST", 0), ("CANCEL", 1)]
    async with httpx.AsyncClient(base_url=base_url, timeout=HTTP_TIMEOUT) as http:
        public = (await http.get(f"/api/public/events/{day['id']}/expert-slots")).json()
    assert [slot["id"] for slot in public] == [cut[1]["id"], cut[2]["id"]]
