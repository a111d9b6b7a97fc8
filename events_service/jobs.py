"""A periodic job: what a domain asks the background worker to run every so often.

Each domain lists its own jobs (e.g. `reminders.background.JOBS`); the wiring
(`events_service/worker.py`) collects them. Nothing below the domains knows which jobs exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from events_service.settings import Settings

__all__ = ["PeriodicJob"]


@dataclass(frozen=True)
class PeriodicJob:
    """``run(settings)`` every ``every_seconds``. A job must be safe to run in several
    workers at once (e.g. outbox idempotency keys): no worker is the only one."""

    name: str
    run: Callable[[Settings], Awaitable[object]]
    every_seconds: float
