"""EVENTS_LOG_FORMAT=json: `serve` and `worker` write one JSON object per line; a request's line
has its id, route, status, duration and actor; tokens in paths are redacted; the worker logs
what it sends at INFO."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from events_service.app import running_service
from events_service.db import write_transaction
from events_service.mail.outbox import enqueue
from events_service.settings import Settings
from tests.factories import published_event, registration_payload
from tests.serving import HTTP_TIMEOUT, free_port, organiser_headers, server_env
from tests.support.polling import eventually
from tests.support.smtp import Fault, SmtpSink


@contextmanager
def serving_json(env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`events-service serve` with JSON logs; yields its URL and the file its output goes to."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="events-json-", suffix=".log")[1])
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "events_service.cli", "serve", "--port", str(port), "--no-worker"],
                                   env={**os.environ, **env, "EVENTS_LOG_FORMAT": "json"}, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        eventually(answers, timeout=60, interval=0.2, what="serve did not start")
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.unlink(missing_ok=True)


def _records(text: str) -> list[dict[str, Any]]:
    """Every line parsed: a line that is not one JSON object fails the test here."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_serve_writes_a_json_line_per_request_with_tokens_redacted(settings: Settings, tmp_path: Path) -> None:
    with serving_json(server_env(settings, tmp_path)) as (url, log):
        async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as http:
            headers = await organiser_headers(http, settings, "logs")
            talk = await published_event(http, headers)
            created = await http.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada@logs.example"),
                                      headers={"X-Request-ID": "req-from-the-balancer"})
            assert created.status_code == 201
            assert created.headers["x-request-id"] == "req-from-the-balancer"
            token = created.json()["manage_token"]
            assert (await http.get(f"/r/{token}")).status_code == 200
            refused = await http.get("/api/events")
            assert refused.status_code == 401
            assert len(refused.headers["x-request-id"]) == 32

        def requests_logged() -> list[dict[str, Any]]:
            return [r for r in _records(log.read_text()) if r["logger"] == "events_service.requests"]

        lines = eventually(lambda: len(requests_logged()) >= 5 and requests_logged(), timeout=30, what="request lines")
        text = log.read_text()
    assert token not in text
    assert "ada@logs.example" not in text
    records = _records(text)
    assert {record["level"] for record in records} <= {"INFO", "WARNING", "ERROR"}
    assert any(record["message"].startswith("migrations:") for record in records)
    registered = next(r for r in lines if r["request_id"] == "req-from-the-balancer")
    assert registered["route"] == "/api/public/events/{event_id}/registrations"
    assert registered["status"] == 201
    assert registered["method"] == "POST"
    assert registered["actor"] == "anonymous"
    assert registered["duration_ms"] > 0
    manage = next(r for r in lines if r["route"] == "/r/{token}")
    assert manage["path"] == "/r/…"
    assert manage["status"] == 200
    published = next(r for r in lines if r["route"].endswith("/publish"))
    assert published["actor"].startswith("organiser:")
    assert next(r for r in lines if r["path"] == "/api/events" and r["method"] == "GET")["status"] == 401


def test_the_worker_logs_sends_and_retries_as_json(settings: Settings, tmp_path: Path, sink: SmtpSink) -> None:
    sink.handler.add_fault("busy@example.org", Fault("reply", 1, "451 4.3.0 try again later"))

    async def queue() -> None:
        async with running_service(settings), write_transaction():
            await enqueue(_email("ada@example.org"), kind="notice", idempotency_key="json-log-1")
            await enqueue(_email("busy@example.org"), kind="notice", idempotency_key="json-log-2")

    asyncio.run(queue())
    env = {**os.environ, **server_env(settings, tmp_path), "EVENTS_LOG_FORMAT": "json", "EVENTS_SMTP_URL": sink.url()}
    done = subprocess.run([sys.executable, "-m", "events_service.cli", "worker", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    records = _records(done.stdout + done.stderr)
    outcomes = {r["outcome"]: r for r in records if "outcome" in r}
    assert set(outcomes) == {"sent", "retry"}
    for record in outcomes.values():
        assert record["level"] == "INFO"
        assert record["kind"] == "notice"
        assert record["attempt"] == 1
    assert "451" in outcomes["retry"]["message"]
    assert "ada@example.org" not in done.stdout + done.stderr
    assert any(r["message"].startswith("mail: ") for r in records)


def _email(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["From"] = "events@programme.example"
    message["Subject"] = "a notice"
    message.set_content("hello")
    return message
