"""Breaks inside an expert's window, and where the expert meets (a room or a video link per
expert per Tech Day): slots around the breaks, hostile input refused with nothing written, the
place in both invites (parsed back at a real SMTP sink) and re-sent when it changes, and the
video link kept off the public pages. Both engines."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from events_service.experts.agenda import AGENDA_HOUR, send_agendas
from events_service.experts.service import cut_slots
from events_service.experts.tables import ExpertDay, ExpertSlot
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.experts.support import client, deliver, expert, registrant, tech_day
from tests.factories import published_event
from tests.mailparse import calendar_of, text_body
from tests.support.smtp import SmtpSink

__all__ = ["client"]

VIDEO = "https://meet.example/expert-elena?pwd=s3cret"


def _window(day: dict[str, Any], expert_id: int, start_minutes: int, end_minutes: int, minutes: int, **extra: Any) -> dict[str, Any]:
    base = datetime.fromisoformat(day["starts_at"])
    return {"expert_id": expert_id, "starts_at": (base + timedelta(minutes=start_minutes)).isoformat(),
            "ends_at": (base + timedelta(minutes=end_minutes)).isoformat(), "minutes": minutes, **extra}


def _pause(day: dict[str, Any], start_minutes: int, end_minutes: int) -> dict[str, str]:
    base = datetime.fromisoformat(day["starts_at"])
    return {"starts_at": (base + timedelta(minutes=start_minutes)).isoformat(),
            "ends_at": (base + timedelta(minutes=end_minutes)).isoformat()}


def test_cut_slots_restarts_after_each_break_and_drops_short_remainders() -> None:
    start = datetime(2030, 5, 6, 8, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    breaks = [(start + 60 * minute, start + 90 * minute), (start + 150 * minute, start + 160 * minute)]
    cut = cut_slots(start, start + 220 * minute, 25, breaks)
    # 0-60: two slots (50 min, 10 left over); 90-150: two (50 min, 10 over); 160-220: two.
    assert [(int((s - start) / minute), int((e - start) / minute)) for s, e in cut] == [
        (0, 25), (25, 50), (90, 115), (115, 140), (160, 185), (185, 210)]
    for slot_start, slot_end in cut:  # no slot touches a break
        assert all(slot_end <= b_start or slot_start >= b_end for b_start, b_end in breaks)
    assert cut_slots(start, start + 60 * minute, 20) == cut_slots(start, start + 60 * minute, 20, [])


async def test_slots_are_cut_around_the_breaks(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    opened = await client.post(f"/api/events/{day['id']}/expert-slots", headers=organiser, json=_window(
        day, elena["id"], 60, 240, 30, breaks=[_pause(day, 165, 180), _pause(day, 120, 135)]))  # given out of order
    assert opened.status_code == 201, opened.text
    base = datetime.fromisoformat(day["starts_at"])
    offsets = [int((datetime.fromisoformat(s["starts_at"]) - base) / timedelta(minutes=1)) for s in opened.json()]
    # 60-120: two slots; 135-165: one; 180-240: two (each stretch starts at its break's end).
    assert offsets == [60, 90, 135, 180, 210]
    assert await ExpertSlot.count() == 5


async def test_hostile_breaks_and_places_get_422_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    url = f"/api/events/{day['id']}/expert-slots"
    cases: dict[str, tuple[dict[str, Any], str | None]] = {
        "outside": (_window(day, elena["id"], 60, 180, 20, breaks=[_pause(day, 170, 200)]), "break_outside_window"),
        "before": (_window(day, elena["id"], 60, 180, 20, breaks=[_pause(day, 30, 70)]), "break_outside_window"),
        "overlap": (_window(day, elena["id"], 60, 180, 20, breaks=[_pause(day, 90, 120), _pause(day, 110, 130)]), "breaks_overlap"),
        "empty": (_window(day, elena["id"], 60, 180, 20, breaks=[_pause(day, 100, 100)]), "break_empty"),
        "thousand": (_window(day, elena["id"], 60, 180, 20, breaks=[_pause(day, 61, 62)] * 1000), None),
        "naive": (_window(day, elena["id"], 60, 180, 20, breaks=[{"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T10:10:00"}]), None),
        "unknown field": (_window(day, elena["id"], 60, 180, 20, breaks=[{**_pause(day, 90, 100), "label": "x"}]), None),
        "huge room": (_window(day, elena["id"], 60, 180, 20, room="R" * 100_000), None),
        "room newline": (_window(day, elena["id"], 60, 180, 20, room="Room 3\r\nLOCATION:evil"), None),
        "javascript": (_window(day, elena["id"], 60, 180, 20, video_url="javascript:alert(document.cookie)"), None),
        "data url": (_window(day, elena["id"], 60, 180, 20, video_url="data:text/html,<script>1</script>"), None),
        "url newline": (_window(day, elena["id"], 60, 180, 20, video_url="https://meet.example/a\nURL:evil"), None),
        "huge url": (_window(day, elena["id"], 60, 180, 20, video_url="https://meet.example/" + "a" * 5000), None),
    }
    for name, (body, code) in cases.items():
        answer = await client.post(url, headers=organiser, json=body)
        assert answer.status_code == 422, (name, answer.text)
        if code is not None:
            assert answer.json()["code"] == code, (name, answer.text)
            assert "break" in answer.json()["detail"], name
    patch = f"/api/events/{day['id']}/expert-days/{elena['id']}"
    for body in ({"video_url": "javascript:alert(1)"}, {"room": "x" * 201}, {"room": ""}, {"room": "ok", "colour": "red"}):
        answer = await client.patch(patch, headers=organiser, json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert await ExpertSlot.count() == 0
    assert await ExpertDay.count() == 0


async def test_the_place_is_guarded_and_belongs_to_a_tech_day(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    patch = f"/api/events/{day['id']}/expert-days/{elena['id']}"
    assert (await client.patch(patch, json={"room": "Sala 2"})).status_code == 401
    door = await token_headers(client, "checkin")
    assert (await client.patch(patch, headers=door, json={"room": "Sala 2"})).status_code == 403
    assert (await client.patch(f"/api/events/{day['id']}/expert-days/999999", headers=organiser, json={"room": "Sala 2"})).status_code == 404
    webinar = await published_event(client, organiser)
    on_webinar = await client.patch(f"/api/events/{webinar['id']}/expert-days/{elena['id']}", headers=organiser, json={"room": "Sala 2"})
    assert on_webinar.status_code == 409 and on_webinar.json()["code"] == "not_tech_day"
    assert await ExpertDay.count() == 0
    set_room = await client.patch(patch, headers=organiser, json={"room": "  Sala 2  "})
    assert set_room.status_code == 200, set_room.text
    assert set_room.json() == {"event_id": day["id"], "expert_id": elena["id"], "room": "Sala 2", "video_url": None}
    listed = await client.get(f"/api/events/{day['id']}/expert-days", headers=organiser)
    assert listed.json() == [set_room.json()]


def _meeting_invites(sink: SmtpSink, address: str) -> list[tuple[Any, str]]:
    """(VEVENT, plain text) of each meeting invite the address received, by SEQUENCE (the
    dispatcher sends a batch over several connections at once, so arrival order is not theirs,
    as from any mail server; calendars order by SEQUENCE)."""
    found = []
    for item in sink.handler.received:
        if address not in item.recipients:
            continue
        calendar = calendar_of(item.raw)
        if calendar is None:
            continue
        event = calendar.walk("VEVENT")[0]
        if str(event["UID"]).startswith("meeting-"):
            found.append((event, text_body(item.raw)))
    return sorted(found, key=lambda invite: int(invite[0]["SEQUENCE"]))


async def test_the_place_is_in_both_invites_and_a_change_resends_them(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    opened = await client.post(f"/api/events/{day['id']}/expert-slots", headers=organiser,
                               json=_window(day, elena["id"], 60, 120, 20, room="Sala Volta"))
    assert opened.status_code == 201, opened.text
    cut = opened.json()
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    booked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"], "topic": "cobots"})
    assert booked.status_code == 201 and booked.json()["room"] == "Sala Volta"

    patch = f"/api/events/{day['id']}/expert-days/{elena['id']}"
    unchanged = await client.patch(patch, headers=organiser, json={"room": "Sala Volta"})
    assert unchanged.status_code == 200
    assert await OutboxMessage.count().where(OutboxMessage.kind == "expert_meeting_invite") == 2  # nothing re-sent
    online = await client.patch(patch, headers=organiser, json={"room": None, "video_url": VIDEO})
    assert online.status_code == 200 and online.json()["video_url"] == VIDEO and online.json()["room"] is None
    both = await client.patch(patch, headers=organiser, json={"room": "Sala Galilei"})
    assert both.json() == {"event_id": day["id"], "expert_id": elena["id"], "room": "Sala Galilei", "video_url": VIDEO}
    await deliver(settings, sink)

    for address in ("luca.verdi@verdi-meccanica.example", "elena.conti@experts.example"):
        invites = _meeting_invites(sink, address)
        assert [int(event["SEQUENCE"]) for event, _ in invites] == [0, 1, 2], address
        assert len({str(event["UID"]) for event, _ in invites}) == 1
        (first, first_text), (second, second_text), (third, _third_text) = invites
        assert str(first["LOCATION"]).startswith("Sala Volta, ") and day["venue"]["name"] in str(first["LOCATION"])
        assert "URL" not in first and "Sala Volta" in first_text
        # Only a video link: the link is the LOCATION, the URL and in the description and the text.
        assert str(second["LOCATION"]) == VIDEO and str(second["URL"]) == VIDEO
        assert VIDEO in str(second["DESCRIPTION"]) and VIDEO in second_text
        # A room and a link (hybrid): the room is the LOCATION, the link stays the URL.
        assert str(third["LOCATION"]).startswith("Sala Galilei, ") and str(third["URL"]) == VIDEO

    # The reminders waiting for the meeting name the place as it is now (queued anew with each change).
    reminders = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.message).where(
        OutboxMessage.kind == "expert_meeting_reminder")
    assert sorted(r["to_address"] for r in reminders) == ["elena.conti@experts.example", "luca.verdi@verdi-meccanica.example"]
    for reminder in reminders:
        assert "Sala Galilei" in text_body(reminder["message"]) and VIDEO in text_body(reminder["message"])
    # The expert's agenda the evening before names the place beside each meeting.
    local_day = datetime.fromisoformat(cut[0]["starts_at"]).astimezone(ZoneInfo(day["timezone"])).date()
    evening = datetime.combine(local_day - timedelta(days=1), time(AGENDA_HOUR, 30), tzinfo=ZoneInfo(day["timezone"]))
    assert await send_agendas(settings, now=evening) == 1
    agenda = await OutboxMessage.select(OutboxMessage.message).where(OutboxMessage.kind == "expert_agenda").first()
    assert "Sala Galilei" in text_body(agenda["message"]) and VIDEO in text_body(agenda["message"])
    # The link is the two sides' only: the registrant's own meetings show it, the public never.
    mine = await client.get(f"/api/public/registrations/{token}/meetings")
    assert mine.json()[0]["video_url"] == VIDEO and mine.json()[0]["room"] == "Sala Galilei"
    manage = await client.get(f"/r/{token}?lang=en")
    assert VIDEO in manage.text and "Sala Galilei" in manage.text
    for public in (await client.get(f"/api/public/events/{day['id']}/expert-slots"), await client.get(f"/e/{day['slug']}?lang=en"),
                   await client.get(f"/api/public/events/{day['id']}")):
        assert public.status_code == 200
        assert "meet.example" not in public.text and "s3cret" not in public.text
