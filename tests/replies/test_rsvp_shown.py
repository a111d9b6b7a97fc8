"""Issue 19: a person's answer to the invite (registration.rsvp) is shown to organisers in the
registration list (API and console) and counted in the event's stats and the console dashboard;
a registrant never sees another's answer. Both engines."""

from __future__ import annotations

import re

import httpx

from events_service.calendar.entries import invite_uid
from events_service.registrations.tables import Registration
from events_service.replies.service import process_message
from events_service.settings import Settings
from tests.factories import published_event
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import _register
from tests.web.support import console_login

PEOPLE = ["anna@azienda1.example", "bruno@azienda2.example", "carla@azienda3.example", "dario@azienda4.example"]


async def _answer(settings: Settings, event_id: int, registration_id: int, email: str, partstat: str) -> None:
    row = await Registration.select(Registration.token_nonce).where(Registration.id == registration_id).first()
    assert row is not None
    uid = invite_uid(event_id, registration_id, row["token_nonce"], "events.test")
    raw = reply_email("outlook", reply_calendar(uid=uid, attendee=email, partstat=partstat, client="outlook"), sender=email)
    await process_message(raw, settings)


async def _answered_event(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> tuple[int, dict[str, int]]:
    """Four confirmed: Anna accepts, Bruno is tentative, Carla declines (cancelled), Dario is silent."""
    event = await published_event(client, organiser, capacity=10)
    ids = {}
    for number, email in enumerate(PEOPLE, start=1):
        ids[email] = (await _register(client, event["id"], email, number))["id"]
    for email, partstat in zip(PEOPLE[:3], ["ACCEPTED", "TENTATIVE", "DECLINED"], strict=True):
        await _answer(settings, event["id"], ids[email], email, partstat)
    return event["id"], ids


async def test_api_list_and_stats_show_the_answers(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, _ = await _answered_event(client, organiser, settings)

    listed = await client.get(f"/api/events/{event_id}/registrations", headers=organiser)
    assert listed.status_code == 200
    assert {row["email"]: (row["status"], row["rsvp"]) for row in listed.json()} == {
        PEOPLE[0]: ("confirmed", "accepted"),
        PEOPLE[1]: ("confirmed", "tentative"),
        PEOPLE[2]: ("cancelled", "declined"),
        PEOPLE[3]: ("confirmed", None),
    }
    stats = (await client.get(f"/api/events/{event_id}/stats", headers=organiser)).json()
    assert (stats["confirmed"], stats["cancelled"]) == (3, 1)
    assert (stats["rsvp_accepted"], stats["rsvp_tentative"], stats["rsvp_declined"]) == (1, 1, 1)


async def test_an_acceptance_later_cancelled_is_no_longer_counted_as_coming(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event_id, ids = await _answered_event(client, organiser, settings)
    answer = await client.post(f"/api/registrations/{ids[PEOPLE[0]]}/cancel", headers=organiser)
    assert answer.status_code in (200, 204), answer.text

    stats = (await client.get(f"/api/events/{event_id}/stats", headers=organiser)).json()
    assert (stats["rsvp_accepted"], stats["rsvp_tentative"], stats["rsvp_declined"]) == (0, 1, 1)


async def test_console_list_and_dashboard_show_the_answers(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, _ = await _answered_event(client, organiser, settings)
    await console_login(client)

    page = await client.get(f"/console/events/{event_id}/registrations", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    cells = re.findall(r'<td class="rsvp">(.*?)</td>', page.text)
    assert sorted(cells) == sorted(["Accepted", "Tentative", "Declined", "–"])
    assert "1 Accepted · 1 Tentative · 1 Declined" in page.text

    dashboard = await client.get("/console/", headers={"Accept-Language": "en"})
    assert dashboard.status_code == 200
    figures = re.search(rf'<td class="rsvp-{event_id}">(.*?)</td>', dashboard.text)
    assert figures and figures.group(1) == "1 Accepted · 1 Tentative · 1 Declined"


async def test_the_answers_are_for_organisers_only(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, _ = await _answered_event(client, organiser, settings)

    assert (await client.get(f"/api/events/{event_id}/registrations")).status_code == 401
    assert (await client.get(f"/api/events/{event_id}/stats")).status_code == 401
    public = await client.get(f"/events/{event_id}")
    assert "accepted" not in public.text.lower() and "rsvp" not in public.text.lower()
