"""`events-service worker` and `events-service outbox retry`, run as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from events_service.app import running_service
from events_service.cli import main
from events_service.mail import outbox
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.conftest import TEST_SECRET, reset_database
from tests.support.polling import eventually
from tests.support.smtp import make_message


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"EVENTS_DB": database_url, "EVENTS_VAR_DIR": str(tmp_path / "var"), "EVENTS_SECRET_KEY": TEST_SECRET}


def _prepare(database_url: str, tmp_path: Path, count: int, *, failed: int = 0) -> list[int]:
    """A clean outbox with `count` queued messages, the first `failed` of them failed."""

    async def work() -> list[int]:
        await reset_database(database_url)
        async with running_service(Settings(db_url=database_url, secret_key=TEST_SECRET, var_dir=tmp_path / "var", run_worker=False)):
            for n in range(count):
                await outbox.enqueue(make_message(n), kind="confirmed", idempotency_key=f"confirmed:{n}")
            ids = [row["id"] for row in await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id)]
            await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.last_error: "550 no"}).where(
                OutboxMessage.id.is_in(ids[:failed] or [-1])
            )
            return ids

    return asyncio.run(work())


def _statuses(database_url: str, tmp_path: Path) -> list[str]:
    async def work() -> list[str]:
        async with running_service(Settings(db_url=database_url, secret_key=TEST_SECRET, var_dir=tmp_path / "var", run_worker=False)):
            return [row["status"] for row in await OutboxMessage.select(OutboxMessage.status).order_by(OutboxMessage.id)]

    return asyncio.run(work())


def test_worker_once_writes_eml_files_without_an_smtp_server(database_url: str, tmp_path: Path) -> None:
    _prepare(database_url, tmp_path, 3, failed=1)
    result = CliRunner().invoke(main, ["worker", "--once"], env=_env(database_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "sent 2, retry 0, failed 0" in result.output
    assert len(list((tmp_path / "var" / "mail").glob("*.eml"))) == 2
    assert _statuses(database_url, tmp_path) == ["failed", "sent", "sent"]


def test_outbox_retry_requeues_a_failed_message(database_url: str, tmp_path: Path) -> None:
    ids = _prepare(database_url, tmp_path, 2, failed=1)
    runner = CliRunner()
    retried = runner.invoke(main, ["outbox", "retry", str(ids[0])], env=_env(database_url, tmp_path))
    assert retried.exit_code == 0, retried.output
    assert f"outbox message {ids[0]} to person0@company.example queued again" in retried.output
    assert _statuses(database_url, tmp_path) == ["queued", "queued"]
    refused = runner.invoke(main, ["outbox", "retry", str(ids[1])], env=_env(database_url, tmp_path))
    assert refused.exit_code == 1
    assert "only failed or retry messages" in refused.output
    missing = runner.invoke(main, ["outbox", "retry", "999999"], env=_env(database_url, tmp_path))
    assert missing.exit_code == 1
    assert "does not exist" in missing.output


def test_worker_sends_until_sigterm_then_stops_cleanly(database_url: str, tmp_path: Path) -> None:
    _prepare(database_url, tmp_path, 2)
    env = {**os.environ, **_env(database_url, tmp_path)}
    env.pop("EVENTS_SMTP_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "events_service.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        def sent_both() -> bool:
            assert process.poll() is None, process.communicate()[0]
            return len(list((tmp_path / "var" / "mail").glob("*.eml"))) >= 2

        eventually(sent_both, timeout=30, what="the worker sent nothing")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "running" in output
    assert _statuses(database_url, tmp_path) == ["sent", "sent"]
