"""Security headers on every answer, and `Cache-Control: no-store` on every answer that is not
plainly public.

One `before_send` hook (app.py) sees every response, also the error answers the exception
handlers make, so no route can forget them. Caching is denied by default: manage pages carry
a token in their URL and a join link in their body, the personal feed every seat of a person,
organiser answers names and addresses; a shared cache or a browser's history must keep none of
them. Only the public pages, feeds and files listed in `_PUBLIC` keep what their handler said.
"""

from __future__ import annotations

import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from events_service.settings import Settings

#: The pages use no inline script or style, no frames, no plugins, and post forms to
#: themselves (web/templates, web/static): nothing else is allowed to run or load.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: The API documentation pages (/schema) load ReDoc/Swagger from their CDN with inline code:
#: they are only kept out of frames.
SCHEMA_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
#: Manage, cancel and feed URLs carry their secret in the path: no page sends its URL on.
REFERRER_POLICY = "no-referrer"
HSTS = "max-age=31536000"

#: GET answers anyone may cache: public event pages and lists, the public feed, an event's
#: .ics, static files, documentation. Everything else is `no-store`.
_PUBLIC = re.compile(
    r"^/(?:"
    r"|privacy|healthz|e/[^/]+"  # the public site (a page of one event, not its form)
    r"|api/public/events(?:/[^/]+)?"  # public event lists and events (not registrations)
    r"|calendar/events\.ics|events/[^/]+\.ics"  # the public feed and one event's .ics
    r"|static/.*|schema(?:/.*)?"
    r")$"
)
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def may_be_cached(method: str, path: str) -> bool:
    return method in _SAFE_METHODS and _PUBLIC.match(path) is not None


def security_headers(settings: Settings) -> BeforeMessageSendHookHandler:
    """A before_send hook adding the headers to every HTTP answer of the app."""
    hsts = settings.base_url.startswith("https://")

    async def add_headers(message: Message, scope: Scope) -> None:
        # Async on purpose: Litestar runs a sync hook in a worker thread.
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = REFERRER_POLICY
        headers["X-Frame-Options"] = "DENY"
        is_schema = path == "/schema" or path.startswith("/schema/")
        headers["Content-Security-Policy"] = SCHEMA_POLICY if is_schema else CONTENT_SECURITY_POLICY
        if hsts:
            headers["Strict-Transport-Security"] = HSTS
        if not may_be_cached(scope.get("method", "GET"), path):
            headers["Cache-Control"] = "no-store"

    return add_headers
