"""Fixtures for the mail tests: the database open (no background worker), a real SMTP sink,
a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from events_service.app import running_service
from events_service.settings import Settings
from tests.support.smtp import ManualClock


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Settings]:
    """The database open and migrated, as in the running service (run_worker is off)."""
    async with running_service(settings):
        yield settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
