"""The service's own figures for /metrics, beside Litestar's request metrics.

Domain figures (registrations by outcome, mail by status, outbox depth, the oldest due
message's age, reminder lag, the worker's heartbeat) are read from the database when Prometheus
scrapes, not counted in memory: with several `serve` processes and machines, any one of them
answers with the figures of all, and nothing is lost at a restart. Request counts and latencies
are Litestar's PrometheusMiddleware's, per process (see README: PROMETHEUS_MULTIPROC_DIR).

Reading them counts whole tables (registrations and outbox messages by status): 20-30 ms of
database work per read with 100,000 rows of each, growing with the programme's history. So a
process reads them at most once per EVENTS_METRICS_MAX_AGE seconds (FiguresCache): more
scrapers (a Prometheus pair, a dashboard) or a shorter scrape interval add no database work,
and scrapes that arrive together share one read.

Another domain adds its figures with one entry in FIGURE_SOURCES: an async function returning
prometheus_client metric families (e.g. webhook deliveries by status).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from piccolo.query.functions.aggregate import Count
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from events_service.clock import now_utc
from events_service.mail.figures import messages_by_status, oldest_due_age_s
from events_service.mail.records import OutboxStatus
from events_service.operations.heartbeat import newest_beat
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import Registration

FigureSource = Callable[[], Awaitable[list[Metric]]]

REGISTRATION_STATUSES = tuple(RegistrationStatus)
MAIL_STATUSES = tuple(OutboxStatus)
#: Rows still to be sent, or being sent.
OUTBOX_DEPTH_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.RETRY, OutboxStatus.SENDING)


async def registration_figures() -> list[Metric]:
    rows = await Registration.select(Registration.status, Count(Registration.id, alias="count")).group_by(Registration.status)
    counts = {row["status"]: int(row["count"]) for row in rows}
    family = GaugeMetricFamily("events_registrations", "Registrations by outcome (status), every process", labels=["status"])
    for status in sorted({*REGISTRATION_STATUSES, *counts}):
        family.add_metric([status], counts.get(status, 0))
    return [family]


async def mail_figures() -> list[Metric]:
    counts = await messages_by_status()
    by_status = GaugeMetricFamily("events_mail_messages", "Outbox messages by status", labels=["status"])
    for status in sorted({*MAIL_STATUSES, *counts}):
        by_status.add_metric([status], counts.get(status, 0))
    depth = GaugeMetricFamily("events_outbox_depth", "Messages queued, backing off or being sent")
    depth.add_metric([], sum(counts.get(status, 0) for status in OUTBOX_DEPTH_STATUSES))
    now = now_utc()
    oldest = GaugeMetricFamily("events_outbox_oldest_due_age_seconds", "How long the oldest due message has waited (0: none due)")
    oldest.add_metric([], await oldest_due_age_s(now=now) or 0.0)
    reminders = GaugeMetricFamily("events_reminder_lag_seconds", "How long the oldest due reminder has waited (0: none due)")
    reminders.add_metric([], await oldest_due_age_s(kind="reminder", now=now) or 0.0)
    return [by_status, depth, oldest, reminders]


async def worker_figures() -> list[Metric]:
    beat = await newest_beat()
    family = GaugeMetricFamily("events_worker_heartbeat_age_seconds", "Seconds since a worker last beat (NaN: never)")
    family.add_metric([], math.nan if beat is None else (now_utc() - beat).total_seconds())
    return [family]


#: Every source of domain figures, read when a scrape finds the last read too old (FiguresCache).
FIGURE_SOURCES: list[FigureSource] = [registration_figures, mail_figures, worker_figures]


class _Fixed(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


async def domain_metrics_text(sources: Iterable[FigureSource] = FIGURE_SOURCES) -> bytes:
    """The domain figures in Prometheus text format, read now."""
    families: list[Metric] = []
    for source in sources:
        families += await source()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    return generate_latest(registry)


class FiguresCache:
    """The domain figures of one process, read at most once per `max_age_s` seconds: a scrape
    inside that window gets the text of the last read, without touching the database. Scrapes
    that arrive while a read is under way wait for that read and share it (single flight), so
    concurrent scrapes never pile reads onto the database. `max_age_s` 0: every scrape reads
    (but one arriving during a read shares it).

    A failed read is not kept: its scrapes fail, and the next scrape reads again. The read runs
    in a task of its own, so a scraper that hangs up does not cancel it for the others.
    """

    def __init__(self, max_age_s: float, sources: Sequence[FigureSource] = FIGURE_SOURCES) -> None:
        self._max_age_s = max_age_s
        self._sources = sources
        self._text: bytes | None = None
        self._read_at = 0.0
        self._reading: asyncio.Task[bytes] | None = None

    async def text(self) -> bytes:
        if self._text is not None and time.monotonic() - self._read_at < self._max_age_s:
            return self._text
        if self._reading is None:
            self._reading = asyncio.create_task(self._read())
            self._reading.add_done_callback(_retrieved)
        return await asyncio.shield(self._reading)

    async def _read(self) -> bytes:
        try:
            started = time.monotonic()  # figures are as old as the moment the read began
            text = await domain_metrics_text(self._sources)
            self._text, self._read_at = text, started
            return text
        finally:
            self._reading = None


def _retrieved(task: asyncio.Task[bytes]) -> None:
    """A read's failure reaches the scrapes awaiting it; when every one of them has hung up,
    nobody would, and asyncio would log 'exception was never retrieved'."""
    if not task.cancelled():
        task.exception()
