"""`events-service check`: the settings, the database, pending migrations and the SMTP server,
one line each, so an operator sees every problem before the first request does."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio

from events_service import db
from events_service.mail.transport import SmtpTransport
from events_service.settings import SETTINGS, Settings, SettingsError, redacted_url

#: No check waits longer than this for a server that does not answer.
CHECK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        detail = self.detail.replace("\n", "\n" + " " * 19)  # several problems: one under another
        return f"{self.name:<11}{'ok' if self.ok else 'FAILED':<8}{detail}"


def check_settings(env: Mapping[str, str] = os.environ) -> tuple[Settings | None, CheckLine]:
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        return None, CheckLine("settings", False, "\n".join(error.problems))
    return settings, CheckLine("settings", True, f"{len(SETTINGS)} EVENTS_* variables checked")


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    return f"{type(error).__name__}: {error}".strip()


async def check_database(settings: Settings) -> list[CheckLine]:
    """The database answers, and which migrations it still lacks (read only: nothing applied)."""
    where = redacted_url(settings.db_url)
    engine = db.engine_from_url(settings.db_url)
    if db.is_sqlite(engine) and not await asyncio.to_thread(os.path.exists, engine.path):  # type: ignore[attr-defined]
        # Opening it would create it: a check changes nothing.
        return [CheckLine("database", False, f"{where}: no such file (events-service migrate creates it)"),
                CheckLine("migrations", False, "not checked: no database")]
    db.use_engine(engine)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await db.open_engine(engine, pool_size=1)
            await db.run_sql("SELECT 1 AS one")
    except Exception as error:
        await _close_quietly(engine)
        return [CheckLine("database", False, f"{where}: {_reason(error)}"),
                CheckLine("migrations", False, "not checked: no database")]
    try:
        pending = await db.pending_migrations()
    except Exception as error:
        return [CheckLine("database", True, where), CheckLine("migrations", False, _reason(error))]
    finally:
        await _close_quietly(engine)
    migrations = (CheckLine("migrations", True, "none pending") if not pending else
                  CheckLine("migrations", False, f"{len(pending)} pending ({pending[0]} … {pending[-1]}): run events-service migrate"))
    return [CheckLine("database", True, where), migrations]


async def _close_quietly(engine: object) -> None:
    try:
        await db.close_engine(engine)  # type: ignore[arg-type]
    except Exception:  # a pool that never opened has nothing to close
        return


async def check_smtp(settings: Settings) -> CheckLine:
    if not settings.smtp_url:
        return CheckLine("smtp", True, f"EVENTS_SMTP_URL unset: mail is written as .eml files under {settings.mail_dir}")
    where = redacted_url(settings.smtp_url)
    try:
        transport = SmtpTransport.from_url(settings.smtp_url)
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            greeting = await transport.probe()
    except Exception as error:
        return CheckLine("smtp", False, f"{where}: {_reason(error)}")
    return CheckLine("smtp", True, f"{where}: {greeting}")


async def check_redis(settings: Settings) -> list[CheckLine]:
    """A line only when EVENTS_REDIS_URL is set: then rate limits and sessions need it."""
    if not settings.redis_url:
        return []
    where = redacted_url(settings.redis_url)
    client = redis.asyncio.Redis.from_url(settings.redis_url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await client.ping()
    except Exception as error:
        return [CheckLine("redis", False, f"{where}: {_reason(error)}")]
    finally:
        await client.aclose()
    return [CheckLine("redis", True, where)]


async def check_service(settings: Settings) -> list[CheckLine]:
    """Every check after the settings' (which must pass first)."""
    return [*await check_database(settings), await check_smtp(settings), *await check_redis(settings)]
