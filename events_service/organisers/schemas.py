from datetime import datetime
from typing import Annotated

import msgspec

from events_service.organisers.records import Role
from events_service.validation import SINGLE_LINE


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str = "bearer"
    role: Role = Role.ORGANISER


class CurrentOrganiser(msgspec.Struct, frozen=True):
    id: int
    email: str
    name: str
    role: Role


class ApiClient(msgspec.Struct, frozen=True):
    """Who calls with an API token (`Authorization: Bearer evt_…`): the token, not a person."""

    token_id: int
    name: str
    role: Role


class ApiTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, SINGLE_LINE, msgspec.Meta(min_length=1, max_length=200)]
    role: Role = Role.ORGANISER


class ApiTokenOut(msgspec.Struct):
    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(msgspec.Struct):
    """The only answer that ever holds the token itself."""

    id: int
    name: str
    role: Role
    token: str


class OrganiserRow(msgspec.Struct):
    """An account as the console's list shows it."""

    id: int
    email: str
    name: str
    role: Role
    disabled_at: datetime | None = None
