"""`events-service backup PATH` during a registration rush on a served SQLite database: the
copy opens, passes its integrity check, and holds every registration committed before the
backup began."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from events_service.settings import Settings
from tests.factories import published_event, registration_payload
from tests.serving import organiser_headers, served, server_env

RUSH = 120


def _backup(env: dict[str, str], target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "events_service.cli", "backup", str(target)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


async def test_a_backup_taken_during_a_rush_holds_every_committed_registration(settings: Settings, tmp_path: Path) -> None:
    if not settings.is_sqlite:
        pytest.skip("the backup command copies SQLite; PostgreSQL is backed up with pg_dump (README)")
    env = server_env(settings, tmp_path / "var")
    target = tmp_path / "backups" / "events.sqlite3"
    with served(env, workers=2) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            talk = await published_event(http, await organiser_headers(http, settings, "backup"), capacity=50)
            committed: list[int] = []
            a_quarter_in = asyncio.Event()

            async def register(number: int) -> None:
                answer = await http.post(f"/api/public/events/{talk['id']}/registrations",
                                         json=registration_payload(f"p{number}@rush.example", company_no=number % 40 + 1))
                assert answer.status_code == 201, answer.text
                committed.append(answer.json()["id"])
                if len(committed) >= RUSH // 4:
                    a_quarter_in.set()

            rush = [asyncio.create_task(register(number)) for number in range(RUSH)]
            await a_quarter_in.wait()
            before_backup = list(committed)
            done = await asyncio.to_thread(_backup, env, target)
            await asyncio.gather(*rush)
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    assert len(before_backup) < RUSH  # the backup ran while registrations were still coming in
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ids = {row[0] for row in copy.execute("SELECT id FROM registration")}
        (seats,) = copy.execute("SELECT seats_taken FROM event WHERE id = ?", (talk["id"],)).fetchone()
        (confirmed,) = copy.execute("SELECT count(*) FROM registration WHERE status = 'confirmed'").fetchone()
    assert set(before_backup) <= ids
    assert seats == confirmed  # one snapshot: the seat count agrees with the rows in the copy
    assert not list(target.parent.glob(".*.partial"))


def test_a_backup_of_postgresql_is_refused_with_the_way_to_do_it(tmp_path: Path) -> None:
    done = _backup({"EVENTS_DB": "postgresql://events@127.0.0.1/events", "EVENTS_SECRET_KEY": "k" * 40, "EVENTS_VAR_DIR": str(tmp_path)},
                   tmp_path / "copy.sqlite3")
    assert done.returncode == 1
    assert "pg_dump" in done.stderr
    assert not (tmp_path / "copy.sqlite3").exists()
