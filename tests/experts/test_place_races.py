"""Where an expert meets, changed by two organisers at once (asyncio.gather through the app; on
PostgreSQL each request on its own pooled connection), on SQLite and PostgreSQL: one sets the
room, the other the video link; both changes stay (no lost update), the expert keeps one place
row, and each change re-sends the booked meeting's invites once with its own SEQUENCE."""

from __future__ import annotations

import asyncio

import httpx

from events_service.experts.tables import ExpertDay, ExpertMeeting
from events_service.mail.tables import OutboxMessage
from tests.experts.support import client, expert, registrant, slots, tech_day

__all__ = ["client"]

#: Rounds: a read-then-write race shows up in a few of them, not in every one.
ROUNDS = 10


async def test_a_room_and_a_link_set_at_once_both_stay_and_each_resends_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    assert (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})).status_code == 201
    url = f"/api/events/{day['id']}/expert-days/{elena['id']}"
    for round_no in range(1, ROUNDS + 1):
        room, link = f"Sala {round_no}", f"https://meet.example/elena-{round_no}"
        answers = await asyncio.gather(client.patch(url, headers=organiser, json={"room": room}),
                                       client.patch(url, headers=organiser, json={"video_url": link}))
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert await ExpertDay.select(ExpertDay.room, ExpertDay.video_url) == [{"room": room, "video_url": link}], round_no
        assert (await ExpertMeeting.select(ExpertMeeting.sequence).first())["sequence"] == 2 * round_no
    keys = [r["idempotency_key"] for r in await OutboxMessage.select(OutboxMessage.idempotency_key).where(
        OutboxMessage.kind == "expert_meeting_invite")]
    for side in ("registrant", "expert"):  # the booking's REQUEST, then one per change
        assert sorted(int(k.split(":")[3]) for k in keys if k.split(":")[2] == side) == list(range(2 * ROUNDS + 1))
