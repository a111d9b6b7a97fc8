"""The whole loop with real parts, both engines: register over HTTP → the invite arrives at the
SMTP sink (aiosmtpd) → the person's Decline is APPENDed into a real Dovecot mailbox → the
worker's job reads it with aioimaplib → the seat is freed, the first waiting person promoted
and invited, the message moved to Processed. Read twice or by two workers at once: acted once."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator

import aioimaplib
import httpx
import pytest

from events_service.replies import mailbox as reply_mailbox
from events_service.replies.background import JOBS
from events_service.replies.mailbox import (
    PROCESSED_FOLDER,
    imap_target,
    read_replies,
    uid_sequence_set,
)
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.calendar.conftest import Mailbox
from tests.factories import published_event
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _register, _statuses
from tests.support.imap import DovecotServer, dovecot_missing, start_dovecot
from tests.support.smtp import SmtpSink


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    missing = dovecot_missing()
    if missing:
        pytest.skip(missing)
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def reading(settings: Settings, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # A short IDLE keeps each round quick; IDLE itself is still used (Dovecot offers it).
    monkeypatch.setattr(reply_mailbox, "IDLE_SECONDS", 0.3)
    return dataclasses.replace(settings, imap_url=dovecot.url())


async def _deliver(dovecot: DovecotServer, raw: bytes, times: int = 1) -> None:
    target = imap_target(dovecot.url())
    client = aioimaplib.IMAP4(host=target.host, port=target.port, timeout=10)
    await client.wait_hello_from_server()
    assert (await client.login(target.user, target.password)).result == "OK"
    for _ in range(times):
        assert (await client.append(raw, mailbox="INBOX")).result == "OK"
    await client.logout()


async def _count(dovecot: DovecotServer, folder: str) -> int:
    target = imap_target(dovecot.url())
    client = aioimaplib.IMAP4(host=target.host, port=target.port, timeout=10)
    await client.wait_hello_from_server()
    await client.login(target.user, target.password)
    answer = await client.select(folder)
    await client.logout()
    if answer.result != "OK":
        return 0
    return next(int(bytes(line).split()[0]) for line in answer.lines if bytes(line).endswith(b"EXISTS"))


async def _invited_uid(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink) -> tuple[int, str, Mailbox]:
    event = await published_event(client, organiser, capacity=1)
    await _register(client, event["id"], ANNA, 1)
    await _register(client, event["id"], BRUNO, 2)
    mailbox = Mailbox(settings, sink)
    invites = {mail.to: mail for mail in await mailbox.dispatch()}
    assert invites[ANNA].method == "REQUEST"
    assert invites[BRUNO].calendar_bytes is None  # waiting: no invite yet
    vevent = invites[ANNA].vevent
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"
    assert str(vevent["ORGANIZER"]) == f"mailto:{settings.organizer_address}"
    return event["id"], str(vevent["UID"]), mailbox


async def test_decline_in_the_mailbox_frees_the_seat_and_invites_the_next(
    client: httpx.AsyncClient, organiser: dict[str, str], reading: Settings, sink: SmtpSink, dovecot: DovecotServer
) -> None:
    event_id, uid, mailbox = await _invited_uid(client, organiser, reading, sink)
    await _deliver(dovecot, reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=ANNA))

    assert await read_replies(reading) == 1

    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
    sent = {mail.to: mail for mail in await mailbox.dispatch()}
    assert sent[BRUNO].method == "REQUEST"  # promoted and invited
    assert sent[ANNA].method == "CANCEL"
    assert (await _count(dovecot, "INBOX"), await _count(dovecot, PROCESSED_FOLDER)) == (0, 1)
    # The next round finds nothing new.
    assert await read_replies(reading) == 0


async def test_same_reply_delivered_twice_and_two_workers_act_once(
    client: httpx.AsyncClient, organiser: dict[str, str], reading: Settings, sink: SmtpSink, dovecot: DovecotServer
) -> None:
    event_id, uid, mailbox = await _invited_uid(client, organiser, reading, sink)
    raw = reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, client="gmail"), sender=ANNA, message_id="<twice@client.example>")
    await _deliver(dovecot, raw, times=2)

    job = next(job for job in JOBS if job.name == "replies-mailbox")
    await asyncio.gather(job.run(reading), job.run(reading))

    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
    assert await InviteReply.count() == 1
    sent = await mailbox.dispatch()
    assert sorted((mail.to, mail.method) for mail in sent) == [(ANNA, "CANCEL"), (BRUNO, "REQUEST")]
    assert await _count(dovecot, "INBOX") == 0


async def test_forged_reply_in_the_mailbox_changes_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], reading: Settings, sink: SmtpSink, dovecot: DovecotServer
) -> None:
    event_id, uid, mailbox = await _invited_uid(client, organiser, reading, sink)
    await _deliver(dovecot, reply_email("thunderbird", reply_calendar(uid=uid, attendee=ANNA, client="thunderbird"), sender="mallory@evil.example"))

    assert await read_replies(reading) == 1

    assert await _statuses(event_id) == {ANNA: ("confirmed", None), BRUNO: ("waitlisted", None)}
    assert await mailbox.dispatch() == []
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason, InviteReply.sender)
    assert logged == {"action": "ignore", "reason": "forged_sender", "sender": "mallory@evil.example"}


async def test_processed_messages_move_in_batches_and_the_rest_after(
    reading: Settings, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Five answers to nobody's invite, batches of two: moved as 2 + 2 + the last one.
    monkeypatch.setattr(reply_mailbox, "MOVE_BATCH", 2)
    for n in range(5):
        uid = f"event-1-registration-{n + 1}-abcdefgh@elsewhere.example"
        await _deliver(dovecot, reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, client="gmail"), sender=ANNA))

    assert await read_replies(reading) == 5

    assert (await _count(dovecot, "INBOX"), await _count(dovecot, PROCESSED_FOLDER)) == (0, 5)
    logged = await InviteReply.select(InviteReply.reason)
    assert [row["reason"] for row in logged] == ["unknown_uid"] * 5


@pytest.mark.parametrize(
    ("uids", "sequence_set"),
    [(["7"], "7"), (["3", "4", "5"], "3:5"), (["12", "3", "5", "6", "7", "8", "9"], "3,5:9,12"), (["1", "3", "3"], "1,3")],
)
def test_uid_sequence_set_writes_runs_as_ranges(uids: list[str], sequence_set: str) -> None:
    assert uid_sequence_set(uids) == sequence_set


async def test_decline_then_the_undo_link_from_the_email_gives_the_seat_back(
    client: httpx.AsyncClient, organiser: dict[str, str], reading: Settings, sink: SmtpSink, dovecot: DovecotServer
) -> None:
    # Two seats, nobody waiting: Anna's freed seat stays free for her undo link.
    event = await published_event(client, organiser, capacity=2)
    await _register(client, event["id"], ANNA, 1)
    mailbox = Mailbox(reading, sink)
    (invite,) = await mailbox.dispatch()
    uid, sequence = str(invite.vevent["UID"]), int(invite.vevent["SEQUENCE"])
    await _deliver(dovecot, reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=ANNA))

    assert await read_replies(reading) == 1

    (notice,) = await mailbox.dispatch()
    assert notice.to == ANNA and notice.method == "CANCEL"
    # In her language (Italian, the default): her reply cancelled it.
    assert notice.subject.startswith("La tua risposta ha cancellato la tua iscrizione")
    link = re.search(r"http://events\.test(/undo/\S+)", notice.text)
    assert link, notice.text
    page = await client.get(link.group(1))
    assert page.status_code == 200 and 'id="undo-form"' in page.text
    token = link.group(1).rsplit("/", 1)[1]
    undone = await client.post(f"/api/public/cancellations/{token}/undo")

    assert undone.status_code == 200 and undone.json()["status"] == "confirmed", undone.text
    assert await _statuses(event["id"]) == {ANNA: ("confirmed", None)}
    (again,) = await mailbox.dispatch()
    assert again.to == ANNA and again.method == "REQUEST"
    assert str(again.vevent["UID"]) == uid and int(again.vevent["SEQUENCE"]) == sequence + 2
