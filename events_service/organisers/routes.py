from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from events_service.openapi_docs import SIGN_IN_EXAMPLE, error_responses, json_body
from events_service.organisers import tokens
from events_service.organisers.auth import ADMINS, issue_token
from events_service.organisers.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    CurrentOrganiser,
    TokenRequest,
    TokenResponse,
)
from events_service.organisers.service import authenticate
from events_service.params import RowId
from events_service.rate_limit import SIGN_IN_LIMIT
from events_service.settings import Settings


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/token", status_code=200, middleware=[SIGN_IN_LIMIT], responses=error_responses(401), summary="Exchange email and password for a bearer token")
    async def token(self, data: Annotated[TokenRequest, json_body("An organiser signs in", SIGN_IN_EXAMPLE)], settings: NamedDependency[Settings]) -> TokenResponse:
        organiser = await authenticate(data.email, data.password)
        return TokenResponse(access_token=issue_token(settings, organiser), role=organiser.role)


class ApiTokenController(Controller):
    """Integrators' tokens: only an admin makes, lists and revokes them."""

    path = "/api/tokens"
    tags = ["integrators"]
    guards = [ADMINS]

    @post("/", summary="Make an API token (evt_…); the answer is the only time it is shown")
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[ApiTokenCreate]) -> ApiTokenCreated:
        organiser = request.user
        return await tokens.create_token(data.name, data.role, organiser.id if isinstance(organiser, CurrentOrganiser) else None)

    @get("/", summary="API tokens, without the tokens themselves")
    async def find(self) -> list[ApiTokenOut]:
        return await tokens.list_tokens()

    @delete("/{token_id:int}", summary="Revoke an API token: it stops working at once")
    async def revoke(self, token_id: RowId) -> None:
        await tokens.revoke_token(token_id)
