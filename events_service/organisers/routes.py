from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from events_service.organisers.auth import issue_token
from events_service.organisers.schemas import TokenRequest, TokenResponse
from events_service.organisers.service import authenticate
from events_service.rate_limit import SIGN_IN_LIMIT
from events_service.settings import Settings


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/token", status_code=200, middleware=[SIGN_IN_LIMIT], summary="Exchange email and password for a bearer token")
    async def token(self, data: JSONBody[TokenRequest], settings: NamedDependency[Settings]) -> TokenResponse:
        organiser = await authenticate(data.email, data.password)
        return TokenResponse(access_token=issue_token(settings, organiser), role=organiser.role)
