"""Messages to registrants over HTTP, counted at a real SMTP server: each recipient once, the
audience as asked, nobody cancelled, a repeated request (same Idempotency-Key) queues nothing."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from events_service.broadcasts.tables import EventMessage
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import transport_from_settings
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.attendance.support import move_event, register
from tests.conftest import token_headers
from tests.factories import published_event
from tests.mailparse import parse, text_body
from tests.support.smtp import SmtpSink

VENUE = {"name": "Polo Territoriale di Lecco", "address": "Via Gaetano Previati 1/c", "city": "Lecco"}


def _message(subject: str = "Room change: Aula Magna", **overrides: Any) -> dict[str, Any]:
    return {"subject": subject, "body": "The talk moves to the Aula Magna.\nSee you there.", "audience": "confirmed", **overrides}


async def _post(client: httpx.AsyncClient, headers: dict[str, str], event_id: int, payload: dict[str, Any], key: str | None = None) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(f"/api/events/{event_id}/messages", json=payload, headers={**headers, **extra})


async def _deliver(settings: Settings, sink: SmtpSink) -> dict[str, Counter[str]]:
    """Send everything queued to the SMTP sink; what arrived, per subject: recipients counted."""
    smtp_settings = dataclasses.replace(settings, smtp_url=sink.url())
    await new_dispatcher(smtp_settings, transport_from_settings(smtp_settings)).drain()
    arrived: dict[str, Counter[str]] = {}
    for item in sink.handler.received:
        subject = str(parse(item.raw)["Subject"])
        arrived.setdefault(subject, Counter()).update(item.recipients)
    return arrived


async def test_each_confirmed_and_waitlisted_person_gets_a_message_once_and_the_cancelled_none(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event = await published_event(client, organiser, capacity=2)
    ada, bob, cleo, dan, eve = [
        await register(client, event["id"], f"{name}@firm{n}.example", name.capitalize(), "Test", n)
        for n, name in enumerate(["ada", "bob", "cleo", "dan", "eve"], start=1)
    ]
    assert [p["status"] for p in (ada, bob, cleo, dan, eve)] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    await client.post(f"/api/public/registrations/{bob['manage_token']}/cancel")  # cleo is promoted

    count = await client.get(f"/api/events/{event['id']}/messages/recipients", params={"audience": "confirmed"}, headers=organiser)
    assert count.status_code == 200, count.text
    assert count.json()["recipients"] == 2
    first = await _post(client, organiser, event["id"], _message(), key="room-change-1")
    assert first.status_code == 202, first.text
    assert first.json()["queued"] == 2
    again = await _post(client, organiser, event["id"], _message(), key="room-change-1")
    assert again.status_code == 202, again.text
    assert again.json() == {"id": first.json()["id"], "queued": 0, "recipients": 2, "replayed": True}
    waiting = await _post(client, organiser, event["id"], _message("Still waiting", audience="waitlisted"))
    assert waiting.json()["queued"] == 2  # dan and eve
    # Eve leaves after the message was written, before it was sent: hers is withdrawn.
    await client.post(f"/api/public/registrations/{eve['manage_token']}/cancel")

    arrived = await _deliver(settings, sink)
    assert arrived["Room change: Aula Magna"] == Counter({"ada@firm1.example": 1, "cleo@firm3.example": 1})
    assert arrived["Still waiting"] == Counter({"dan@firm4.example": 1})
    withdrawn = await OutboxMessage.select(OutboxMessage.to_address).where(
        (OutboxMessage.kind == "broadcast") & (OutboxMessage.status == "withdrawn")
    )
    assert withdrawn == [{"to_address": "eve@firm5.example"}]

    sent = (await client.get(f"/api/events/{event['id']}/messages", headers=organiser)).json()
    assert [(m["subject"], m["audience"], m["recipients"]) for m in sent] == [
        ("Still waiting", "waitlisted", 2), ("Room change: Aula Magna", "confirmed", 2)
    ]


async def test_the_message_speaks_the_registrants_language_and_links_their_registration(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event = await published_event(client, organiser)
    await register(client, event["id"], "italo@firm1.example", "Italo", "Rossi", 1, language="it")
    await register(client, event["id"], "emma@firm2.example", "Emma", "Smith", 2, language="en")
    assert (await _post(client, organiser, event["id"], _message("Slides online"))).json()["queued"] == 2
    await _deliver(settings, sink)
    bodies = {item.recipients[0]: text_body(item.raw) for item in sink.handler.received if parse(item.raw)["Subject"] == "Slides online"}
    assert "The talk moves to the Aula Magna." in bodies["italo@firm1.example"]
    assert "Messaggio degli organizzatori" in bodies["italo@firm1.example"]
    assert "A message from the organisers" in bodies["emma@firm2.example"]
    assert "/registrations/" in bodies["emma@firm2.example"]


async def test_attended_and_no_show_audiences_exist_after_the_event(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    people = [await register(client, event["id"], f"p{n}@firm{n}.example", "P", f"N{n}", n) for n in range(3)]
    early = await _post(client, organiser, event["id"], _message(audience="no_show"))
    assert early.status_code == 409
    assert early.json()["code"] == "event_not_ended"
    ended = datetime.now(UTC) - timedelta(hours=2)
    await move_event(event["id"], ended - timedelta(minutes=90), ended)
    await Registration.update({Registration.attended: True}).where(Registration.id == people[0]["id"])

    attended = await _post(client, organiser, event["id"], _message("Thanks, here are the slides", audience="attended"))
    no_show = await _post(client, organiser, event["id"], _message("Sorry we missed you", audience="no_show"))
    assert attended.json()["queued"] == 1
    assert no_show.json()["queued"] == 2
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.payload).where(OutboxMessage.kind == "broadcast")
    by_message = Counter((row["to_address"], row["payload"]["message_id"] if isinstance(row["payload"], dict) else row["payload"]) for row in rows)
    assert len(by_message) == 3
    assert all(n == 1 for n in by_message.values())


async def test_a_hybrid_day_can_write_to_the_room_or_to_those_online(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, mode="hybrid", capacity=10, online_capacity=10, venue=VENUE)
    await register(client, event["id"], "room@firm1.example", "Rita", "Room", 1, attendance_mode="in_person")
    await register(client, event["id"], "net1@firm2.example", "Nino", "Net", 2, attendance_mode="online")
    await register(client, event["id"], "net2@firm3.example", "Nina", "Net", 3, attendance_mode="online")
    room = await _post(client, organiser, event["id"], _message("Parking", attendance_mode="in_person"))
    online = await _post(client, organiser, event["id"], _message("New link", attendance_mode="online"))
    assert room.json()["queued"] == 1
    assert online.json()["queued"] == 2
    talk = await published_event(client, organiser)
    refused = await _post(client, organiser, talk["id"], _message(attendance_mode="online"))
    assert refused.status_code == 422


async def test_the_preview_shows_every_language_and_the_count_and_writes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await register(client, event["id"], "ada@firm1.example", "Ada", "Test", 1)
    answer = await client.post(f"/api/events/{event['id']}/messages/preview", json=_message(), headers=organiser)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["recipients"] == 1
    assert set(preview["previews"]) == {"it", "en", "de"}
    assert preview["previews"]["it"]["subject"] == "Room change: Aula Magna"
    assert "Messaggio degli organizzatori" in preview["previews"]["it"]["text"]
    assert "A message from the organisers" in preview["previews"]["en"]["text"]
    assert "ada@firm1.example" not in str(preview)  # nobody's data in a preview
    assert await EventMessage.count() == 0
    assert await OutboxMessage.count().where(OutboxMessage.kind == "broadcast") == 0


async def test_hostile_or_unauthorised_requests_get_a_4xx_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await register(client, event["id"], "ada@firm1.example", "Ada", "Test", 1)
    checkin_staff = await token_headers(client, "checkin")
    path = f"/api/events/{event['id']}/messages"
    cases: list[tuple[httpx.Response, int]] = [
        (await client.post(path, json=_message()), 401),
        (await client.post(path, json=_message(), headers=checkin_staff), 403),
        (await client.get(path, headers=checkin_staff), 403),
        (await _post(client, organiser, event["id"], _message("x" * 201)), 422),
        (await _post(client, organiser, event["id"], _message("Two\nlines")), 422),
        (await _post(client, organiser, event["id"], _message(body="y" * 10_001)), 422),
        (await _post(client, organiser, event["id"], _message(body="")), 422),
        (await _post(client, organiser, event["id"], _message(audience="everyone")), 422),
        (await _post(client, organiser, event["id"], {**_message(), "bcc": "all@evil.example"}), 422),
        (await _post(client, organiser, event["id"], _message(), key="k" * 201), 422),
        (await _post(client, organiser, 999_999, _message()), 404),
        (await _post(client, organiser, 2**31, _message()), 422),
        (await client.get(f"{path}/recipients", params={"audience": "all"}, headers=organiser), 422),
    ]
    assert [answer.status_code for answer, _ in cases] == [status for _, status in cases], [a.text for a, _ in cases]
    assert await EventMessage.count() == 0
    assert await OutboxMessage.count().where(OutboxMessage.kind == "broadcast") == 0
