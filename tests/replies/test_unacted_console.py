"""Issue 19: the replies to an event's invites that changed nothing are listed on the event's
console page (time, sender, reason), for editors only; acted-on ones and other events' are not
there, and a sender is shown as text, never as markup. Both engines."""

from __future__ import annotations

import re

import httpx

from events_service.events.tables import Event
from events_service.replies.service import process_message
from events_service.settings import Settings
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _full_event
from tests.web.support import console_login

MALLORY = "mallory@evil.example"


def _rows(html: str) -> list[list[str]]:
    section = re.search(r'<section class="unacted-replies".*?</section>', html, re.S)
    assert section, "the event page has the section"
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r'<tr class="unacted-reply">(.*?)</tr>', section.group(0), re.S)]


async def test_unacted_replies_listed_on_the_event(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    other_id, other_uid = await _full_event(client, organiser)
    await Event.update({Event.sequence: 1}).where(Event.id == event_id)
    # Forged sender, a stale sequence, then the real Decline (acted on: not listed), and a
    # forged reply to the other event (listed there, not here).
    await process_message(reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA, sequence=1), sender=MALLORY), settings)
    await process_message(reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, sequence=0, client="gmail"), sender=ANNA), settings)
    await process_message(reply_email("apple", reply_calendar(uid=uid, attendee=ANNA, sequence=1, client="apple"), sender=ANNA), settings)
    await process_message(reply_email("outlook", reply_calendar(uid=other_uid, attendee=ANNA), sender=BRUNO), settings)
    await console_login(client)

    page = await client.get(f"/console/events/{event_id}", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    rows = _rows(page.text)
    assert [(row[1], row[2], row[3]) for row in rows] == [
        (ANNA, "DECLINED", "an answer to an older version of the invite"),
        (MALLORY, "DECLINED", "the sender is not the attendee"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", row[0]) for row in rows)
    other = _rows((await client.get(f"/console/events/{other_id}", headers={"Accept-Language": "en"})).text)
    assert [(row[1], row[3]) for row in other] == [(BRUNO, "the sender is not the attendee")]


async def test_only_recorded_replies_are_listed_with_why(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    await Event.update({Event.acts_on_replies: False}).where(Event.id == event_id)
    await process_message(reply_email("thunderbird", reply_calendar(uid=uid, attendee=ANNA, client="thunderbird"), sender=ANNA), settings)
    await console_login(client)

    rows = _rows((await client.get(f"/console/events/{event_id}", headers={"Accept-Language": "it"})).text)
    assert [(row[1], row[3]) for row in rows] == [(ANNA, "solo registrata: questo evento non applica le risposte")]


async def test_a_sender_is_text_and_checkin_staff_see_nothing(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    hostile = '"<script>alert(1)</script>"@evil.example'
    raw = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=hostile)
    await process_message(raw, settings)
    await console_login(client)
    page = await client.get(f"/console/events/{event_id}")
    assert "<script>alert(1)</script>" not in page.text
    assert len(_rows(page.text)) == 1

    client.cookies.clear()
    assert (await client.get(f"/console/events/{event_id}")).status_code == 303  # no session: the sign-in
    await console_login(client, "checkin")
    refused = await client.get(f"/console/events/{event_id}")
    assert refused.status_code == 403
    assert ANNA not in refused.text and "evil.example" not in refused.text
