"""A process that reads through the SQLite engine and never closes it still exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, sys
from events_service import db
from events_service.companies.tables import Company

async def main():
    engine = db.engine_from_url(f"sqlite:///{sys.argv[1]}")
    db.use_engine(engine)
    await db.open_engine(engine)
    await db.run_migrations()
    print(await Company.count())  # a read outside a transaction: on a kept read connection

asyncio.run(main())  # no close_engine(): a careless script, or a test's own event loop
"""


@pytest.mark.integration  # a subprocess with a SQLite file
def test_an_unclosed_engine_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "events.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,  # a hang shows up as TimeoutExpired, not as a slow pass
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == "0"
