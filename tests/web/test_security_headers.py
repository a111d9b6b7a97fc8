"""Every answer carries the security headers; every answer that is not plainly public (manage
views, personal feeds, organiser answers, console pages, errors) is `Cache-Control: no-store`."""

from __future__ import annotations

import dataclasses

import httpx

from events_service.app import create_app
from events_service.companies.tables import Contact
from events_service.registrations.links import make_token
from events_service.settings import Settings
from events_service.web.headers import CONTENT_SECURITY_POLICY
from tests.factories import published_event, registration_payload
from tests.web.support import console_login


def _secured(answer: httpx.Response, *, hsts: bool = False) -> None:
    headers = answer.headers
    where = f"{answer.request.method} {answer.request.url.path}"
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["referrer-policy"] == "no-referrer", where
    assert "frame-ancestors 'none'" in headers["content-security-policy"], where
    assert ("strict-transport-security" in headers) is hsts, where


async def test_personal_answers_are_never_stored(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    talk = await published_event(client, organiser, mode="online", online_url="https://meet.example.org/secret-room")
    created = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada.rossi@x.example"))
    assert created.status_code == 201
    token = created.json()["manage_token"]
    contact = await Contact.select(Contact.id, Contact.feed_nonce).first()
    feed = make_token(settings.secret_key, "feed", contact["id"], contact["feed_nonce"])
    answers = [created]
    for path in (f"/api/public/registrations/{token}", f"/r/{token}", f"/calendar/personal/{feed}.ics", f"/r/{token}/cancel",
                 "/api/public/registrations/1.nope.nope", "/no/such/page"):
        answers.append(await client.get(path))
    for path in ("/api/events", f"/api/events/{talk['id']}/registrations", "/api/outbox", f"/api/events/{talk['id']}/registrations.csv"):
        answers.append(await client.get(path, headers=organiser))
    answers.append(await client.get("/api/events"))  # the 401 too
    await console_login(client)
    for path in ("/console", "/console/events", f"/console/events/{talk['id']}/registrations", "/console/outbox"):
        answers.append(await client.get(path))
    assert [a.status_code for a in answers[1:4]] == [200, 200, 200]
    assert "secret-room" in answers[1].text
    assert "secret-room" in answers[3].text
    for answer in answers:
        _secured(answer)
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url.path, answer.status_code)
    assert answers[2].headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_public_answers_keep_their_caching(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    feed = await client.get("/calendar/events.ics")
    assert feed.headers["cache-control"].startswith("public, max-age=")
    _secured(feed)
    for path in ("/", f"/e/{talk['slug']}", "/api/public/events", f"/api/public/events/{talk['slug']}", f"/events/{talk['id']}.ics",
                 "/static/style.css", "/privacy"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        _secured(answer)
        assert answer.headers.get("cache-control") != "no-store", path
    docs = await client.get("/schema/openapi.json")
    _secured(docs)


async def test_hsts_only_under_https(client: httpx.AsyncClient, settings: Settings) -> None:
    _secured(await client.get("/"), hsts=False)
    secure = create_app(dataclasses.replace(settings, base_url="https://events.example"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=secure), base_url="https://events.example") as https_client:
        answer = await https_client.get("/")
        _secured(answer, hsts=True)
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        _secured(await https_client.get("/no/such/page"), hsts=True)
