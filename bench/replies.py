"""Reading the reply mailbox: the service's mailbox processing against a bare fetch-and-parse.

    python -m bench.replies [--pg postgresql://postgres@127.0.0.1:5432/test]

A fresh database per engine holds a published hybrid Tech Day with 1,000 confirmed registrants
(bench.mail_dispatch.seed) and WAITING people on its waitlist. A throwaway Dovecot (the tests'
tests/support/imap.py) gets 1,000 answers APPENDed to its INBOX, one per registrant, to the
invite UID that registrant's invite carries: DECLINED, ACCEPTED and TENTATIVE in turn, written
in the shapes captured from Outlook on the web (Exchange) and Gmail (tests/replies/real_shapes.py).
Set-up is not measured.

- service: replies.mailbox.read_replies, the worker's job, called until the INBOX is empty: it
  fetches each message, acts on each answer in its own write transaction (a Decline cancels
  the registration and promotes the first person waiting, with their emails queued in the
  outbox) and moves what it processed to Processed. IDLE is cut to a moment (IDLE_WAIT), so
  the time is the reading and acting, not waiting for mail that will not come.
- baseline: the same messages fetched with aioimaplib (UID FETCH BODY.PEEK[] one by one, as
  the service fetches them) and each calendar part parsed with icalendar, nothing else: no
  database, no moves. It reads the INBOX right before the service's run and the Processed
  folder right after (the same 1,000 messages), so a machine getting busier or quieter during
  the run skews both sides alike; its rate is over both reads.

Ratio = service replies/s / baseline replies/s. Checked after each run: every registration
acted on once (one invite_reply row each, the right action), the declined cancelled and the
first WAITING of the waitlist promoted, INBOX empty and 1,000 messages in Processed.
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import email
import email.policy
import pstats
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import aioimaplib
from icalendar import Calendar

from bench.common import (
    engine_parser,
    engines,
    fresh_database,
    insert_rows,
    print_table,
    service_database,
)
from bench.mail_dispatch import seed
from events_service.calendar.entries import invite_uid
from events_service.companies.tables import Contact
from events_service.events.tables import Event
from events_service.registrations.tables import Registration
from events_service.replies import mailbox
from events_service.replies.mailbox import PROCESSED_FOLDER, imap_target, read_replies
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.replies.real_shapes import SHAPES_BY_NAME, real_reply
from tests.support.imap import DovecotServer, dovecot_missing, start_dovecot

REPLIES = 1_000
WAITING = 200
PARTSTATS = ("DECLINED", "ACCEPTED", "TENTATIVE")
#: Captured shapes (tests/data/replies): Outlook on the web / Exchange, and Gmail.
SHAPES = ("exchange-owa", "gmail")
#: Seconds each round of read_replies waits with IDLE once the INBOX is drained.
IDLE_WAIT = 0.01
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Answer:
    registration_id: int
    email: str
    partstat: str


@dataclass(frozen=True)
class Waiting:
    registration_id: int
    mode: str


# --------------------------------------------------------------------------- set-up


async def seed_registrations(count: int, waiting: int) -> tuple[int, list[Answer], list[Waiting]]:
    """bench.mail_dispatch's Tech Day with `count` confirmed (in the room and online in turn),
    made full in both modes, and `waiting` people waiting (each mode in turn). Returns the
    event, one answer per confirmed person, and the waiting people in arrival order."""
    await seed(count)
    event_id = (await Event.select(Event.id).first())["id"]  # type: ignore[index]
    await Event.update({Event.capacity: Event.seats_taken, Event.online_capacity: Event.online_seats_taken}).where(Event.id == event_id)
    confirmed = await Registration.select(
        Registration.id, Registration.contact, Registration.company, Registration.contact.email.as_alias("email")
    ).order_by(Registration.id)
    modes = [("in_person" if n % 2 else "online") for n in range(waiting)]
    contacts = await insert_rows(Contact, [
        Contact(email=f"waiting{n}@company{n}.example", first_name=f"Attesa{n}", last_name="Bianchi",
                company=confirmed[n]["company"], consent_privacy_at=datetime.now(UTC))
        for n in range(waiting)
    ], Contact.id)
    waiting_ids = await insert_rows(Registration, [
        Registration(event=event_id, contact=contact, company=row["company"], status="waitlisted",
                     attendance_mode=mode, token_nonce=secrets.token_hex(8))
        for contact, row, mode in zip(contacts, confirmed, modes, strict=False)
    ], Registration.id)
    answers = [Answer(row["id"], row["email"], PARTSTATS[n % len(PARTSTATS)]) for n, row in enumerate(confirmed)]
    return event_id, answers, [Waiting(id_, mode) for id_, mode in zip(waiting_ids, modes, strict=True)]


async def reply_messages(event_id: int, answers: list[Answer], settings: Settings) -> list[bytes]:
    nonces = {row["id"]: row["token_nonce"] for row in await Registration.select(Registration.id, Registration.token_nonce)}
    return [
        real_reply(
            SHAPES_BY_NAME[SHAPES[n % len(SHAPES)]], uid=invite_uid(event_id, answer.registration_id, nonces[answer.registration_id], settings.host),
            attendee=answer.email, partstat=answer.partstat, organizer=settings.organizer_address, message_id=f"<reply-{n}@client.example>",
        )
        for n, answer in enumerate(answers)
    ]


async def _imap(dovecot: DovecotServer) -> aioimaplib.IMAP4:
    target = imap_target(dovecot.url())
    client = aioimaplib.IMAP4(host=target.host, port=target.port, timeout=30)
    await client.wait_hello_from_server()
    if (await client.login(target.user, target.password)).result != "OK":
        raise ConnectionError("the bench's Dovecot refused the login")
    return client


async def deliver(dovecot: DovecotServer, messages: list[bytes]) -> None:
    client = await _imap(dovecot)
    try:
        for raw in messages:
            if (await client.append(raw, mailbox="INBOX")).result != "OK":
                raise RuntimeError("APPEND refused")
    finally:
        await client.logout()


async def message_count(dovecot: DovecotServer, folder: str) -> int:
    client = await _imap(dovecot)
    try:
        answer = await client.select(folder)
    finally:
        await client.logout()
    if answer.result != "OK":
        return 0
    return next(int(bytes(line).split()[0]) for line in answer.lines if bytes(line).endswith(b"EXISTS"))


# --------------------------------------------------------------------------- the two sides


async def baseline(dovecot: DovecotServer, folder: str) -> tuple[float, Counter[str]]:
    """Fetch every message in `folder` with aioimaplib and parse its calendar with icalendar:
    the seconds it took and the PARTSTATs read (checked against what was sent)."""
    client = await _imap(dovecot)
    partstats: Counter[str] = Counter()
    try:
        started = time.perf_counter()
        await client.select(folder)
        found = await client.uid_search("ALL")
        for uid in bytes(found.lines[0]).split():
            fetched = await client.uid("fetch", uid.decode(), "BODY.PEEK[]")
            raw = next(bytes(line) for line in fetched.lines if isinstance(line, bytearray))
            partstats.update(_partstats(raw))
        seconds = time.perf_counter() - started
    finally:
        await client.logout()
    return seconds, partstats


def _partstats(raw: bytes) -> list[str]:
    """The attendee's PARTSTAT of the first calendar in the message (Gmail attaches it twice).
    The compat32 policy: the email package's policy.default parses every header it touches
    into objects, about ten times slower for these messages (5.7 against 0.6 ms each)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(part.get_payload(decode=True))
            return [str(event["ATTENDEE"].params["PARTSTAT"]) for event in calendar.walk("VEVENT")]
    return []


