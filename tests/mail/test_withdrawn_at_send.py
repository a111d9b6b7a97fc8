"""A message written for a registration in one state is not sent once the registration has
left it: a confirmation (with the join link) that failed and is retried after the person
cancelled is withdrawn, not delivered. Through the real dispatcher and a real SMTP server."""

from __future__ import annotations

import asyncio

import httpx

from events_service.mail import outbox
from events_service.mail.dispatcher import RetryPolicy
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import SmtpTransport
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.factories import published_event, registration_payload
from tests.support.polling import eventually_async
from tests.support.smtp import Fault, ManualClock, SmtpSink

JOIN_LINK = "https://meet.example.org/private-room-4711"
ADA = "ada.rossi@x.example"


async def _confirmed_online(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[int, str]:
    talk = await published_event(client, organiser, mode="online", online_url=JOIN_LINK)
    created = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(ADA))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "confirmed", created.text
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == "confirmed").first()
    return row["id"], created.json()["manage_token"]


def _delivered(sink: SmtpSink) -> list[str]:
    return [item.raw.decode("utf-8", "replace") for item in sink.handler.received]


async def _status(outbox_id: int) -> str:
    return (await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == outbox_id).first())["status"]


async def _at_data(sink: SmtpSink) -> bool:
    return sink.handler.data_started >= 1


async def test_a_failed_confirmation_retried_after_a_cancellation_is_withdrawn(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    clock = ManualClock()
    transport = SmtpTransport.from_url(sink.url(timeout=5))
    dispatcher = new_dispatcher(settings, transport, "w", now=clock, policy=RetryPolicy(max_attempts=1))
    try:
        confirmation, token = await _confirmed_online(client, organiser)
        sink.handler.add_fault(ADA, Fault("reply", times=1, reply="451 4.3.0 Mailbox busy, try later"))
        await dispatcher.run_once()
        assert await _status(confirmation) == "failed"  # gave up: a failed row stays for the organiser
        assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
        retried = await client.post(f"/api/outbox/{confirmation}/retry", headers=organiser)
        assert retried.status_code == 200
        clock.advance(minutes=1)
        await dispatcher.drain()
    finally:
        await transport.close()
    assert await _status(confirmation) == "withdrawn"
    assert not any(JOIN_LINK in raw for raw in _delivered(sink))
    # The cancellation notice itself went out.
    assert [(await outbox.get_message(m["id"])).status for m in await OutboxMessage.select(OutboxMessage.id).where(
        OutboxMessage.kind == "cancelled")] == ["sent"]


async def test_a_confirmation_in_flight_while_the_person_cancels_is_not_sent_on_its_retry(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    """The cancellation comes while the dispatcher is talking to the server (the row is
    `sending`: it cannot be withdrawn then); the server answers 451; the retry must not send."""
    clock = ManualClock()
    transport = SmtpTransport.from_url(sink.url(timeout=5))
    dispatcher = new_dispatcher(settings, transport, "w", now=clock)
    try:
        confirmation, token = await _confirmed_online(client, organiser)
        # The server takes its time over the message, then refuses it for now.
        sink.handler.delay_data = 1.0
        sink.handler.add_fault(ADA, Fault("reply", times=1, reply="451 4.3.0 Queue full, try later"), at="DATA")
        first = asyncio.create_task(dispatcher.run_once())
        # Wait until the message is at DATA: `sending` alone is set before the dispatcher's last
        # check, and a cancellation then is (rightly) withdrawn at once, with no retry to test.
        await eventually_async(lambda: _at_data(sink), timeout=10, interval=0.01, what="the message never reached DATA")
        assert await _status(confirmation) == "sending"
        assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
        await first
        sink.handler.delay_data = 0.0
        assert await _status(confirmation) == "retry"
        clock.advance(hours=2)
        await dispatcher.drain()
    finally:
        await transport.close()
    assert await _status(confirmation) == "withdrawn"
    assert not any(JOIN_LINK in raw for raw in _delivered(sink))
