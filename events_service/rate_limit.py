"""Limits per client address, answered with 429 and Retry-After.

Litestar counts a client's requests under the name of the middleware class, so every limit
that counts on its own has a class of its own, and every route sharing a class shares the
count: the API's and the web form's registrations count together, and so do the API's token
and the console's sign-in form.
"""

from __future__ import annotations

from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware

from events_service.settings import Settings

#: Guessing a password stays slow; an organiser who mistypes still has room.
SIGN_IN_ATTEMPTS_PER_MINUTE = 10


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's limiter says when the window resets only in RateLimit-Reset; browsers,
    curl and HTTP clients read Retry-After. Counts public registrations."""

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        headers["Retry-After"] = str(max(int(headers[self.config.rate_limit_reset_header_key]), 1))
        return headers


class SignInRateLimitMiddleware(RetryAfterRateLimitMiddleware):
    """Counts attempts to sign in, apart from registrations."""


def public_registration_limit(settings: Settings) -> DefineMiddleware:
    return RateLimitConfig(
        rate_limit=("minute", settings.public_rate_limit_per_minute), middleware_class=RetryAfterRateLimitMiddleware
    ).middleware


SIGN_IN_LIMIT = RateLimitConfig(rate_limit=("minute", SIGN_IN_ATTEMPTS_PER_MINUTE), middleware_class=SignInRateLimitMiddleware).middleware