async def service_run(settings: Settings, dovecot: DovecotServer) -> tuple[float, int]:
    """read_replies, the worker's job, round after round until the INBOX is empty."""
    mailbox.IDLE_SECONDS = IDLE_WAIT
    reading = dataclasses.replace(settings, imap_url=dovecot.url())
    processed = rounds = 0
    started = time.perf_counter()
    while processed < REPLIES and rounds < MAX_ROUNDS:
        processed += await read_replies(reading)
        rounds += 1
    return time.perf_counter() - started, rounds


# --------------------------------------------------------------------------- checks


async def check_acted_once(answers: list[Answer], waiting: list[Waiting]) -> Counter[str]:
    """Every registration acted on once, as its answer said; in each mode, as many of the
    first waiting promoted as that mode's declines freed seats."""
    logged = await InviteReply.select(InviteReply.registration, InviteReply.action, InviteReply.reason)
    per_registration = Counter(row["registration"] for row in logged)
    assert len(logged) == len(answers) and set(per_registration.values()) == {1}, per_registration.most_common(3)
    actions = {row["registration"]: row["action"] for row in logged}
    rows = {row["id"]: row for row in await Registration.select(Registration.id, Registration.status, Registration.rsvp, Registration.attendance_mode)}
    for answer in answers:
        expected = "cancel" if answer.partstat == "DECLINED" else "record_rsvp"
        assert actions[answer.registration_id] == expected, (answer, actions[answer.registration_id])
        row = rows[answer.registration_id]
        assert row["rsvp"] == answer.partstat.lower(), (answer, row)
        assert row["status"] == ("cancelled" if answer.partstat == "DECLINED" else "confirmed"), (answer, row)
    for mode in {person.mode for person in waiting}:
        freed = sum(answer.partstat == "DECLINED" and rows[answer.registration_id]["attendance_mode"] == mode for answer in answers)
        queue = [person.registration_id for person in waiting if person.mode == mode]
        promoted = [n for n in queue if rows[n]["status"] == "confirmed"]
        assert promoted == queue[:freed], (mode, len(promoted), freed)
    return Counter(actions.values())


