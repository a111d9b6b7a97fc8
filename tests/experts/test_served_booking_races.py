"""The booking rules against a real `events-service serve` with two worker processes, on SQLite
and PostgreSQL: the racers are real HTTP clients on connections of their own, started together,
so two processes (each with its own connections to the database) take the bookings at once.
test_booking_races.py runs the same races in one process; counts are read back from the
database, not from the answers alone. Starting the served processes takes most of the time,
so the three races run one after the other against the same server (each on its own experts
and people)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx

from events_service.app import running_service
from events_service.experts.tables import ExpertCompanyDay, ExpertMeeting
from events_service.settings import Settings
from tests.experts.support import expert, registrant, slots, tech_day
from tests.serving import organiser_headers, served, server_env

RACERS = 50
SLOTS = 5


def _book(http: httpx.AsyncClient, token: str, slot_id: int) -> Coroutine[Any, Any, httpx.Response]:
    return http.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": slot_id})


async def _booked_slots(expert_ids: list[int]) -> list[int]:
    rows = await ExpertMeeting.select(ExpertMeeting.slot).where(
        (ExpertMeeting.status == "booked") & ExpertMeeting.expert.is_in(expert_ids))
    return sorted(row["slot"] for row in rows)


async def test_the_booking_rules_hold_with_two_served_processes(settings: Settings, tmp_path: Path) -> None:
    with served(server_env(settings, tmp_path / "server-var"), workers=2) as base_url:
        # Idle connections expire on the client before uvicorn closes them (see test_rush.py).
        limits = httpx.Limits(max_connections=RACERS, max_keepalive_connections=RACERS, keepalive_expiry=2)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
            organiser = await organiser_headers(http, settings, "served-race")
            day = await tech_day(http, organiser)
            await _fifty_people_race_for_five_slots(http, settings, organiser, day)
            await _a_company_races_past_its_cap(http, settings, organiser, day)
            await _one_person_races_for_two_overlapping_slots(http, settings, organiser, day)


async def _fifty_people_race_for_five_slots(
    http: httpx.AsyncClient, settings: Settings, organiser: dict[str, str], day: dict[str, Any]
) -> None:
    names = ("Elena Conti", "Marco Neri", "Sara Galli", "Pietro Rota", "Ada Sala")
    # Five experts, one slot each, at the same time: ten people race for each slot.
    experts = [await expert(http, organiser, name) for name in names]
    cut = [(await slots(http, organiser, day, e["id"], count=1))[0] for e in experts]
    tokens = [await registrant(http, day["id"], f"p{n}.served@company{n}.example", n) for n in range(RACERS)]
    answers = await asyncio.gather(*[_book(http, token, cut[n % SLOTS]["id"]) for n, token in enumerate(tokens)])

    codes = collections.Counter(answer.status_code for answer in answers)
    assert codes == {201: SLOTS, 409: RACERS - SLOTS}, [a.text for a in answers if a.status_code not in (201, 409)][:3]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"slot_taken"}
    won = sorted(a.json()["slot"]["id"] for a in answers if a.status_code == 201)
    async with running_service(settings):
        assert await _booked_slots([e["id"] for e in experts]) == won == sorted(slot["id"] for slot in cut)
    # The public list agrees: nothing of theirs is free any more.
    free = (await http.get(f"/api/public/events/{day['id']}/expert-slots")).json()
    assert {slot["id"] for slot in free} & set(won) == set()


async def _a_company_races_past_its_cap(http: httpx.AsyncClient, settings: Settings, organiser: dict[str, str], day: dict[str, Any]) -> None:
    carla = await expert(http, organiser, "Carla Fumagalli")
    # Two hours later than the first race: the colleagues hold nothing else then.
    cut = await slots(http, organiser, day, carla["id"], offset_minutes=180, count=10, minutes=15)
    # Ten colleagues of one company, each racing for a different slot of the same expert.
    tokens = [await registrant(http, day["id"], f"colleague{n}@azienda7.example", 7) for n in range(len(cut))]
    answers = await asyncio.gather(*[_book(http, token, slot["id"]) for token, slot in zip(tokens, cut, strict=True)])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"company_limit"}

    # The organiser allows two: of the nine racing again, one more gets through.
    rules = await http.put(f"/api/events/{day['id']}/expert-rules", headers=organiser, json={"meetings_per_company_expert": 2})
    assert rules.status_code == 200, rules.text
    losers = [(token, slot) for token, slot, a in zip(tokens, cut, answers, strict=True) if a.status_code == 409]
    again = await asyncio.gather(*[_book(http, token, slot["id"]) for token, slot in losers])
    assert sorted(a.status_code for a in again) == [201] + [409] * 8, [a.text for a in again]
    async with running_service(settings):
        assert len(await _booked_slots([carla["id"]])) == 2
        # The company's counter agrees with its meetings (what the next booking is checked against).
        counters = await ExpertCompanyDay.select(ExpertCompanyDay.taken).where(ExpertCompanyDay.key.like(f"{carla['id']}:%"))
        assert [row["taken"] for row in counters] == [2]


async def _one_person_races_for_two_overlapping_slots(
    http: httpx.AsyncClient, settings: Settings, organiser: dict[str, str], day: dict[str, Any]
) -> None:
    gino, lia = await expert(http, organiser, "Gino Brambilla"), await expert(http, organiser, "Lia Cattaneo")
    # One hour with two experts cut differently: 20 and 30 minute slots overlap.
    gino_slots = await slots(http, organiser, day, gino["id"], offset_minutes=360, count=3, minutes=20)
    lia_slots = await slots(http, organiser, day, lia["id"], offset_minutes=360, count=2, minutes=30)
    token = await registrant(http, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    for round_no in range(5):  # several rounds: each must leave exactly one
        answers = await asyncio.gather(_book(http, token, gino_slots[1]["id"]), _book(http, token, lia_slots[0]["id"]))
        assert sorted(a.status_code for a in answers) == [201, 409], (round_no, [a.text for a in answers])
        assert [a.json()["code"] for a in answers if a.status_code == 409] == ["overlapping_meeting"]
        async with running_service(settings):
            assert len(await _booked_slots([gino["id"], lia["id"]])) == 1, round_no
        won = next(a.json() for a in answers if a.status_code == 201)
        assert (await http.post(f"/api/public/meetings/{won['manage_token']}/cancel")).status_code == 200
