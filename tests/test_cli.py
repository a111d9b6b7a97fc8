"""The `events-service` command, run as a user runs it."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from events_service.cli import main
from tests.conftest import reset_database
from tests.serving import HTTP_TIMEOUT, served


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"EVENTS_DB": database_url, "EVENTS_VAR_DIR": str(tmp_path / "var"), "EVENTS_SECRET_KEY": "cli-test-secret-key-long-enough-for-hs256"}


def test_migrate_is_repeatable(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["migrate"], env=_env(database_url, tmp_path))
        assert result.exit_code == 0, result.output
        assert "database is up to date" in result.output


def test_organiser_create_then_duplicate_is_refused(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    email = f"cli-{os.getpid()}-{time.monotonic_ns()}@programme.example"
    args = ["organiser", "create", email, "--name", "Chiara Colombo", "--password", "s3cret-enough", "--role", "checkin"]
    created = runner.invoke(main, args, env=_env(database_url, tmp_path))
    assert created.exit_code == 0, created.output
    assert f"{email} (checkin)" in created.output
    again = runner.invoke(main, args, env=_env(database_url, tmp_path))
    assert again.exit_code == 1
    assert "exists already" in again.output
    short = runner.invoke(main, [*args[:3], "--name", "X", "--password", "short"], env=_env(database_url, tmp_path))
    assert short.exit_code == 1
    assert "8 characters" in short.output


@pytest.mark.parametrize("workers", [2])
def test_serve_with_several_workers_answers(database_url: str, tmp_path: Path, workers: int) -> None:
    with served(_env(database_url, tmp_path), workers=workers) as base_url:
        assert httpx.get(f"{base_url}/api/public/events", timeout=HTTP_TIMEOUT).status_code == 200
        assert httpx.get(f"{base_url}/api/events", timeout=HTTP_TIMEOUT).status_code == 401


def test_demo_loads_once_into_an_empty_database(database_url: str, tmp_path: Path) -> None:
    asyncio.run(reset_database(database_url))
    runner = CliRunner()
    env = _env(database_url, tmp_path)
    first = runner.invoke(main, ["demo", "--if-empty"], env=env)
    assert first.exit_code == 0, first.output
    assert "demo loaded" in first.output
    assert "tech_talks=8" in first.output
    second = runner.invoke(main, ["demo", "--if-empty"], env=env)
    assert second.exit_code == 0
    assert "not loaded" in second.output


def test_import_companies_reports_bad_lines_and_keeps_good_rows(database_url: str, tmp_path: Path) -> None:
    from tests.factories import partita_iva

    good = partita_iva(4242)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    csv_file = tmp_path / "companies.csv"
    csv_file.write_text(f"ragione sociale;partita iva;provincia\nOfficine Test Srl;{good};LC\nSbagliata Srl;{bad};CO\n", encoding="utf-8-sig")
    result = CliRunner().invoke(main, ["import-companies", str(csv_file)], env=_env(database_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    assert "errors 1" in result.output
    assert "line 3" in result.output
