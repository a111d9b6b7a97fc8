"""The booking rules under real concurrency, on SQLite and PostgreSQL: requests started together
(asyncio.gather through the app; on PostgreSQL each on its own pooled connection). Counts are
read back from the database, not from the answers alone."""

from __future__ import annotations

import asyncio

import httpx

from events_service.experts.tables import ExpertMeeting
from tests.experts.support import client, expert, registrant, slots, tech_day
from tests.factories import registration_payload

__all__ = ["client"]


async def _book(client: httpx.AsyncClient, token: str, slot_id: int) -> httpx.Response:
    return await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": slot_id})


async def test_fifty_people_racing_for_five_slots_get_five_meetings(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    experts = [await expert(client, organiser, name) for name in ("Elena Conti", "Marco Neri", "Sara Galli", "Pietro Rota", "Ada Sala")]
    # Five experts, one slot each, all at the same time: each person may hold any one of them.
    cut = [(await slots(client, organiser, day, e["id"], count=1))[0] for e in experts]
    tokens = [await registrant(client, day["id"], f"p{n}.racer@company{n}.example", n) for n in range(50)]
    answers = await asyncio.gather(*[_book(client, token, cut[n % 5]["id"]) for n, token in enumerate(tokens)])
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 5, [a.text for a in answers if a.status_code not in (201, 409)]
    assert codes.count(409) == 45
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"slot_taken"}
    rows = await ExpertMeeting.select(ExpertMeeting.slot).where(ExpertMeeting.status == "booked")
    assert sorted(r["slot"] for r in rows) == sorted(s["id"] for s in cut)


async def test_one_person_racing_for_two_overlapping_slots_gets_one(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena, marco = await expert(client, organiser, "Elena Conti"), await expert(client, organiser, "Marco Neri")
    # The same hour with two experts, cut differently: 20 and 30 minute slots overlap.
    elena_slots = await slots(client, organiser, day, elena["id"], count=3, minutes=20)
    marco_slots = await slots(client, organiser, day, marco["id"], count=2, minutes=30)
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    for _ in range(3):  # several rounds: each must leave exactly one
        answers = await asyncio.gather(_book(client, token, elena_slots[1]["id"]), _book(client, token, marco_slots[0]["id"]))
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        assert [a.json()["code"] for a in answers if a.status_code == 409] == ["overlapping_meeting"]
        assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 1
        won = next(a.json() for a in answers if a.status_code == 201)
        assert (await client.post(f"/api/public/meetings/{won['manage_token']}/cancel")).status_code == 200


async def test_a_company_racing_past_its_cap_is_capped(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"], count=8, minutes=15)
    # Eight colleagues of one company, each racing for a different slot of the same expert.
    tokens = []
    for n in range(8):
        answer = await client.post(f"/api/public/events/{day['id']}/registrations",
                                   json=registration_payload(f"colleague{n}@azienda7.example", company_no=7))
        assert answer.status_code == 201, answer.text
        tokens.append(answer.json()["manage_token"])
    answers = await asyncio.gather(*[_book(client, token, slot["id"]) for token, slot in zip(tokens, cut, strict=True)])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"company_limit"}
    # The organiser allows two: one more goes through, then the cap holds again.
    rules = await client.put(f"/api/events/{day['id']}/expert-rules", headers=organiser, json={"meetings_per_company_expert": 2})
    assert rules.status_code == 200
    losers = [(token, slot) for token, slot, a in zip(tokens, cut, answers, strict=True) if a.status_code == 409]
    again = await asyncio.gather(*[_book(client, token, slot["id"]) for token, slot in losers])
    assert sorted(a.status_code for a in again) == [201] + [409] * 6
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 2
