"""What the worker runs for webhooks (collected by worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.webhooks.delivery import deliver_due

JOBS = [PeriodicJob("webhook deliveries", deliver_due, every_seconds=1.0)]
