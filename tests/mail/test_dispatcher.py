"""The dispatcher against a real SMTP server that misbehaves: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import pytest

from events_service.app import running_service
from events_service.calendar.ics import CalendarEntry, build_invite
from events_service.jobs import PeriodicJob
from events_service.mail import outbox
from events_service.mail.dispatcher import Dispatcher, DispatchStats, RetryPolicy
from events_service.mail.mime import RenderedMessage, build_email
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import (
    FileTransport,
    PermanentFailure,
    SmtpConfig,
    SmtpTransport,
    TemporaryFailure,
    classify,
)
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.support.polling import eventually_async
from tests.support.smtp import Fault, ManualClock, SmtpSink, address, make_message

# Short enough that the "slow" fault (3x) times out, long enough that an ordinary send on a loaded
# 2-core CI machine does not (a send timing out after the server took it would arrive twice).
SHORT_TIMEOUT = 2.0


async def enqueue_many(count: int, start: int = 0) -> dict[int, str]:
    """Queue `count` messages; returns person number → Message-ID."""
    ids: dict[int, str] = {}
    for n in range(start, start + count):
        message = make_message(n)
        ids[n] = str(message["Message-ID"])
        assert await outbox.enqueue(message, kind="reminder", idempotency_key=f"reminder:{n}:60:0")
    return ids


async def statuses() -> dict[str, str]:
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.status)
    return {row["to_address"]: row["status"] for row in rows}


async def row_for(n: int) -> OutboxMessage:
    row = await OutboxMessage.objects().get(OutboxMessage.to_address == address(n))
    assert row is not None
    return row


async def pending() -> int:
    return await OutboxMessage.count().where(OutboxMessage.status.is_in(["queued", "retry", "sending"]))


async def dispatch_until_done(dispatcher: Dispatcher, clock: ManualClock, rounds: int = 40) -> DispatchStats:
    """Run batches, moving the clock past every back-off, until nothing is left to send."""
    total = DispatchStats()
    for _ in range(rounds):
        total += await dispatcher.run_once(batch_size=10)
        if await pending() == 0:
            return total
        clock.advance(hours=2)
    raise AssertionError(f"still pending after {rounds} rounds: {await statuses()}")


def smtp(sink: SmtpSink, connections: int = 2) -> SmtpTransport:
    return SmtpTransport.from_url(sink.url(timeout=SHORT_TIMEOUT, connections=connections))


async def test_every_message_arrives_exactly_once_through_every_fault(
    service: Settings, sink: SmtpSink, clock: ManualClock
) -> None:
    message_ids = await enqueue_many(40)
    handler = sink.handler
    handler.add_fault(address(3), Fault("reply", times=2, reply="451 4.7.1 Greylisted, try later"))
    handler.add_fault(address(4), Fault("reply", times=1, reply="452 4.2.2 Mailbox full"))
    handler.add_fault(address(7), Fault("drop", times=1))
    handler.add_fault(address(21), Fault("drop", times=1))
    handler.add_fault(address(10), Fault("slow", times=1, seconds=SHORT_TIMEOUT * 3))
    handler.add_fault(address(15), Fault("reply", times=1, reply="451 4.3.0 Queue full"), at="DATA")
    handler.add_fault(address(12), Fault("reply", times=-1, reply="550 5.1.1 No such user here"))
    handler.add_fault(address(30), Fault("reply", times=-1, reply="554 5.7.1 Message rejected"), at="DATA")
    transport = smtp(sink)
    dispatcher = new_dispatcher(service, transport, "test-worker", now=clock)

    # The server refuses connections for a while: the batch goes back, nothing is lost.
    sink.stop()
    down = await dispatcher.run_once(batch_size=10)
    assert down.unreachable
    assert down.sent == 0
    assert down.retried + down.released == 10
    assert down.released >= 8
    assert set((await statuses()).values()) <= {"queued", "retry"}
    assert "cannot connect" in (await OutboxMessage.select(OutboxMessage.last_error).where(OutboxMessage.status == "retry").first())["last_error"]
    clock.advance(minutes=5)
    still_down = await dispatcher.run_once(batch_size=10)
    assert still_down.unreachable
    sink.start()

    try:
        total = await dispatch_until_done(dispatcher, clock)
    finally:
        await transport.close()

    arrived = handler.counts()
    never = {message_ids[12], message_ids[30]}
    assert {mid: n for mid, n in arrived.items() if n != 1} == {}, "a message arrived twice"
    assert set(arrived) == set(message_ids.values()) - never, "a message was lost"
    final = await statuses()
    assert final.pop(address(12)) == "failed"
    assert final.pop(address(30)) == "failed"
    assert set(final.values()) == {"sent"}
    assert total.failed == 2
    assert total.lost_leases == 0
    assert total.retried >= 6  # 451 twice, 452, two drops, the slow reply, 451 at DATA

    rejected = await row_for(12)
    assert rejected.attempts == 1
    assert "550 5.1.1 No such user here" in rejected.last_error
    assert (await row_for(30)).last_error.startswith("554 5.7.1 Message rejected")
    greylisted = await row_for(3)
    assert greylisted.attempts >= 3
    assert greylisted.sent_at is not None
    assert greylisted.last_error is None
    assert all(item.recipients == [address(n)] for n in range(40) for item in handler.received if item.message_id == message_ids[n])
    assert {item.sender for item in handler.received} == {service.mail_from}


async def test_a_550_fails_at_once_and_is_never_retried(service: Settings, sink: SmtpSink, clock: ManualClock) -> None:
    await enqueue_many(1)
    sink.handler.add_fault(address(0), Fault("reply", times=-1, reply="550 5.1.1 Unknown user"))
    transport = smtp(sink)
    dispatcher = new_dispatcher(service, transport, "w", now=clock)
    stats = await dispatcher.run_once()
    assert (stats.failed, stats.retried, stats.sent) == (1, 0, 0)
    for _ in range(3):
        clock.advance(days=1)
        assert (await dispatcher.run_once()).claimed == 0
    await transport.close()
    row = await row_for(0)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550 5.1.1 Unknown user" in row.last_error
    assert "RCPT" in row.last_error
    assert sink.handler.counts() == {}


async def test_a_message_past_its_expiry_is_withdrawn_not_sent(service: Settings, sink: SmtpSink, clock: ManualClock) -> None:
    expires = clock.now + timedelta(minutes=30)
    for n in range(2):
        assert await outbox.enqueue(make_message(n), kind="reminder", idempotency_key=f"reminder:{n}:60:0", expires_at=expires)
    sink.handler.add_fault(address(1), Fault("reply", times=1, reply="451 4.3.0 Try later"))
    transport = smtp(sink)
    dispatcher = new_dispatcher(service, transport, "w", now=clock)
    assert (await dispatcher.run_once()).sent == 1
    clock.advance(hours=1)  # the retry falls due after the expiry
    stats = await dispatcher.run_once()
    await transport.close()
    assert (stats.withdrawn, stats.sent) == (1, 0)
    row = await row_for(1)
    assert row.status == "withdrawn"
    assert "expired" in row.last_error
    assert sum(sink.handler.counts().values()) == 1  # only the first one arrived
    with pytest.raises(ValueError, match="expires_at must be timezone-aware"):
        await outbox.enqueue(make_message(2), kind="reminder", idempotency_key="r:2", expires_at=datetime(2030, 1, 1))


async def test_temporary_failures_back_off_exponentially_then_give_up(
    service: Settings, sink: SmtpSink, clock: ManualClock
) -> None:
    await enqueue_many(1)
    sink.handler.add_fault(address(0), Fault("reply", times=-1, reply="451 4.4.1 Try later"))
    transport = smtp(sink, connections=1)
    policy = RetryPolicy(max_attempts=5, base_delay=30, max_delay=200, jitter=0.2)
    dispatcher = new_dispatcher(service, transport, "w", now=clock, policy=policy, rng=random.Random(7))
    delays = []
    for attempt in range(1, 5):
        assert (await dispatcher.run_once()).retried == 1
        row = await row_for(0)
        assert (row.status, row.attempts) == ("retry", attempt)
        delay = (row.send_after - clock.now).total_seconds()
        delays.append(delay)
        expected = min(30 * 2 ** (attempt - 1), 200)
        assert expected * 0.8 - 0.01 <= delay <= min(expected * 1.2, 200) + 0.01
        # Not a moment before it is due.
        clock.advance(seconds=delay - 1)
        assert (await dispatcher.run_once()).claimed == 0
        clock.advance(seconds=1)
    assert delays[-1] <= 200
    assert (await dispatcher.run_once()).failed == 1
    await transport.close()
    row = await row_for(0)
    assert row.status == "failed"
    assert row.attempts == 5
    assert row.last_error.startswith("gave up after 5 attempts: 451 4.4.1 Try later")


async def test_a_dead_workers_rows_are_taken_over_once_the_lease_ends(
    service: Settings, sink: SmtpSink, clock: ManualClock
) -> None:
    await enqueue_many(5)
    transport = smtp(sink)
    dead = new_dispatcher(service, transport, "dead-worker", now=clock, lease_seconds=60)
    claimed = await dead._claim(3, clock(), clock() + timedelta(seconds=60))  # then SIGKILL
    assert len(claimed) == 3

    other = new_dispatcher(service, transport, "other-worker", now=clock, lease_seconds=60)
    first = await other.run_once()
    assert (first.claimed, first.sent) == (2, 2)  # the leased rows are not touched
    clock.advance(seconds=59)
    assert (await other.run_once()).claimed == 0
    clock.advance(seconds=2)
    second = await other.run_once()
    assert (second.claimed, second.sent) == (3, 3)
    await transport.close()
    rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.claimed_by, OutboxMessage.lease_until)
    assert {(row["status"], row["claimed_by"], row["lease_until"]) for row in rows} == {("sent", "other-worker", None)}
    assert len(sink.handler.counts()) == 5


async def test_a_result_for_a_row_taken_over_is_not_written(service: Settings, sink: SmtpSink, clock: ManualClock) -> None:
    """A worker that lost its lease (paused too long) does not overwrite the new owner's row."""
    await enqueue_many(1)
    slow = new_dispatcher(service, smtp(sink), "paused-worker", now=clock)
    row = (await slow._claim(1, clock(), clock() + timedelta(seconds=60)))[0]
    await OutboxMessage.update({OutboxMessage.claimed_by: "new-owner"}).where(OutboxMessage.id == row.id)
    outcome = await slow._attempt(row)
    assert await slow._write_outcomes([outcome]) == set()
    current = await row_for(0)
    assert (current.status, current.claimed_by) == ("sending", "new-owner")
    await slow.transport.close()


