"""An event's webinar on its platform (`online_meeting`): validated, normalised, stored, shown to
organisers only (never on public pages, feeds or to other roles)."""

from __future__ import annotations

import httpx

from events_service.events.tables import Event
from tests.conftest import token_headers
from tests.factories import event_payload, published_event, tech_day_payload

ZOOM = {"platform": "zoom", "meeting_id": "812 3456 7890"}
TEAMS = {
    "platform": "teams",
    "meeting_id": "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZjZhNDQyNzJlMzZfX19NR1ZrWWpJMk5tWXRNMkV4TXkwME5HVTJMVGc0T0RndFpHVmhOVGd3WVdRd05tRXcqMA==",
    "organizer_id": "dc17674c-81d9-4adb-bfb2-8f6a442e4623",
}


async def test_a_zoom_meeting_is_stored_with_its_number_in_digits(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/events", json=event_payload(online_meeting=ZOOM), headers=organiser)
    assert answer.status_code == 201, answer.text
    assert answer.json()["online_meeting"] == {"platform": "zoom", "meeting_id": "81234567890", "organizer_id": None}
    row = await Event.select(Event.meeting_platform, Event.meeting_id, Event.meeting_organizer_id).where(Event.id == answer.json()["id"]).first()
    assert row == {"meeting_platform": "zoom", "meeting_id": "81234567890", "meeting_organizer_id": None}
    read = await client.get(f"/api/events/{answer.json()['id']}", headers=organiser)
    assert read.json()["online_meeting"]["meeting_id"] == "81234567890"


async def test_an_event_without_a_meeting_says_none(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/events", json=event_payload(), headers=organiser)
    assert answer.status_code == 201, answer.text
    assert answer.json()["online_meeting"] is None


async def test_a_patch_sets_changes_and_clears_the_meeting(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    set_teams = await client.patch(f"/api/events/{event['id']}", json={"online_meeting": TEAMS}, headers=organiser)
    assert set_teams.status_code == 200, set_teams.text
    assert set_teams.json()["online_meeting"] == TEAMS
    # Not a change of time, place or link: attendees' calendars do not move.
    assert set_teams.json()["sequence"] == event["sequence"]
    untouched = await client.patch(f"/api/events/{event['id']}", json={"title": "Another title"}, headers=organiser)
    assert untouched.json()["online_meeting"] == TEAMS
    cleared = await client.patch(f"/api/events/{event['id']}", json={"online_meeting": None}, headers=organiser)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["online_meeting"] is None
    row = await Event.select(Event.meeting_platform, Event.meeting_id).where(Event.id == event["id"]).first()
    assert row == {"meeting_platform": None, "meeting_id": None}


async def test_invalid_meetings_are_422_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    bad = [
        ({"platform": "teams", "meeting_id": "MSpkYzE3"}, "organizer_id"),  # Graph needs the organiser
        ({"platform": "zoom", "meeting_id": "12345"}, "meeting_id"),
        ({"platform": "zoom", "meeting_id": "../../users/me"}, "meeting_id"),
        ({"platform": "skype", "meeting_id": "81234567890"}, "platform"),
        ({"platform": "teams", "meeting_id": "a/b?c=d", "organizer_id": "x"}, "meeting_id"),
        ({"platform": "teams", "meeting_id": "MSpk", "organizer_id": "../me"}, "organizer_id"),
        ({"platform": "zoom", "meeting_id": "81234567890", "extra": 1}, "extra"),
        ({"platform": "zoom", "meeting_id": "8" * 501}, "meeting_id"),
    ]
    for meeting, named in bad:
        answer = await client.post("/api/events", json=event_payload(online_meeting=meeting), headers=organiser)
        assert answer.status_code == 422, (meeting, answer.text)
        assert named in answer.json()["detail"], (meeting, answer.text)
    assert await Event.count() == 0


async def test_an_in_person_event_has_no_online_meeting(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/events", json=tech_day_payload(online_meeting=ZOOM), headers=organiser)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "online_meeting_not_online"
    event = await published_event(client, organiser, online_meeting=ZOOM)
    to_room = await client.patch(f"/api/events/{event['id']}", json={"mode": "in_person", "venue": tech_day_payload()["venue"]}, headers=organiser)
    assert to_room.status_code == 422, to_room.text
    assert to_room.json()["code"] == "online_meeting_not_online"
    both = await client.patch(
        f"/api/events/{event['id']}", json={"mode": "in_person", "venue": tech_day_payload()["venue"], "online_meeting": None}, headers=organiser
    )
    assert both.status_code == 200, both.text


async def test_the_meeting_is_never_public(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, online_meeting=TEAMS)
    public = [
        await client.get(f"/api/public/events/{event['id']}"),
        await client.get("/api/public/events"),
        await client.get(f"/events/{event['id']}.ics"),
        await client.get("/calendar/events.ics"),
        await client.get(f"/e/{event['slug']}"),
    ]
    for answer in public:
        assert answer.status_code == 200, (answer.url, answer.text)
        assert TEAMS["meeting_id"] not in answer.text, answer.url
        assert TEAMS["organizer_id"] not in answer.text, answer.url
        assert "online_meeting" not in answer.text, answer.url
    # Check-in staff see no event details at all.
    checkin = await token_headers(client, "checkin")
    assert (await client.get(f"/api/events/{event['id']}", headers=checkin)).status_code == 403
