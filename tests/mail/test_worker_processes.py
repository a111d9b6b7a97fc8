"""Real `events-service worker` processes against one PostgreSQL database and one SMTP server:
several workers never send a message twice; a worker killed with SIGKILL loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events_service.db import write_transaction
from events_service.mail import outbox
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import SmtpTransport
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.support.polling import eventually
from tests.support.smtp import SmtpSink, make_message

CONNECTIONS = 4  # SMTP connections per worker
# The transport's own default. A send slower than this is a temporary failure retried later, which
# `--once` leaves queued: 0.5 s here made a loaded 2-core CI machine lose 2 of 2,000 to a retry.
SMTP_TIMEOUT = 10.0
# The SIGKILL test wants a short lease, and a lease must outlast two sends' timeout.
KILL_TEST_SMTP_TIMEOUT = 2.0
KILL_TEST_LEASE = 6.0


@pytest.fixture
def postgres_only(service: Settings) -> Settings:
    if service.is_sqlite:
        pytest.skip("SQLite runs one dispatcher at a time: concurrent worker processes are a PostgreSQL feature")
    return service


async def queue_messages(count: int) -> set[str]:
    message_ids: set[str] = set()
    async with write_transaction():
        for n in range(count):
            message = make_message(n)
            message_ids.add(str(message["Message-ID"]))
            assert await outbox.enqueue(message, kind="reminder", idempotency_key=f"reminder:{n}:60:0")
    return message_ids


def start_worker(
    settings: Settings, sink: SmtpSink, tmp_path: Path, *args: str, smtp_timeout: float = SMTP_TIMEOUT
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "EVENTS_DB": settings.db_url,
        "EVENTS_SMTP_URL": sink.url(timeout=smtp_timeout, connections=CONNECTIONS),
        "EVENTS_VAR_DIR": str(tmp_path / "var"),
        "EVENTS_SECRET_KEY": "worker-test-secret-key-long-enough-for-hs256",
        "EVENTS_MAIL_FROM": settings.mail_from,
    }
    command = [sys.executable, "-m", "events_service.cli", "worker", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 90) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def kill(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=10)
    return output


async def send_the_retries(settings: Settings, sink: SmtpSink, tmp_path: Path, *args: str) -> None:
    """A send slower than its timeout on a loaded machine is a retry for later, not a loss: make
    such rows due now and send them, so the test judges what the kill did, not the machine's speed."""
    for _ in range(3):
        if not await OutboxMessage.exists().where(OutboxMessage.status == "retry"):
            return
        await OutboxMessage.update({OutboxMessage.send_after: datetime.now(UTC)}).where(OutboxMessage.status == "retry")
        finish(start_worker(settings, sink, tmp_path, "--once", *args, smtp_timeout=KILL_TEST_SMTP_TIMEOUT))


async def test_two_workers_send_2000_messages_exactly_once(postgres_only: Settings, sink: SmtpSink, tmp_path: Path) -> None:
    message_ids = await queue_messages(2000)
    workers = [start_worker(postgres_only, sink, tmp_path, "--once") for _ in range(2)]
    outputs = [finish(worker) for worker in workers]

    arrived = sink.handler.counts()
    assert sum(arrived.values()) == 2000, outputs
    assert set(arrived) == message_ids
    assert max(arrived.values()) == 1
    rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.claimed_by)
    assert Counter(row["status"] for row in rows) == {"sent": 2000}
    per_worker = Counter(row["claimed_by"] for row in rows)
    assert len(per_worker) == 2, f"one worker did everything: {per_worker}"  # both took part
    assert all("sent" in output for output in outputs)


async def test_a_worker_killed_mid_batch_loses_nothing(postgres_only: Settings, sink: SmtpSink, tmp_path: Path) -> None:
    lease = ["--lease-seconds", str(KILL_TEST_LEASE)]
    message_ids = await queue_messages(1000)
    sink.handler.delay_data = 0.002  # a little server time per message: the kill lands mid-send
    orphaned = 0
    for _ in range(5):  # the batch may finish between seeing it and the kill: then try again
        first = start_worker(postgres_only, sink, tmp_path, *lease, smtp_timeout=KILL_TEST_SMTP_TIMEOUT)
        stopped = False
        try:
            eventually(lambda worker=first: sum(sink.handler.counts().values()) >= 300 or worker.poll() is not None,
                       timeout=60, interval=0.02, what="the worker sent too little before the kill")
            stopped = first.poll() is not None
            # Kill it holding a claimed batch (not between two batches, nor mid-claim).
            deadline = time.monotonic() + 10
            while not stopped and not await OutboxMessage.exists().where(OutboxMessage.status == "sending"):
                assert time.monotonic() < deadline, "the worker never held a batch"
        finally:
            output = kill(first)
        assert not stopped, f"the worker stopped by itself:\n{output}"
        killed_at = time.monotonic()
        orphaned = await OutboxMessage.count().where(OutboxMessage.status == "sending")
        if orphaned:
            break
    assert orphaned > 0, f"the worker was never killed mid-batch; its last output:\n{output}"

    await asyncio.sleep(max(0.0, KILL_TEST_LEASE + 0.5 - (time.monotonic() - killed_at)))  # the lease runs out
    finish(start_worker(postgres_only, sink, tmp_path, "--once", *lease, smtp_timeout=KILL_TEST_SMTP_TIMEOUT))
    await send_the_retries(postgres_only, sink, tmp_path, *lease)

    arrived = sink.handler.counts()
    assert set(arrived) == message_ids, "a message was lost"
    duplicates = sum(count - 1 for count in arrived.values())
    in_flight = new_dispatcher(postgres_only, SmtpTransport.from_url(sink.url(connections=CONNECTIONS))).max_in_flight
    print(f"\nSIGKILL mid-batch: {orphaned} rows orphaned in 'sending', {duplicates} sent twice (bound {in_flight})")
    # Sent but not yet recorded when the worker died: at most what one worker has in flight.
    assert duplicates <= in_flight
    assert await OutboxMessage.count().where(OutboxMessage.status != "sent") == 0
