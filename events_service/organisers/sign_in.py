"""Failed sign-ins per account, and the back-off they cause.

The per-address limit (rate_limit.py) does not stop a guesser with many addresses, so each
email address typed at a sign-in (`POST /api/auth/token` and the console form alike) has a
count of failures in a row, in the database, which every process sees. After
FREE_FAILURES of them the address backs off: for 30 s, doubling with each further failure,
at most 15 minutes; meanwhile every attempt, even with the right password, is answered 429
with Retry-After and not checked. An address without an account counts and backs off exactly
the same, so the answers do not tell which addresses have one.

An attempt is counted before its password is checked, in one statement that also finds a
back-off in force, so concurrent guesses cannot all slip through before any is counted; a
right password clears the count.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from events_service.clock import now_utc, stored_utc
from events_service.db import run_sql, write_transaction
from events_service.errors import TooManyRequests
from events_service.settings import Settings

#: Mistyping a password this many times in a row costs nothing.
FREE_FAILURES = 5
FIRST_BACK_OFF = timedelta(seconds=30)
LONGEST_BACK_OFF = timedelta(minutes=15)


class SignInBackOff(TooManyRequests):
    pass


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def back_off_after(failures: int) -> timedelta | None:
    """How long an address waits after `failures` in a row (None: not at all)."""
    if failures < FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES, 10)
    return min(FIRST_BACK_OFF * 2**doublings, LONGEST_BACK_OFF)


async def count_attempt(email: str) -> None:
    """Count an attempt to sign in as `email` (a failure until `forget_failures` says
    otherwise), or refuse it while the address backs off."""
    key, now = account_key(email), now_utc()
    async with write_transaction():  # the row stays locked from the count to the back-off it sets
        counted = await run_sql(_COUNT_ATTEMPT, key, now, now)
        if not counted:
            rows = await run_sql("SELECT locked_until FROM sign_in_failure WHERE account = {}", key)
            raise _refusal(stored_utc(rows[0]["locked_until"]) - now)
        wait = back_off_after(counted[0]["failures"])
        if wait is not None:
            await run_sql("UPDATE sign_in_failure SET locked_until = {} WHERE account = {}", now + wait, key)


_COUNT_ATTEMPT = """
    INSERT INTO sign_in_failure (account, failures, locked_until, last_attempt_at) VALUES ({}, 1, NULL, {})
    ON CONFLICT (account) DO UPDATE SET failures = sign_in_failure.failures + 1, last_attempt_at = excluded.last_attempt_at
    WHERE sign_in_failure.locked_until IS NULL OR sign_in_failure.locked_until <= {}
    RETURNING failures"""


async def forget_failures(email: str) -> None:
    """The right password: the address starts afresh."""
    await run_sql("DELETE FROM sign_in_failure WHERE account = {}", account_key(email))


#: A count of failures with no attempt for this long, and no back-off in force, is forgotten:
#: the address starts afresh (its FREE_FAILURES again), and the table keeps no trace of it.
FORGOTTEN_AFTER = timedelta(days=1)


async def forget_stale_failures(settings: Settings, now: datetime | None = None) -> int:
    """The periodic job (organisers/background.py): deletes the counts FORGOTTEN_AFTER
    describes; returns how many. An attempt racing it is counted: on PostgreSQL the DELETE
    re-reads a row the attempt updated and leaves it (its last attempt is now)."""
    now = now or now_utc()
    return len(await run_sql(_FORGET_STALE, now - FORGOTTEN_AFTER, now))


_FORGET_STALE = """
    DELETE FROM sign_in_failure WHERE last_attempt_at <= {} AND (locked_until IS NULL OR locked_until <= {})
    RETURNING account"""


def _refusal(wait: timedelta) -> SignInBackOff:
    return SignInBackOff(
        "too many failed sign-ins with this email address: wait before trying again",
        retry_after=wait.total_seconds(),
        code="sign_in_back_off",
    )


