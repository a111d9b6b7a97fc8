"""The console's reports page in a real browser (Playwright driving Debian's Chromium) against a
served process whose database holds the demo with its past (demo_history.py), on SQLite and
PostgreSQL; screenshots into docs/screenshots/ from the SQLite run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events_service.app import running_service
from events_service.demo import DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD, load_demo
from events_service.settings import Settings
from tests import serving
from tests.support.browser import BROWSER_MARKS, chromium_page
from tests.web.test_browser import shot

with suppress(ImportError):  # without Playwright, BROWSER_MARKS skip the module, saying why
    from playwright.async_api import Page, expect

pytestmark = BROWSER_MARKS


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with chromium_page() as opened:
        yield opened


async def test_the_reports_page_in_the_browser(settings: Settings, tmp_path: Path, page: Page) -> None:
    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    async with running_service(settings):
        await load_demo(today=today, settings=settings)
    period = f"from={(today - timedelta(days=90)).isoformat()}&to={today.isoformat()}"
    with serving.served(serving.server_env(settings, tmp_path / "var")) as base_url:
        await page.goto(f"{base_url}/console/login")
        await page.get_by_label("Email").fill(DEMO_ORGANISER_EMAIL)
        await page.get_by_label("Password").fill(DEMO_ORGANISER_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Reports", exact=True).click()
        await expect(page.get_by_role("heading", name="Reports for the funder")).to_be_visible()
        # the chosen period, through the form as an organiser types it
        await page.get_by_label("From").fill((today - timedelta(days=90)).isoformat())
        await page.get_by_label("To", exact=True).fill(today.isoformat())
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("#figure-participations .big")).to_have_text("19")
        await expect(page.locator("#figure-cross_border_participations .big")).to_have_text("3")
        await expect(page.locator("#figure-public_events .big")).to_have_text("1")
        for chart in ("chart-month", "chart-country", "chart-region", "chart-size", "chart-kind"):
            await expect(page.locator(f"svg#{chart}")).to_be_visible()
            assert await page.locator(f"svg#{chart} rect[fill^='url(#']").count() >= 1, chart
        await shot(page, settings, "console-reports")

        # a bar opens the rows it counts: Ticino's participations
        await page.locator("svg#chart-region a[href*='region=CH-TI'] rect").click()
        await expect(page.get_by_role("heading", name="Evidence: participations")).to_be_visible()
        total = int(await page.locator("#evidence-total").inner_text())
        assert total >= 1
        assert await page.locator("#evidence tbody tr").count() == total
        await shot(page, settings, "console-evidence")
        async with page.expect_download() as download:
            await page.get_by_role("link", name="Excel").click()
        assert (await download.value).suggested_filename == "evidence-participations.xlsx"

        # the same page in Italian
        await page.goto(f"{base_url}/console/reports?{period}&lang=it")
        await expect(page.get_by_role("heading", name="Report per il finanziatore")).to_be_visible()
        await expect(page.get_by_role("heading", name="Partecipazioni per provincia o cantone")).to_be_visible()
