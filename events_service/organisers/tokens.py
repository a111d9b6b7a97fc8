"""API tokens for integrators: made by an admin, shown once, kept only as a hash, revocable.

A token is `evt_` and 32 random bytes (256 bits, URL-safe base64). It is stored as its
SHA-256, not with a slow password hash (argon2): a slow hash protects secrets people choose,
which are few enough to guess through; no one can guess through 2^256 tokens however fast the
hash is. A fast, unsalted hash can also be looked up by a unique index, so checking a token is
one indexed read per request, where argon2 would cost ~100 ms of CPU on every API call. A
database leak gives away no usable token either way.

A revoked token stops at once: every request reads its row (nothing is cached).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from events_service.clock import now_utc
from events_service.errors import NotFound
from events_service.organisers.records import Role
from events_service.organisers.schemas import ApiClient, ApiTokenCreated, ApiTokenOut
from events_service.organisers.service import OrganiserError
from events_service.organisers.tables import ApiToken

PREFIX = "evt_"
#: A token's last use is written at most this often: one write per request would make every
#: API call a write (and serialise them on SQLite).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenNotFound(OrganiserError, NotFound):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_api_token(bearer: str) -> bool:
    return bearer.startswith(PREFIX)


async def create_token(name: str, role: Role, created_by: int | None) -> ApiTokenCreated:
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip(), role=role, token_hash=_digest(token), created_by=created_by, created_at=now_utc())
    await row.save()
    return ApiTokenCreated(id=row.id, name=row.name, role=role, token=token)


async def list_tokens() -> list[ApiTokenOut]:
    rows = await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.created_at, ApiToken.last_used_at, ApiToken.revoked_at
    ).order_by(ApiToken.id)
    return [ApiTokenOut(**row) for row in rows]


async def revoke_token(token_id: int) -> None:
    """Revoke the token (again, if it was); 404 when there is no such token."""
    if not await ApiToken.exists().where(ApiToken.id == token_id):
        raise ApiTokenNotFound(f"no API token with id {token_id}")
    await ApiToken.update({ApiToken.revoked_at: now_utc()}).where(
        (ApiToken.id == token_id) & ApiToken.revoked_at.is_null()
    )


async def client_for(token: str) -> ApiClient | None:
    """Who holds `token`, or None when it is unknown or revoked; notes when it was used."""
    if not looks_like_api_token(token) or len(token) > 100:
        return None
    row = await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.last_used_at).where(
        (ApiToken.token_hash == _digest(token)) & ApiToken.revoked_at.is_null()
    ).first()
    if row is None:
        return None
    now = now_utc()
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return ApiClient(token_id=row["id"], name=row["name"], role=row["role"])
