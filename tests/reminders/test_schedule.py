"""The reminder scheduler, on a controlled clock: `schedule_due(settings, now=…)`.

Events are created through the API some days ahead; the scheduler is then run at chosen
moments before their start. A registration's confirmation time is set where the case needs
it (registered or promoted shortly before the start)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.reminders import service as reminders_service
from events_service.reminders.service import schedule_due
from events_service.settings import Settings
from tests.factories import future, published_event, registration_payload
from tests.mailparse import parse, rendered, text_body

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# ---------------------------------------------------------------- helpers


async def _register(client: httpx.AsyncClient, event_id: int, email: str, company_no: int = 1, **overrides: Any) -> dict[str, Any]:
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no, **overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _confirmed_at(registration_id: int, moment: datetime) -> None:
    """As if the registrant had registered (or been promoted) at `moment`."""
    await Registration.update({Registration.confirmed_at: moment}).where(Registration.id == registration_id)


def _start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["starts_at"]).astimezone(UTC)


async def _reminders(registration_id: int | None = None) -> list[dict[str, Any]]:
    query = OutboxMessage.select().where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return await query


async def _planned(registration_id: int | None = None) -> dict[str, datetime]:
    """idempotency key → send_after, for the reminders in the outbox."""
    return {row["idempotency_key"]: row["send_after"] for row in await _reminders(registration_id)}


def _key(registration: dict[str, Any], offset: int, sequence: int = 0) -> str:
    return f"reminder:{registration['id']}:{offset}:{sequence}"


async def _event_with_one_registrant(client: httpx.AsyncClient, organiser: dict[str, str], **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    event = await published_event(client, organiser, starts=future(days=10), **overrides)
    registration = await _register(client, event["id"], "mario.rossi@lariana.example")
    assert registration["status"] == "confirmed"
    return event, registration


# ---------------------------------------------------------------- who gets which reminder, when


async def test_registered_two_days_before_gets_both_reminders_at_their_moments(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await _confirmed_at(registration["id"], start - 2 * DAY)

    # Not before the lookahead window (15 minutes) opens on the one-day moment.
    assert await schedule_due(settings, now=start - DAY - 16 * MINUTE) == 0
    assert await _reminders() == []

    assert await schedule_due(settings, now=start - DAY - 10 * MINUTE) == 1
    for _ in range(5):
        assert await schedule_due(settings, now=start - DAY - 10 * MINUTE) == 0
    assert await schedule_due(settings, now=start - DAY + MINUTE) == 0  # passed, but queued already
    assert await _planned() == {_key(registration, 1440): start - DAY}

    assert await schedule_due(settings, now=start - 2 * HOUR) == 0
    assert await schedule_due(settings, now=start - HOUR - 14 * MINUTE) == 1
    for _ in range(5):
        assert await schedule_due(settings, now=start - HOUR - 5 * MINUTE) == 0
    assert await _planned() == {_key(registration, 1440): start - DAY, _key(registration, 60): start - HOUR}
    assert len(await _reminders()) == 2


async def test_registered_three_hours_before_gets_only_the_one_hour_reminder(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    # Really three hours before: the event starts three hours from now.
    start = datetime.now(UTC).replace(microsecond=0) + 3 * HOUR
    event = await published_event(client, organiser, starts=start)
    registration = await _register(client, event["id"], "late.comer@x.example")
    assert registration["status"] == "confirmed"

    for now in (start - DAY - 5 * MINUTE, start - DAY + MINUTE, start - 2 * HOUR, start - HOUR - 10 * MINUTE, start - 30 * MINUTE):
        await schedule_due(settings, now=now)
    assert await _planned() == {_key(registration, 60): start - HOUR}


async def test_promoted_from_the_waitlist_late_gets_only_the_later_reminders_and_waitlisted_none(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event = await published_event(client, organiser, starts=future(days=10), capacity=1, reminder_offsets_minutes=[1440, 240, 60])
    start = _start(event)
    first = await _register(client, event["id"], "a.first@x.example", company_no=1)
    second = await _register(client, event["id"], "b.second@x.example", company_no=2)
    third = await _register(client, event["id"], "c.third@x.example", company_no=3)
    assert [r["status"] for r in (first, second, third)] == ["confirmed", "waitlisted", "waitlisted"]

    assert await schedule_due(settings, now=start - DAY - 5 * MINUTE) == 1
    assert set(await _planned()) == {_key(first, 1440)}

    # The first cancels; the second is promoted, five hours before the start.
    cancelled = await client.post(f"/api/public/registrations/{first['manage_token']}/cancel")
    assert cancelled.status_code == 200
    promoted = await client.get(f"/api/public/registrations/{second['manage_token']}")
    assert promoted.json()["status"] == "confirmed"
    await _confirmed_at(second["id"], start - 5 * HOUR)

    for now in (start - 5 * HOUR + MINUTE, start - 4 * HOUR - 10 * MINUTE, start - 2 * HOUR, start - HOUR - 10 * MINUTE):
        await schedule_due(settings, now=now)
    assert await _planned(second["id"]) == {_key(second, 240): start - 4 * HOUR, _key(second, 60): start - HOUR}
    assert await _reminders(third["id"]) == []  # still waiting: no reminder
    assert await _reminders(first["id"]) == []  # cancelled: its pending one was withdrawn


async def test_cancelled_registration_gets_none_and_its_pending_reminder_is_withdrawn(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, staying = await _event_with_one_registrant(client, organiser)
    leaving = await _register(client, event["id"], "leaving.soon@x.example", company_no=2)
    start = _start(event)
    assert await schedule_due(settings, now=start - DAY - 5 * MINUTE) == 2

    cancelled = await client.post(f"/api/public/registrations/{leaving['manage_token']}/cancel")
    assert cancelled.status_code == 200
    assert await _reminders(leaving["id"]) == []

    for now in (start - DAY + MINUTE, start - HOUR - 10 * MINUTE, start - 30 * MINUTE):
        await schedule_due(settings, now=now)
    assert await _reminders(leaving["id"]) == []
    assert set(await _planned()) == {_key(staying, 1440), _key(staying, 60)}


async def test_cancelled_event_gets_none_and_its_pending_reminders_are_withdrawn(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, _ = await _event_with_one_registrant(client, organiser)
    await _register(client, event["id"], "other.person@x.example", company_no=2)
    start = _start(event)
    assert await schedule_due(settings, now=start - DAY - 5 * MINUTE) == 2

    answer = await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    assert answer.status_code == 200, answer.text
    assert await _reminders() == []

    for now in (start - DAY + MINUTE, start - HOUR - 10 * MINUTE, start - 30 * MINUTE):
        assert await schedule_due(settings, now=now) == 0
    assert await _reminders() == []


async def test_rescheduled_event_withdraws_old_reminders_and_gets_new_ones(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await schedule_due(settings, now=start - DAY - 5 * MINUTE)
    # The one-day reminder for the old time went out …
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: start - DAY}).where(
        OutboxMessage.idempotency_key == _key(registration, 1440)
    )
    # … and the one-hour one is queued.
    await schedule_due(settings, now=start - HOUR - 10 * MINUTE)
    assert set(await _planned()) == {_key(registration, 1440), _key(registration, 60)}

    new_start = start + DAY
    patched = await client.patch(
        f"/api/events/{event['id']}",
        json={"starts_at": new_start.isoformat(), "ends_at": (new_start + 90 * MINUTE).isoformat()},
        headers=organiser,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["sequence"] == 1
    # The pending one for the old time is withdrawn; the sent one stays as the record.
    assert {row["idempotency_key"]: row["status"] for row in await _reminders()} == {_key(registration, 1440): "sent"}

    assert await schedule_due(settings, now=start - 30 * MINUTE) == 0  # the old time means nothing now
    assert await schedule_due(settings, now=new_start - DAY - 5 * MINUTE) == 1
    assert await schedule_due(settings, now=new_start - HOUR - 5 * MINUTE) == 1
    assert await _planned() == {
        _key(registration, 1440): start - DAY,
        _key(registration, 1440, sequence=1): new_start - DAY,
        _key(registration, 60, sequence=1): new_start - HOUR,
    }


async def test_a_reschedule_between_reading_and_writing_is_not_overwritten(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler read the event before the organiser moved it, and writes after: what it
    writes must not be reminders for the old time."""
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    new_start = start + 2 * HOUR
    schedule_event = reminders_service._schedule_event

    async def moved_meanwhile(*args: Any) -> int:
        patched = await client.patch(
            f"/api/events/{event['id']}",
            json={"starts_at": new_start.isoformat(), "ends_at": (new_start + 90 * MINUTE).isoformat()},
            headers=organiser,
        )
        assert patched.status_code == 200, patched.text
        return await schedule_event(*args)

    monkeypatch.setattr(reminders_service, "_schedule_event", moved_meanwhile)
    await schedule_due(settings, now=start - HOUR - 10 * MINUTE)
    assert await _reminders() == []
    monkeypatch.undo()
    assert await schedule_due(settings, now=start - HOUR - 10 * MINUTE) == 1
    assert await _planned() == {_key(registration, 1440, sequence=1): start - HOUR - 10 * MINUTE}


