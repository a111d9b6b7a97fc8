"""Organiser accounts as an admin and their owners manage them: who is listed, made,
disabled or re-roled (admins only), one's own password, and a forgotten password reset
through an emailed link.

Rules kept here:
- an admin cannot disable or demote themselves, and the last active admin stays one, so the
  programme is never left without anyone who can manage accounts;
- a disabled account cannot sign in, and its bearer tokens and console sessions stop at their
  next request (service.get_organiser finds no disabled account);
- a reset link is random (256 bits), kept only as its SHA-256 (the reason is tokens.py's), works
  once and for RESET_LINK_LIFETIME; asking for one answers the same whether or not the address
  has an account, and a new link or a new password makes earlier links useless.
Every change writes its audit entry in its transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import anyio.to_thread

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.db import write_transaction
from events_service.errors import Conflict, Invalid, NotFound
from events_service.i18n import translator
from events_service.mail.mime import RenderedMessage, build_email
from events_service.mail.outbox import enqueue
from events_service.organisers.schemas import OrganiserRow, Role
from events_service.organisers.service import (
    ROLES,
    OrganiserError,
    check_new_password,
    hash_password,
    password_matches,
)
from events_service.organisers.tables import Organiser, PasswordReset
from events_service.settings import Settings

__all__ = [
    "RESET_LINK_LIFETIME",
    "change_password",
    "list_organisers",
    "request_password_reset",
    "reset_password",
    "set_enabled",
    "set_role",
]

RESET_LINK_LIFETIME = timedelta(hours=1)
RESET_PATH = "/console/password-reset/"


class OrganiserNotFound(OrganiserError, NotFound):
    pass


class AccountConflict(OrganiserError, Conflict):
    pass


class WrongPassword(OrganiserError, Invalid):
    default_code = "wrong_password"


class ResetLinkInvalid(OrganiserError, Invalid):
    default_code = "reset_link_invalid"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def list_organisers() -> list[OrganiserRow]:
    rows = await Organiser.select(
        Organiser.id, Organiser.email, Organiser.name, Organiser.role, Organiser.disabled_at
    ).order_by(Organiser.name).order_by(Organiser.id)
    return [OrganiserRow(**row) for row in rows]


async def _locked_row(organiser_id: int) -> dict[str, Any]:
    row = await Organiser.select().where(Organiser.id == organiser_id).first()
    if row is None:
        raise OrganiserNotFound(f"no organiser with id {organiser_id}")
    return row


async def _other_active_admins(organiser_id: int) -> int:
    return await Organiser.count().where(
        (Organiser.role == "admin") & Organiser.disabled_at.is_null() & (Organiser.id != organiser_id)
    )


async def set_role(organiser_id: int, role: str, *, acting_admin: int) -> None:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    async with write_transaction():
        row = await _locked_row(organiser_id)
        if row["role"] == role:
            return
        if row["role"] == "admin" and organiser_id == acting_admin:
            raise AccountConflict("you cannot take away your own admin role", code="own_admin_role")
        if row["role"] == "admin" and not await _other_active_admins(organiser_id):
            raise AccountConflict("the last admin stays an admin", code="last_admin")
        await Organiser.update({Organiser.role: role}).where(Organiser.id == organiser_id)
        await audit.record(Entity.ORGANISER, organiser_id, Action.ROLE_CHANGED, {"role": [row["role"], role]})


async def set_enabled(organiser_id: int, enabled: bool, *, acting_admin: int) -> None:
    async with write_transaction():
        row = await _locked_row(organiser_id)
        if (row["disabled_at"] is None) == enabled:
            return
        if not enabled:
            if organiser_id == acting_admin:
                raise AccountConflict("you cannot disable your own account", code="own_account")
            if row["role"] == "admin" and not await _other_active_admins(organiser_id):
                raise AccountConflict("the last admin cannot be disabled", code="last_admin")
        await Organiser.update({Organiser.disabled_at: None if enabled else now_utc()}).where(Organiser.id == organiser_id)
        await audit.record(Entity.ORGANISER, organiser_id, Action.ENABLED if enabled else Action.DISABLED)


async def change_password(organiser_id: int, current: str, new: str) -> None:
    """One's own password: the current one first, so an unattended open console cannot."""
    check_new_password(new)
    row = await _locked_row(organiser_id)
    if not await password_matches(row["password_hash"], current):
        raise WrongPassword("the current password is not right")
    await _store_password(organiser_id, await _hashed(new), Action.PASSWORD_CHANGED)