async def test_stop_hands_the_unsent_rest_back_untouched(service: Settings, sink: SmtpSink, clock: ManualClock) -> None:
    await enqueue_many(6)
    transport = smtp(sink)
    dispatcher = new_dispatcher(service, transport, "w", now=clock)
    stop = asyncio.Event()
    stop.set()
    stats = await dispatcher.run_once(stop=stop)
    assert (stats.claimed, stats.released, stats.attempted) == (6, 6, 0)
    rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.claimed_by)
    assert {(r["status"], r["attempts"], r["claimed_by"]) for r in rows} == {("queued", 0, None)}
    assert (await dispatcher.drain()).sent == 6
    await transport.close()


async def test_one_connection_is_reused_for_a_whole_batch(service: Settings, sink: SmtpSink, clock: ManualClock) -> None:
    await enqueue_many(25)
    sessions: list[object] = []
    original = sink.handler.handle_RCPT

    async def counting_rcpt(server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if session not in sessions:
            sessions.append(session)
        return await original(server, session, envelope, address, rcpt_options)

    sink.handler.handle_RCPT = counting_rcpt  # type: ignore[method-assign]
    transport = smtp(sink, connections=1)
    stats = await new_dispatcher(service, transport, "w", now=clock).drain(batch_size=10)
    await transport.close()
    assert stats.sent == 25
    assert len(sessions) == 1


async def test_file_transport_writes_parseable_eml_files(service: Settings, clock: ManualClock) -> None:
    starts = datetime(2026, 12, 3, 16, tzinfo=UTC)
    entry = CalendarEntry(
        uid="event-4-registration-9@events.test",
        sequence=0,
        summary="Industrial IoT for small manufacturers",
        description="Tech Talk",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        location=None,
        url="http://events.test/e/iot",
    )
    calendar = build_invite(
        entry,
        organizer_email=service.mail_from,
        organizer_name="SME Innovation Programme",
        attendee_email="giulia@company.example",
        attendee_name="Giulia Ferrari",
        method="REQUEST",
    )
    invite = build_email(
        sender=service.mail_from,
        sender_name="SME Innovation Programme",
        to="giulia@company.example",
        rendered=RenderedMessage("Iscrizione confermata", "Ciao Giulia\n", "<p>Ciao Giulia</p>\n"),
        calendar=calendar,
    )
    await outbox.enqueue(invite, kind="confirmed", idempotency_key="confirmed:9")
    await enqueue_many(2)
    transport = FileTransport(service.mail_dir)
    stats = await new_dispatcher(service, transport, "w", now=clock).drain()
    assert stats.sent == 3

    files = sorted(service.mail_dir.iterdir())
    assert len(files) == 3, files
    assert all(path.suffix == ".eml" for path in files), files
    parsed = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    by_to = {str(message["To"]): message for message in parsed}
    assert set(by_to) == {"giulia@company.example", address(0), address(1)}
    confirmed = by_to["giulia@company.example"]
    assert confirmed["Subject"] == "Iscrizione confermata"
    calendar_part = next(part for part in confirmed.walk() if part.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_payload(decode=True) == calendar
    assert b"\r\n" in files[0].read_bytes()

    # Sending the same message again (a worker killed before recording) rewrites, not adds.
    await transport.send(files[0].read_bytes(), service.mail_from, ["x@company.example"])
    assert len(list(service.mail_dir.iterdir())) == 3


async def test_the_worker_runs_inside_the_service_and_stops_with_it(settings: Settings) -> None:
    ran = asyncio.Event()

    async def job(_: Settings) -> None:
        ran.set()

    async def mail_written() -> list[Path]:
        return list(settings.mail_dir.glob("*.eml"))

    with_worker = dataclasses.replace(settings, run_worker=True)
    from events_service import worker as worker_module

    worker_module.PERIODIC_JOBS.append(PeriodicJob("test-job", job, every_seconds=60))
    try:
        async with running_service(with_worker):
            await outbox.enqueue(make_message(1), kind="confirmed", idempotency_key="confirmed:1")
            await eventually_async(mail_written, timeout=30, what="the in-service worker wrote no mail")
            assert ran.is_set()
    finally:
        worker_module.PERIODIC_JOBS.pop()
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "events-service-worker"]


def test_smtp_urls() -> None:
    starttls = SmtpConfig.from_url("smtp://mailer%40programme.example:p%40ss@mail.example.org:587?starttls=1")
    assert (starttls.hostname, starttls.port, starttls.start_tls, starttls.use_tls) == ("mail.example.org", 587, True, False)
    assert (starttls.username, starttls.password) == ("mailer@programme.example", "p@ss")
    tls = SmtpConfig.from_url("smtps://user:pw@mail.example.org")
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, False)
    plain = SmtpConfig.from_url("smtp://relay.internal:25")
    assert (plain.port, plain.start_tls, plain.username, plain.timeout) == (25, None, None, 10.0)
    tuned = SmtpConfig.from_url("smtp://relay.internal?starttls=0&timeout=2.5&connections=1")
    assert (tuned.port, tuned.start_tls, tuned.timeout, tuned.connections) == (25, False, 2.5, 1)
    for bad in ["http://x", "smtp://", "smtp://x?tls=1", "smtps://x?starttls=1", "smtp://x?connections=0"]:
        with pytest.raises(ValueError):
            SmtpConfig.from_url(bad)


