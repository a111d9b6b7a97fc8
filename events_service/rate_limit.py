"""Limits per client, answered with 429 and Retry-After.

Litestar counts a client's requests under the name of the middleware class, so every limit
that counts on its own has a class of its own, and every route sharing a class shares the
count: the API's and the web form's registrations count together, the API's token and the
console's sign-in form, and the undo link's API and page.

A client is its address as the ASGI server reports it: behind a load balancer, `serve` has
uvicorn take it from X-Forwarded-For, but only when the peer is one of
EVENTS_TRUSTED_PROXIES (client_address.py). An IPv6 client is counted by its /64: one home
or one server gets a whole /64, so counting single IPv6 addresses would give each
attacker 2^64 buckets.
"""

from __future__ import annotations

import ipaddress
from time import time
from typing import Any

import anyio
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.serialization import decode_json, encode_json
from litestar.types import Message, Send

from events_service.settings import Settings

#: Guessing a password stays slow; an organiser who mistypes still has room.
SIGN_IN_ATTEMPTS_PER_MINUTE = 10

_MINUTE = 60
_IPV6_PREFIX = 64


def client_bucket(request: Request[Any, Any, Any]) -> str:
    """What a client's requests are counted under: its IPv4 address, or its IPv6 /64."""
    host = request.client.host if request.client else "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]  # not an address (a unix socket's peer): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = int(address) >> (128 - _IPV6_PREFIX) << (128 - _IPV6_PREFIX)
        return f"{ipaddress.IPv6Address(network)}/{_IPV6_PREFIX}"
    return str(address)


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's limiter says when the window resets only in RateLimit-Reset; browsers,
    curl and HTTP clients read Retry-After. Counts public registrations."""

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        headers["Retry-After"] = str(max(int(headers[self.config.rate_limit_reset_header_key]), 1))
        return headers

    def create_send_wrapper(self, send: Send, cache_object: CacheObject) -> Send:
        """A request let through gets the RateLimit-* headers, not Retry-After: Litestar's
        wrapper would set the limiter's Retry-After (the rest of its minute) on every answer,
        over the one the app's own 429 carries (a sign-in back-off's 30 s to 15 min, a mail
        quota's hour), telling the client to come back too soon."""

        async def with_rate_limit_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableScopeHeaders(message)
                for key, value in RateLimitMiddleware.create_response_headers(self, cache_object).items():
                    headers[key] = value
            await send(message)

        return with_rate_limit_headers


class SignInRateLimitMiddleware(RetryAfterRateLimitMiddleware):
    """Counts attempts to sign in, apart from registrations."""


class UndoLinkRateLimitMiddleware(RetryAfterRateLimitMiddleware):
    """Counts requests by undo link (registrations/undo.py), reading or acting, apart from
    registrations: a client busy registering colleagues can still take its seat back."""


def _per_minute(limit: int, middleware_class: type[RetryAfterRateLimitMiddleware]) -> DefineMiddleware:
    return RateLimitConfig(rate_limit=("minute", limit), middleware_class=middleware_class, identifier_for_request=client_bucket).middleware


def public_registration_limit(settings: Settings) -> DefineMiddleware:
    return _per_minute(settings.public_rate_limit_per_minute, RetryAfterRateLimitMiddleware)


def undo_link_limit(settings: Settings) -> DefineMiddleware:
    """The undo link's API and its page, counted together, as many per minute as registrations."""
    return _per_minute(settings.public_rate_limit_per_minute, UndoLinkRateLimitMiddleware)


SIGN_IN_LIMIT = _per_minute(SIGN_IN_ATTEMPTS_PER_MINUTE, SignInRateLimitMiddleware)

_counting_more = anyio.Lock()


async def count_colleagues(request: Request[Any, Any, Any], settings: Settings, colleagues: int) -> None:
    """A registration with colleagues makes one email per person, so it counts once per
    person against the client's registration limit: the middleware counted the request, this
    adds its colleagues, or refuses the whole request (before anything is written) when they
    do not fit in what is left of the minute."""
    if colleagues <= 0:
        return
    # RateLimitConfig's default store: memory, or Redis shared by every process (shared_stores.py).
    # The lock is this process's: two processes adding colleagues for one client in the same
    # instant may both fit, by at most one request's colleagues.
    store = request.app.stores.get("rate_limit")
    key = f"{RetryAfterRateLimitMiddleware.__name__}::{client_bucket(request)}"
    async with _counting_more:
        now = int(time())
        cached = await store.get(key)
        counted = CacheObject(**decode_json(cached)) if cached else CacheObject(history=[], reset=now + _MINUTE)
        if counted.reset <= now:
            counted = CacheObject(history=[], reset=now + _MINUTE)
        if len(counted.history) + colleagues > settings.public_rate_limit_per_minute:
            raise TooManyRequestsException(
                detail="too many registrations from this address in the last minute (each colleague counts)",
                headers={"Retry-After": str(max(counted.reset - now, 1))},
            )
        counted.history = [now] * colleagues + counted.history
        await store.set(key, encode_json(counted), expires_in=_MINUTE)
