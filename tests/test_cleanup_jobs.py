"""The periodic clean-ups, each registered by its own domain (registrations/background.py,
organisers/background.py, web/background.py) and collected by the worker: old mail_quota
rows, stale sign-in failure counts, expired console session files. Each deletes only what no
longer counts, and a request racing it loses nothing (real concurrency, both engines)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.stores.base import StorageObject

from events_service.app import running_service
from events_service.clock import now_utc, stored_utc
from events_service.db import run_sql, with_retry, write_transaction
from events_service.organisers.sign_in import (
    FORGOTTEN_AFTER,
    account_key,
    count_attempt,
    forget_stale_failures,
)
from events_service.registrations.mail_quota import (
    WINDOW,
    charge_registration,
    delete_past_windows,
    recipient_subject,
)
from events_service.settings import Settings
from events_service.web.session import delete_expired_sessions
from events_service.worker import PERIODIC_JOBS
from tests.conftest import TEST_SECRET

ADDRESS = "someone@company.example"


def test_each_cleanup_is_a_periodic_job_of_the_worker() -> None:
    names = {job.name: job for job in PERIODIC_JOBS}
    assert names["mail-quota-cleanup"].run is delete_past_windows
    assert names["sign-in-failures-cleanup"].run is forget_stale_failures
    assert names["console-sessions-cleanup"].run is delete_expired_sessions


# ---------------------------------------------------------------- mail_quota


async def _quota_rows() -> dict[str, int]:
    return {row["subject"]: row["used"] for row in await run_sql("SELECT subject, used FROM mail_quota")}


async def test_mail_quota_rows_of_a_past_hour_go_and_current_ones_stay(settings: Settings) -> None:
    now = now_utc()
    async with running_service(settings):
        for subject, started in [("to:old", now - WINDOW - timedelta(minutes=1)), ("to:current", now - timedelta(minutes=5))]:
            await run_sql("INSERT INTO mail_quota (subject, window_start, used) VALUES ({}, {}, 3)", subject, started)
        assert await delete_past_windows(settings, now) == 1
        assert await _quota_rows() == {"to:current": 3}


async def test_a_charge_racing_the_cleanup_keeps_its_count(settings: Settings) -> None:
    quota = dataclasses.replace(settings, mail_quota_per_recipient_per_hour=5)
    subject = recipient_subject(ADDRESS)
    async with running_service(quota):
        # a full row of a past hour: the cleanup may delete it, or a charge restart it
        await run_sql("INSERT INTO mail_quota (subject, window_start, used) VALUES ({}, {}, 5)", subject, now_utc() - 2 * WINDOW)

        async def charge() -> None:
            async def attempt() -> None:
                async with write_transaction():
                    await charge_registration(1, [ADDRESS], quota)

            await with_retry(attempt)

        outcomes = await asyncio.gather(*(charge() for _ in range(3)), delete_past_windows(quota), return_exceptions=True)
        assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        rows = await _quota_rows()
        assert rows[subject] == 3  # the three charges of this hour, whatever the order
        assert rows["event:1"] == 3


# ---------------------------------------------------------------- sign_in_failure


async def _failure_rows() -> dict[str, int]:
    return {row["account"]: row["failures"] for row in await run_sql("SELECT account, failures FROM sign_in_failure")}


async def test_stale_sign_in_failures_are_forgotten_but_not_recent_or_backing_off_ones(settings: Settings) -> None:
    now = now_utc()
    stale = now - FORGOTTEN_AFTER - timedelta(minutes=1)
    rows = [("stale", stale, None), ("recent", now - timedelta(hours=1), None), ("still-locked", stale, now + timedelta(minutes=5))]
    async with running_service(settings):
        for account, last, locked in rows:
            await run_sql(
                "INSERT INTO sign_in_failure (account, failures, locked_until, last_attempt_at) VALUES ({}, 7, {}, {})", account, locked, last
            )
        assert await forget_stale_failures(settings, now) == 1
        assert await _failure_rows() == {"recent": 7, "still-locked": 7}


async def test_an_attempt_racing_the_cleanup_is_counted(settings: Settings) -> None:
    key = account_key(ADDRESS)
    async with running_service(settings):
        await run_sql(
            "INSERT INTO sign_in_failure (account, failures, locked_until, last_attempt_at) VALUES ({}, 3, NULL, {})",
            key, now_utc() - 2 * FORGOTTEN_AFTER,
        )
        outcomes = await asyncio.gather(count_attempt(ADDRESS), forget_stale_failures(settings), return_exceptions=True)
        assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        rows = await run_sql("SELECT failures, last_attempt_at FROM sign_in_failure WHERE account = {}", key)
        assert len(rows) == 1  # the attempt's count survives: restarted at 1, or 4 when it came first
        assert rows[0]["failures"] in (1, 4)
        assert stored_utc(rows[0]["last_attempt_at"]) > now_utc() - timedelta(minutes=1)


# ---------------------------------------------------------------- console sessions


def _write(folder: Path, name: str, expires_at: datetime | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(StorageObject(expires_at=expires_at, data=b"{}").to_bytes())


async def test_expired_console_sessions_and_end_records_are_deleted(tmp_path: Path) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path}/unused.sqlite3", secret_key=TEST_SECRET, var_dir=tmp_path / "var")
    sessions = settings.var_dir / "console_sessions"
    now = datetime.now(UTC)
    _write(sessions, "expired", now - timedelta(seconds=1))
    _write(sessions, "live", now + timedelta(hours=1))
    _write(sessions / "ended", "7", now - timedelta(seconds=1))
    _write(sessions / "ended", "8", now + timedelta(hours=1))
    (sessions / "live.tmp123").write_bytes(b"half written")  # a write in progress is not an item
    assert await delete_expired_sessions(settings) == 2
    assert sorted(path.name for path in sessions.iterdir()) == ["ended", "live", "live.tmp123"]
    assert [path.name for path in (sessions / "ended").iterdir()] == ["8"]
    assert not StorageObject.from_bytes((sessions / "live").read_bytes()).expired
