"""A reminder before each meeting reaches the registrant and the expert at a real SMTP sink,
at its moment and not before; a move withdraws it and queues the new time's; a cancel (by the
meeting's link or of the registration) withdraws it. SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta

import httpx

from events_service.experts.meeting_reminders import MEETING_REMINDER, MEETING_REMINDER_MINUTES
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.experts.support import (
    booked_meeting,
    client,
    deliver,
    expert,
    registrant,
    slots,
    tech_day,
)
from tests.support.smtp import SmtpSink

__all__ = ["client"]

LUCA = "luca.verdi@verdi-meccanica.example"
ELENA = "elena.conti@experts.example"


def _reminders_received(sink: SmtpSink, address: str) -> list[str]:
    """The bodies of the meeting reminders that reached `address`."""
    found = []
    for item in sink.handler.received:
        message = email.message_from_bytes(item.raw, policy=email.policy.default)
        if address in item.recipients and "cobots" in item.raw.decode(errors="replace") and not _has_calendar(message):
            found.append(message.get_body(preferencelist=("plain",)).get_content())
    return found


def _has_calendar(message: email.message.EmailMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.walk())


async def _pending(meeting_id: int) -> list[dict]:
    return await OutboxMessage.select(OutboxMessage.idempotency_key, OutboxMessage.send_after, OutboxMessage.expires_at,
                                      OutboxMessage.status).where(
        (OutboxMessage.kind == MEETING_REMINDER) & OutboxMessage.idempotency_key.like(f"{MEETING_REMINDER}:{meeting_id}:%")
    ).order_by(OutboxMessage.idempotency_key)


async def test_both_sides_are_reminded_at_the_moment_and_a_move_reschedules_it(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    booked = await booked_meeting(client, organiser, LUCA)
    day, cut, meeting = booked.day, booked.slots, booked.meeting
    starts = datetime.fromisoformat(cut[0]["starts_at"])
    queued = await _pending(meeting["id"])
    assert [r["idempotency_key"].rsplit(":", 2)[1:] for r in queued] == [["expert", "0"], ["registrant", "0"]]
    assert {r["send_after"] for r in queued} == {starts - timedelta(minutes=MEETING_REMINDER_MINUTES)}
    assert {r["expires_at"] for r in queued} == {starts}

    later = datetime.fromisoformat(cut[2]["ends_at"]) + timedelta(minutes=30)
    moved = await client.post(f"/api/events/{day['id']}/expert-slots/{cut[0]['id']}/move", headers=organiser,
                              json={"starts_at": later.isoformat()})
    assert moved.status_code == 200, moved.text
    queued = await _pending(meeting["id"])
    assert [r["idempotency_key"].rsplit(":", 2)[1:] for r in queued] == [["expert", "1"], ["registrant", "1"]]
    assert {r["send_after"] for r in queued} == {later - timedelta(minutes=MEETING_REMINDER_MINUTES)}

    # Before its moment nothing but the invites goes out; at the moment both sides get it.
    await deliver(settings, sink, later - timedelta(minutes=MEETING_REMINDER_MINUTES + 5))
    assert _reminders_received(sink, LUCA) == [] and _reminders_received(sink, ELENA) == []
    await deliver(settings, sink, later - timedelta(minutes=MEETING_REMINDER_MINUTES - 1))
    to_luca, to_elena = _reminders_received(sink, LUCA), _reminders_received(sink, ELENA)
    assert len(to_luca) == 1 and "Elena Conti" in to_luca[0] and "cobots" in to_luca[0], to_luca
    assert len(to_elena) == 1 and "cobots" in to_elena[0], to_elena


async def test_a_cancelled_meeting_or_registration_withdraws_the_reminders(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], LUCA, 1)
    first = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"], "topic": "cobots"})).json()
    second = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[1]["id"], "topic": "cobots"}))
    assert second.status_code == 409  # one meeting per company and expert per day
    assert len(await _pending(first["id"])) == 2
    assert (await client.post(f"/api/public/meetings/{first['manage_token']}/cancel")).status_code == 200
    assert await _pending(first["id"]) == []
    again = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[1]["id"], "topic": "cobots"})).json()
    assert len(await _pending(again["id"])) == 2
    assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
    assert await _pending(again["id"]) == []
    await deliver(settings, sink, datetime.fromisoformat(cut[1]["starts_at"]) - timedelta(minutes=10))
    assert _reminders_received(sink, LUCA) == [] and _reminders_received(sink, ELENA) == []
