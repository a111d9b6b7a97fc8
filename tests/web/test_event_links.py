"""Links to an event's public page that we send out (the cancellation email's "register
again", the public calendar entries' URL) open that page: /e/<slug>, not the 404 /events/<slug>."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from icalendar import Calendar

from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.factories import published_event, registration_payload
from tests.mailparse import rendered, text_body


async def _follow(client: httpx.AsyncClient, url: str, settings: Settings) -> httpx.Response:
    assert url.startswith(settings.base_url + "/"), url
    return await client.get(urlsplit(url).path)


async def test_register_again_link_of_a_cancellation_email_opens_the_event_page(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    talk = await published_event(client, organiser)
    created = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada.rossi@x.example"))
    assert created.status_code == 201, created.text
    cancelled = await client.post(f"/api/public/registrations/{created.json()['manage_token']}/cancel")
    assert cancelled.status_code == 200
    row = await OutboxMessage.select().where(OutboxMessage.kind == "cancelled").first()
    body = text_body(await rendered(row, settings))
    links = [url for url in re.findall(r"https?://\S+", body) if "/registrations/" not in url]
    assert links, body
    for url in links:
        page = await _follow(client, url.rstrip(".,"), settings)
        assert page.status_code == 200, url
        assert talk["title"] in page.text


async def test_public_calendar_entries_link_the_event_page(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    talk = await published_event(client, organiser)
    for path in (f"/events/{talk['id']}.ics", "/calendar/events.ics"):
        answer = await client.get(path)
        assert answer.status_code == 200
        urls = [str(event["URL"]) for event in Calendar.from_ical(answer.content).walk("VEVENT")]
        assert urls, path
        for url in urls:
            page = await _follow(client, url, settings)
            assert page.status_code == 200, url
            assert talk["title"] in page.text
