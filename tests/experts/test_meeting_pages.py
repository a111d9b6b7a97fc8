"""The Tech Day page lists the experts (never their email) and the manage page books and cancels
a meeting through its forms (CSRF included; the cancellation asked once more on a page of its
own), saying why a booking was refused. Both engines."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx

from events_service.experts.tables import ExpertMeeting
from events_service.mail.tables import OutboxMessage
from tests.experts.support import client, expert, registrant, slots, tech_day
from tests.support.tampering import last_changed
from tests.web.support import csrf_token

__all__ = ["client"]


async def test_book_see_and_cancel_a_meeting_from_the_pages(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)

    page = await client.get(f"/e/{day['slug']}?lang=en")
    assert page.status_code == 200
    assert 'id="expert-offer"' in page.text and "Elena Conti" in page.text and "automation, energy" in page.text
    assert "experts.example" not in page.text

    manage = await client.get(f"/r/{token}?lang=en")
    assert 'id="book-meeting"' in manage.text
    booked = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[1]["id"]), "topic": "energy audit",
                                                             "_csrf_token": csrf_token(client)})
    assert booked.status_code == 303, booked.text
    shown = await client.get(booked.headers["location"] + "&lang=en")
    assert 'id="meeting-booked"' in shown.text and "energy audit" in shown.text
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 1

    # The same slot by someone else (a stale page): refused, said why, nothing written.
    stranger = await registrant(client, day["id"], "anna.neri@neri-automazione.example", 2)
    await client.get(f"/r/{stranger}")
    taken = await client.post(f"/r/{stranger}/meetings?lang=en", data={"slot_id": str(cut[1]["id"]), "_csrf_token": csrf_token(client)})
    assert taken.status_code == 409
    assert _refusal(taken.text) == "Someone booked this slot a moment ago. Please choose another one."
    # The same slot again by its holder (a stale page): they have a meeting then.
    again = await client.post(f"/r/{token}/meetings?lang=en", data={"slot_id": str(cut[1]["id"]), "_csrf_token": csrf_token(client)})
    assert again.status_code == 409
    assert _refusal(again.text) == "You already have a meeting at that time. Please choose a slot at another time."
    # Another slot of the same expert: the company's one meeting with them that day is taken.
    capped = await client.post(f"/r/{token}/meetings?lang=en", data={"slot_id": str(cut[2]["id"]), "_csrf_token": csrf_token(client)})
    assert capped.status_code == 409
    assert _refusal(capped.text) == "Your company already has its meeting with this expert on that day. Please choose another expert."
    # A slot number that is no number: refused, the general words.
    garbled = await client.post(f"/r/{token}/meetings?lang=en", data={"slot_id": "1; DROP", "_csrf_token": csrf_token(client)})
    assert garbled.status_code == 422
    assert _refusal(garbled.text) == "This slot cannot be booked any more. Please choose another one."
    # A notice typed into the address: none is shown.
    typed = await client.get(f"/r/{token}?lang=en&meeting=%3Cscript%3E")
    assert typed.status_code == 200 and 'role="status" id="meeting-' not in typed.text and "<script>" not in typed.text
    no_csrf = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[2]["id"])})
    assert no_csrf.status_code == 403
    assert await ExpertMeeting.count() == 1

    meeting_token = (await client.get(f"/api/public/registrations/{token}/meetings")).json()[0]["manage_token"]
    # Someone else's manage link with this meeting's token: unknown there, nothing cancelled.
    for method in ("get", "post"):
        foreign = await client.request(method.upper(), f"/r/{stranger}/meetings/{meeting_token}/cancel",
                                       data={"_csrf_token": csrf_token(client)} if method == "post" else None)
        assert foreign.status_code == 404, foreign.text
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 1

    # Cancelling asks once more, then cancels.
    asking = await client.get(f"/r/{token}/meetings/{meeting_token}/cancel?lang=en")
    assert asking.status_code == 200 and "Cancel this meeting?" in asking.text and "Elena Conti" in asking.text
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 1
    cancelled = await client.post(f"/r/{token}/meetings/{meeting_token}/cancel", data={"_csrf_token": csrf_token(client)})
    assert cancelled.status_code == 303
    assert 'id="meeting-cancelled"' in (await client.get(cancelled.headers["location"])).text
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 0
    # The cancelled meeting's page (a stale link) says it is cancelled already: not a second cancellation.
    stale = await client.get(f"/r/{token}/meetings/{meeting_token}/cancel")
    assert stale.status_code == 303 and stale.headers["location"].endswith("meeting=already_cancelled")


def _refusal(html: str) -> str | None:
    match = re.search(r'<p class="notice error" role="alert" id="meeting-error">(.*?)</p>', html, re.S)
    return unescape(match.group(1).strip()) if match else None


async def test_the_form_offers_only_slots_the_person_may_book(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """The same rules as the booking (experts/service.py refusal_of): a slot overlapping a
    meeting the person holds and the slots of an expert their company has its meeting with that
    day are left out; a colleague of the same company sees the cap, not the other's overlap; after
    bookings close the form is gone."""
    day = await tech_day(client, organiser)
    elena, marco = await expert(client, organiser), await expert(client, organiser, name="Marco Gallo")
    elena_slots = await slots(client, organiser, day, elena["id"])
    marco_slots = await slots(client, organiser, day, marco["id"])  # at the same times as Elena's
    luca = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    colleague = await registrant(client, day["id"], "sara.verdi@verdi-meccanica.example", 1)
    other_company = await registrant(client, day["id"], "anna.neri@neri-automazione.example", 2)
    everything = {slot["id"] for slot in elena_slots + marco_slots}
    assert _offered((await client.get(f"/r/{luca}")).text) == everything

    await client.get(f"/r/{luca}")
    booked = await client.post(f"/r/{luca}/meetings", data={"slot_id": str(elena_slots[0]["id"]), "_csrf_token": csrf_token(client)})
    assert booked.status_code == 303, booked.text

    free = everything - {elena_slots[0]["id"]}
    elena_rest = {slot["id"] for slot in elena_slots[1:]}
    assert _offered((await client.get(f"/r/{luca}")).text) == free - elena_rest - {marco_slots[0]["id"]}
    assert _offered((await client.get(f"/r/{colleague}")).text) == free - elena_rest
    assert _offered((await client.get(f"/r/{other_company}")).text) == free
    # What the form leaves out is exactly what the booking refuses.
    for slot_id, code in ((marco_slots[0]["id"], "overlapping_meeting"), (elena_slots[1]["id"], "company_limit")):
        refused = await client.post(f"/api/public/registrations/{luca}/meetings", json={"slot_id": slot_id})
        assert refused.status_code == 409 and refused.json()["code"] == code, refused.text

    await _close_bookings(client, organiser, day)
    page = await client.get(f"/r/{other_company}?lang=en")
    assert _offered(page.text) == set() and 'id="book-meeting"' not in page.text
    assert 'id="bookings-closed"' in page.text and "Bookings for meetings with the experts are closed." in page.text
    assert await ExpertMeeting.count() == 1


async def test_a_refused_booking_keeps_the_topic(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    first = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    second = await registrant(client, day["id"], "anna.neri@neri-automazione.example", 2)
    await client.get(f"/r/{second}")  # the page as it was before the first booked (a stale form)
    assert (await client.post(f"/api/public/registrations/{first}/meetings", json={"slot_id": cut[0]["id"]})).status_code == 201

    typed = 'Export to "Canada" <b>& tariffs</b>'
    refused = await client.post(f"/r/{second}/meetings?lang=it", data={"slot_id": str(cut[0]["id"]), "topic": typed,
                                                                      "_csrf_token": csrf_token(client)})
    assert refused.status_code == 409
    assert _refusal(refused.text) == "Qualcuno ha appena prenotato questa fascia oraria. Ne scelga un'altra."
    topic_input = re.search(r'<input type="text" name="topic" id="topic" maxlength="200" value="([^"]*)">', refused.text)
    assert topic_input is not None and unescape(topic_input.group(1)) == typed
    assert "<b>& tariffs</b>" not in refused.text  # escaped, never markup
    assert f'href="/r/{second}?lang=en"' in refused.text  # the language links lead to the page, not to the POST's address
    # The slot they chose is taken, so no longer offered; the form is there to choose another.
    assert _offered(refused.text) == {cut[1]["id"], cut[2]["id"]}
    retried = await client.post(f"/r/{second}/meetings", data={"slot_id": str(cut[1]["id"]), "topic": typed,
                                                              "_csrf_token": csrf_token(client)})
    assert retried.status_code == 303
    meeting = await ExpertMeeting.select(ExpertMeeting.topic).where(ExpertMeeting.slot == cut[1]["id"]).first()
    assert meeting == {"topic": typed}


async def test_a_booking_after_bookings_closed_keeps_the_topic(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    await client.get(f"/r/{token}")
    # Bookings close between the page and the post: refused, the page says so and keeps the topic.
    await _close_bookings(client, organiser, day)
    refused = await client.post(f"/r/{token}/meetings?lang=de", data={"slot_id": str(cut[2]["id"]), "topic": "Energie",
                                                                     "_csrf_token": csrf_token(client)})
    assert refused.status_code == 409 and 'id="bookings-closed"' in refused.text
    assert _refusal(refused.text) == "Die Buchungen für Gespräche mit den Expertinnen und Experten sind geschlossen."
    assert 'id="book-meeting"' not in refused.text
    assert await ExpertMeeting.count() == 0


async def test_cancelling_twice_says_it_is_cancelled_already(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], "luca.verdi@verdi-meccanica.example", 1)
    stranger = await registrant(client, day["id"], "anna.neri@neri-automazione.example", 2)
    await client.get(f"/r/{token}")
    assert (await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[0]["id"]), "_csrf_token": csrf_token(client)})).status_code == 303
    meeting_token = (await client.get(f"/api/public/registrations/{token}/meetings")).json()[0]["manage_token"]
    cancel = f"/r/{token}/meetings/{meeting_token}/cancel"

    # Sent twice at once (a double click): one cancels, the other says it was cancelled already.
    answers = await asyncio.gather(*(client.post(cancel, data={"_csrf_token": csrf_token(client)}) for _ in range(2)))
    assert sorted(answer.headers["location"].rsplit("=", 1)[1] for answer in answers) == ["already_cancelled", "cancelled"]
    cancels_sent = await OutboxMessage.count()
    again = await client.post(cancel, data={"_csrf_token": csrf_token(client)})
    assert again.status_code == 303
    for lang, words in (("en", "This meeting is already cancelled."), ("it", "Questo incontro è già annullato.")):
        shown = await client.get(f"{again.headers['location']}&lang={lang}")
        assert shown.status_code == 200 and 'id="meeting-already-cancelled"' in shown.text and words in unescape(shown.text)
    assert await OutboxMessage.count() == cancels_sent  # no second CANCEL to either side
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "cancelled") == 1

    # Another person's manage link with this meeting's token stays unknown, cancelled or not.
    for method in ("GET", "POST"):
        foreign = await client.request(method, f"/r/{stranger}/meetings/{meeting_token}/cancel",
                                       data={"_csrf_token": csrf_token(client)} if method == "POST" else None)
        assert foreign.status_code == 404, foreign.text
        assert "already" not in foreign.text
    # A mistyped meeting token on their own page: 404 too.
    assert (await client.post(f"/r/{token}/meetings/{last_changed(meeting_token)}/cancel",
                              data={"_csrf_token": csrf_token(client)})).status_code == 404


async def _close_bookings(client: httpx.AsyncClient, organiser: dict[str, str], day: dict[str, Any]) -> None:
    """Bookings for the Tech Day's meetings closed a minute ago."""
    closed = await client.put(f"/api/events/{day['id']}/expert-rules", headers=organiser,
                              json={"bookings_close_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()})
    assert closed.status_code == 200, closed.text


def _offered(html: str) -> set[int]:
    """The slots the booking form offers."""
    form = re.search(r'<form method="post" action="/r/[^"]+/meetings" id="book-meeting">(.*?)</form>', html, re.S)
    return {int(value) for value in re.findall(r'<option value="(\d+)"', form.group(1))} if form else set()
