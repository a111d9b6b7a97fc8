"""The console's Innovation Experts over HTTP (no browser): experts created and edited, a Tech
Day's availability opened with a break and a room, the slots grid with who booked, a slot
closed and moved, a meeting marked held, the place changed (invites re-sent), the day's rules;
check-in staff see the day but change only a meeting's held/missed; every form needs its CSRF
token; hostile forms get a 4xx and change nothing. Both engines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.experts.tables import (
    Expert,
    ExpertDay,
    ExpertDayRules,
    ExpertMeeting,
    ExpertSlot,
)
from events_service.mail.tables import OutboxMessage
from tests.experts.support import client, expert, registrant, tech_day
from tests.factories import published_event
from tests.web.support import console_login, csrf_token, field_error, post_form

__all__ = ["client"]

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True)
def english_browser(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"


def _local(day: dict[str, Any], minutes: int) -> datetime:
    return (datetime.fromisoformat(day["starts_at"]) + timedelta(minutes=minutes)).astimezone(ROME)


def _form_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _slots_form(day: dict[str, Any], expert_id: int, **overrides: str) -> dict[str, str]:
    """A window from 60 to 180 minutes into the day, 20-minute slots, a break at 100-120."""
    pause = f"{_local(day, 100):%H:%M}-{_local(day, 120):%H:%M}"
    return {"expert_id": str(expert_id), "starts_at": _form_time(_local(day, 60)), "ends_at": _form_time(_local(day, 180)),
            "minutes": "20", "breaks": pause, "room": "Sala Volta", "video_url": "", **overrides}


async def test_an_editor_adds_and_edits_experts(client: httpx.AsyncClient) -> None:
    await console_login(client)
    page = await client.get("/console/experts")
    assert page.status_code == 200 and 'id="expert-form"' in page.text
    created = await post_form(client, "/console/experts", {"name": "Elena Conti", "email": "Elena@Experts.example", "bio": "Cobots",
                                                           "topics": "automation, energy", "languages": "it, EN"})
    assert created.status_code == 303, created.text
    row = await Expert.select().output(load_json=True).first()
    assert (row["name"], row["email"], row["topics"], row["languages"]) == ("Elena Conti", "elena@experts.example", ["automation", "energy"], ["it", "en"])
    listed = await client.get("/console/experts")
    assert f'id="expert-{row["id"]}"' in listed.text and "automation, energy" in listed.text

    edited = await post_form(client, f"/console/experts/{row['id']}", {"name": "Elena Conti Rossi", "email": "elena@experts.example",
                                                                      "bio": "", "topics": "export", "languages": "de"})
    assert edited.status_code == 303, edited.text
    again = await Expert.select().output(load_json=True).first()
    assert (again["name"], again["bio"], again["topics"], again["languages"]) == ("Elena Conti Rossi", "", ["export"], ["de"])

    # Hostile forms: a 422 naming the field, nothing written or changed.
    for form, field in (({"name": "", "email": "x@y.example"}, "name"), ({"name": "A", "email": "not an address"}, "email"),
                        ({"name": "A", "email": "a@b.example", "topics": ", ".join(f"t{n}" for n in range(21))}, "topics"),
                        ({"name": "A", "email": "a@b.example", "languages": "italian"}, "languages"),
                        ({"name": "N" * 100_000, "email": "a@b.example"}, "name")):
        refused = await post_form(client, "/console/experts", {"bio": "", "topics": "", "languages": "", **form})
        assert refused.status_code == 422, form
        assert field_error(refused.text, field), (field, refused.text[-2000:])
    bad_edit = await post_form(client, f"/console/experts/{row['id']}", {"name": "", "email": "elena@experts.example"})
    assert bad_edit.status_code == 422
    assert await Expert.count() == 1
    assert (await Expert.select(Expert.name).first())["name"] == "Elena Conti Rossi"
    assert (await client.get("/console/experts/999999")).status_code == 404


async def test_open_slots_with_a_break_close_move_and_mark_held(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    await console_login(client)
    page_url = f"/console/events/{day['id']}/experts"
    assert 'id="open-slots"' in (await client.get(page_url)).text

    opened = await post_form(client, f"{page_url}/slots", _slots_form(day, elena["id"]))
    assert opened.status_code == 303, opened.text
    slots = await ExpertSlot.select().order_by(ExpertSlot.starts_at)
    offsets = [int((s["starts_at"] - datetime.fromisoformat(day["starts_at"])) / timedelta(minutes=1)) for s in slots]
    assert offsets == [60, 80, 120, 140, 160]  # none in the break (100-120); slots start again at its end
    assert (await ExpertDay.select(ExpertDay.room).first())["room"] == "Sala Volta"

    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    booked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": slots[0]["id"], "topic": "cobot safety"})
    assert booked.status_code == 201, booked.text
    grid = await client.get(page_url)
    row = grid.text.split(f'id="slot-{slots[0]["id"]}"')[1].split("</tr>")[0]
    assert "Azienda 1 Srl" in row and "Luca Verdi" in row and "cobot safety" in row and "booked" in row

    held = await post_form(client, f"{page_url}/meetings/{booked.json()['id']}/status", {"status": "held"}, page=page_url)
    assert held.status_code == 303
    assert (await ExpertMeeting.select(ExpertMeeting.status).first())["status"] == "held"
    assert "held" in (await client.get(page_url)).text.split(f'id="slot-{slots[0]["id"]}"')[1].split("</tr>")[0]

    moved_to = _local(day, 200)
    moved = await post_form(client, f"{page_url}/slots/{slots[4]['id']}/move", {"starts_at": _form_time(moved_to)}, page=page_url)
    assert moved.status_code == 303, moved.text
    assert (await ExpertSlot.select(ExpertSlot.starts_at).where(ExpertSlot.id == slots[4]["id"]).first())["starts_at"] == moved_to
    onto_another = await post_form(client, f"{page_url}/slots/{slots[3]['id']}/move", {"starts_at": _form_time(_local(day, 60))}, page=page_url)
    assert onto_another.status_code == 409 and "already has open slots" in onto_another.text

    closed = await post_form(client, f"{page_url}/slots/{slots[1]['id']}/close", {}, page=page_url)
    assert closed.status_code == 303
    assert (await ExpertSlot.select(ExpertSlot.status).where(ExpertSlot.id == slots[1]["id"]).first())["status"] == "closed"

    rules = await post_form(client, f"{page_url}/rules", {"bookings_close_at": _form_time(_local(day, -60)),
                                                          "meetings_per_company_expert": "2"}, page=page_url)
    assert rules.status_code == 303
    saved = await ExpertDayRules.select().first()
    assert saved["meetings_per_company_expert"] == 2 and saved["bookings_close_at"] == _local(day, -60)


async def test_hostile_slot_forms_change_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    await console_login(client)
    url = f"/console/events/{day['id']}/experts/slots"
    outside = f"{_local(day, 170):%H:%M}-{_local(day, 200):%H:%M}"
    cases = [
        ({"breaks": "lunch at noon"}, "breaks", 422),
        ({"breaks": outside}, "breaks", 422),
        ({"breaks": "\n".join(["10:00-10:05"] * 1000)}, "breaks", 422),
        ({"video_url": "javascript:alert(document.cookie)"}, "video_url", 422),
        ({"room": "R" * 10_000}, "room", 422),
        ({"minutes": "twenty"}, "minutes", 422),
        ({"minutes": "9" * 50}, "minutes", 422),
        ({"starts_at": "yesterday"}, "starts_at", 422),
        ({"expert_id": "999999"}, None, 404),
    ]
    for overrides, field, status in cases:
        refused = await post_form(client, url, {**_slots_form(day, elena["id"]), **overrides}, page=url.rsplit("/", 1)[0])
        assert refused.status_code == status, (overrides.keys(), refused.status_code)
        if field:
            assert field_error(refused.text, field), (field, refused.text[-1500:])
    place = f"/console/events/{day['id']}/experts/{elena['id']}/place"
    assert (await post_form(client, place, {"room": "", "video_url": "data:text/html,x"}, page=url.rsplit("/", 1)[0])).status_code == 422
    mark = f"/console/events/{day['id']}/experts/meetings/999999/status"
    assert (await post_form(client, mark, {"status": "held"}, page=url.rsplit("/", 1)[0])).status_code == 404
    assert await ExpertSlot.count() == 0 and await ExpertDay.count() == 0


async def test_meetings_are_marked_only_from_their_own_tech_day_and_only_held_or_missed(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    day = await tech_day(client, organiser)
    other = await tech_day(client, organiser, title="Tech Day Lugano", starts=datetime.fromisoformat(day["starts_at"]) + timedelta(days=2))
    elena = await expert(client, organiser)
    opened = await client.post(f"/api/events/{day['id']}/expert-slots", headers=organiser, json={
        "expert_id": elena["id"], "starts_at": _local(day, 60).isoformat(), "ends_at": _local(day, 80).isoformat(), "minutes": 20})
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    meeting = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": opened.json()[0]["id"]})).json()
    await console_login(client)
    own, elsewhere = f"/console/events/{day['id']}/experts", f"/console/events/{other['id']}/experts"
    assert (await post_form(client, f"{elsewhere}/meetings/{meeting['id']}/status", {"status": "held"}, page=elsewhere)).status_code == 404
    for status in ("cancelled", "booked", "", "held" * 1000):
        refused = await post_form(client, f"{own}/meetings/{meeting['id']}/status", {"status": status}, page=own)
        assert refused.status_code == 422, status
    webinar = await published_event(client, organiser)
    assert (await client.get(f"/console/events/{webinar['id']}/experts")).status_code == 404
    assert (await client.get("/console/events/999999/experts")).status_code == 404
    assert (await ExpertMeeting.select(ExpertMeeting.status).first())["status"] == "booked"


async def test_changing_the_place_in_the_console_resends_the_invites(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    await console_login(client)
    page_url = f"/console/events/{day['id']}/experts"
    assert (await post_form(client, f"{page_url}/slots", _slots_form(day, elena["id"], breaks=""), page=page_url)).status_code == 303
    slot = await ExpertSlot.select().order_by(ExpertSlot.starts_at).first()
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    assert (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": slot["id"]})).status_code == 201
    video = "https://meet.example/elena"
    changed = await post_form(client, f"{page_url}/{elena['id']}/place", {"room": "", "video_url": video}, page=page_url)
    assert changed.status_code == 303
    assert await ExpertDay.select(ExpertDay.room, ExpertDay.video_url) == [{"room": None, "video_url": video}]
    keys = sorted(r["idempotency_key"] for r in await OutboxMessage.select(OutboxMessage.idempotency_key).where(
        OutboxMessage.kind == "expert_meeting_invite"))
    assert [key.split(":")[2:4] for key in keys] == [["expert", "0"], ["expert", "1"], ["registrant", "0"], ["registrant", "1"]]
    assert video in (await client.get(page_url)).text  # organisers see it; the public page never does
    assert "meet.example" not in (await client.get(f"/e/{day['slug']}")).text


async def test_checkin_staff_see_the_day_and_mark_meetings_but_change_nothing_else(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    opened = await client.post(f"/api/events/{day['id']}/expert-slots", headers=organiser, json={
        "expert_id": elena["id"], "starts_at": _local(day, 60).isoformat(), "ends_at": _local(day, 100).isoformat(), "minutes": 20})
    slots = opened.json()
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    meeting = (await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": slots[0]["id"]})).json()
    await console_login(client, "checkin")
    page_url = f"/console/events/{day['id']}/experts"
    page = await client.get(page_url)
    assert page.status_code == 200 and "Luca Verdi" in page.text
    assert 'id="open-slots"' not in page.text and "/close" not in page.text and "/move" not in page.text
    assert (await client.get("/console/experts")).status_code == 403
    for url, form in ((f"{page_url}/slots", _slots_form(day, elena["id"])), (f"{page_url}/slots/{slots[1]['id']}/close", {}),
                      (f"{page_url}/slots/{slots[1]['id']}/move", {"starts_at": _form_time(_local(day, 200))}),
                      (f"{page_url}/{elena['id']}/place", {"room": "Sala 9"}), (f"{page_url}/rules", {"meetings_per_company_expert": "5"}),
                      ("/console/experts", {"name": "Intruder", "email": "i@x.example"}),
                      (f"/console/experts/{elena['id']}", {"name": "Renamed", "email": "r@x.example"})):
        refused = await post_form(client, url, form, page=page_url)
        assert refused.status_code == 403, url
    assert await ExpertSlot.count().where(ExpertSlot.status == "open") == 2
    assert await ExpertDay.count() == 0 and await ExpertDayRules.count() == 0 and await Expert.count() == 1
    missed = await post_form(client, f"{page_url}/meetings/{meeting['id']}/status", {"status": "missed"}, page=page_url)
    assert missed.status_code == 303
    assert (await ExpertMeeting.select(ExpertMeeting.status).first())["status"] == "missed"


async def test_every_expert_form_needs_its_csrf_token(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    await console_login(client)
    page_url = f"/console/events/{day['id']}/experts"
    await client.get(page_url)
    assert csrf_token(client)
    for url, form in (("/console/experts", {"name": "X", "email": "x@y.example"}), (f"{page_url}/slots", _slots_form(day, elena["id"])),
                      (f"{page_url}/{elena['id']}/place", {"room": "Sala 9"}), (f"{page_url}/rules", {"meetings_per_company_expert": "3"})):
        assert (await client.post(url, data=form)).status_code == 403, url
        assert (await client.post(url, data={**form, "_csrf_token": "forged" * 10})).status_code == 403, url
    assert await Expert.count() == 1 and await ExpertSlot.count() == 0 and await ExpertDay.count() == 0
    assert await ExpertDayRules.count() == 0
