"""deploy/: the env file template names every setting and passes the settings' own checks, the
systemd units run commands the CLI accepts, and nginx forwards what EVENTS_TRUSTED_PROXIES
expects. (tests/test_wheel.py runs `check` against the installed wheel.)"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

from events_service.cli import main
from events_service.settings import SETTINGS, Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ENV_FILE = DEPLOY / "events-service.env"


def _assignments() -> dict[str, str]:
    lines = ENV_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_env_template_names_only_real_settings_and_every_one_of_this_issue() -> None:
    """Only names the service reads (a typo would be silently ignored); a setting added later
    belongs in the template too, but its absence must not fail other people's work."""
    named = set(re.findall(r"\b(EVENTS_[A-Z_]+)=", ENV_FILE.read_text()))
    assert named <= {setting.variable for setting in SETTINGS}
    assert {"EVENTS_DB", "EVENTS_SECRET_KEY", "EVENTS_BASE_URL", "EVENTS_SMTP_URL", "EVENTS_TRUSTED_PROXIES", "EVENTS_REDIS_URL",
            "EVENTS_LOG_FORMAT", "EVENTS_METRICS_TOKEN", "EVENTS_RETENTION_MAIL_BODY_DAYS", "EVENTS_RETENTION_INACTIVE_MONTHS"} <= named


def test_the_env_template_passes_the_checks_once_its_secret_is_filled(tmp_path: Path) -> None:
    values = {**_assignments(), "EVENTS_SECRET_KEY": "s" * 48, "EVENTS_VAR_DIR": str(tmp_path)}
    settings = Settings.from_env(values)
    assert settings.trusted_proxies == ("127.0.0.1", "::1")
    assert settings.run_worker is False
    assert settings.log_format == "json"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / name)
    return unit


@pytest.mark.parametrize(("name", "command"), [("events-service.service", "serve"), ("events-worker.service", "worker")])
def test_each_unit_runs_a_command_the_cli_accepts(name: str, command: str) -> None:
    service = _unit(name)["Service"]
    assert service["EnvironmentFile"] == "/etc/events-service/events-service.env"
    binary, subcommand, *arguments = shlex.split(service["ExecStart"])
    assert binary.endswith("/bin/events-service")
    assert subcommand == command
    # Parsed (types and choices checked) without running it.
    context = main.commands[command].make_context(command, list(arguments))
    assert context.params is not None
    if command == "serve":
        assert context.params["no_worker"] is True
        assert context.params["host"] == "127.0.0.1"


def test_nginx_forwards_the_client_address_from_the_trusted_proxy() -> None:
    site = (DEPLOY / "nginx" / "events-service.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "server 127.0.0.1:8000;" in site
    assert "127.0.0.1" in _assignments()["EVENTS_TRUSTED_PROXIES"]
    static = re.search(r"location /static/ \{\s*alias (\S+);", site)
    assert static is not None
    assert static.group(1).endswith("/events_service/web/static/")