async def _hashed(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)  # argon2: ~100 ms of CPU


async def _store_password(organiser_id: int, hashed: str, action: Action) -> None:
    async with write_transaction():
        await Organiser.update({Organiser.password_hash: hashed}).where(Organiser.id == organiser_id)
        # Links asked for earlier must not set it again.
        await PasswordReset.update({PasswordReset.used_at: now_utc()}).where(
            (PasswordReset.organiser == organiser_id) & PasswordReset.used_at.is_null()
        )
        await audit.record(Entity.ORGANISER, organiser_id, action)


async def request_password_reset(email: str, settings: Settings, language: str = "it") -> None:
    """Email a reset link to an active account with this address; nothing otherwise (and the
    caller answers the same either way). The email goes through the outbox."""
    address = email.strip().lower()[:320]
    row = await Organiser.select(Organiser.id, Organiser.email, Organiser.name).where(
        (Organiser.email == address) & Organiser.disabled_at.is_null()
    ).first()
    if row is None:
        return
    token = secrets.token_urlsafe(32)
    now = now_utc()
    async with write_transaction():
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.organiser == row["id"]) & PasswordReset.used_at.is_null()
        )
        await PasswordReset.insert(
            PasswordReset(organiser=row["id"], token_hash=_digest(token), expires_at=now + RESET_LINK_LIFETIME, created_at=now)
        )
        await enqueue(
            _reset_email(settings, row["email"], row["name"], settings.base_url.rstrip("/") + RESET_PATH + token, language),
            kind="password_reset",
            idempotency_key=f"password_reset:{_digest(token)[:32]}",
            expires_at=now + RESET_LINK_LIFETIME,
        )


def _reset_email(settings: Settings, to: str, name: str, link: str, language: str) -> Any:
    _ = translator(language)
    minutes = int(RESET_LINK_LIFETIME.total_seconds() // 60)
    lines = [
        _("Hello %(name)s,") % {"name": name},
        _("someone (we hope you) asked to reset your password for the console of %(programme)s.") % {"programme": settings.programme_name},
        _("Open this link within %(minutes)s minutes to choose a new password; it works once:") % {"minutes": minutes},
        link,
        _("If you did not ask for it, ignore this email: your password stays as it is."),
    ]
    text = "\n\n".join(lines) + "\n"
    html = "".join(
        f'<p><a href="{link}">{link}</a></p>' if line == link else f"<p>{_escape(line)}</p>" for line in lines
    )
    rendered = RenderedMessage(subject=_("Reset your password"), text=text, html=html)
    return build_email(sender=settings.mail_from, sender_name=settings.programme_name, to=to, rendered=rendered, message_id_domain=settings.host)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def reset_password(token: str, new: str) -> None:
    """Set the password through an emailed link: once, before it expires."""
    check_new_password(new)
    hashed = await _hashed(new)  # before the transaction, which holds SQLite's one writer
    now = now_utc()
    async with write_transaction():
        # One conditional UPDATE: of two uses of one link at the same moment, one wins.
        used = await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.token_hash == _digest(token[:200])) & PasswordReset.used_at.is_null() & (PasswordReset.expires_at > now)
        ).returning(PasswordReset.organiser)
        if not used:
            raise ResetLinkInvalid("this link has expired or has been used already: ask for a new one")
        organiser_id = used[0]["organiser"]
        if not await Organiser.exists().where((Organiser.id == organiser_id) & Organiser.disabled_at.is_null()):
            raise ResetLinkInvalid("this account is disabled")
        await _store_password(organiser_id, hashed, Action.PASSWORD_RESET)


async def reset_link_usable(token: str) -> bool:
    now = now_utc()
    return await PasswordReset.exists().where(
        (PasswordReset.token_hash == _digest(token[:200])) & PasswordReset.used_at.is_null() & (PasswordReset.expires_at > now)
    )


def role_of(value: str) -> Role | None:
    return value if value in ROLES else None  # type: ignore[return-value]
