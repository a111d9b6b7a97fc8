"""The forms' CSRF token across a secret key rotation (web/csrf.py): a token of the former key,
which a browser keeps for its whole session, is accepted while the key is a fallback."""

from __future__ import annotations

import dataclasses

import httpx

from events_service.settings import Settings
from tests.registrations.test_token_keys import NEW_KEY, app_with
from tests.web.support import PASSWORD, console_login, csrf_token


async def _sign_in(client: httpx.AsyncClient, email: str, token: str) -> httpx.Response:
    return await client.post("/console/login", data={"email": email, "password": PASSWORD, "_csrf_token": token},
                             headers={"Cookie": f"csrftoken={token}"})


async def test_a_form_token_of_the_former_key_is_accepted_after_a_rotation(client: httpx.AsyncClient, settings: Settings) -> None:
    email = await console_login(client)
    former = csrf_token(client)  # set by the sign-in page's GET, signed with the key of then
    rotated = dataclasses.replace(settings, secret_key=NEW_KEY, secret_key_fallbacks=(settings.secret_key,))
    async with app_with(rotated) as after:
        assert (await _sign_in(after, email, former)).status_code == 303
        await after.get("/console/login")
        fresh = after.cookies["csrftoken"]
        assert fresh != former
    async with app_with(dataclasses.replace(settings, secret_key=NEW_KEY)) as without:
        refused = await _sign_in(without, email, former)
        assert refused.status_code == 403
        assert (await _sign_in(without, email, fresh)).status_code == 303  # new tokens carry the new key


async def test_a_non_ascii_form_token_is_refused_not_a_500(client: httpx.AsyncClient) -> None:
    await client.get("/console/login")
    answer = await client.post("/console/login", data={"email": "x@programme.example", "password": "x", "_csrf_token": "²" * 80},
                               headers={"Cookie": ("csrftoken=" + "²" * 80).encode()})
    assert answer.status_code == 403
