"""After the event: attended or no-show, and exactly one follow-up email per registration."""

from datetime import UTC, datetime, timedelta

import httpx

from events_service.attendance.service import finalise_ended_events
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    load,
    move_event,
    register,
    talk,
    upload,
)
from tests.factories import partita_iva, published_event
from tests.mailparse import text_body

RECORDING = "https://video.example.org/ai-generativa-pmi"
SLIDES = "https://slides.example.org/ai-generativa-pmi.pdf"


async def _follow_ups() -> dict[str, list[str]]:
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.kind).where(
        OutboxMessage.kind.is_in(["thank_you", "missed_you"])
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["to_address"], []).append(row["kind"])
    return found


async def test_finalise_thanks_attendees_and_misses_no_shows_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await talk(client, organiser, title="AI generativa per le PMI", capacity=len(ZOOM_PEOPLE) + 1)
    for email, first, last, company in ZOOM_PEOPLE:
        await register(client, event["id"], email, first, last, company)
    cancelled = await register(client, event["id"], "gone.away@x.example", "Gone", "Away", partita_iva(50))
    await client.post(f"/api/public/registrations/{cancelled['manage_token']}/cancel")
    waiting = await register(client, event["id"], "w.one@x.example", "Wanda", "One", partita_iva(51))
    waiting2 = await register(client, event["id"], "w.two@x.example", "Walter", "Two", partita_iva(52))
    assert (waiting["status"], waiting2["status"]) == ("confirmed", "waitlisted")

    early = await client.post(f"/api/events/{event['id']}/finalise-attendance", headers=organiser)
    assert early.status_code == 409
    assert "not ended" in early.json()["detail"]

    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    links = {"recording_url": RECORDING, "slides_url": SLIDES}
    assert (await client.patch(f"/api/events/{event['id']}/follow-up", json=links, headers=organiser)).status_code == 200
    await upload(client, organiser, event["id"], load("zoom_participants.csv"))

    answer = await client.post(f"/api/events/{event['id']}/finalise-attendance", headers=organiser)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Paolo and Wanda held seats and did not come; Walter never had a seat.
    assert (body["attended"], body["no_show"], body["thank_you_queued"], body["missed_you_queued"]) == (6, 2, 6, 2)
    assert body["follow_up_sent_at"] is not None
    follow_ups = await _follow_ups()
    assert follow_ups == {
        **{email.lower(): ["thank_you"] for email, *_ in ZOOM_PEOPLE if not email.startswith("paolo")},
        "paolo.conti@conti-trasporti.it": ["missed_you"],
        "w.one@x.example": ["missed_you"],
    }
    thanks = await OutboxMessage.select().where(OutboxMessage.idempotency_key == f"thank_you:{await _registration_id('anna.keller@keller-praezision.ch')}").first()
    assert RECORDING in text_body(thanks["message"])
    assert SLIDES in text_body(thanks["message"])
    assert "Anna" in text_body(thanks["message"])
    assert thanks["status"] == "queued"
    missed = await OutboxMessage.select().where(OutboxMessage.idempotency_key == f"missed_you:{await _registration_id('paolo.conti@conti-trasporti.it')}").first()
    assert RECORDING in text_body(missed["message"])
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert (stats["attended"], stats["no_show"]) == (6, 2)

    # Again, and after a late report that finds Paolo: nothing more; one follow-up each, ever.
    count = await OutboxMessage.count()
    again = (await client.post(f"/api/events/{event['id']}/finalise-attendance", headers=organiser)).json()
    assert (again["thank_you_queued"], again["missed_you_queued"], again["follow_up_sent_at"]) == (0, 0, body["follow_up_sent_at"])
    late = b"Name,User Email,Join time,Leave time\r\nPaolo Conti,paolo.conti@conti-trasporti.it,11/24/2026 05:05:00 PM,11/24/2026 06:05:00 PM\r\n"
    assert (await upload(client, organiser, event["id"], late)).json()["attended"] == 7
    after_late = (await client.post(f"/api/events/{event['id']}/finalise-attendance", headers=organiser)).json()
    assert (after_late["attended"], after_late["thank_you_queued"], after_late["missed_you_queued"]) == (7, 0, 0)
    assert await OutboxMessage.count() == count


async def _registration_id(email: str) -> int:
    from events_service.registrations.tables import Registration

    row = await Registration.select(Registration.id).where(Registration.contact.email == email).first()
    return row["id"]


async def test_finalise_refuses_drafts_and_unknown_events(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    draft = (await client.post("/api/events", json={"kind": "tech_talk", "title": "Draft", "mode": "online", "capacity": 5,
                                                     "starts_at": "2026-01-10T16:00:00+01:00", "ends_at": "2026-01-10T17:00:00+01:00"},
                               headers=organiser)).json()
    assert (await client.post(f"/api/events/{draft['id']}/finalise-attendance", headers=organiser)).status_code == 409
    assert (await client.post("/api/events/999999/finalise-attendance", headers=organiser)).status_code == 404
    assert await OutboxMessage.count() == 0


async def test_worker_step_finalises_each_ended_event_once(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    plan = (("yesterday", timedelta(hours=30), True), ("just now", timedelta(hours=2), True),
            ("last year", timedelta(days=365), True), ("no data", timedelta(hours=30), False))
    for n, (name, ended_ago, checked_in) in enumerate(plan):
        event = await published_event(client, organiser, tech_day=True, title=f"Tech Day {name}")
        slug = name.replace(" ", ".")
        came = await register(client, event["id"], f"came.{slug}@x.example", "Ada", "Galli", partita_iva(60 + n))
        await register(client, event["id"], f"absent.{slug}@x.example", "Bruno", "Neri", partita_iva(70 + n))
        if checked_in:
            checkin = await client.post(f"/api/events/{event['id']}/checkins", json={"code": came["manage_token"]}, headers=organiser)
            assert checkin.status_code == 200
        ends = now - ended_ago
        await move_event(event["id"], ends - timedelta(hours=8), ends)

    assert await finalise_ended_events(settings, now) == 2
    assert await _follow_ups() == {"came.yesterday@x.example": ["thank_you"], "absent.yesterday@x.example": ["missed_you"]}
    assert await finalise_ended_events(settings, now) == 0
    assert await finalise_ended_events(settings, now + timedelta(days=1)) == 2  # "just now" is due by then
    sent = {row["title"]: row["follow_up_sent_at"] for row in await Event.select(Event.title, Event.follow_up_sent_at)}
    assert sent["Tech Day yesterday"] is not None
    assert sent["Tech Day just now"] is not None
    assert sent["Tech Day last year"] is None  # older than the window: never thanked out of the blue
    assert sent["Tech Day no data"] is None  # no attendance recorded: left to the organiser
    assert len(await _follow_ups()) == 4
