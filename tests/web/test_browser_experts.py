"""The console's Innovation Experts in a real browser (Playwright driving Debian's Chromium)
against a served process, on SQLite and PostgreSQL: add an expert, open their availability on a
Tech Day with a break and a room, see a booking in the slots grid and mark it held; a
screenshot into docs/screenshots/ from the SQLite run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.app import running_service
from events_service.experts.tables import ExpertMeeting, ExpertSlot
from events_service.settings import Settings
from tests import serving
from tests.factories import published_event, registration_payload
from tests.support.browser import BROWSER_MARKS, chromium_page
from tests.web.test_browser import shot

with suppress(ImportError):  # without Playwright, BROWSER_MARKS skip the module, saying why
    from playwright.async_api import Page, expect

pytestmark = BROWSER_MARKS


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with chromium_page(width=1300) as opened:
        yield opened


def _local(day: dict[str, str], minutes: int) -> datetime:
    return (datetime.fromisoformat(day["starts_at"]) + timedelta(minutes=minutes)).astimezone(ZoneInfo(day["timezone"]))


async def test_experts_console_in_the_browser(settings: Settings, tmp_path: Path, page: Page) -> None:
    with serving.served(serving.server_env(settings, tmp_path / "var")) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            headers = await serving.organiser_headers(http, settings, "olga")
            day = await published_event(http, headers, tech_day=True, title="Tech Day Lecco: automation and AI")

            await page.goto(f"{base_url}/console/login")
            await page.get_by_label("Email").fill("olga.organiser@programme.example")
            await page.get_by_label("Password").fill("olga-password")
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("link", name="Experts", exact=True).click()
            await page.get_by_label("Name").fill("Elena Conti")
            await page.get_by_label("Email").fill("elena.conti@experts.example")
            await page.get_by_label("Topics").fill("automation, energy")
            await page.get_by_label("Languages spoken").fill("it, en")
            await page.get_by_role("button", name="Add expert").click()
            await expect(page.locator("#experts tbody tr")).to_have_count(1)
            await expect(page.locator("#experts")).to_contain_text("automation, energy")

            await page.goto(f"{base_url}/console/events/{day['id']}")
            await page.get_by_role("link", name="Experts and meetings").click()
            await page.get_by_label("Expert", exact=True).select_option(label="Elena Conti")
            await page.get_by_label("From (local time)").fill(_local(day, 60).strftime("%Y-%m-%dT%H:%M"))
            await page.get_by_label("Until (local time)").fill(_local(day, 180).strftime("%Y-%m-%dT%H:%M"))
            await page.get_by_label("Minutes per slot").fill("20")
            await page.get_by_label("Breaks (optional)").fill(f"{_local(day, 100):%H:%M}-{_local(day, 120):%H:%M}")
            await page.get_by_label("Room (optional)").fill("Sala Volta")
            await page.get_by_role("button", name="Open slots").click()
            await expect(page.locator("#notice")).to_be_visible()
            await expect(page.locator("#expert-slots tbody tr")).to_have_count(5)  # 60-100 and 120-180 in 20-minute slots
            elena = (await http.get("/api/experts", headers=headers)).json()[0]
            await expect(page.locator(f"#room-{elena['id']}")).to_have_value("Sala Volta")

            async with running_service(settings):
                first = await ExpertSlot.select(ExpertSlot.id).order_by(ExpertSlot.starts_at).first()
            registration = (await http.post(f"/api/public/events/{day['id']}/registrations", json=registration_payload(
                "luca.verdi@verdi-meccanica.example", company_no=3))).json()
            booked = await http.post(f"/api/public/registrations/{registration['manage_token']}/meetings",
                                     json={"slot_id": first["id"], "topic": "cobot safety"})
            assert booked.status_code == 201, booked.text

            await page.reload()
            row = page.locator(f"#slot-{first['id']}")
            await expect(row).to_contain_text("Azienda 3 Srl")
            await expect(row).to_contain_text("Luca Verdi")
            await expect(row).to_contain_text("cobot safety")
            await row.get_by_role("button", name="Mark as held").click()
            await expect(page.locator(f"#slot-{first['id']} .meeting-status")).to_have_text("held")
            await shot(page, settings, "console-experts")
            async with running_service(settings):
                assert (await ExpertMeeting.select(ExpertMeeting.status).first())["status"] == "held"
