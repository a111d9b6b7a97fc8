"""The calendar URLs: one event's .ics, the public feed (ETag, 304) and a person's own feed;
and the "add to calendar" links on the public event data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from icalendar import Calendar

from events_service.companies.tables import Contact
from events_service.events.tables import Event
from events_service.registrations.tables import Registration
from tests.calendar.conftest import Mailbox, MemoClock
from tests.factories import event_payload, future, published_event, registration_payload

JOIN_URL = "https://meet.example.org/j/123456"
ICS = "text/calendar; charset=utf-8"


def vevents(body: bytes) -> list[Any]:
    calendar = Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    return calendar.walk("VEVENT")


def by_uid(body: bytes) -> dict[str, Any]:
    return {str(event["UID"]): event for event in vevents(body)}


def feed_link(text: str) -> str:
    """The personal feed link an email carries."""
    found = re.search(r"http://events\.test/calendar/personal/\S+\.ics", text)
    assert found is not None, text
    return found.group(0)


def no_people(body: bytes) -> None:
    lines = body.replace(b"\r\n ", b"").split(b"\r\n")
    assert not [line for line in lines if line.startswith((b"ATTENDEE", b"ORGANIZER"))]


async def draft(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created = await client.post("/api/events", json=event_payload(**overrides), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


async def register(client: httpx.AsyncClient, event_id: int, email: str, company_no: int = 1, **extra: Any) -> dict[str, Any]:
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no, **extra))
    assert answer.status_code == 201, answer.text
    return answer.json()


# ---------------------------------------------------------------- one event


async def test_event_download_by_id_and_slug(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    public = (await client.get(f"/api/public/events/{event['id']}")).json()
    assert public["ics_url"] == f"http://events.test/events/{event['id']}.ics"

    by_id = await client.get(f"/events/{event['id']}.ics")
    by_slug = await client.get(f"/events/{event['slug']}.ics")
    for answer in (by_id, by_slug):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == ICS
        assert answer.headers["content-disposition"] == f'attachment; filename="{event["slug"]}.ics"'
    assert by_id.content == by_slug.content
    body = by_id.content
    assert b"\r\n" in body
    assert b"\n" not in body.replace(b"\r\n", b"")
    (vevent,) = vevents(body)
    assert str(vevent["UID"]) == f"event-{event['id']}@events.test"
    assert str(vevent["SUMMARY"]) == event["title"]
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["LOCATION"]) == "Online"
    assert str(vevent["URL"]) == f"http://events.test/e/{event['slug']}"
    assert int(vevent["SEQUENCE"]) == 0
    assert b"DTSTART:" in body
    assert b"TZID" not in body
    assert b"VTIMEZONE" not in body
    assert b"meet.example.org" not in body  # never the join link
    no_people(body)


async def test_drafts_unknown_and_malformed_names_are_404(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    hidden = await draft(client, organiser)
    never_published = await draft(client, organiser, title="Cancelled while a draft")
    assert (await client.post(f"/api/events/{never_published['id']}/cancel", headers=organiser)).status_code == 200
    event = await published_event(client, organiser)
    for path in (
        f"/events/{hidden['id']}.ics",
        f"/events/{hidden['slug']}.ics",
        f"/events/{never_published['id']}.ics",
        "/events/9999.ics",
        "/events/99999999999999999999.ics",  # not an id PostgreSQL could compare: still a 404
        f"/events/{event['id']}",
        f"/events/{event['id']}.ical",
        "/events/.ics",
    ):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["status_code"] == 404
        assert answer.json()["detail"]


async def test_cancelled_event_download_says_cancelled(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    answer = await client.get(f"/events/{event['id']}.ics")
    assert answer.status_code == 200
    (vevent,) = vevents(answer.content)
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 1


async def test_tech_day_download_has_venue_and_agenda(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    (vevent,) = vevents((await client.get(f"/events/{day['slug']}.ics")).content)
    assert str(vevent["LOCATION"]) == "Polo Territoriale di Lecco, Via Gaetano Previati 1/c, Lecco"
    assert "Cobots on the shop floor (Marco Rossi)" in str(vevent["DESCRIPTION"])
    assert [str(c) for c in vevent["CATEGORIES"].cats] == ["iot", "manufacturing"]


# ---------------------------------------------------------------- the public feed


async def test_feed_lists_published_and_recently_cancelled_events(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser, title="Talk", topics=["ai"])
    day = await published_event(client, organiser, tech_day=True)
    hidden = await draft(client, organiser, title="Draft")
    gone = await published_event(client, organiser, title="Cancelled recently")
    await client.post(f"/api/events/{gone['id']}/cancel", headers=organiser)
    long_gone = await published_event(client, organiser, title="Cancelled long ago")
    await client.post(f"/api/events/{long_gone['id']}/cancel", headers=organiser)
    await Event.update({Event.cancelled_at: datetime.now(UTC) - timedelta(days=31)}).where(Event.id == long_gone["id"])
    past = await published_event(client, organiser, title="Ended long ago")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    await Event.update({Event.starts_at: long_ago, Event.ends_at: long_ago + timedelta(hours=1)}).where(Event.id == past["id"])

    answer = await client.get("/calendar/events.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == ICS
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', answer.headers["etag"])  # strong
    body = answer.content
    events = by_uid(body)
    uid = lambda event: f"event-{event['id']}@events.test"  # noqa: E731
    assert set(events) == {uid(talk), uid(day), uid(gone)}
    assert str(events[uid(gone)]["STATUS"]) == "CANCELLED"
    assert str(events[uid(talk)]["STATUS"]) == "CONFIRMED"
    assert uid(hidden) not in events
    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "SME Innovation Programme – Tech Talks & Tech Days"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT60M\r\n" in body
    assert b"X-PUBLISHED-TTL:PT60M\r\n" in body
    assert b"meet.example.org" not in body
    no_people(body)

    talks = await client.get("/calendar/events.ics", params={"kind": "tech_talk"})
    assert set(by_uid(talks.content)) == {uid(talk), uid(gone)}
    assert "Tech Talks" in str(Calendar.from_ical(talks.content)["X-WR-CALNAME"])
    on_ai = await client.get("/calendar/events.ics", params={"topic": " AI "})
    assert set(by_uid(on_ai.content)) == {uid(talk)}
    assert len({answer.headers["etag"], talks.headers["etag"], on_ai.headers["etag"]}) == 3

    unknown = await client.get("/calendar/events.ics", params={"kind": "webinar"})
    assert unknown.status_code == 422
    assert unknown.json()["status_code"] == 422


async def test_feed_etag_and_304(client: httpx.AsyncClient, organiser: dict[str, str], memo_clock: MemoClock) -> None:
    empty = await client.get("/calendar/events.ics")
    assert empty.status_code == 200
    assert vevents(empty.content) == []
    event = await published_event(client, organiser, topics=["ai"])
    first = await client.get("/calendar/events.ics")
    etag = first.headers["etag"]
    assert etag != empty.headers["etag"]

    again = await client.get("/calendar/events.ics")
    assert again.headers["etag"] == etag
    assert again.content == first.content  # strong: same bytes

    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        cached = await client.get("/calendar/events.ics", headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=300"
    stale = await client.get("/calendar/events.ics", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.headers["etag"] == etag

    # The aggregate behind the 304 agrees with the rows behind the body, filters included.
    for params in ({"kind": "tech_talk"}, {"topic": "ai"}, {"kind": "tech_day", "topic": "ai"}):
        full = await client.get("/calendar/events.ics", params=params)
        cached = await client.get("/calendar/events.ics", params=params, headers={"If-None-Match": full.headers["etag"]})
        assert cached.status_code == 304, params

    # Any change to the event changes the tag, also one that is not about time or place.
    retitled = await client.patch(f"/api/events/{event['id']}", json={"title": "A new title"}, headers=organiser)
    assert retitled.status_code == 200
    changed = await client.get("/calendar/events.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert str(vevents(changed.content)[0]["SUMMARY"]) == "A new title"

    # So does an event leaving the feed by age (no request of ours wrote anything: once the
    # memo's moment has passed).
    other = await published_event(client, organiser, title="Other")
    etag = (await client.get("/calendar/events.ics")).headers["etag"]
    long_ago = datetime.now(UTC) - timedelta(days=40)
    await Event.update({Event.starts_at: long_ago, Event.ends_at: long_ago + timedelta(hours=1)}).where(Event.id == other["id"])
    memo_clock.pass_memo_window()
    aged = await client.get("/calendar/events.ics", headers={"If-None-Match": etag})
    assert aged.status_code == 200
    assert len(vevents(aged.content)) == 1


async def test_feed_etag_is_remembered_for_a_moment(client: httpx.AsyncClient, organiser: dict[str, str], memo_clock: MemoClock) -> None:
    event = await published_event(client, organiser)
    etag = (await client.get("/calendar/events.ics")).headers["etag"]

    # A change made elsewhere (another process): polls within the memo's moment still get 304,
    # as a cache honouring max-age=300 would answer; after it, the database is asked again.
    await Event.update({Event.title: "Changed elsewhere", Event.updated_at: datetime.now(UTC)}).where(Event.id == event["id"])
    assert (await client.get("/calendar/events.ics", headers={"If-None-Match": etag})).status_code == 304
    memo_clock.pass_memo_window()
    fresh = await client.get("/calendar/events.ics", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert str(vevents(fresh.content)[0]["SUMMARY"]) == "Changed elsewhere"

    # A change through this process is seen at once.
    etag = fresh.headers["etag"]
    assert (await client.get("/calendar/events.ics", headers={"If-None-Match": etag})).status_code == 304
    cancelled = await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    assert cancelled.status_code == 200
    after = await client.get("/calendar/events.ics", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert str(vevents(after.content)[0]["STATUS"]) == "CANCELLED"


# ---------------------------------------------------------------- a person's own feed


async def test_personal_feed_has_own_confirmed_events_with_invite_uids(
    client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox
) -> None:
    talk = await published_event(client, organiser, title="Talk")
    day = await published_event(client, organiser, tech_day=True)
    full = await published_event(client, organiser, title="Full", capacity=0)
    me = "ilaria.marrone@azienda9.example"
    mine = {
        "talk": await register(client, talk["id"], me, 9),
        "day": await register(client, day["id"], me, 9),
        "full": await register(client, full["id"], me, 9),
    }
    someone_else = await register(client, talk["id"], "luca.grigio@azienda10.example", 10)
    sent = await mailbox.dispatch()
    invites = {mail.to + str(mail.vevent["SUMMARY"]): mail.vevent for mail in sent if mail.method}

    # The link is in the person's own confirmations, the same in each; never on a manage page.
    (link,) = {feed_link(mail.text) for mail in sent if mail.to == me and mail.method == "REQUEST"}
    assert "/calendar/personal/" not in (await client.get(f"/api/public/registrations/{mine['talk']['manage_token']}")).text
    path = link.removeprefix("http://events.test")

    answer = await client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == ICS
    assert answer.headers["cache-control"] == "no-store"  # it carries join links
    assert "etag" not in answer.headers
    no_people(answer.content)
    calendar = Calendar.from_ical(answer.content)
    assert str(calendar["X-WR-CALNAME"]) == "SME Innovation Programme – I miei eventi"
    entries = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(entries) == {"Talk", day["title"]}  # not the waitlisted one, not other people's
    for title, entry in entries.items():
        invite = invites[me + title]
        assert str(entry["UID"]) == str(invite["UID"])
        assert int(entry["SEQUENCE"]) == int(invite["SEQUENCE"])
        assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(entries["Talk"]["LOCATION"]) == JOIN_URL
    assert JOIN_URL in str(entries["Talk"]["DESCRIPTION"])
    assert str(entries["Talk"]["URL"]) == f"http://events.test/e/{talk['slug']}"  # no manage link in a feed
    assert mine["talk"]["manage_token"] not in answer.text
    assert str(entries[day["title"]]["LOCATION"]).startswith("Polo Territoriale di Lecco")
    assert JOIN_URL not in str(entries[day["title"]]["DESCRIPTION"])
    assert someone_else["manage_token"].split(".")[1] not in answer.text

    # A cancelled registration stays, cancelled, with the CANCEL's SEQUENCE, for 30 days.
    await client.post(f"/api/public/registrations/{mine['day']['manage_token']}/cancel")
    (notice,) = [mail for mail in await mailbox.dispatch() if mail.to == me]
    assert notice.method == "CANCEL"
    entries = {str(event["UID"]): event for event in vevents((await client.get(path)).content)}
    cancelled = entries[str(notice.vevent["UID"])]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == int(notice.vevent["SEQUENCE"]) == 1
    await Registration.update({Registration.cancelled_at: datetime.now(UTC) - timedelta(days=31)}).where(
        Registration.id == mine["day"]["id"]
    )
    assert [str(event["SUMMARY"]) for event in vevents((await client.get(path)).content)] == ["Talk"]

    # The event is cancelled: the entry stays, cancelled, with the event's SEQUENCE.
    await client.post(f"/api/events/{talk['id']}/cancel", headers=organiser)
    (entry,) = vevents((await client.get(path)).content)
    assert str(entry["STATUS"]) == "CANCELLED"
    assert int(entry["SEQUENCE"]) == 1
    assert JOIN_URL not in str(entry["DESCRIPTION"])


async def test_personal_feed_refuses_forged_tokens(client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox) -> None:
    event = await published_event(client, organiser)
    person = await register(client, event["id"], "marta.ocra@azienda11.example", 11)
    (confirmation,) = await mailbox.dispatch()
    link = feed_link(confirmation.text)
    token = link.removeprefix("http://events.test/calendar/personal/").removesuffix(".ics")
    contact_id, nonce, signature = token.split(".")
    assert (await client.get(f"/calendar/personal/{token}.ics")).status_code == 200

    other_id = str(int(contact_id) + 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in (
        f"{other_id}.{nonce}.{signature}",  # someone else's feed
        f"{contact_id}.{nonce}x.{signature}",
        f"{contact_id}.{nonce}.{flipped}",
        person["manage_token"],  # a token for another purpose
        f"{contact_id}..{signature}",
        "not-a-token",
        "9" * 30 + f".{nonce}.{signature}",
    ):
        answer = await client.get(f"/calendar/personal/{forged}.ics")
        assert answer.status_code == 404, forged
        assert "BEGIN:VCALENDAR" not in answer.text
    assert (await client.get(f"/calendar/personal/{token}")).status_code == 404

    # A new feed nonce revokes the old link.
    await Contact.update({Contact.feed_nonce: "replaced-nonce"}).where(Contact.id == int(contact_id))
    assert (await client.get(f"/calendar/personal/{token}.ics")).status_code == 404


# ---------------------------------------------------------------- add-to-calendar links


async def test_public_event_offers_add_to_calendar_links(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    starts = future(days=20, hour=15)
    event = await published_event(client, organiser, starts=starts)
    public = (await client.get(f"/api/public/events/{event['slug']}")).json()
    google = urlsplit(public["google_calendar_url"])
    assert (google.scheme, google.netloc) == ("https", "calendar.google.com")
    query = parse_qs(google.query)
    assert query["text"] == [event["title"]]
    assert query["dates"] == [f"{starts:%Y%m%dT%H%M%SZ}/{starts + timedelta(minutes=90):%Y%m%dT%H%M%SZ}"]
    assert query["location"] == ["Online"]
    assert f"http://events.test/e/{event['slug']}" in query["details"][0]
    outlook = parse_qs(urlsplit(public["outlook_calendar_url"]).query)
    assert outlook["subject"] == [event["title"]]
    assert outlook["startdt"] == [f"{starts:%Y-%m-%dT%H:%M:%SZ}"]
    listing = (await client.get("/api/public/events")).text
    for text in (public["google_calendar_url"], public["outlook_calendar_url"], listing):
        assert "meet.example.org" not in text  # never the join link

    await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    cancelled = (await client.get(f"/api/public/events/{event['id']}")).json()
    assert cancelled["google_calendar_url"] is None
    assert cancelled["outlook_calendar_url"] is None


async def test_add_to_calendar_links_stay_short_for_long_descriptions(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, description="Molto da dire. " * 1_300)  # 19,500 characters
    public = (await client.get(f"/api/public/events/{event['id']}")).json()
    for link, field in ((public["google_calendar_url"], "details"), (public["outlook_calendar_url"], "body")):
        assert len(link) < 8_000
        body = parse_qs(urlsplit(link).query)[field][0]
        assert body.startswith("Molto da dire.")
        assert f"…\n\nhttp://events.test/e/{event['slug']}" in body


async def test_calendar_paths_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/events/{filename}", "/calendar/events.ics", "/calendar/personal/{filename}"} <= set(schema["paths"])
