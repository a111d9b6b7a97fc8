"""The outbox: written inside the caller's transaction, idempotent, listed and retried by
organisers."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest

from events_service.db import write_transaction
from events_service.mail import outbox
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.support.smtp import address, make_message


async def test_enqueue_stores_the_message_and_its_envelope(service: Settings) -> None:
    message = make_message(1)
    later = datetime.now(UTC) + timedelta(days=1)
    async with write_transaction():
        assert await outbox.enqueue(
            message, kind="reminder", idempotency_key="reminder:7:1440:0", send_after=later, event_id=3, registration_id=7
        )
    row = await OutboxMessage.objects().get(OutboxMessage.idempotency_key == "reminder:7:1440:0")
    assert row is not None
    assert (row.kind, row.to_address, row.status, row.attempts) == ("reminder", address(1), "queued", 0)
    assert row.subject == "Promemoria 1: Tech Talk IoT"
    assert (row.event_id, row.registration_id) == (3, 7)
    assert abs(row.send_after - later) < timedelta(milliseconds=1)
    stored = email.message_from_string(row.message, policy=email.policy.SMTP)
    assert stored["Message-ID"] == message["Message-ID"]
    assert "\r\n" in row.message
    assert "\n" not in row.message.replace("\r\n", "")


async def test_the_same_idempotency_key_twice_writes_one_row(service: Settings) -> None:
    first = await outbox.enqueue(make_message(1), kind="reminder", idempotency_key="reminder:1:60:0")
    async with write_transaction():
        second = await outbox.enqueue(make_message(2), kind="reminder", idempotency_key="reminder:1:60:0")
    assert (first, second) == (True, False)
    rows = await OutboxMessage.select(OutboxMessage.to_address)
    assert rows == [{"to_address": address(1)}]


async def test_a_rolled_back_change_leaves_no_email(service: Settings) -> None:
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await outbox.enqueue(make_message(1), kind="confirmed", idempotency_key="confirmed:1")
            raise RuntimeError("the registration failed after all")
    assert await OutboxMessage.count() == 0


async def test_a_message_must_have_one_recipient_and_an_aware_send_after(service: Settings) -> None:
    with pytest.raises(ValueError, match="exactly one address"):
        make_message(1, to=f"{address(1)}, {address(2)}")
    # The outbox checks hand-made stdlib messages the same way.
    two = EmailMessage()
    two["To"] = f"{address(1)}, {address(2)}"
    with pytest.raises(ValueError, match="exactly one To"):
        await outbox.enqueue(two, kind="broadcast", idempotency_key="b:1")
    copied = EmailMessage()
    copied["To"] = address(1)
    copied["Cc"] = address(3)
    with pytest.raises(ValueError, match="Cc or Bcc"):
        await outbox.enqueue(copied, kind="broadcast", idempotency_key="b:2")
    with pytest.raises(ValueError, match="timezone-aware"):
        await outbox.enqueue(make_message(1), kind="reminder", idempotency_key="r:1", send_after=datetime(2030, 1, 1))
    assert await OutboxMessage.count() == 0


async def test_cancel_pending_withdraws_only_unsent_mail_of_that_registration(service: Settings) -> None:
    for key, kind, registration in [
        ("reminder:5:1440:0", "reminder", 5),
        ("reminder:5:60:0", "reminder", 5),
        ("confirmed:5", "confirmed", 5),
        ("reminder:6:60:0", "reminder", 6),
        ("reminder:5:30:0", "reminder", 5),
    ]:
        await outbox.enqueue(make_message(registration), kind=kind, idempotency_key=key, registration_id=registration)
    # One reminder is on its way right now, one has gone: neither can be called back.
    await OutboxMessage.update({OutboxMessage.status: "sending"}).where(OutboxMessage.idempotency_key == "reminder:5:60:0")
    await OutboxMessage.update({OutboxMessage.status: "sent"}).where(OutboxMessage.idempotency_key == "reminder:5:30:0")

    async with write_transaction():
        assert await outbox.cancel_pending(5, kinds=["reminder"]) == 1
    assert await outbox.cancel_pending(5, kinds=[]) == 0
    keys = {row["idempotency_key"] for row in await OutboxMessage.select(OutboxMessage.idempotency_key)}
    assert keys == {"reminder:5:60:0", "confirmed:5", "reminder:6:60:0", "reminder:5:30:0"}
    assert await outbox.cancel_pending(5) == 1  # every kind: the confirmation goes too
    assert await OutboxMessage.count().where(OutboxMessage.registration_id == 5) == 2


async def test_retry_requeues_failed_mail_and_refuses_the_rest(service: Settings) -> None:
    await outbox.enqueue(make_message(1), kind="confirmed", idempotency_key="confirmed:1")
    await outbox.enqueue(make_message(2), kind="confirmed", idempotency_key="confirmed:2")
    failed_id, queued_id = [row["id"] for row in await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id)]
    await OutboxMessage.update(
        {
            OutboxMessage.status: "failed",
            OutboxMessage.attempts: 8,
            OutboxMessage.last_error: "550 5.1.1 no such user",
            OutboxMessage.send_after: datetime(2020, 1, 1, tzinfo=UTC),
        }
    ).where(OutboxMessage.id == failed_id)

    item = await outbox.retry(failed_id)
    assert (item.status, item.attempts) == ("queued", 0)
    assert item.send_after > datetime.now(UTC) - timedelta(minutes=1)
    assert item.last_error == "550 5.1.1 no such user"  # kept: why it failed before

    with pytest.raises(outbox.NotRetryable, match="is queued"):
        await outbox.retry(queued_id)
    with pytest.raises(outbox.OutboxMessageNotFound):
        await outbox.retry(queued_id + 100)


async def test_outbox_api_lists_filters_and_retries(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    for n in range(3):
        await outbox.enqueue(make_message(n), kind="confirmed", idempotency_key=f"confirmed:{n}", event_id=9)
    first = (await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id).first())["id"]
    await OutboxMessage.update(
        {OutboxMessage.status: "failed", OutboxMessage.attempts: 1, OutboxMessage.last_error: "550 5.7.1 rejected"}
    ).where(OutboxMessage.id == first)

    answer = await client.get("/api/outbox", headers=organiser)
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [item["id"] for item in listed] == [first + 2, first + 1, first]
    assert set(listed[0]) >= {"id", "kind", "to", "subject", "status", "attempts", "last_error", "send_after"}
    assert listed[2] | {"send_after": None} == listed[2] | {
        "kind": "confirmed",
        "to": address(0),
        "subject": "Promemoria 0: Tech Talk IoT",
        "status": "failed",
        "attempts": 1,
        "last_error": "550 5.7.1 rejected",
        "send_after": None,
    }
    assert datetime.fromisoformat(listed[0]["send_after"]).tzinfo is not None
    assert "message" not in listed[0]

    failed = await client.get("/api/outbox", params={"status": "failed"}, headers=organiser)
    assert [item["id"] for item in failed.json()] == [first]
    bad = await client.get("/api/outbox", params={"status": "lost"}, headers=organiser)
    assert bad.status_code in (400, 422)
    assert bad.json()["detail"]

    retried = await client.post(f"/api/outbox/{first}/retry", headers=organiser)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    again = await client.post(f"/api/outbox/{first}/retry", headers=organiser)
    assert again.status_code == 409
    assert "queued" in again.json()["detail"]
    missing = await client.post(f"/api/outbox/{first + 99}/retry", headers=organiser)
    assert missing.json() == {"status_code": 404, "detail": f"outbox message {first + 99} does not exist"}


async def test_outbox_api_needs_an_organiser(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/outbox")).status_code == 401
    assert (await client.post("/api/outbox/1/retry")).status_code == 401
    checkin = await token_headers(client, "checkin")
    assert (await client.get("/api/outbox", headers=checkin)).status_code == 403
    assert (await client.post("/api/outbox/1/retry", headers=checkin)).status_code == 403
