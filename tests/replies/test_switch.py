"""Issue 19: the per-event switch `acts_on_replies`, settable through PATCH /api/events/{id} and
the console's event form; when off, a Decline is only recorded (the seat stays taken). Hostile:
a value that is not a yes/no, a registrant or check-in account trying it, change nothing. Both engines."""

from __future__ import annotations

import re

import httpx

from events_service.replies.decisions import ReplyAction
from events_service.replies.service import process_message
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _full_event, _statuses
from tests.web.support import console_login, post_form
from tests.web.test_console import event_form


async def _switch(client: httpx.AsyncClient, organiser: dict[str, str], event_id: int) -> bool:
    event = await client.get(f"/api/events/{event_id}", headers=organiser)
    assert event.status_code == 200
    return event.json()["acts_on_replies"]


async def test_switched_off_a_decline_is_only_recorded(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    assert await _switch(client, organiser, event_id) is True  # new events act on replies

    answer = await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": False}, headers=organiser)
    assert answer.status_code == 200, answer.text
    assert answer.json()["acts_on_replies"] is False
    raw = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA, client="outlook"), sender=ANNA)
    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.RECORD_ONLY
    assert await _statuses(event_id) == {ANNA: ("confirmed", None), BRUNO: ("waitlisted", None)}
    assert await InviteReply.select(InviteReply.action).where(InviteReply.event == event_id) == [{"action": "record_only"}]

    # Switched on again, the next Decline (a new message) acts.
    assert (await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": True}, headers=organiser)).status_code == 200
    again = reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, client="gmail"), sender=ANNA)
    (outcome,) = await process_message(again, settings)
    assert outcome.decision.action == ReplyAction.CANCEL
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}


async def test_the_switch_change_is_audited(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id, _ = await _full_event(client, organiser)
    assert (await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": False}, headers=organiser)).status_code == 200
    history = await client.get("/api/audit", params={"entity": "event", "entity_id": event_id}, headers=await token_headers(client, "admin"))
    assert history.status_code == 200, history.text
    assert "acts_on_replies" in history.text


async def test_hostile_switch_changes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id, _ = await _full_event(client, organiser)
    for bad in ("no", 2, None, [], {"on": False}):
        answer = await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": bad}, headers=organiser)
        assert answer.status_code == 422, (bad, answer.text)
    assert (await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": False})).status_code == 401
    checkin = await token_headers(client, "checkin")
    assert (await client.patch(f"/api/events/{event_id}", json={"acts_on_replies": False}, headers=checkin)).status_code == 403
    assert await _switch(client, organiser, event_id) is True
    public = await client.get(f"/api/public/events/{event_id}")
    assert public.status_code == 200 and "acts_on_replies" not in public.json()


def _selected(html: str) -> str | None:
    select = re.search(r'<select id="acts_on_replies".*?</select>', html, re.S)
    assert select, "the edit form has the switch"
    chosen = re.search(r'<option value="(\d)" selected>', select.group(0))
    return chosen.group(1) if chosen else None


async def test_console_event_form_sets_the_switch(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await console_login(client)
    created = await post_form(client, "/console/events/new", event_form(), page="/console/events/new")
    assert created.status_code == 303, created.text
    event_id = int(created.headers["location"].split("/")[3].split("?")[0])
    assert _selected((await client.get(f"/console/events/{event_id}")).text) == "1"

    off = await post_form(client, f"/console/events/{event_id}", event_form(acts_on_replies="0"), page="/console/events")
    assert off.status_code == 303, off.text
    assert await _switch(client, organiser, event_id) is False
    assert _selected((await client.get(f"/console/events/{event_id}")).text) == "0"

    kept = await post_form(client, f"/console/events/{event_id}", event_form(title="Tech Day Como: robots and AI"), page="/console/events")
    assert kept.status_code == 303  # a form without the field leaves the switch as it is
    assert await _switch(client, organiser, event_id) is False

    bad = await post_form(client, f"/console/events/{event_id}", event_form(acts_on_replies="yes please", title="Changed"), page="/console/events")
    assert bad.status_code == 422
    assert await _switch(client, organiser, event_id) is False
    assert (await client.get(f"/api/events/{event_id}", headers=organiser)).json()["title"] == "Tech Day Como: robots and AI"

    on = await post_form(client, f"/console/events/{event_id}", event_form(acts_on_replies="1"), page="/console/events")
    assert on.status_code == 303
    assert await _switch(client, organiser, event_id) is True
