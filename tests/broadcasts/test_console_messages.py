"""The console's message page: a preview in every language with the count of recipients,
then one send (the form's key makes a resent form send nothing more); the event page lists
what was sent; check-in staff may not see it."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from events_service.broadcasts.tables import EventMessage
from events_service.mail.tables import OutboxMessage
from tests.attendance.support import register
from tests.factories import published_event
from tests.web.support import console_login, csrf_token, post_form


@pytest.fixture(autouse=True)
def english_browser(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"


async def test_preview_then_send_once_and_the_event_page_lists_it(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    for n in range(3):
        await register(client, event["id"], f"p{n}@firm{n}.example", "P", f"N{n}", n)
    await console_login(client)
    page = f"/console/events/{event['id']}/messages"
    message = {"subject": "Slides are online", "body": "Find them at https://slides.example.org/x", "audience": "confirmed",
               "attendance_mode": ""}

    preview = await post_form(client, page, {**message, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert re.search(r'id="recipient-count">3<', preview.text)
    assert "Messaggio degli organizzatori" in html.unescape(preview.text)
    assert "A message from the organisers" in html.unescape(preview.text)
    assert "Eine Nachricht der Organisatoren" in html.unescape(preview.text)
    assert await EventMessage.count() == 0
    form_key = re.search(r'name="form_key" value="([^"]+)"', preview.text).group(1)

    send = {**message, "action": "send", "form_key": form_key, "_csrf_token": csrf_token(client)}
    first = await client.post(page, data=send)
    resent = await client.post(page, data=send)  # a double click, or the browser's resend
    assert first.status_code == 303
    assert resent.status_code == 303
    assert await EventMessage.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "broadcast") == 3
    listed = await client.get(f"/console/events/{event['id']}")
    assert "Slides are online" in listed.text


async def test_a_bad_message_is_explained_and_nothing_is_sent(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await console_login(client)
    page = f"/console/events/{event['id']}/messages"
    answer = await post_form(client, page, {"subject": "", "body": "x", "audience": "confirmed", "attendance_mode": "", "action": "send"})
    assert answer.status_code == 422
    assert 'id="message-error"' in answer.text
    no_show = await post_form(client, page, {"subject": "S", "body": "x", "audience": "no_show", "attendance_mode": "", "action": "preview"})
    assert no_show.status_code == 422
    assert "no-show before the event has ended" in no_show.text
    assert await EventMessage.count() == 0


async def test_check_in_staff_cannot_open_the_message_page(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await console_login(client, "checkin")
    answer = await client.get(f"/console/events/{event['id']}/messages")
    assert answer.status_code == 403
