"""The worker's heartbeat: every worker process writes when it was last alive, and /readyz
reads the newest one. A row per process (host:pid), so several workers never fight over one;
rows of processes gone for a day are pruned by the next beat."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from events_service.clock import now_utc, stored_utc
from events_service.jobs import PeriodicJob
from events_service.operations.tables import WorkerHeartbeat
from events_service.settings import Settings

#: How often a worker beats: well inside EVENTS_READY_MAX_HEARTBEAT_AGE's default (180 s).
BEAT_EVERY_S = 30.0
_FORGOTTEN_AFTER = timedelta(days=1)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


async def beat(worker_id: str | None = None, *, now: datetime | None = None) -> None:
    moment = now or now_utc()
    await WorkerHeartbeat.insert(WorkerHeartbeat(worker_id=worker_id or this_worker(), beat_at=moment)).on_conflict(
        target=WorkerHeartbeat.worker_id, action="DO UPDATE", values=[WorkerHeartbeat.beat_at]
    )
    await WorkerHeartbeat.delete().where(WorkerHeartbeat.beat_at < moment - _FORGOTTEN_AFTER)


async def newest_beat() -> datetime | None:
    row = await WorkerHeartbeat.select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at, ascending=False).first()
    return stored_utc(row["beat_at"]) if row else None


async def _beat_job(_: Settings) -> None:
    await beat()


def heartbeat_job(every_seconds: float = BEAT_EVERY_S) -> PeriodicJob:
    """The periodic job every worker runs (worker.py registers it)."""
    return PeriodicJob("worker heartbeat", _beat_job, every_seconds)


JOBS = [heartbeat_job()]
