"""Signed links: a rotated secret key keeps emailed links working (EVENTS_SECRET_KEY_FALLBACKS,
for checking only), a short key stops the start-up, and a token spelled with non-ASCII digits is
an unknown link (404), never a 500."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from events_service.app import create_app
from events_service.cli import main
from events_service.companies.tables import Contact
from events_service.organisers.auth import issue_token
from events_service.organisers.service import get_organiser
from events_service.organisers.tables import Organiser
from events_service.registrations.links import make_token
from events_service.registrations.tables import Registration
from events_service.settings import MIN_SECRET_KEY_LENGTH, Settings
from events_service.web import session as console_session
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload
from tests.web.support import console_login

NEW_KEY = "the-new-secret-key-after-the-rotation-of-2026"


@asynccontextmanager
async def app_with(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same (already open) database, as a restarted process would be."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as other:
        yield other


async def _links(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> tuple[int, dict[str, str]]:
    """A confirmed registration and its links as emailed today: manage, check-in, personal feed."""
    talk = await published_event(client, organiser)
    created = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("ada.rossi@x.example"))
    assert created.status_code == 201, created.text
    row = await Registration.select(Registration.id, Registration.token_nonce, Registration.contact).where(
        Registration.id == created.json()["id"]).first()
    contact = await Contact.select(Contact.id, Contact.feed_nonce).where(Contact.id == row["contact"]).first()
    return talk["id"], {
        "manage": created.json()["manage_token"],
        "checkin": make_token(settings.secret_key, "checkin", row["id"], row["token_nonce"]),
        "feed": make_token(settings.secret_key, "feed", contact["id"], contact["feed_nonce"]),
    }


async def _opens(client: httpx.AsyncClient, event_id: int, links: dict[str, str], headers: dict[str, str]) -> list[int]:
    return [
        (await client.get(f"/api/public/registrations/{links['manage']}")).status_code,
        (await client.get(f"/r/{links['manage']}")).status_code,
        (await client.get(f"/calendar/personal/{links['feed']}.ics")).status_code,
        (await client.post(f"/api/events/{event_id}/checkins", json={"code": links["checkin"]}, headers=headers)).status_code,
    ]


async def test_links_signed_with_a_former_key_still_open_after_a_rotation(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event_id, links = await _links(client, organiser, settings)
    await console_login(client)
    session_id = client.cookies[console_session.SESSION_COOKIE]
    rotated = dataclasses.replace(settings, secret_key=NEW_KEY, secret_key_fallbacks=(settings.secret_key,))
    async with app_with(rotated) as after:
        # The organiser's bearer token was signed with the former key too.
        assert await _opens(after, event_id, links, organiser) == [200, 200, 200, 200]
        fresh = await after.get(f"/api/public/registrations/{links['manage']}")
        assert fresh.status_code == 200
        # A console session is a random id in a server-side store, signed by no key: a rotation leaves it open.
        assert (await after.get("/console", headers={"Cookie": f"{console_session.SESSION_COOKIE}={session_id}"})).status_code == 200
    forgotten = dataclasses.replace(settings, secret_key=NEW_KEY)
    async with app_with(forgotten) as without:
        headers = await token_headers(without)  # signed with the new key: the 404s are the links'
        assert await _opens(without, event_id, links, headers) == [404, 404, 404, 404]
        assert (await without.get("/console", headers={"Cookie": f"{console_session.SESSION_COOKIE}={session_id}"})).status_code == 200


async def test_new_links_are_signed_with_the_current_key_only(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    rotated = dataclasses.replace(settings, secret_key=NEW_KEY, secret_key_fallbacks=(settings.secret_key,))
    talk = await published_event(client, organiser)
    async with app_with(rotated) as after:
        created = await after.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload("bea.neri@x.example"))
        assert created.status_code == 201
    token = created.json()["manage_token"]
    async with app_with(dataclasses.replace(settings, secret_key=NEW_KEY)) as new_only:
        assert (await new_only.get(f"/api/public/registrations/{token}")).status_code == 200
    assert (await client.get(f"/api/public/registrations/{token}")).status_code == 404  # the old key alone


async def test_a_bearer_token_of_the_former_key_is_accepted(client: httpx.AsyncClient, settings: Settings) -> None:
    await token_headers(client, "admin")
    admin = await Organiser.select(Organiser.id).where(Organiser.role == "admin").first()
    organiser = await get_organiser(admin["id"])
    assert organiser is not None
    old = {"Authorization": f"Bearer {issue_token(settings, organiser)}"}
    async with app_with(dataclasses.replace(settings, secret_key=NEW_KEY, secret_key_fallbacks=(settings.secret_key,))) as after:
        assert (await after.get("/api/events", headers=old)).status_code == 200
    async with app_with(dataclasses.replace(settings, secret_key=NEW_KEY)) as without:
        assert (await without.get("/api/events", headers=old)).status_code == 401


@pytest.mark.parametrize("digit", ["²", "٣", "۳", "３", "𝟑"])
async def test_a_token_with_a_non_ascii_digit_is_an_unknown_link(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, digit: str
) -> None:
    event_id, links = await _links(client, organiser, settings)
    hostile = {name: digit + token.partition(".")[1] + token.partition(".")[2] for name, token in links.items()}
    assert await _opens(client, event_id, hostile, organiser) == [404, 404, 404, 404]
    assert (await client.post(f"/api/public/registrations/{hostile['manage']}/cancel")).status_code == 404
    page = await client.get(f"/r/{hostile['manage']}/cancel")
    assert page.status_code == 404
    signature_too = links["manage"].rsplit(".", 1)[0] + "." + digit * 24
    assert (await client.get(f"/api/public/registrations/{signature_too}")).status_code == 404
    hostile_session = f"{console_session.SESSION_COOKIE}={digit * 64}".encode()
    answer = await client.get("/console", headers={"Cookie": hostile_session})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    assert (await Registration.select(Registration.status).first())["status"] == "confirmed"


def test_a_short_secret_key_stops_the_start_up(tmp_path: Path) -> None:
    short = "s" * (MIN_SECRET_KEY_LENGTH - 1)
    good = secrets.token_urlsafe(32)
    with pytest.raises(ValueError, match="EVENTS_SECRET_KEY must be at least 32 characters"):
        Settings.from_env({"EVENTS_SECRET_KEY": short, "EVENTS_VAR_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="EVENTS_SECRET_KEY_FALLBACKS must be at least 32 characters"):
        Settings.from_env({"EVENTS_SECRET_KEY": good, "EVENTS_SECRET_KEY_FALLBACKS": f"{good}, {short}", "EVENTS_VAR_DIR": str(tmp_path)})
    settings = Settings.from_env({"EVENTS_SECRET_KEY": good, "EVENTS_SECRET_KEY_FALLBACKS": f" {good}x ,{good}y", "EVENTS_VAR_DIR": str(tmp_path)})
    assert settings.verification_keys == (good, f"{good}x", f"{good}y")
    refused = CliRunner().invoke(main, ["migrate"], env={"EVENTS_SECRET_KEY": short, "EVENTS_VAR_DIR": str(tmp_path),
                                                         "EVENTS_DB": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert refused.exit_code == 1
    assert "EVENTS_SECRET_KEY must be at least 32 characters long (it has 31)" in refused.output
    assert short not in refused.output
