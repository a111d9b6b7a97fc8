"""The console's new-event form sent twice (a double click, the browser's resend, two tabs of
one form) makes one event: the form carries a one-time key, unique in the database."""

from __future__ import annotations

import asyncio
import re

import httpx

from events_service.events.tables import Event
from tests.web.support import console_login, csrf_token
from tests.web.test_console import english_browser, event_form  # noqa: F401 - the fixture applies here too


async def _new_form(client: httpx.AsyncClient) -> dict[str, str]:
    """The form as the page gives it: its fields filled in, its hidden key, the CSRF token."""
    page = await client.get("/console/events/new")
    assert page.status_code == 200
    keys = re.findall(r'<input type="hidden" name="form_key" value="([^"]+)">', page.text)
    assert len(keys) == 1, "the new-event form carries one one-time key"
    return {**event_form(), "form_key": keys[0], "_csrf_token": csrf_token(client)}


async def test_the_same_form_sent_twice_makes_one_event(client: httpx.AsyncClient) -> None:
    await console_login(client)
    form = await _new_form(client)
    first = await client.post("/console/events/new", data=form)
    again = await client.post("/console/events/new", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert await Event.count() == 1
    other = await client.post("/console/events/new", data=await _new_form(client))  # a new form is a new event
    assert other.status_code == 303
    assert other.headers["location"] != first.headers["location"]
    assert await Event.count() == 2


async def test_the_same_form_sent_at_the_same_moment_makes_one_event(client: httpx.AsyncClient) -> None:
    await console_login(client)
    for round_no in range(3):
        form = await _new_form(client)
        answers = await asyncio.gather(*(client.post("/console/events/new", data=form) for _ in range(6)))
        assert {answer.status_code for answer in answers} == {303}, [a.text[:300] for a in answers if a.status_code != 303]
        assert len({answer.headers["location"] for answer in answers}) == 1
        assert await Event.count() == round_no + 1


async def test_a_refused_form_keeps_its_key_and_a_bad_key_is_ignored(client: httpx.AsyncClient) -> None:
    await console_login(client)
    form = await _new_form(client)
    refused = await client.post("/console/events/new", data={**form, "ends_at": form["starts_at"]})
    assert refused.status_code == 422
    assert f'name="form_key" value="{form["form_key"]}"' in refused.text
    assert await Event.count() == 0
    corrected = await client.post("/console/events/new", data=form)
    assert corrected.status_code == 303
    for hostile in ("x", "²" * 20, "a" * 65, "' OR 1=1 --aaaaaaaaaaaa"):
        answer = await client.post("/console/events/new", data={**form, "form_key": hostile})
        assert answer.status_code == 303  # no key: an event as before, never a 5xx
    assert await Event.count() == 5
