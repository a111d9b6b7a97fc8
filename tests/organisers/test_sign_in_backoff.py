"""Guessing an organiser's password: failures are counted per account in the database, so
every process sees them, and the account backs off (429 with Retry-After), the same way for
an email that has no account. The password check runs off the event loop."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from events_service.app import create_app, running_service
from events_service.clock import now_utc
from events_service.organisers import service as organisers
from events_service.organisers import sign_in
from events_service.organisers.service import create_organiser
from events_service.organisers.sign_in import FREE_FAILURES
from events_service.settings import Settings
from events_service.web import session as console_session
from tests.serving import served
from tests.web.support import PASSWORD, post_form

ACCOUNT = "guessed@programme.example"
_addresses = (f"198.51.100.{n}" for n in itertools.count(10))


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[Any]:
    """The app; each request comes from an address of its own, so the per-address limit
    (rate_limit.py) never answers for the account's count."""
    app = create_app(settings)
    async with running_service(settings):

        @asynccontextmanager
        async def new_client() -> AsyncIterator[httpx.AsyncClient]:
            transport = httpx.ASGITransport(app=app, client=(next(_addresses), 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://events.test", headers={"Accept-Language": "en"}) as client:
                yield client

        yield new_client


async def _try(new_client: Any, email: str, password: str) -> httpx.Response:
    async with new_client() as client:
        return await client.post("/api/auth/token", json={"email": email, "password": password})


async def test_an_account_backs_off_after_failed_sign_ins_and_an_unknown_email_alike(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The counting's clock stands still: each Retry-After is then the whole first back-off. On
    # the real clock each is the back-off less the time its last failed check took (argon2),
    # and on a loaded machine two such checks can differ by more than the second allowed.
    standing = now_utc()
    monkeypatch.setattr(sign_in, "now_utc", lambda: standing)
    async with app_client(settings) as new_client:
        await create_organiser(ACCOUNT, "Guessed", PASSWORD, "organiser")
        for n in range(FREE_FAILURES - 1):  # an organiser who mistypes, then gets it right, starts afresh
            assert (await _try(new_client, ACCOUNT, f"typo {n}")).status_code == 401
        assert (await _try(new_client, " Guessed@Programme.example ", PASSWORD)).status_code == 200
        answers: dict[str, list[httpx.Response]] = {}
        for email in (ACCOUNT, "nobody@programme.example"):
            answers[email] = [await _try(new_client, email, f"guess {n}") for n in range(FREE_FAILURES + 1)]
            assert [answer.status_code for answer in answers[email]] == [401] * FREE_FAILURES + [429]
            backing_off = answers[email][-1]
            assert int(backing_off.headers["retry-after"]) > 0
            right = await _try(new_client, email, PASSWORD)  # even the right password waits
            assert right.status_code == 429
            async with new_client() as browser:
                page = await post_form(browser, "/console/login", {"email": email, "password": PASSWORD})
            assert page.status_code == 429
            assert int(page.headers["retry-after"]) > 0
            assert console_session.SESSION_COOKIE not in page.cookies
        known, unknown = answers[ACCOUNT][-1], answers["nobody@programme.example"][-1]
        assert known.json() == unknown.json()  # the answer does not tell which email has an account
        assert known.headers["retry-after"] == unknown.headers["retry-after"] == str(int(sign_in.FIRST_BACK_OFF.total_seconds()))
        # another account is not affected
        await create_organiser("other@programme.example", "Other", PASSWORD, "organiser")
        assert (await _try(new_client, "other@programme.example", PASSWORD)).status_code == 200


async def test_the_back_off_is_shared_by_every_server_process(settings: Settings) -> None:
    async with running_service(settings):
        await create_organiser(ACCOUNT, "Guessed", PASSWORD, "organiser")
    env = {"EVENTS_DB": settings.db_url, "EVENTS_VAR_DIR": str(settings.var_dir), "EVENTS_SECRET_KEY": settings.secret_key}
    with served(env) as first, served(env) as second:
        async with httpx.AsyncClient() as client:
            for n in range(FREE_FAILURES):
                wrong = await client.post(f"{first}/api/auth/token", json={"email": ACCOUNT, "password": f"guess {n}"})
                assert wrong.status_code == 401
            elsewhere = await client.post(f"{second}/api/auth/token", json={"email": ACCOUNT, "password": PASSWORD})
            assert elsewhere.status_code == 429, elsewhere.text
            assert int(elsewhere.headers["retry-after"]) > 0


class _GatedHasher:
    """The real hasher, whose verify first waits until the test lets it go on: while it
    waits, the sign-in is "verifying"."""

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher
        self.verifying = threading.Event()
        self.go_on = threading.Event()

    def verify(self, hash_: str, password: str) -> bool:
        self.verifying.set()
        # On the event loop's thread nothing else runs while this waits, so the test cannot
        # open the gate: it gives up, and the test fails (the wait is no timing assertion).
        self.gave_up = not self.go_on.wait(timeout=30)
        return self._hasher.verify(hash_, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hasher, name)


async def test_the_password_check_does_not_hold_up_other_requests(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async with app_client(settings) as new_client:
        await create_organiser(ACCOUNT, "Guessed", PASSWORD, "organiser")
        gate = _GatedHasher(organisers._hasher)
        monkeypatch.setattr(organisers, "_hasher", gate)
        signing_in = asyncio.create_task(_try(new_client, ACCOUNT, PASSWORD))
        assert await asyncio.to_thread(gate.verifying.wait, 60)
        async with new_client() as other:
            answered = await other.get("/api/public/events")  # answered while the check waits at the gate
        gate.go_on.set()
        assert answered.status_code == 200
        assert (await signing_in).status_code == 200
        assert not gate.gave_up, "the password check held up the event loop: no other request was answered meanwhile"
