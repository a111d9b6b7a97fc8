"""The `events-service` command, run as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from events_service.cli import main


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
    assert short.exit_code == 1 and "8 characters" in short.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


@pytest.mark.parametrize("workers", [2])
def test_serve_with_several_workers_answers(database_url: str, tmp_path: Path, workers: int) -> None:
    port = _free_port()
    env = {**os.environ, **_env(database_url, tmp_path), "EVENTS_RUN_WORKER": "0"}
    command = [sys.executable, "-m", "events_service.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-worker"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/schema/openapi.json", process)
        assert httpx.get(f"http://127.0.0.1:{port}/api/public/events").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/events").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
