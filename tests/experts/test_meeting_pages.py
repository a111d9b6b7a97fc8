"""The Tech Day page lists the experts (never their email) and the manage page books and cancels
a meeting through its forms (CSRF included; the cancellation asked once more on a page of its
own), saying why a booking was refused. Both engines."""

from __future__ import annotations

import re
from html import unescape

import httpx

from events_service.experts.tables import ExpertMeeting
from tests.experts.support import client, expert, registrant, slots, tech_day
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
    taken = await client.post(f"/r/{stranger}/meetings", data={"slot_id": str(cut[1]["id"]), "_csrf_token": csrf_token(client)})
    assert "meeting_error=slot_taken" in taken.headers["location"]
    assert _refusal((await client.get(taken.headers["location"] + "&lang=en")).text) == (
        "Someone booked this slot a moment ago. Please choose another one.")
    # The same slot again by its holder: they have a meeting then.
    again = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[1]["id"]), "_csrf_token": csrf_token(client)})
    assert _refusal((await client.get(again.headers["location"] + "&lang=en")).text) == (
        "You already have a meeting at that time. Please choose a slot at another time.")
    # Another slot of the same expert: the company's one meeting with them that day is taken.
    capped = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[2]["id"]), "_csrf_token": csrf_token(client)})
    assert _refusal((await client.get(capped.headers["location"] + "&lang=en")).text) == (
        "Your company already has its meeting with this expert on that day. Please choose another expert.")
    # A code typed into the address: the general words, never the code itself.
    typed = await client.get(f"/r/{token}?lang=en&meeting_error=%3Cscript%3E")
    assert _refusal(typed.text) == "This slot cannot be booked any more. Please choose another one."
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
    # The cancelled meeting's page is gone too (a stale link): 404, not a second cancellation.
    assert (await client.get(f"/r/{token}/meetings/{meeting_token}/cancel")).status_code == 404


def _refusal(html: str) -> str | None:
    match = re.search(r'<p class="notice error" role="alert" id="meeting-error">(.*?)</p>', html, re.S)
    return unescape(match.group(1).strip()) if match else None
