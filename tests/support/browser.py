"""Debian's Chromium driven by Playwright, for the browser tests in tests/web: where it lives,
how it is started, and the marks that skip a module loudly when either is missing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

#: How long `expect(...)` waits for the page to show what it asserts (Playwright's default is
#: 5 s). A page that answers a click through the served app can take longer than that on a
#: loaded 2-core CI machine running Chromium beside the server; a page that never shows it
#: still fails, later. Actions (click, goto) keep Playwright's own 30 s.
EXPECT_TIMEOUT_MS = 30_000

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = None  # type: ignore[assignment]
else:
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # the one `expect` every browser module imports

#: A browser test module's `pytestmark`: skipped, saying why, without Playwright or Chromium.
BROWSER_MARKS = [
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed (pip install playwright): browser tests did NOT run"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (make browser / apt-get install chromium): browser tests did NOT run"),
]


@asynccontextmanager
async def chromium_page(width: int = 1200, extra_args: tuple[str, ...] = (), **context_options: Any) -> AsyncIterator[Page]:
    """A fresh page in a fresh headless Chromium, English (en-GB) unless told otherwise; closed
    after. `extra_args` go to Chromium (e.g. a fake camera); `context_options` to Playwright's
    new_context (e.g. java_script_enabled=False)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        context = await browser.new_context(viewport={"width": width, "height": 900}, **{"locale": "en-GB", **context_options})
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()