async def test_worker_down_until_after_both_moments_sends_only_the_one_hour_reminder_late(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await _confirmed_at(registration["id"], start - 2 * DAY)
    back = start - 30 * MINUTE  # no worker ran until now
    assert await schedule_due(settings, now=back) == 1
    assert await _planned() == {_key(registration, 60): back}
    assert await schedule_due(settings, now=back + 5 * MINUTE) == 0


async def test_worker_down_past_the_one_day_moment_sends_it_late_then_the_one_hour_on_time(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await _confirmed_at(registration["id"], start - 2 * DAY)
    back = start - 2 * HOUR  # no worker ran from two days before until now
    assert await schedule_due(settings, now=back) == 1
    assert await _planned() == {_key(registration, 1440): back}
    await schedule_due(settings, now=start - HOUR - 10 * MINUTE)
    assert await _planned() == {_key(registration, 1440): back, _key(registration, 60): start - HOUR}


async def test_a_late_reminder_is_skipped_when_the_next_one_is_about_to_go(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await schedule_due(settings, now=start - HOUR - 10 * MINUTE)
    assert await _planned() == {_key(registration, 60): start - HOUR}


async def test_an_event_that_has_started_gets_no_reminders(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, _ = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    for now in (start, start + MINUTE, start + HOUR):
        assert await schedule_due(settings, now=now) == 0
    assert await _reminders() == []
    assert await schedule_due(settings, now=start - MINUTE) == 1  # the control: a minute earlier, it would


async def test_concurrent_schedulers_write_each_reminder_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    starts = future(days=10)
    registrations: list[int] = []
    for n in range(3):
        event = await published_event(client, organiser, starts=starts, title=f"Talk {n}")
        colleagues = [{"email": f"c{i}.colleague{n}@x.example", "first_name": "C", "last_name": f"N{i}"} for i in range(7)]
        created = await _register(client, event["id"], f"boss{n}.person@x.example", company_no=n, colleagues=colleagues)
        registrations += [created["id"], *(c["id"] for c in created["colleagues"])]
    assert len(registrations) == 24

    now = starts - 30 * MINUTE  # the one-hour reminder, late: written at once by every run
    counts = await asyncio.gather(*(schedule_due(settings, now=now) for _ in range(4)))
    rows = await _reminders()
    assert sum(counts) == len(rows) == 24
    assert sorted(row["registration_id"] for row in rows) == sorted(registrations)
    assert await schedule_due(settings, now=now) == 0


async def test_custom_offsets_each_at_its_moment_with_a_worker_every_ten_minutes(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, early = await _event_with_one_registrant(client, organiser, reminder_offsets_minutes=[2880, 120, 15])
    late = await _register(client, event["id"], "just.intime@x.example", company_no=2)
    start = _start(event)
    await _confirmed_at(early["id"], start - 3 * DAY)
    await _confirmed_at(late["id"], start - HOUR)

    now = start - 2 * DAY - HOUR
    while now < start + 30 * MINUTE:
        await schedule_due(settings, now=now)
        now += 10 * MINUTE
    assert await _planned() == {
        _key(early, 2880): start - 2 * DAY,
        _key(early, 120): start - 2 * HOUR,
        _key(early, 15): start - 15 * MINUTE,
        _key(late, 15): start - 15 * MINUTE,
    }


# ---------------------------------------------------------------- what the reminder says


def _has_qr_image(raw: str) -> bool:
    return any(part.get_content_type() == "image/png" and part["Content-ID"] for part in parse(raw).walk())


async def test_rendered_reminder_says_how_long_until_the_start_and_shows_link_or_qr_to_whom_it_belongs(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    link = "https://meet.example.org/j/tech-day"
    event = await published_event(
        client, organiser, tech_day=True, mode="hybrid", capacity=10, online_capacity=10, online_url=link
    )
    start = _start(event)
    in_room = await _register(client, event["id"], "in.room@x.example", company_no=1, attendance_mode="in_person", language="en")
    online = await _register(client, event["id"], "on.line@x.example", company_no=2, attendance_mode="online", language="en")
    assert await schedule_due(settings, now=start - HOUR - 10 * MINUTE) == 2

    room_mail = await rendered((await _reminders(in_room["id"]))[0], settings)
    room_text = text_body(room_mail)
    assert "starts in 1 hour" in room_text
    assert link not in room_mail
    assert _has_qr_image(room_mail)

    online_mail = await rendered((await _reminders(online["id"]))[0], settings)
    online_text = text_body(online_mail)
    assert "starts in 1 hour" in online_text
    assert link in online_text
    assert not _has_qr_image(online_mail)


async def test_a_late_reminder_says_the_time_left_when_it_is_sent(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event, registration = await _event_with_one_registrant(client, organiser)
    start = _start(event)
    await schedule_due(settings, now=start - 30 * MINUTE)
    text = text_body(await rendered((await _reminders())[0], settings))
    assert "inizia tra 30 minuti" in text  # registered in Italian, the default
    assert "https://meet.example.org/j/123456" in text  # a confirmed online attendee


async def test_a_naive_clock_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="naive"):
        await schedule_due(settings, now=datetime(2030, 1, 1, 12, 0))


async def test_cancellations_racing_the_scheduler_leave_no_reminder_behind(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    """On PostgreSQL the scheduler and the cancellations really overlap (SQLite takes them in
    turn): whichever order they meet in, a cancelled registration keeps no pending reminder."""
    event = await published_event(client, organiser, starts=future(days=10))
    colleagues = [{"email": f"c{i}.colleague@x.example", "first_name": "C", "last_name": f"N{i}"} for i in range(10)]
    created = await _register(client, event["id"], "boss.person@x.example", colleagues=colleagues)
    everyone = [created, *created["colleagues"]]
    now = _start(event) - 30 * MINUTE

    async def cancel(registration: dict[str, Any]) -> None:
        answer = await client.post(f"/api/public/registrations/{registration['manage_token']}/cancel")
        assert answer.status_code == 200, answer.text

    leaving = everyone[::2]
    await asyncio.gather(*(schedule_due(settings, now=now) for _ in range(3)), *(cancel(r) for r in leaving))
    await schedule_due(settings, now=now)
    reminded = {row["registration_id"] for row in await _reminders()}
    assert reminded == {r["id"] for r in everyone[1::2]}


async def test_a_reminder_still_queued_when_the_event_starts_is_withdrawn_not_sent(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, tmp_path: Any
) -> None:
    from events_service.mail.transport import FileTransport
    from events_service.worker import new_dispatcher

    event = await published_event(client, organiser, starts=future(days=3))
    registration = await _register(client, event["id"], "late.worker@x.example")
    await _confirmed_at(registration["id"], _start(event) - 3 * DAY)
    assert await schedule_due(settings, now=_start(event) - DAY) == 1
    reminder = (await _reminders(registration["id"]))[0]
    assert reminder["message"]
    assert reminder["expires_at"] == _start(event)  # rendered ahead, expiring at the start
    # The worker was down until after the start: the reminder has lost its point.
    after_start = _start(event) + MINUTE
    mail_dir = tmp_path / "mail"
    stats = await new_dispatcher(settings, FileTransport(mail_dir), now=lambda: after_start).drain()
    assert stats.withdrawn == 1
    assert stats.sent == 1  # the confirmation went; the reminder did not
    row = (await _reminders(registration["id"]))[0]
    assert row["status"] == "withdrawn"
    assert "expired" in row["last_error"]
    sent = [parse(path.read_bytes()) for path in mail_dir.glob("*.eml")]
    subject = str(sent[0]["Subject"]).lower() if sent else ""
    assert len(sent) == 1
    assert "conferm" in subject or "confirm" in subject  # it: confermata
