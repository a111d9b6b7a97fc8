"""Bearer-token authentication, and the role guards.

Two kinds of bearer token: the signed-in organiser's JWT (POST /api/auth/token, expires), and
an integrator's API token (`evt_…`, organisers/tokens.py: long-lived, revocable). Both carry
a role; the guards ask only for the role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from events_service.audit import actor
from events_service.audit.actor import set_actor
from events_service.clock import now_utc
from events_service.organisers.records import Role
from events_service.organisers.schemas import ApiClient, CurrentOrganiser
from events_service.organisers.service import get_organiser
from events_service.organisers.tokens import client_for, looks_like_api_token
from events_service.settings import Settings

# The middleware guards the /api router only; within it, the public API and the login are open.
UNAUTHENTICATED_PATHS = ["^/api/public(/|$)", "^/api/auth/token$"]


async def _retrieve_organiser(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> CurrentOrganiser | None:
    try:
        organiser_id = int(token.sub)
    except ValueError:
        return None
    organiser = await get_organiser(organiser_id)
    if organiser is not None:
        set_actor(actor.organiser(organiser.id))  # the audit log's "by whom" for this request
    return organiser


def _token_class(settings: Settings) -> type[Token]:
    """Token, or one that also accepts tokens signed with a former key
    (EVENTS_SECRET_KEY_FALLBACKS), so a key rotation does not sign everybody out."""
    former = settings.secret_key_fallbacks
    if not former:
        return Token

    @dataclass
    class RotatedKeyToken(Token):
        @classmethod
        def decode_payload(cls, encoded_token: str, secret: str, algorithms: list[str], *args: Any, **kwargs: Any) -> Any:
            refused: jwt.InvalidSignatureError | None = None
            for key in (secret, *former):
                try:
                    return super().decode_payload(encoded_token, key, algorithms, *args, **kwargs)
                except jwt.InvalidSignatureError as error:
                    refused = error
            raise refused or jwt.InvalidSignatureError("no key")

    return RotatedKeyToken


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """The JWT middleware, which also takes an API token (`evt_…`) as the bearer."""

    async def authenticate_token(self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        if not looks_like_api_token(encoded_token):
            return await super().authenticate_token(encoded_token, connection)
        client = await client_for(encoded_token)
        if client is None:
            raise NotAuthorizedException("this API token is unknown or has been revoked")
        set_actor(actor.api_token(client.token_id))
        return AuthenticationResult(user=client, auth=None)


def build_jwt_auth(settings: Settings) -> JWTAuth[CurrentOrganiser, Token]:
    return JWTAuth[CurrentOrganiser, Token](
        retrieve_user_handler=_retrieve_organiser,
        authentication_middleware_class=BearerAuthenticationMiddleware,
        token_secret=settings.secret_key,
        token_cls=_token_class(settings),
        default_token_expiration=timedelta(hours=settings.access_token_hours),
        exclude=UNAUTHENTICATED_PATHS,
    )


def issue_token(settings: Settings, organiser: CurrentOrganiser) -> str:
    token = Token(
        sub=str(organiser.id),
        exp=now_utc() + timedelta(hours=settings.access_token_hours),
        extras={"role": organiser.role},
    )
    return token.encode(secret=settings.secret_key, algorithm="HS256")


def requires_role(*roles: Role) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the signed-in organiser must hold one of `roles` (admin may do everything)."""
    allowed = {Role.ADMIN, *roles}

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, CurrentOrganiser | ApiClient):
            raise NotAuthorizedException("sign in first: POST /api/auth/token")
        if user.role not in allowed:
            raise PermissionDeniedException(
                f"the role '{user.role}' may not do this; it needs: {', '.join(sorted(allowed))}"
            )

    return guard


ADMINS = requires_role()
EDITORS = requires_role(Role.ORGANISER)
CHECKIN_STAFF = requires_role(Role.ORGANISER, Role.CHECKIN)
