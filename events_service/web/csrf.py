"""CSRF protection of the HTML forms: Litestar's CSRF middleware on the pages' router, which
also accepts a token signed with a former key (EVENTS_SECRET_KEY_FALLBACKS).

The token's cookie is kept by the browser for its whole session and a page's GET does not
replace it, so with the current key alone every form (registration, sign-in) of a browser
that fetched a page before a key rotation was refused until the browser was restarted. New
tokens are signed with the current key only.

Only the pages' router has it: the API, the calendar feeds and .ics downloads are used by
clients with their own credentials or none, and carry no cookie.
"""

from __future__ import annotations

from hmac import compare_digest
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash

from events_service.settings import Settings


class RotatedKeyCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: Any, config: CSRFConfig, former_keys: tuple[str, ...] = ()) -> None:
        super().__init__(app=app, config=config)
        self.former_keys = former_keys

    def _decode_csrf_token(self, token: str) -> str | None:
        """The token's random part when its signature is the current key's or a former one's."""
        if not token.isascii():  # compare_digest raises on a non-ASCII str: a 500 otherwise
            return None
        decoded = super()._decode_csrf_token(token)
        if decoded is not None or len(token) < CSRF_SECRET_LENGTH + 1:
            return decoded
        random_part, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        for key in self.former_keys:
            if compare_digest(signature, generate_csrf_hash(token=random_part, secret=key)):
                return random_part
        return None


def csrf_middleware(settings: Settings) -> DefineMiddleware:
    config = CSRFConfig(secret=settings.secret_key, cookie_samesite="lax", cookie_httponly=False,
                        cookie_secure=settings.base_url.startswith("https://"))
    return DefineMiddleware(RotatedKeyCSRFMiddleware, config=config, former_keys=tuple(settings.secret_key_fallbacks))
