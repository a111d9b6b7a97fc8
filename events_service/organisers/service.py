"""Organiser accounts: creation and password checks (argon2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from events_service.errors import Conflict, DomainError, Invalid
from events_service.organisers.schemas import CurrentOrganiser, Role
from events_service.organisers.tables import Organiser
from events_service.validation import normalise_email

ROLES: tuple[Role, ...] = ("admin", "organiser", "checkin")

_hasher = PasswordHasher()
# Verifying against a throwaway hash for unknown emails keeps the answer time the same, so the
# token endpoint does not reveal which emails have accounts.
_UNKNOWN_USER_HASH = _hasher.hash("not-a-real-password")


class OrganiserError(DomainError):
    pass


class WrongCredentials(OrganiserError):
    status_code = 401


def _current(row: dict) -> CurrentOrganiser:
    return CurrentOrganiser(id=row["id"], email=row["email"], name=row["name"], role=row["role"])


async def create_organiser(email: str, name: str, password: str, role: str = "organiser") -> CurrentOrganiser:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise Invalid("the password must have at least 8 characters")
    address = normalise_email(email)
    if await Organiser.exists().where(Organiser.email == address):
        raise Conflict(f"an organiser with email {address} exists already")
    row = Organiser(email=address, name=name.strip(), password_hash=_hasher.hash(password), role=role)
    await row.save()
    return CurrentOrganiser(id=row.id, email=address, name=row.name, role=role)  # type: ignore[arg-type]


async def authenticate(email: str, password: str) -> CurrentOrganiser:
    row = await Organiser.select().where(Organiser.email == email.strip().lower()).first()
    try:
        _hasher.verify(row["password_hash"] if row else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        raise WrongCredentials("wrong email or password") from None
    if row is None:
        raise WrongCredentials("wrong email or password")
    return _current(row)


async def get_organiser(organiser_id: int) -> CurrentOrganiser | None:
    row = await Organiser.select().where(Organiser.id == organiser_id).first()
    return _current(row) if row else None
