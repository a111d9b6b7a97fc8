"""What the `events-service` commands print never carries a password: the database URL and
the SMTP URL are shown with `***` in its place (terminals are screenshotted, logs are kept)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from click.testing import CliRunner

from events_service.cli import main
from events_service.settings import redacted_url
from tests.serving import free_port
from tests.support.polling import eventually
from tests.support.smtp import SmtpSink

PASSWORD = "S3cret-Pa55word"


def _with_password(database_url: str) -> str:
    """PostgreSQL here trusts local connections: a password in the URL is sent and ignored."""
    parts = urlsplit(database_url)
    if parts.scheme != "postgresql":
        return database_url
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{PASSWORD}@{parts.hostname}:{parts.port or 5432}"))


def _env(database_url: str, tmp_path: Path, sink: SmtpSink) -> dict[str, str]:
    return {
        "EVENTS_DB": _with_password(database_url),
        "EVENTS_VAR_DIR": str(tmp_path / "var"),
        "EVENTS_SECRET_KEY": "cli-test-secret-key-long-enough-for-hs256",
        "EVENTS_SMTP_URL": f"smtp://mailer:{PASSWORD}@127.0.0.1:{sink.port}?starttls=0",
    }


def _printed_until(args: list[str], env: dict[str, str], marker: str, seconds: float = 60) -> str:
    """Run the command until it prints `marker`, stop it (SIGTERM), return all it printed."""
    log = Path(tempfile.mkstemp(prefix="events-cli-", suffix=".log")[1])
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "events_service.cli", *args], env={**os.environ, **env},
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        def printed() -> bool:
            assert process.poll() is None, log.read_text(errors="replace")
            return marker in log.read_text(errors="replace")

        eventually(printed, timeout=seconds, interval=0.1, what=lambda: f"no {marker!r}: {log.read_text(errors='replace')}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text(errors="replace")
    log.unlink()
    return text


def test_redacted_url_hides_only_the_password() -> None:
    assert redacted_url("postgresql://app:pw%40x@db.internal:5432/events") == "postgresql://app:***@db.internal:5432/events"
    assert redacted_url("postgresql://app@/events?host=/run/postgresql&password=pw") == (
        "postgresql://app@/events?host=/run/postgresql&password=***"
    )
    assert redacted_url("smtps://mailer:pw@smtp.example:465") == "smtps://mailer:***@smtp.example:465"
    assert redacted_url("sqlite:///var/events.sqlite3") == "sqlite:///var/events.sqlite3"
    assert redacted_url("postgresql://app@db/events") == "postgresql://app@db/events"


def test_migrate_worker_and_serve_print_no_password(database_url: str, tmp_path: Path, sink: SmtpSink) -> None:
    env = _env(database_url, tmp_path, sink)
    migrated = CliRunner().invoke(main, ["migrate"], env=env)
    assert migrated.exit_code == 0, migrated.output
    worker = _printed_until(["worker"], env, " running (")
    served = _printed_until(["serve", "--port", str(free_port()), "--no-worker"], env, "API docs")
    for output in (migrated.output, worker, served):
        assert PASSWORD not in output
        assert "database" in output
    assert f"mailer:***@127.0.0.1:{sink.port}" in worker
    if database_url.startswith("postgresql"):
        for output in (migrated.output, worker, served):
            assert ":***@127.0.0.1" in output


def test_a_bad_url_is_named_without_its_password(database_url: str, tmp_path: Path, sink: SmtpSink) -> None:
    env = {**_env(database_url, tmp_path, sink), "EVENTS_SMTP_URL": f"smtpx://mailer:{PASSWORD}@127.0.0.1:25"}
    refused = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert refused.exit_code != 0
    assert "smtpx://mailer:***@127.0.0.1:25" in refused.output
    assert PASSWORD not in refused.output
