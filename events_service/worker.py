"""Wiring of the background worker: the mail dispatcher, with every domain's message
renderers, plus every domain's periodic jobs (reminders, event-update notices, attendance
follow-up, and the clean-ups of mail quotas, sign-in failures and console sessions). Each domain lists its own in its ``background`` module; this module only
collects them, so mail/ and the domains below know nothing of each other.

It runs inside ``events-service serve`` (when EVENTS_RUN_WORKER is on, the default) or on
its own as ``events-service worker``. Any number of workers may run against PostgreSQL;
they coordinate only through row locks, never through memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from events_service.attendance import background as attendance
from events_service.attendance.door_codes import add_door_code_reader
from events_service.audit.actor import SYSTEM, acting_as
from events_service.broadcasts import background as broadcasts
from events_service.clock import now_utc
from events_service.experts import background as experts
from events_service.jobs import PeriodicJob
from events_service.mail import retention as mail_retention
from events_service.mail.dispatcher import Clock, Dispatcher, DispatchStats
from events_service.mail.renderers import MessageRenderers
from events_service.mail.transport import Transport, transport_from_settings
from events_service.operations import heartbeat
from events_service.organisers import background as organisers
from events_service.privacy import retention as privacy_retention
from events_service.registrations import background as registrations
from events_service.registrations.cancel_hooks import add_cancel_hook
from events_service.reminders import background as reminders
from events_service.replies import background as replies
from events_service.replies.meeting_invites import MeetingReplies, set_meeting_replies
from events_service.settings import Settings
from events_service.web import background as web
from events_service.webhooks import background as webhooks

__all__ = ["MESSAGE_RENDERERS", "PERIODIC_JOBS", "Worker", "new_dispatcher", "running_worker"]

log = logging.getLogger(__name__)

#: How every kind of outbox intent becomes an email, whichever domain wrote it.
MESSAGE_RENDERERS = MessageRenderers([*registrations.MESSAGE_KINDS, *reminders.MESSAGE_KINDS, *broadcasts.MESSAGE_KINDS])

#: The periodic jobs every worker runs, besides dispatching mail. Each is idempotent (outbox
#: keys, conditional updates), so any number of workers may run them at the same time.
PERIODIC_JOBS: list[PeriodicJob] = [*reminders.JOBS, *registrations.JOBS, *attendance.JOBS, *heartbeat.JOBS,
                                   *mail_retention.JOBS, *privacy_retention.JOBS, *organisers.JOBS, *web.JOBS, *webhooks.JOBS,
                                   *replies.JOBS, *experts.JOBS]

# A cancelled registration takes its expert meetings with it, whoever cancelled it (the hook
# runs in registrations.service.cancel_in_transaction; this module is imported by every entry point).
for _hook in experts.CANCEL_HOOKS:
    add_cancel_hook(_hook)
# A meeting's QR at the door's check-in marks the meeting held (attendance/door_codes.py).
for _reader in experts.DOOR_CODE_READERS:
    add_door_code_reader(_reader)
# Replies to an expert meeting's invite act on the meeting (replies/meeting_invites.py).
set_meeting_replies(MeetingReplies(find=experts.FIND_MEETING_OF_INVITE, cancel=experts.CANCEL_MEETING,
                                   record_answer=experts.RECORD_MEETING_ANSWER))


def new_dispatcher(settings: Settings, transport: Transport, worker_id: str | None = None, **options: object) -> Dispatcher:
    """A Dispatcher that renders every domain's intents (tests and benchmarks use it too)."""
    return Dispatcher(settings, transport, worker_id, renderers=MESSAGE_RENDERERS, **options)  # type: ignore[arg-type]


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: Transport | None = None,
        worker_id: str | None = None,
        jobs: Sequence[PeriodicJob] | None = None,
        batch_size: int = 50,
        idle_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        now: Clock = now_utc,
    ) -> None:
        self.settings = settings
        self.transport = transport or transport_from_settings(settings)
        self.jobs = list(PERIODIC_JOBS if jobs is None else jobs)
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.dispatcher = new_dispatcher(settings, self.transport, worker_id, now=now, lease_seconds=lease_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; then the batch in hand is finished and connections closed."""
        log.info("worker %s started", self.dispatcher.worker_id)
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(
                    self.dispatcher.run_forever(stop, self.idle_seconds, self.batch_size)
                )
                for job in self.jobs:
                    tasks.create_task(self._repeat(job, stop))
        finally:
            await self.transport.close()
            log.info("worker %s stopped", self.dispatcher.worker_id)

    async def run_once(self) -> DispatchStats:
        """Run every job once, then send all that is due: ``events-service worker --once``."""
        try:
            for job in self.jobs:
                await self._run_job(job)
            return await self.dispatcher.drain(self.batch_size)
        finally:
            await self.transport.close()

    async def _repeat(self, job: PeriodicJob, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._run_job(job)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(job.every_seconds):
                    await stop.wait()

    async def _run_job(self, job: PeriodicJob) -> None:
        try:
            # What a job changes is the system's doing in the audit log, whoever started the
            # process (a worker inside `serve` inherits its context from the app's start-up).
            with acting_as(SYSTEM):
                await job.run(self.settings)
        except Exception:  # one failing job must not stop the mail, nor the next run
            log.exception("periodic job %s failed", job.name)


def _report_early_end(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    # Without this a crashed worker would go unnoticed until shutdown: mail would just pile up.
    if not stop.is_set() and not task.cancelled():
        log.error("the mail worker stopped unexpectedly", exc_info=task.exception())


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, **options: object) -> AsyncIterator[Worker]:
    """A Worker in a task beside the web app: started on entry, stopped gracefully on exit
    (a send in progress may finish; past the grace period it is cancelled, and its rows are
    sent again once their lease runs out)."""
    worker = Worker(settings, **options)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="events-service-worker")
    task.add_done_callback(lambda done: _report_early_end(done, stop))
    try:
        yield worker
    finally:
        stop.set()
        grace = worker.transport.max_send_seconds + 5
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:
            log.exception("worker ended with an error")