def test_a_lease_must_outlast_a_send(settings: Settings) -> None:
    transport = SmtpTransport.from_url("smtp://relay.internal?timeout=10")
    with pytest.raises(ValueError, match="lease_seconds"):
        new_dispatcher(settings, transport, lease_seconds=15)
    assert new_dispatcher(settings, transport, lease_seconds=60).lease == timedelta(seconds=60)


def test_failures_are_classified_temporary_or_permanent() -> None:
    def refused(*codes: int) -> aiosmtplib.SMTPRecipientsRefused:
        return aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(code, "reason", f"r{code}@x.example") for code in codes]
        )

    temporary = [
        refused(451),
        refused(550, 452),
        aiosmtplib.SMTPDataError(451, "queue full"),
        aiosmtplib.SMTPSenderRefused(421, "closing", "a@x.example"),
        aiosmtplib.SMTPReadTimeoutError("slow"),
        TimeoutError(),
        aiosmtplib.SMTPServerDisconnected("gone"),
        aiosmtplib.SMTPConnectError("refused"),
        ConnectionResetError(104, "reset"),
    ]
    permanent = [
        refused(550),
        aiosmtplib.SMTPDataError(554, "rejected"),
        aiosmtplib.SMTPSenderRefused(553, "no", "a@x.example"),
        aiosmtplib.SMTPNotSupported("SMTPUTF8"),
    ]
    assert all(isinstance(classify(error), TemporaryFailure) for error in temporary)
    assert all(isinstance(classify(error), PermanentFailure) for error in permanent)
    assert classify(aiosmtplib.SMTPConnectError("refused")).connect
    assert "552" in classify(aiosmtplib.SMTPDataError(552, "too big")).reason
