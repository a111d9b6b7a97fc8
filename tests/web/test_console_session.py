"""The console's session (web/session.py): Litestar's SessionAuth over a server-side store.
Signing out ends a session for every copy of its cookie, a session lasts SESSION_MAX_AGE from
sign-in however much it is used, the cookie carries only a new random id, and the roles are
the routes' guards; an administrator can end every session of an organiser."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from events_service.cli import main
from events_service.events.tables import Event
from events_service.organisers.service import find_organiser
from events_service.settings import Settings
from events_service.web import session as console_session
from tests.web.support import PASSWORD, console_login, post_form

COOKIE = console_session.SESSION_COOKIE


def _session_id(client: httpx.AsyncClient) -> str:
    return next(c.value for c in client.cookies.jar if c.name == COOKIE)


async def _with_cookie(client: httpx.AsyncClient, path: str, session_id: str) -> httpx.Response:
    """`path` asked with this session cookie alone, as a copy of it elsewhere would ask."""
    return await client.get(path, headers={"Cookie": f"{COOKIE}={session_id}"})


def _goes_to_sign_in(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def _stored_sessions(settings: Settings) -> list[str]:
    folder = settings.var_dir / "console_sessions"
    return [path.name for path in folder.iterdir() if path.is_file() and ".tmp" not in path.name] if folder.exists() else []


async def test_signing_out_ends_the_session_for_a_copied_cookie_too(client: httpx.AsyncClient, settings: Settings) -> None:
    await console_login(client)
    copied = _session_id(client)
    assert (await _with_cookie(client, "/console", copied)).status_code == 200
    out = await post_form(client, "/console/logout", {}, page="/console")
    assert out.status_code == 303
    assert COOKIE not in client.cookies  # the answer cleared the browser's cookie
    assert _goes_to_sign_in(await _with_cookie(client, "/console", copied))
    assert _goes_to_sign_in(await _with_cookie(client, "/console/events", copied))
    assert _stored_sessions(settings) == []


async def test_the_cookie_is_a_random_id_and_a_new_one_at_every_sign_in(client: httpx.AsyncClient, settings: Settings) -> None:
    planted = "a" * 64  # a fixation attempt: an id the browser brought before signing in
    client.cookies.set(COOKIE, planted, domain="events.test", path="/console")
    email = await console_login(client)
    first = _session_id(client)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != planted
    again = await post_form(client, "/console/login", {"email": email, "password": PASSWORD})
    assert again.status_code == 303
    second = _session_id(client)
    assert second != first
    assert len(_stored_sessions(settings)) == 1  # the session the browser brought was replaced
    assert _goes_to_sign_in(await _with_cookie(client, "/console", planted))
    assert _goes_to_sign_in(await _with_cookie(client, "/console", first))
    assert (await _with_cookie(client, "/console", second)).status_code == 200


async def test_a_session_ends_at_its_max_age_however_much_it_is_used(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console_login(client)
    signed_in = time.time()
    monkeypatch.setattr(console_session, "_now", lambda: signed_in + console_session.SESSION_MAX_AGE - 60)
    assert (await client.get("/console")).status_code == 200  # used a minute before the end: not extended
    monkeypatch.setattr(console_session, "_now", lambda: signed_in + console_session.SESSION_MAX_AGE + 1)
    assert _goes_to_sign_in(await client.get("/console"))
    assert COOKIE not in client.cookies
    monkeypatch.setattr(console_session, "_now", time.time)
    assert _goes_to_sign_in(await client.get("/console"))  # ended for good, not only while late


async def test_the_cookie_lives_no_longer_than_the_session(client: httpx.AsyncClient) -> None:
    email = await console_login(client)
    answer = await post_form(client, "/console/login", {"email": email, "password": "correct horse battery"})
    cookie = answer.headers["set-cookie"]
    assert f"Max-Age={console_session.SESSION_MAX_AGE}" in cookie
    assert "Path=/console" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


async def test_visitors_who_do_not_sign_in_store_nothing(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.get("/console/login")).status_code == 200
    wrong = await post_form(client, "/console/login", {"email": "nobody@programme.example", "password": "not it"})
    assert wrong.status_code == 401
    assert _goes_to_sign_in(await client.get("/console/events"))
    assert _goes_to_sign_in(await _with_cookie(client, "/console", "f" * 64))
    assert _stored_sessions(settings) == []
    assert COOKIE not in client.cookies


async def test_check_in_staff_cannot_reach_an_organisers_page(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"
    await console_login(client, "checkin")
    assert (await client.get("/console/checkin")).status_code == 200
    assert (await client.get("/console/events/new")).status_code == 403
    refused = await post_form(client, "/console/events/new", {"kind": "tech_talk", "title": "Not mine", "starts_at": "2030-01-01T09:00",
                                                              "ends_at": "2030-01-01T10:00", "capacity": "10"},
                              page="/console/checkin")
    assert refused.status_code == 403
    assert "Your role does not allow this page." in refused.text
    assert await Event.count() == 0


async def test_an_administrator_ends_every_session_of_an_organiser(client: httpx.AsyncClient, settings: Settings) -> None:
    email = await console_login(client)
    laptop = _session_id(client)
    client.cookies.clear()  # the phone is another browser
    await post_form(client, "/console/login", {"email": email, "password": PASSWORD})
    phone = _session_id(client)
    organiser = await find_organiser(email)
    assert organiser is not None
    await console_session.end_sessions_of(console_session.session_store(settings), organiser.id)
    for session_id in (laptop, phone):
        assert _goes_to_sign_in(await _with_cookie(client, "/console", session_id))
    again = await post_form(client, "/console/login", {"email": email, "password": PASSWORD})
    assert again.status_code == 303  # signing in again starts afresh
    assert (await client.get("/console")).status_code == 200


def test_the_sign_out_command(database_url: str, tmp_path: Path) -> None:
    env = {"EVENTS_DB": database_url, "EVENTS_VAR_DIR": str(tmp_path / "var"), "EVENTS_SECRET_KEY": "k" * 40}
    email = f"lena-{secrets.token_hex(3)}@programme.example"
    runner = CliRunner()
    created = runner.invoke(main, ["organiser", "create", email, "--name", "Lena", "--password", "long enough"], env=env)
    assert created.exit_code == 0, created.output
    ended = runner.invoke(main, ["organiser", "sign-out", email.upper()], env=env)
    assert ended.exit_code == 0
    assert email in ended.output
    assert len(list((tmp_path / "var" / "console_sessions" / "ended").iterdir())) == 1
    unknown = runner.invoke(main, ["organiser", "sign-out", "nobody@programme.example"], env=env)
    assert unknown.exit_code == 1
    assert "no organiser with email nobody@programme.example" in unknown.output
