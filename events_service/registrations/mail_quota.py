"""What anonymous requests may make us send.

Anyone may register any address for an open event, with up to ten colleagues, and cancel by
the link the answer gives them: each of those is an email from us to someone who may never
have asked for it. So, per hour, an address gets at most
`settings.mail_quota_per_recipient_per_hour` emails caused by anonymous requests, and an event
at most `settings.mail_quota_per_event_per_hour`; beyond that the request is refused (429 with
Retry-After) and, since the count is taken in the request's own write transaction, nothing of
it is written.

The counts are rows of `mail_quota`, one per recipient (`to:` and a hash of the address, so
no address is kept here) and per event (`event:<id>`), each counting from the first email of
its hour. Every process sees them. One statement takes a request's whole count: an upsert
that adds to each row only while it stays within its limit, returning the rows it counted.
On PostgreSQL a racing request waits for the row lock of the one that got there first and
then sees its count (ON CONFLICT DO UPDATE re-reads the committed row), so two requests
cannot both take the last email; SQLite runs writers one at a time. Rows are taken in
subject order, so two requests never wait for each other in a circle.

A fixed hour per row lets through at most twice the limit in any sixty minutes across the
turn of an hour: a bound, which is what the limit is for.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from events_service.clock import now_utc, stored_utc
from events_service.db import run_sql
from events_service.errors import TooManyRequests
from events_service.settings import Settings

WINDOW = timedelta(hours=1)
_EVENT = "event:"
_RECIPIENT = "to:"


class MailQuotaExceeded(TooManyRequests):
    pass


def recipient_subject(address: str) -> str:
    """The row of one address (already normalised, lower-case)."""
    return _RECIPIENT + hashlib.sha256(address.encode()).hexdigest()[:40]


def event_subject(event_id: int) -> str:
    return f"{_EVENT}{event_id}"


async def charge_registration(event_id: int, addresses: list[str], settings: Settings) -> None:
    """Count a registration's emails (one per person: the registrant and each colleague)
    against each address and the event, or refuse them all. In the registration's write
    transaction."""
    amounts = {recipient_subject(address): 1 for address in addresses}
    amounts[event_subject(event_id)] = len(addresses)
    await _charge(amounts, settings)


async def charge_cancellation(registration_id: int, settings: Settings) -> None:
    """Count the cancellation notice that cancelling a registration by its link sends. In the
    cancellation's write transaction."""
    rows = await run_sql(_ADDRESS_OF_REGISTRATION, registration_id)
    if rows:
        await _charge({recipient_subject(rows[0]["email"]): 1}, settings)


_ADDRESS_OF_REGISTRATION = "SELECT contact.email FROM registration JOIN contact ON contact.id = registration.contact WHERE registration.id = {}"


def _limit(subject: str, settings: Settings) -> int:
    return settings.mail_quota_per_event_per_hour if subject.startswith(_EVENT) else settings.mail_quota_per_recipient_per_hour


async def _charge(amounts: dict[str, int], settings: Settings) -> None:
    now = now_utc()
    too_many = [subject for subject, amount in amounts.items() if amount > _limit(subject, settings)]
    if too_many:
        raise _refusal(too_many[0], WINDOW.total_seconds())
    subjects = sorted(amounts)  # the order rows are locked in, the same for every request
    values: list[Any] = []
    for subject in subjects:
        values += [subject, now, amounts[subject]]
    cutoff = now - WINDOW
    values += [cutoff, cutoff, cutoff, settings.mail_quota_per_event_per_hour, settings.mail_quota_per_recipient_per_hour]
    counted = {row["subject"] for row in await run_sql(_charge_statement(len(subjects)), *values)}
    refused = [subject for subject in subjects if subject not in counted]
    if refused:
        raise await _refusal_for(refused, now)


def _charge_statement(rows: int) -> str:
    return f"""
    INSERT INTO mail_quota (subject, window_start, used) VALUES {", ".join(["({}, {}, {})"] * rows)}
    ON CONFLICT (subject) DO UPDATE SET
        used = CASE WHEN mail_quota.window_start <= {{}} THEN excluded.used ELSE mail_quota.used + excluded.used END,
        window_start = CASE WHEN mail_quota.window_start <= {{}} THEN excluded.window_start ELSE mail_quota.window_start END
    WHERE mail_quota.window_start <= {{}}
        OR mail_quota.used + excluded.used <= CASE WHEN excluded.subject LIKE '{_EVENT}%' THEN CAST({{}} AS INTEGER) ELSE CAST({{}} AS INTEGER) END
    RETURNING subject"""


async def _refusal_for(refused: list[str], now: datetime) -> MailQuotaExceeded:
    """The refusal, saying when the first of the full rows has room again. (Only refused
    requests read this; the transaction is rolled back.)"""
    placeholders = ", ".join(["{}"] * len(refused))
    rows = await run_sql(f"SELECT subject, window_start FROM mail_quota WHERE subject IN ({placeholders})", *refused)
    starts = {row["subject"]: stored_utc(row["window_start"]) for row in rows}
    subject = refused[0]
    wait = (starts[subject] + WINDOW - now).total_seconds() if subject in starts else WINDOW.total_seconds()
    return _refusal(subject, wait)


async def delete_past_windows(settings: Settings, now: datetime | None = None) -> int:
    """The periodic job (registrations/background.py): rows whose hour is over count nothing
    any more (the next charge would restart them), so they go; returns how many. A charge
    racing it restarts or keeps its row: on PostgreSQL the DELETE re-reads a row the charge
    updated and leaves it, as its hour is now current."""
    cutoff = (now or now_utc()) - WINDOW
    return len(await run_sql("DELETE FROM mail_quota WHERE window_start <= {} RETURNING subject", cutoff))


def _refusal(subject: str, wait_seconds: float) -> MailQuotaExceeded:
    if subject.startswith(_EVENT):
        return MailQuotaExceeded(
            "this event has sent as many emails as it may in an hour to people registered from the web; try again later",
            retry_after=wait_seconds,
            code="event_mail_quota",
        )
    return MailQuotaExceeded(
        "an address in this request has had as many emails from us as it may get in an hour; try again later",
        retry_after=wait_seconds,
        code="recipient_mail_quota",
    )
