"""Talking to a webinar platform's API (Zoom, Microsoft Graph): a client-credentials token,
JSON GETs with it, and what can go wrong, as clear errors naming the platform.

The rules every call follows, in one place:
- a token is asked for once and reused until shortly before it expires (per process);
- a 401 means the token expired or was revoked: a new one is asked for, once per call;
- a 429 is waited out as its Retry-After says, up to `max_retry_wait_seconds` a wait and
  MAX_BUSY_RETRIES times; longer, the caller gets PlatformBusy (503 with Retry-After);
- a timeout, a refused connection, a 5xx or an answer that is not JSON: PlatformUnavailable (502);
- a 404: MeetingNotFound; the platform refusing our credentials: PlatformRefused (502).
Secrets never reach an error, a log line or an exception's text: errors say which platform
and which HTTP status, never a request, a header or an answer's body.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from events_service.errors import Conflict, DomainError, TooManyRequests
from events_service.settings import PlatformApi

log = logging.getLogger(__name__)

#: How many 429s one call waits out before giving up.
MAX_BUSY_RETRIES = 3
#: A token is renewed this long before the platform says it expires.
TOKEN_MARGIN_SECONDS = 60.0


class PlatformError(DomainError):
    """The platform could not give the attendance; nothing was written."""

    status_code = 502
    default_code = "platform_unavailable"


class PlatformUnavailable(PlatformError):
    pass


class PlatformRefused(PlatformError):
    default_code = "platform_refused"


class MeetingNotFound(PlatformError, Conflict):
    status_code = 409
    default_code = "meeting_not_found"


class PlatformBusy(PlatformError, TooManyRequests):
    """The platform asks us to wait longer than a request may: try again after Retry-After."""

    status_code = 503
    default_code = "platform_busy"


class PlatformNotConfigured(PlatformError, Conflict):
    status_code = 409
    default_code = "platform_not_configured"


@dataclass
class _Token:
    value: str
    renew_at: float  # time.monotonic()


# Per process: (token URL, client id, digest of the secret) -> the token in use. Nothing
# another process needs. The digest makes new credentials ask for a new token.
_tokens: dict[tuple[str, str, str], _Token] = {}


def _token_key(api: PlatformApi) -> tuple[str, str, str]:
    return api.token_url, api.client_id, hashlib.sha256(api.client_secret.encode()).hexdigest()


def forget_tokens() -> None:
    """Drop every cached token (tests; a credentials change)."""
    _tokens.clear()


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    """Retry-After as seconds (RFC 9110: a number of seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(moment.timestamp() - time.time(), 0.0)


class PlatformClient:
    """JSON GETs against one platform's API with a client-credentials token.

    `token_request` is how the platform wants the token asked for (a subclass's job: Zoom's
    account_credentials grant with basic auth, Graph's client_credentials form)."""

    def __init__(self, api: PlatformApi, http: httpx.AsyncClient) -> None:
        self.api = api
        self.http = http
        self._origin = _origin(api.api_url)

    # -------------------------------------------------------------- tokens

    def token_request(self) -> httpx.Request:  # pragma: no cover - each platform has its own
        raise NotImplementedError

    async def _token(self, *, renew: bool = False) -> str:
        key = _token_key(self.api)
        cached = _tokens.get(key)
        if cached is not None and not renew and time.monotonic() < cached.renew_at:
            return cached.value
        response = await self._send(self.token_request(), "its sign-in")
        if response.status_code in (400, 401, 403):
            raise PlatformRefused(f"{self.api.name} refused the server's credentials (HTTP {response.status_code}); check its client id, secret and account or tenant")
        self._raise_for_status(response, "its sign-in")
        body = self._json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PlatformUnavailable(f"{self.api.name} answered its sign-in without an access token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        _tokens[key] = _Token(token, time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0.0))
        return token

    # -------------------------------------------------------------- GETs

    async def get_json(self, url: str, params: dict[str, Any] | None = None, *, what: str) -> dict[str, Any]:
        """GET `url` (on the API's own host only: a paging link elsewhere would take our token
        there) and its JSON object. `what` names the thing in errors ("meeting 812…")."""
        if _origin(url) != self._origin:
            raise PlatformUnavailable(f"{self.api.name} pointed to another host while listing {what}; refused")
        renewed = False
        waits = 0
        while True:
            token = await self._token()
            request = self.http.build_request("GET", url, params=params, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            response = await self._send(request, what)
            if response.status_code == 401 and not renewed:
                renewed = True  # the token expired or was revoked: a new one, once
                await self._token(renew=True)
                continue
            if response.status_code == 429:
                wait = retry_after_seconds(response)
                if waits >= MAX_BUSY_RETRIES or wait > self.api.max_retry_wait_seconds:
                    raise PlatformBusy(f"{self.api.name} is rate-limiting us; try again in {max(int(wait), 1)} s", retry_after=wait)
                waits += 1
                log.info("%s answered 429 for %s; waiting %.1f s", self.api.name, what, wait)
                await asyncio.sleep(wait)
                continue
            if response.status_code == 404:
                raise MeetingNotFound(f"{self.api.name} knows no {what} (is the meeting id right, and has the meeting ended?)")
            if response.status_code in (401, 403):
                raise PlatformRefused(f"{self.api.name} refused access to {what} (HTTP {response.status_code}); check the app's permissions")
            self._raise_for_status(response, what)
            body = self._json(response)
            if not isinstance(body, dict):
                raise PlatformUnavailable(f"{self.api.name} answered {what} with something other than a JSON object")
            return body

    async def _send(self, request: httpx.Request, what: str) -> httpx.Response:
        try:
            # httpx's timeout is per socket operation: an answer that trickles in slowly would
            # outlast it. This one bounds the whole exchange.
            async with asyncio.timeout(self.api.timeout_seconds):
                return await self.http.send(request)
        except (httpx.TimeoutException, TimeoutError):
            raise PlatformUnavailable(f"{self.api.name} did not answer within {self.api.timeout_seconds:g} s ({what})") from None
        except httpx.HTTPError as error:
            raise PlatformUnavailable(f"{self.api.name} could not be reached ({type(error).__name__}, {what})") from None

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            raise PlatformUnavailable(f"{self.api.name} answered HTTP {response.status_code} ({what})")

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PlatformUnavailable(f"{self.api.name} answered something that is not JSON") from None


def basic_auth(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def http_client(api: PlatformApi) -> httpx.AsyncClient:
    """No redirects followed (a token must not travel to another host), the platform's timeout."""
    return httpx.AsyncClient(timeout=api.timeout_seconds, follow_redirects=False)
