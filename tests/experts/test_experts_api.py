"""Experts, their slots inside a Tech Day, and meetings booked by manage token: the happy path,
the rules one request at a time, and hostile input (4xx, nothing written). Both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from events_service.experts.tables import ExpertMeeting, ExpertSlot
from events_service.mail.tables import OutboxMessage
from tests.conftest import token_headers
from tests.experts.support import client, expert, registrant, slots, tech_day
from tests.factories import published_event

__all__ = ["client"]


async def test_an_expert_is_created_and_listed_by_editors_only(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    created = await expert(client, organiser)
    assert created["topics"] == ["automation", "energy"] and created["languages"] == ["it", "en"]
    listed = await client.get("/api/experts", headers=organiser)
    assert [e["name"] for e in listed.json()] == ["Elena Conti"]
    assert (await client.get("/api/experts")).status_code == 401
    assert (await client.post("/api/experts", json={"name": "X", "email": "x@y.example"})).status_code == 401
    bad = await client.post("/api/experts", headers=organiser, json={"name": "", "email": "not an address"})
    assert bad.status_code == 422
    too_many_topics = await client.post("/api/experts", headers=organiser, json={"name": "A", "email": "a@b.example", "topics": ["t"] * 21})
    assert too_many_topics.status_code == 422
    assert len((await client.get("/api/experts", headers=organiser)).json()) == 1


async def test_slots_are_cut_inside_the_tech_day_only(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"], count=4, minutes=20)
    assert len(cut) == 4
    starts = [datetime.fromisoformat(s["starts_at"]) for s in cut]
    assert all(b - a == timedelta(minutes=20) for a, b in zip(starts, starts[1:], strict=False))
    url = f"/api/events/{day['id']}/expert-slots"
    day_start = datetime.fromisoformat(day["starts_at"])

    def window(start: datetime, minutes: int, length: int = 20, expert_id: int = elena["id"]) -> dict:
        return {"expert_id": expert_id, "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
                "minutes": length}

    outside = await client.post(url, headers=organiser, json=window(day_start - timedelta(hours=1), 60))
    assert outside.status_code == 422 and outside.json()["code"] == "window_outside_event"
    overlapping = await client.post(url, headers=organiser, json=window(day_start + timedelta(minutes=70), 40))
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "slots_overlap"
    too_many = await client.post(url, headers=organiser, json=window(day_start + timedelta(hours=3), 60 * 5, length=5))
    assert too_many.status_code == 422 and too_many.json()["code"] == "too_many_slots"
    naive = await client.post(url, headers=organiser, json={**window(day_start + timedelta(hours=3), 40), "starts_at": "2030-01-01T10:00:00"})
    assert naive.status_code == 422
    unknown_expert = await client.post(url, headers=organiser, json=window(day_start + timedelta(hours=3), 40, expert_id=999999))
    assert unknown_expert.status_code == 404
    webinar = await published_event(client, organiser)
    on_webinar = await client.post(f"/api/events/{webinar['id']}/expert-slots", headers=organiser,
                                   json=window(datetime.fromisoformat(webinar["starts_at"]), 40))
    assert on_webinar.status_code == 409 and on_webinar.json()["code"] == "not_tech_day"
    assert (await client.post(url, json=window(day_start + timedelta(hours=3), 40))).status_code == 401
    assert await ExpertSlot.count() == 4
    listed = await client.get(url, headers=organiser)
    assert [s["id"] for s in listed.json()] == [s["id"] for s in cut]


async def test_a_registrant_books_sees_and_cancels_a_meeting(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    public = await client.get(f"/api/public/events/{day['id']}/expert-slots")
    assert public.status_code == 200 and len(public.json()) == 3
    assert "email" not in public.text and "experts.example" not in public.text
    assert public.json()[0]["expert"] == {"name": "Elena Conti", "topics": ["automation", "energy"]}

    booked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"], "topic": "cobots"})
    assert booked.status_code == 201, booked.text
    meeting = booked.json()
    assert meeting["slot"]["id"] == cut[0]["id"] and meeting["topic"] == "cobots"
    free = await client.get(f"/api/public/events/{day['id']}/expert-slots")
    assert [s["id"] for s in free.json()] == [cut[1]["id"], cut[2]["id"]]
    mine = await client.get(f"/api/public/registrations/{token}/meetings")
    assert [m["id"] for m in mine.json()] == [meeting["id"]]
    # Registrant and expert each get a REQUEST.
    invites = await OutboxMessage.select(OutboxMessage.to_address).where(OutboxMessage.kind == "expert_meeting_invite")
    assert sorted(r["to_address"] for r in invites) == ["elena.conti@experts.example", "luca.verdi@verdi-meccanica.example"]

    cancelled = await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")
    assert again.status_code == 200
    assert len((await client.get(f"/api/public/events/{day['id']}/expert-slots")).json()) == 3
    assert (await client.get(f"/api/public/registrations/{token}/meetings")).json() == []
    assert await OutboxMessage.count().where(OutboxMessage.kind == "expert_meeting_invite") == 4  # two REQUESTs, two CANCELs
    # The freed slot can be booked again.
    rebooked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})
    assert rebooked.status_code == 201, rebooked.text


async def test_hostile_bookings_are_refused_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    other_day = await tech_day(client, organiser, title="Tech Day Lugano", starts=datetime.fromisoformat(day["starts_at"]) + timedelta(days=3))
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    elsewhere = await slots(client, organiser, other_day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    meetings = f"/api/public/registrations/{token}/meetings"

    forged = await client.post("/api/public/registrations/1.forged.token/meetings", json={"slot_id": cut[0]["id"]})
    assert forged.status_code == 404
    other_event = await client.post(meetings, json={"slot_id": elsewhere[0]["id"]})
    assert other_event.status_code == 404
    unknown = await client.post(meetings, json={"slot_id": 2**31 - 1})
    assert unknown.status_code == 404
    extra_field = await client.post(meetings, json={"slot_id": cut[0]["id"], "status": "held"})
    assert extra_field.status_code == 422
    long_topic = await client.post(meetings, json={"slot_id": cut[0]["id"], "topic": "x" * 201})
    assert long_topic.status_code == 422
    closed = await client.post(f"/api/events/{day['id']}/expert-slots/{cut[1]['id']}/close", headers=organiser)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    on_closed = await client.post(meetings, json={"slot_id": cut[1]["id"]})
    assert on_closed.status_code == 409 and on_closed.json()["code"] == "slot_closed"
    # Bookings close at the time the event sets.
    closes = datetime.now().astimezone() - timedelta(minutes=1)
    rules = await client.put(f"/api/events/{day['id']}/expert-rules", headers=organiser, json={"bookings_close_at": closes.isoformat()})
    assert rules.status_code == 200, rules.text
    late = await client.post(meetings, json={"slot_id": cut[0]["id"]})
    assert late.status_code == 409 and late.json()["code"] == "bookings_closed"
    # A meeting token cannot stand in for a manage token, nor the other way round.
    assert (await client.post(f"/api/public/meetings/{token}/cancel")).status_code == 404
    # A webinar has no expert slots to show.
    webinar = await published_event(client, organiser)
    assert (await client.get(f"/api/public/events/{webinar['id']}/expert-slots")).status_code == 404
    assert await ExpertMeeting.count() == 0
    assert await OutboxMessage.count().where(OutboxMessage.kind == "expert_meeting_invite") == 0


async def test_a_past_slot_and_an_unconfirmed_registrant_are_refused(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    # Move the slot into the past (as time would).
    await ExpertSlot.update({ExpertSlot.starts_at: datetime.now().astimezone() - timedelta(hours=1)}).where(ExpertSlot.id == cut[0]["id"])
    past = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})
    assert past.status_code == 409 and past.json()["code"] == "slot_past"
    assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
    cancelled = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[1]["id"]})
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "not_confirmed"
    assert await ExpertMeeting.count() == 0


async def test_cancelling_the_registration_cancels_its_meetings(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    booked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})
    assert booked.status_code == 201
    assert (await client.post(f"/api/public/registrations/{token}/cancel")).status_code == 200
    rows = await ExpertMeeting.select(ExpertMeeting.status, ExpertMeeting.active_slot)
    assert rows == [{"status": "cancelled", "active_slot": None}]
    assert len((await client.get(f"/api/public/events/{day['id']}/expert-slots")).json()) == 3


async def test_erasing_the_person_cancels_their_meetings(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    assert (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})).status_code == 201
    admin = await token_headers(client, "admin")
    erased = await client.post("/api/contacts/erase", headers=admin, json={"email": "luca.verdi@verdi-meccanica.example"})
    assert erased.status_code == 200, erased.text
    rows = await ExpertMeeting.select(ExpertMeeting.status, ExpertMeeting.active_slot)
    assert rows == [{"status": "cancelled", "active_slot": None}]


async def test_meetings_are_marked_held_and_count_for_the_company(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    meeting = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"]})).json()
    assert (await client.patch(f"/api/meetings/{meeting['id']}", json={"status": "held"})).status_code == 401
    bad = await client.patch(f"/api/meetings/{meeting['id']}", headers=organiser, json={"status": "cancelled"})
    assert bad.status_code == 422
    held = await client.patch(f"/api/meetings/{meeting['id']}", headers=organiser, json={"status": "held"})
    assert held.status_code == 200 and held.json()["status"] == "held"
    assert (await client.patch("/api/meetings/999999", headers=organiser, json={"status": "held"})).status_code == 404
    company_id = (await ExpertMeeting.select(ExpertMeeting.company).first())["company"]
    engagement = await client.get(f"/api/companies/{company_id}/engagement", headers=organiser)
    assert engagement.status_code == 200 and engagement.json()["expert_meetings"] == 1
    missed = await client.patch(f"/api/meetings/{meeting['id']}", headers=organiser, json={"status": "missed"})
    assert missed.json()["status"] == "missed"
    assert (await client.get(f"/api/companies/{company_id}/engagement", headers=organiser)).json()["expert_meetings"] == 0
    # A held meeting cannot be cancelled by its link.
    await client.patch(f"/api/meetings/{meeting['id']}", headers=organiser, json={"status": "held"})
    assert (await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")).status_code == 409
