"""The Tech Day page lists the experts (never their email) and the manage page books and cancels
a meeting through its forms (CSRF included). Both engines."""

from __future__ import annotations

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

    # The same slot again (a stale page): refused, said so, nothing written.
    again = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[1]["id"]), "_csrf_token": csrf_token(client)})
    assert "meeting_error" in again.headers["location"]
    assert 'id="meeting-error"' in (await client.get(again.headers["location"])).text
    no_csrf = await client.post(f"/r/{token}/meetings", data={"slot_id": str(cut[2]["id"])})
    assert no_csrf.status_code == 403
    assert await ExpertMeeting.count() == 1

    meeting_token = (await client.get(f"/api/public/registrations/{token}/meetings")).json()[0]["manage_token"]
    cancelled = await client.post(f"/r/{token}/meetings/{meeting_token}/cancel", data={"_csrf_token": csrf_token(client)})
    assert cancelled.status_code == 303
    assert 'id="meeting-cancelled"' in (await client.get(cancelled.headers["location"])).text
    assert await ExpertMeeting.count().where(ExpertMeeting.status == "booked") == 0
