"""/healthz and /readyz (API.md "Health and operations"): ready turns 503, saying why, when the
database stops answering, migrations are pending, the worker stops beating or due mail waits too
long; and back to 200 when that is over."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from piccolo.apps.migrations.tables import Migration

from events_service.clock import now_utc
from events_service.db import write_transaction
from events_service.mail.outbox import enqueue
from events_service.mail.tables import OutboxMessage
from events_service.operations.heartbeat import beat, heartbeat_job
from events_service.settings import Settings
from events_service.worker import running_worker
from tests.support.clients import running_app_client
from tests.support.polling import eventually_async
from tests.support.tcp_proxy import TcpProxy


async def _ready(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    answer = await http.get("/readyz")
    return answer.status_code, answer.json()


async def test_healthz_answers_while_the_process_runs(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_ready_needs_a_worker_heartbeat(client: httpx.AsyncClient) -> None:
    status, body = await _ready(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["worker_heartbeat_age_s"] is None
    assert body["checks"]["database"] == "ok"
    await beat("a-worker")
    status, body = await _ready(client)
    assert status == 200, body
    assert body["checks"] == {"database": "ok", "migrations": "ok", "worker_heartbeat_age_s": body["checks"]["worker_heartbeat_age_s"],
                              "oldest_due_mail_age_s": None}
    assert 0 <= body["checks"]["worker_heartbeat_age_s"] < 5


async def test_ready_turns_503_when_the_worker_stops_and_back_when_it_runs(settings: Settings) -> None:
    quick = dataclasses.replace(settings, ready_max_heartbeat_age_s=2)
    async with running_app_client(quick) as http:
        async with running_worker(quick, jobs=[heartbeat_job(every_seconds=0.2)], idle_seconds=0.1):
            await eventually_async(lambda: _status_is(http, 200), timeout=30, what="ready while the worker runs")
        await eventually_async(lambda: _status_is(http, 503), timeout=30, what="503 once the worker stopped")
        status, body = await _ready(http)
        assert body["checks"]["worker_heartbeat_age_s"] > 2
        async with running_worker(quick, jobs=[heartbeat_job(every_seconds=0.2)], idle_seconds=0.1):
            await eventually_async(lambda: _status_is(http, 200), timeout=30, what="ready again with a worker")


async def _status_is(http: httpx.AsyncClient, expected: int) -> bool:
    return (await http.get("/readyz")).status_code == expected


async def test_ready_turns_503_while_a_migration_is_pending(client: httpx.AsyncClient) -> None:
    await beat("a-worker")
    newest = await Migration.select().order_by(Migration.name, ascending=False).first()
    await Migration.delete().where(Migration.id == newest["id"])
    try:
        status, body = await _ready(client)
        assert status == 503
        assert body["checks"]["migrations"] == "1 pending"
    finally:
        await Migration.insert(Migration(name=newest["name"], app_name=newest["app_name"], ran_on=newest["ran_on"]))
    assert (await _ready(client))[0] == 200


async def test_ready_turns_503_when_due_mail_waits_too_long(client: httpx.AsyncClient, settings: Settings) -> None:
    await beat("a-worker")
    async with write_transaction():
        await enqueue(_email(), kind="notice", idempotency_key="stuck-1", send_after=now_utc() - timedelta(seconds=settings.ready_max_mail_delay_s + 60))
    status, body = await _ready(client)
    assert status == 503
    assert body["checks"]["oldest_due_mail_age_s"] > settings.ready_max_mail_delay_s
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: now_utc()}).where(OutboxMessage.idempotency_key == "stuck-1")
    status, body = await _ready(client)
    assert status == 200
    assert body["checks"]["oldest_due_mail_age_s"] is None


def _email() -> EmailMessage:
    message = EmailMessage()
    message["To"] = "ada@example.org"
    message["From"] = "events@programme.example"
    message["Subject"] = "stuck"
    message.set_content("waiting")
    return message


async def test_ready_turns_503_when_the_database_stops_answering_and_back(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite is a file inside the process: it cannot stop answering as a server does")
    parts = urlsplit(settings.db_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    behind_proxy = dataclasses.replace(settings, db_url=proxied)
    try:
        async with running_app_client(behind_proxy) as http:
            await beat("a-worker")
            assert (await _ready(http))[0] == 200
            proxy.stop()
            status, body = await _ready(http)
            assert status == 503
            assert body["checks"]["database"].startswith("unavailable")
            assert (await http.get("/healthz")).status_code == 200
            proxy.start()
            await eventually_async(lambda: _status_is(http, 200), timeout=30, what="ready again once the database answers")
    finally:
        proxy.stop()