# --------------------------------------------------------------------------- runs


async def run_engine(engine: str, pg_url: str | None, profile: cProfile.Profile | None) -> list[object]:
    missing = dovecot_missing()
    if missing:
        raise SystemExit(missing)
    dovecot = start_dovecot()
    try:
        with TemporaryDirectory(ignore_cleanup_errors=True) as folder, fresh_database(engine, pg_url) as db_url:
            async with service_database(db_url, Path(folder)) as settings:
                assert isinstance(settings, Settings)
                event_id, answers, waiting = await seed_registrations(REPLIES, WAITING)
                await deliver(dovecot, await reply_messages(event_id, answers, settings))
                before, read_before = await baseline(dovecot, "INBOX")
                if profile:
                    profile.enable()
                seconds, rounds = await service_run(settings, dovecot)
                if profile:
                    profile.disable()
                after, read_after = await baseline(dovecot, PROCESSED_FOLDER)
                sent = Counter(answer.partstat for answer in answers)
                assert read_before == read_after == sent, (read_before, read_after, sent)
                actions = await check_acted_once(answers, waiting)
                assert (await message_count(dovecot, "INBOX"), await message_count(dovecot, PROCESSED_FOLDER)) == (0, REPLIES)
    finally:
        dovecot.stop()
    service_rate, baseline_rate = REPLIES / seconds, 2 * REPLIES / (before + after)
    outcome = " ".join(f"{action}×{count}" for action, count in sorted(actions.items()))
    return [engine, service_rate, baseline_rate, f"{service_rate / baseline_rate:.2f}", seconds / REPLIES * 1000, rounds, outcome]


def main() -> None:
    parser = engine_parser(__doc__ or "")
    parser.add_argument("--profile", action="store_true", help="print where the service's run spends its time (cProfile, cumulative)")
    arguments = parser.parse_args()
    profile = cProfile.Profile() if arguments.profile else None
    rows = [asyncio.run(run_engine(engine, arguments.pg, profile)) for engine in engines(arguments)]
    print_table(
        f"Reply mailbox: {REPLIES} answers (DECLINED/ACCEPTED/TENTATIVE in the captured Exchange and Gmail shapes) to real invites, "
        f"{WAITING} waiting; ratio against aioimaplib fetch + icalendar parse of the same messages",
        ["engine", "replies/s", "baseline/s", "ratio", "ms/reply", "rounds", "acted"],
        rows,
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
