from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "organiser", "checkin"]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str = "bearer"
    role: Role = "organiser"


class CurrentOrganiser(msgspec.Struct, frozen=True):
    id: int
    email: str
    name: str
    role: Role
