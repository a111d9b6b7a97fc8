"""Every EVENTS_* value is checked at start: a bad one stops the process with a message naming
the variable, the problem and an example (settings.py SETTINGS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from events_service.settings import SETTINGS, Settings, SettingsError

GOOD_KEY = "k" * 40

#: (variable, bad value, words of the problem) one by one.
BAD_VALUES = [
    ("EVENTS_DB_POOL_SIZE", "ten", "is not a whole number"),
    ("EVENTS_DB_POOL_SIZE", "0", "must be at least 1"),
    ("EVENTS_BASE_URL", "events.example.org", "must start with http:// or https://"),
    ("EVENTS_MAIL_FROM", "not an address", "is not an email address"),
    ("EVENTS_MAIL_FROM", "Events <events@example.org>", "is not an email address"),
    ("EVENTS_DB", "mysql://root@db/events", "is not a supported database URL"),
    ("EVENTS_DB", "events.sqlite3", "is not a supported database URL"),
    ("EVENTS_SECRET_KEY", "too-short-a-secret", "must be at least 32 characters"),
    ("EVENTS_SECRET_KEY_FALLBACKS", f"{GOOD_KEY},short", "must be at least 32 characters"),
    ("EVENTS_SMTP_URL", "mail.example.org:25", "must be smtp://host[:port]"),
    ("EVENTS_PUBLIC_RATE_LIMIT", "-5", "must be at least 1"),
    ("EVENTS_MAIL_QUOTA_PER_RECIPIENT", "5.5", "is not a whole number"),
    ("EVENTS_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal", "is not an address or a network"),
    ("EVENTS_RUN_WORKER", "maybe", "must be 1 or 0"),
    ("EVENTS_DEFAULT_TIMEZONE", "Europe/Atlantis", "is not an IANA timezone"),
    ("EVENTS_LOG_FORMAT", "xml", "must be text or json"),
    ("EVENTS_METRICS_TOKEN", "short", "at least 16 characters"),
    ("EVENTS_METRICS_MAX_AGE", "fifteen", "is not a whole number"),
    ("EVENTS_METRICS_MAX_AGE", "1.5", "is not a whole number"),
    ("EVENTS_REDIS_URL", "127.0.0.1:6379", "must be redis://"),
    ("EVENTS_REDIS_PREFIX", "a prefix with spaces", "letters, digits"),
    ("EVENTS_RETENTION_MAIL_BODY_DAYS", "ninety", "is not a whole number"),
    ("EVENTS_PROGRAMME_NAME", "two\nlines", "one line of text"),
    ("EVENTS_REPLY_AUTHSERV_ID", "mx.programme.example; dkim=pass", "must be a host name"),
]


@pytest.mark.parametrize(("variable", "value", "problem"), BAD_VALUES)
def test_a_bad_value_is_named_with_its_problem_and_an_example(variable: str, value: str, problem: str, tmp_path: Path) -> None:
    env = {"EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_VAR_DIR": str(tmp_path), variable: value}
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert len(raised.value.problems) == 1
    message = raised.value.problems[0]
    assert message.startswith(f"{variable} ")
    assert problem in message
    assert f"(example: {variable}=" in message


def test_secrets_are_not_repeated_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"EVENTS_SECRET_KEY": "hunter2-but-too-short", "EVENTS_VAR_DIR": str(tmp_path)})
    assert "hunter2" not in str(raised.value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_DB": "mysql://root:pw123secret@db/x", "EVENTS_VAR_DIR": str(tmp_path)})
    assert "pw123secret" not in str(raised.value)


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    env = {"EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_VAR_DIR": str(tmp_path), "EVENTS_DB_POOL_SIZE": "ten", "EVENTS_BASE_URL": "nowhere"}
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert [problem.split()[0] for problem in raised.value.problems] == ["EVENTS_BASE_URL", "EVENTS_DB_POOL_SIZE"]


def test_good_values_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_VAR_DIR": str(tmp_path), "EVENTS_DB_POOL_SIZE": " 25 ",
        "EVENTS_BASE_URL": "https://events.example.org/", "EVENTS_RUN_WORKER": "no", "EVENTS_LOG_FORMAT": "json",
        "EVENTS_REDIS_URL": "redis://127.0.0.1:6379/2", "EVENTS_RETENTION_INACTIVE_MONTHS": "0",
        "EVENTS_METRICS_MAX_AGE": "0",
    })
    assert settings.db_pool_size == 25
    assert settings.base_url == "https://events.example.org"
    assert settings.run_worker is False
    assert settings.log_format == "json"
    assert settings.redis_url == "redis://127.0.0.1:6379/2"
    assert settings.retention_inactive_months == 0
    assert settings.metrics_max_age_s == 0
    assert Settings.from_env({"EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_VAR_DIR": str(tmp_path)}).metrics_max_age_s == 15


def test_every_setting_has_a_default_that_passes_its_own_check() -> None:
    checked = [setting.parse(setting.default) for setting in SETTINGS if setting.default is not None]
    assert len(checked) >= 15


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"], ["migrate"]])
def test_a_process_with_a_bad_setting_does_not_start(command: list[str], tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "EVENTS_SECRET_KEY": GOOD_KEY, "EVENTS_VAR_DIR": str(tmp_path),
           "EVENTS_DB": f"sqlite:///{tmp_path}/events.sqlite3", "EVENTS_DB_POOL_SIZE": "ten"}
    done = subprocess.run([sys.executable, "-m", "events_service.cli", *command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "EVENTS_DB_POOL_SIZE is not a whole number: 'ten' (example: EVENTS_DB_POOL_SIZE=10)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "events.sqlite3").exists()
