"""Helpers for the HTML page tests: forms posted as a browser would (with the CSRF token
the previous GET set), a signed-in console session."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from events_service.organisers.service import create_organiser

PASSWORD = "correct horse battery"


def csrf_token(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("csrftoken")
    assert token, "a GET of an HTML page sets the csrftoken cookie"
    return token


async def post_form(client: httpx.AsyncClient, url: str, data: dict[str, Any], *, page: str | None = None, **kwargs: Any) -> httpx.Response:
    """GET the page the form is on (for the cookie), then POST the form with its token."""
    await client.get(page or url)
    return await client.post(url, data={**data, "_csrf_token": csrf_token(client)}, **kwargs)


async def console_login(client: httpx.AsyncClient, role: str = "organiser") -> str:
    email = f"{role}-{secrets.token_hex(3)}@programme.example"
    await create_organiser(email, f"Console {role}", PASSWORD, role)
    answer = await post_form(client, "/console/login", {"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return email


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input id="{re.escape(name)}" name="{re.escape(name)}"[^>]*?value="([^"]*)"', html, re.S)
    return match.group(1) if match else None
