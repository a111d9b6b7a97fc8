"""Readiness: can this process serve a request whose effects reach people? 503 when the
database does not answer, migrations are pending, no worker has beaten its heartbeat lately
(mail and reminders would pile up unseen), or a due email has waited too long."""

from __future__ import annotations

import asyncio

import msgspec

from events_service import db
from events_service.clock import now_utc
from events_service.mail.figures import oldest_due_age_s
from events_service.operations.heartbeat import newest_beat
from events_service.settings import Settings

#: A database slower than this to say `SELECT 1` is as good as gone for a load balancer.
DATABASE_TIMEOUT_S = 3.0


class ReadinessChecks(msgspec.Struct):
    database: str
    migrations: str
    worker_heartbeat_age_s: float | None
    oldest_due_mail_age_s: float | None


class Readiness(msgspec.Struct):
    status: str  # "ok" or "unavailable"
    checks: ReadinessChecks

    @property
    def ready(self) -> bool:
        return self.status == "ok"


async def readiness(settings: Settings) -> Readiness:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            await db.run_sql("SELECT 1 AS one")
            pending = await db.pending_migrations()
            beat = await newest_beat()
            mail_age = await oldest_due_age_s()
    except Exception as error:  # any failure of the database is "not ready", never a 500
        reason = "no answer" if isinstance(error, TimeoutError) else type(error).__name__
        return Readiness("unavailable", ReadinessChecks(f"unavailable: {reason}", "unknown", None, None))
    heartbeat_age = None if beat is None else round(max((now_utc() - beat).total_seconds(), 0.0), 1)
    ready = (
        not pending
        and heartbeat_age is not None
        and heartbeat_age <= settings.ready_max_heartbeat_age_s
        and (mail_age is None or mail_age <= settings.ready_max_mail_delay_s)
    )
    checks = ReadinessChecks(
        database="ok",
        migrations="ok" if not pending else f"{len(pending)} pending",
        worker_heartbeat_age_s=heartbeat_age,
        oldest_due_mail_age_s=None if mail_age is None else round(mail_age, 1),
    )
    return Readiness("ok" if ready else "unavailable", checks)
