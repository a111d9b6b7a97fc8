"""`events-service check`: settings, database, pending migrations, SMTP; one line each, exit 1
when any fails; it changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from events_service.settings import Settings
from tests.support.smtp import SmtpSink, free_port


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run([sys.executable, "-m", "events_service.cli", "check"], env=environment, capture_output=True, text=True, timeout=90)


def _lines(output: str) -> dict[str, str]:
    return {line.split()[0]: line.split()[1] for line in output.splitlines() if line and not line.startswith(" ")}


def test_a_migrated_database_and_a_live_smtp_server_pass(settings: Settings, sink: SmtpSink) -> None:
    done = _check({"EVENTS_DB": settings.db_url, "EVENTS_SECRET_KEY": settings.secret_key,
                   "EVENTS_VAR_DIR": str(settings.var_dir), "EVENTS_SMTP_URL": sink.url()})
    assert done.returncode == 0, done.stdout + done.stderr
    assert _lines(done.stdout) == {"settings": "ok", "database": "ok", "migrations": "ok", "smtp": "ok"}


def test_an_smtp_server_that_does_not_answer_fails_its_line_only(settings: Settings) -> None:
    done = _check({"EVENTS_DB": settings.db_url, "EVENTS_SECRET_KEY": settings.secret_key,
                   "EVENTS_VAR_DIR": str(settings.var_dir), "EVENTS_SMTP_URL": f"smtp://user:pw-secret@127.0.0.1:{free_port()}"})
    assert done.returncode == 1
    assert _lines(done.stdout) == {"settings": "ok", "database": "ok", "migrations": "ok", "smtp": "FAILED"}
    assert "pw-secret" not in done.stdout


def test_a_database_without_migrations_is_reported_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    done = _check({"EVENTS_DB": f"sqlite:///{path}", "EVENTS_SECRET_KEY": "k" * 40, "EVENTS_VAR_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert _lines(done.stdout)["migrations"] == "FAILED"
    assert "pending" in done.stdout
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == []


def test_a_database_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    done = _check({"EVENTS_DB": f"postgresql://nobody@127.0.0.1:{free_port()}/events", "EVENTS_SECRET_KEY": "k" * 40,
                   "EVENTS_VAR_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert _lines(done.stdout) == {"settings": "ok", "database": "FAILED", "migrations": "FAILED", "smtp": "ok"}


def test_bad_settings_stop_the_check_with_every_reason(tmp_path: Path) -> None:
    done = _check({"EVENTS_DB_POOL_SIZE": "ten", "EVENTS_MAIL_FROM": "nobody", "EVENTS_VAR_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout.startswith("settings   FAILED")
    assert "EVENTS_DB_POOL_SIZE is not a whole number" in done.stdout
    assert "EVENTS_MAIL_FROM is not an email address" in done.stdout
    assert "database" not in done.stdout


def test_redis_gets_a_line_when_it_is_set(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    base = {"EVENTS_DB": f"sqlite:///{path}", "EVENTS_SECRET_KEY": "k" * 40, "EVENTS_VAR_DIR": str(tmp_path)}
    assert "redis" not in _lines(_check(base).stdout)
    assert _lines(_check({**base, "EVENTS_REDIS_URL": "redis://127.0.0.1:6379/0"}).stdout)["redis"] == "ok"
    assert _lines(_check({**base, "EVENTS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}).stdout)["redis"] == "FAILED"
