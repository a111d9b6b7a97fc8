from datetime import timedelta

import httpx

from events_service.events.tables import AgendaSession, Event
from tests.factories import event_payload, future, tech_day_payload


async def test_create_returns_draft_with_slug_and_sequence_zero(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/events", json=event_payload(title="Cybersecurity per PMI: cosa fare subito"), headers=organiser)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "draft"
    assert body["sequence"] == 0
    assert body["slug"].startswith("cybersecurity-per-pmi-cosa-fare-subito-")
    assert body["speakers"][0]["name"] == "Giulia Ferrari"
    assert body["reminder_offsets_minutes"] == [1440, 60]
    assert body["starts_at"].endswith(("Z", "+00:00"))
    read = await client.get(f"/api/events/{body['id']}", headers=organiser)
    assert read.json() == body


async def test_times_are_stored_in_utc_whatever_offset_was_sent(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    payload = event_payload(starts_at="2027-03-10T17:00:00+01:00", ends_at="2027-03-10T18:30:00+01:00")
    body = (await client.post("/api/events", json=payload, headers=organiser)).json()
    assert body["starts_at"].startswith("2027-03-10T16:00:00")
    assert body["slug"].endswith("2027-03-10")


async def test_tech_day_keeps_its_agenda_and_speakers(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/events", json=tech_day_payload(), headers=organiser)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [item["title"] for item in body["agenda"]] == ["Welcome", "Cobots on the shop floor"]
    assert body["agenda"][1]["speaker"] == "Marco Rossi"
    # a venue given without a country is in the programme's (EVENTS_PROGRAMME_COUNTRY, IT)
    assert body["venue"] == {"name": "Polo Territoriale di Lecco", "address": "Via Gaetano Previati 1/c", "city": "Lecco", "country": "IT"}
    assert body["audience"] == "targeted"


async def test_bad_events_are_422_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    starts = future()
    cases = {
        "end before start": event_payload(ends_at=(starts - timedelta(hours=1)).isoformat()),
        "end equals start": event_payload(ends_at=starts.isoformat()),
        "naive datetime": event_payload(starts_at="2027-01-10T17:00:00", ends_at="2027-01-10T18:00:00"),
        "negative capacity": event_payload(capacity=-1),
        "unknown timezone": event_payload(timezone="Europe/Atlantis"),
        "unknown kind": event_payload(kind="webinar"),
        "unknown mode": event_payload(mode="virtual"),
        "empty title": event_payload(title=""),
        "bad url": event_payload(online_url="javascript:alert(1)"),
        "closes after end": event_payload(registration_closes_at=(starts + timedelta(days=1)).isoformat()),
        "agenda on a talk": event_payload(agenda=tech_day_payload()["agenda"]),
        "agenda outside the day": tech_day_payload(
            agenda=[{"title": "Late", "starts_at": (starts + timedelta(days=60)).isoformat(), "ends_at": (starts + timedelta(days=61)).isoformat()}]
        ),
        "unknown agenda speaker": tech_day_payload(
            agenda=[{**tech_day_payload()["agenda"][0], "speaker": "Nobody"}]
        ),
        "hybrid without online capacity": tech_day_payload(mode="hybrid", online_url="https://meet.example.org/x"),
        "online capacity on a talk": event_payload(online_capacity=10),
        "unknown field": event_payload(colour="blue"),
        "bad speaker email": event_payload(speakers=[{"name": "X", "email": "not-an-email"}]),
    }
    for reason, payload in cases.items():
        answer = await client.post("/api/events", json=payload, headers=organiser)
        assert answer.status_code == 422, (reason, answer.status_code, answer.text)
        assert answer.json()["detail"], reason
    assert await Event.count() == 0
    assert await AgendaSession.count() == 0


async def test_publish_requires_what_the_mode_needs(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    online = (await client.post("/api/events", json=event_payload(online_url=None), headers=organiser)).json()
    answer = await client.post(f"/api/events/{online['id']}/publish", headers=organiser)
    assert answer.status_code == 422
    assert "online_url" in answer.json()["detail"]
    assert answer.json()["extra"]["missing"] == ["online_url"]
    assert (await client.get(f"/api/events/{online['id']}", headers=organiser)).json()["status"] == "draft"

    hybrid = tech_day_payload(mode="hybrid", online_capacity=200, venue=None)
    created = (await client.post("/api/events", json=hybrid, headers=organiser)).json()
    answer = await client.post(f"/api/events/{created['id']}/publish", headers=organiser)
    assert answer.status_code == 422
    assert answer.json()["extra"]["missing"] == ["venue.name", "venue.address", "venue.city", "online_url"]

    fixed = await client.patch(f"/api/events/{online['id']}", json={"online_url": "https://meet.example.org/j/9"}, headers=organiser)
    assert fixed.status_code == 200
    published = await client.post(f"/api/events/{online['id']}/publish", headers=organiser)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    again = await client.post(f"/api/events/{online['id']}/publish", headers=organiser)
    assert again.status_code == 200


async def test_change_of_time_place_or_link_raises_sequence(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = (await client.post("/api/events", json=event_payload(), headers=organiser)).json()
    path = f"/api/events/{event['id']}"

    retitled = (await client.patch(path, json={"title": "A better title", "description": "More words"}, headers=organiser)).json()
    assert retitled["sequence"] == 0
    assert retitled["title"] == "A better title"

    later = future(days=31)
    moved = (await client.patch(path, json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()}, headers=organiser)).json()
    assert moved["sequence"] == 1

    relinked = (await client.patch(path, json={"online_url": "https://meet.example.org/j/new"}, headers=organiser)).json()
    assert relinked["sequence"] == 2

    same_link = (await client.patch(path, json={"online_url": "https://meet.example.org/j/new"}, headers=organiser)).json()
    assert same_link["sequence"] == 2

    placed = (await client.patch(path, json={"mode": "hybrid", "online_capacity": 50, "venue": {"name": "Hub", "address": "Via Roma 1", "city": "Como"}}, headers=organiser)).json()
    assert placed["sequence"] == 3

    bad = await client.patch(path, json={"ends_at": (later - timedelta(days=1)).isoformat()}, headers=organiser)
    assert bad.status_code == 422
    assert (await client.get(path, headers=organiser)).json()["sequence"] == 3


async def test_published_event_cannot_lose_what_its_mode_needs(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = (await client.post("/api/events", json=event_payload(), headers=organiser)).json()
    await client.post(f"/api/events/{event['id']}/publish", headers=organiser)
    answer = await client.patch(f"/api/events/{event['id']}", json={"online_url": None}, headers=organiser)
    assert answer.status_code == 422
    assert (await client.get(f"/api/events/{event['id']}", headers=organiser)).json()["online_url"]


async def test_cancel_is_final_and_raises_sequence(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = (await client.post("/api/events", json=event_payload(), headers=organiser)).json()
    await client.post(f"/api/events/{event['id']}/publish", headers=organiser)
    cancelled = await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["sequence"] == 1
    assert (await client.post(f"/api/events/{event['id']}/publish", headers=organiser)).status_code == 409
    assert (await client.patch(f"/api/events/{event['id']}", json={"title": "x"}, headers=organiser)).status_code == 409
    again = await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    assert again.json()["sequence"] == 1


async def test_unknown_event_is_404(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    for method, path in [("GET", "/api/events/9999"), ("PATCH", "/api/events/9999"), ("POST", "/api/events/9999/publish"), ("POST", "/api/events/9999/cancel")]:
        answer = await client.request(method, path, json={} if method == "PATCH" else None, headers=organiser)
        assert answer.status_code == 404, (method, path)


async def test_public_views_hide_drafts_and_join_links(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    draft = (await client.post("/api/events", json=event_payload(title="Draft talk"), headers=organiser)).json()
    live = (await client.post("/api/events", json=event_payload(title="Live talk", topics=["ai"]), headers=organiser)).json()
    day = (await client.post("/api/events", json=tech_day_payload(), headers=organiser)).json()
    for event in (live, day):
        await client.post(f"/api/events/{event['id']}/publish", headers=organiser)

    listing = await client.get("/api/public/events")
    assert listing.status_code == 200
    titles = [event["title"] for event in listing.json()]
    assert titles == ["Live talk", "Tech Day Lecco: automation and AI"]
    assert "online_url" not in listing.text
    assert "meet.example.org" not in listing.text
    assert "@" not in listing.text  # no speaker emails

    by_kind = await client.get("/api/public/events", params={"kind": "tech_day"})
    assert [event["id"] for event in by_kind.json()] == [day["id"]]
    by_topic = await client.get("/api/public/events", params={"topic": "ai"})
    assert [event["id"] for event in by_topic.json()] == [live["id"]]

    by_slug = await client.get(f"/api/public/events/{live['slug']}")
    by_id = await client.get(f"/api/public/events/{live['id']}")
    assert by_slug.status_code == by_id.status_code == 200
    assert by_slug.json() == by_id.json()
    assert by_slug.json()["registration_open"] is True
    assert (await client.get(f"/api/public/events/{draft['id']}")).status_code == 404
    assert (await client.get(f"/api/public/events/{draft['slug']}")).status_code == 404


async def test_audience_and_venue_country_are_kept_and_checked(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    payload = tech_day_payload()
    payload["venue"] = {**payload["venue"], "country": "ch"}
    payload["audience"] = "public"
    created = await client.post("/api/events", json=payload, headers=organiser)
    assert created.status_code == 201, created.text
    assert created.json()["venue"]["country"] == "CH"
    assert created.json()["audience"] == "public"
    patched = await client.patch(f"/api/events/{created.json()['id']}", json={"audience": "targeted"}, headers=organiser)
    assert patched.status_code == 200, patched.text
    assert patched.json()["audience"] == "targeted"
    for bad in ({"audience": "everyone"}, {"venue": {**payload["venue"], "country": "Italy"}}, {"venue": {**payload["venue"], "country": "I1"}}):
        answer = await client.patch(f"/api/events/{created.json()['id']}", json=bad, headers=organiser)
        assert answer.status_code == 400 or answer.status_code == 422, (bad, answer.text)
    again = (await client.get(f"/api/events/{created.json()['id']}", headers=organiser)).json()
    assert (again["audience"], again["venue"]["country"]) == ("targeted", "CH")
