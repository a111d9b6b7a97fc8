"""Organiser accounts: creation and password checks (argon2)."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.db import write_transaction
from events_service.errors import Conflict, DomainError, Invalid
from events_service.organisers import sign_in
from events_service.organisers.records import Role
from events_service.organisers.schemas import CurrentOrganiser
from events_service.organisers.tables import Organiser
from events_service.validation import normalise_email

ROLES: tuple[Role, ...] = tuple(Role)

_hasher = PasswordHasher()
# Verifying against a throwaway hash for unknown emails keeps the answer time the same, so the
# token endpoint does not reveal which emails have accounts.
_UNKNOWN_USER_HASH = _hasher.hash("not-a-real-password")


class OrganiserError(DomainError):
    pass


class WrongCredentials(OrganiserError):
    status_code = 401


def _current(row: dict) -> CurrentOrganiser:
    return CurrentOrganiser(id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]))


async def create_organiser(email: str, name: str, password: str, role: str = Role.ORGANISER) -> CurrentOrganiser:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    check_new_password(password)
    address = normalise_email(email)
    if await Organiser.exists().where(Organiser.email == address):
        raise Conflict(f"an organiser with email {address} exists already")
    row = Organiser(email=address, name=name.strip(), password_hash=_hasher.hash(password), role=role)
    async with write_transaction():
        await row.save()
        await audit.record(Entity.ORGANISER, row.id, Action.CREATED, {"email": address, "name": row.name, "role": role})
    return CurrentOrganiser(id=row.id, email=address, name=row.name, role=Role(role))


#: A password's length: long enough not to be guessed, short enough that argon2 stays quick.
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 8, 1024


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", code="password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"the password may have at most {MAX_PASSWORD_LENGTH} characters", code="password_too_long")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def password_matches(password_hash: str, password: str) -> bool:
    """argon2 in a thread: ~100 ms of CPU on purpose, and the process serves others meanwhile."""
    return await anyio.to_thread.run_sync(_password_matches, password_hash, password)


async def authenticate(email: str, password: str) -> CurrentOrganiser:
    """The organiser with this email and password. Every attempt counts until it succeeds,
    and an address that failed too often backs off (sign_in.py: 429, also for an address
    without an account)."""
    await sign_in.count_attempt(email)
    row = await Organiser.select().where((Organiser.email == email.strip().lower()) & Organiser.disabled_at.is_null()).first()
    # argon2 takes ~100 ms of CPU on purpose: in a thread, so the process serves others meanwhile.
    right = await anyio.to_thread.run_sync(_password_matches, row["password_hash"] if row else _UNKNOWN_USER_HASH, password)
    if not right or row is None:
        raise WrongCredentials("wrong email or password")
    await sign_in.forget_failures(email)
    return _current(row)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def get_organiser(organiser_id: int) -> CurrentOrganiser | None:
    """The organiser, or None for an unknown or disabled account (its bearer tokens and
    console sessions stop at their next request)."""
    row = await Organiser.select().where((Organiser.id == organiser_id) & Organiser.disabled_at.is_null()).first()
    return _current(row) if row else None


async def find_organiser(email: str) -> CurrentOrganiser | None:
    row = await Organiser.select().where(Organiser.email == email.strip().lower()).first()
    return _current(row) if row else None
