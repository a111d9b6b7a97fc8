"""An expert's windows under real concurrency, on SQLite and PostgreSQL: two organisers opening
overlapping windows at once, and a move racing an open, started together (asyncio.gather
through the app; on PostgreSQL each request on its own pooled connection). Each round uses a
new expert; after every round the expert's open slots are read back from the database and
must not overlap. Last, a booking racing a move of its slot: the booker's meetings must not
overlap either."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx

from events_service.clock import as_utc
from events_service.experts.tables import ExpertMeeting, ExpertSlot
from tests.experts.support import client, expert, registrant, slots, tech_day

__all__ = ["client"]

#: Rounds per test: a read-then-write race shows up in a few of them, not in every one.
ROUNDS = 12


def _window(day: dict[str, Any], expert_id: int, offset_minutes: int, length_minutes: int, minutes: int = 20) -> dict[str, Any]:
    starts = datetime.fromisoformat(day["starts_at"]) + timedelta(minutes=offset_minutes)
    return {"expert_id": expert_id, "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=length_minutes)).isoformat(), "minutes": minutes}


async def _overlapping_open_slots(expert_id: int) -> list[tuple[int, int]]:
    """Pairs of the expert's open slots that share a moment (none, when the rule held)."""
    rows = await ExpertSlot.select(ExpertSlot.id, ExpertSlot.starts_at, ExpertSlot.ends_at).where(
        (ExpertSlot.expert == expert_id) & (ExpertSlot.status == "open"))
    spans = sorted((as_utc(r["starts_at"]), as_utc(r["ends_at"]), r["id"]) for r in rows)
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]


async def test_two_organisers_opening_overlapping_windows_at_once_get_one_201_and_one_409(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    day = await tech_day(client, organiser)
    url = f"/api/events/{day['id']}/expert-slots"
    for round_no in range(ROUNDS):
        someone = await expert(client, organiser, f"Expert Number{round_no}")
        # 1h-2h into the day cut in 20 minutes, and 1h30-2h30 cut in 15: they share half an hour.
        answers = await asyncio.gather(
            client.post(url, headers=organiser, json=_window(day, someone["id"], 60, 60)),
            client.post(url, headers=organiser, json=_window(day, someone["id"], 90, 60, minutes=15)),
        )
        assert sorted(a.status_code for a in answers) == [201, 409], (round_no, [a.text for a in answers])
        assert [a.json()["code"] for a in answers if a.status_code == 409] == ["slots_overlap"]
        won = next(a.json() for a in answers if a.status_code == 201)
        assert await ExpertSlot.count().where(ExpertSlot.expert == someone["id"]) == len(won)
        assert await _overlapping_open_slots(someone["id"]) == [], round_no


async def test_a_move_racing_an_open_onto_the_same_time_leaves_no_overlap(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    url = f"/api/events/{day['id']}/expert-slots"
    for round_no in range(ROUNDS):
        someone = await expert(client, organiser, f"Expert Number{round_no}")
        [early] = await slots(client, organiser, day, someone["id"], offset_minutes=60, count=1)
        # The slot 1h into the day moves to 4h10 while a window 4h-5h opens: one of them must lose.
        moved_to = datetime.fromisoformat(day["starts_at"]) + timedelta(minutes=250)
        move, opened = await asyncio.gather(
            client.post(f"{url}/{early['id']}/move", headers=organiser, json={"starts_at": moved_to.isoformat()}),
            client.post(url, headers=organiser, json=_window(day, someone["id"], 240, 60)),
        )
        # Either may win a round; never both.
        assert (move.status_code, opened.status_code) in {(200, 409), (409, 201)}, (round_no, move.text, opened.text)
        loser = move if move.status_code == 409 else opened
        assert loser.json()["code"] == "slots_overlap"
        assert await _overlapping_open_slots(someone["id"]) == [], round_no


async def test_two_moves_onto_the_same_time_at_once_leave_one_there(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    url = f"/api/events/{day['id']}/expert-slots"
    for round_no in range(ROUNDS):
        someone = await expert(client, organiser, f"Expert Number{round_no}")
        first, second = await slots(client, organiser, day, someone["id"], offset_minutes=60, count=2)
        moved_to = (datetime.fromisoformat(day["starts_at"]) + timedelta(minutes=300)).isoformat()
        answers = await asyncio.gather(
            client.post(f"{url}/{first['id']}/move", headers=organiser, json={"starts_at": moved_to}),
            client.post(f"{url}/{second['id']}/move", headers=organiser, json={"starts_at": moved_to}),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], (round_no, [a.text for a in answers])
        assert await _overlapping_open_slots(someone["id"]) == [], round_no



async def _overlapping_meetings(registration_id: int) -> list[tuple[int, int]]:
    """Pairs of one person's booked meetings that share a moment (none, when the rule held)."""
    rows = await ExpertMeeting.select(
        ExpertMeeting.id, ExpertMeeting.slot.starts_at.as_alias("starts_at"), ExpertMeeting.slot.ends_at.as_alias("ends_at")
    ).where((ExpertMeeting.registration == registration_id) & (ExpertMeeting.status == "booked"))
    spans = sorted((as_utc(r["starts_at"]), as_utc(r["ends_at"]), r["id"]) for r in rows)
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]


async def test_a_booking_racing_a_move_of_its_slot_onto_another_meeting_of_the_booker_leaves_no_overlap(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    """Luca holds a meeting with Marco 4h10 into the day. At once, he books Elena's slot 1h in
    and the organiser moves that slot to 4h10: whichever comes second sees the other (the move
    sees the meeting and refuses; the booking sees the new time and refuses); never both."""
    day = await tech_day(client, organiser)
    url = f"/api/events/{day['id']}/expert-slots"
    marco = await expert(client, organiser, "Marco Neri")
    held = await slots(client, organiser, day, marco["id"], offset_minutes=250, count=ROUNDS, minutes=15)
    for round_no in range(ROUNDS):
        token = await registrant(client, day["id"], f"luca{round_no}.verdi@verdi{round_no}.example", 100 + round_no)
        registration_id = (await client.get(f"/api/public/registrations/{token}")).json()["id"]
        assert (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": held[round_no]["id"]})).status_code == 201
        elena = await expert(client, organiser, f"Elena Number{round_no}")
        [early] = await slots(client, organiser, day, elena["id"], offset_minutes=60, count=1)
        booked, moved = await asyncio.gather(
            client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": early["id"]}),
            client.post(f"{url}/{early['id']}/move", headers=organiser, json={"starts_at": held[round_no]["starts_at"]}),
        )
        assert (booked.status_code, moved.status_code) in {(201, 409), (409, 200)}, (round_no, booked.text, moved.text)
        assert (booked if booked.status_code == 409 else moved).json()["code"] == "overlapping_meeting"
        assert await _overlapping_meetings(registration_id) == [], round_no
