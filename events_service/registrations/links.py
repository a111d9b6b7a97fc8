"""The links sent to registrants, and the signed, unguessable tokens in them: one home for
every such URL and for the check that a token still names its registration or contact.

A token is `<registration id>.<nonce>.<signature>`: the nonce is random and stored on the
registration (changing it revokes old links), the HMAC signature binds both to one purpose, so
a manage token cannot be used as a check-in code and a tampered token fails before any query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any, Literal

from events_service.companies.tables import Contact
from events_service.registrations.errors import RegistrationNotFound
from events_service.registrations.tables import Registration
from events_service.settings import Settings

Purpose = Literal["manage", "checkin", "feed"]


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def _signature(secret: str, purpose: Purpose, subject_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{subject_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make_token(secret: str, purpose: Purpose, subject_id: int, nonce: str) -> str:
    return f"{subject_id}.{nonce}.{_signature(secret, purpose, subject_id, nonce)}"


def read_token(secret: str | Sequence[str], purpose: Purpose, token: str) -> tuple[int, str] | None:
    """(subject id, nonce) of a token well signed with `secret` (or any of several keys: the
    current one and former ones, Settings.verification_keys), or None."""
    parts = token.split(".")
    # ASCII digits only: str.isdigit() is also true for '²' (int() refuses it: a 500) and
    # for Arabic-Indic digits (int() reads them: a second spelling of the same token).
    if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 12:
        return None
    subject_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    if not signature.isascii():
        return None  # compare_digest takes no non-ASCII str; no signature we make has any
    keys = [secret] if isinstance(secret, str) else list(secret)
    # Every key is tried, so the time taken does not tell which one matched.
    matched = [hmac.compare_digest(_signature(key, purpose, subject_id, nonce), signature) for key in keys]
    if not any(matched):
        return None
    return subject_id, nonce


def nonce_matches(stored: str | None, presented: str) -> bool:
    """The nonce a token carries is the one stored now (a new nonce revokes old links)."""
    return stored is not None and hmac.compare_digest(stored.encode(), presented.encode())


# ---------------------------------------------------------------- the links, with the settings' key and base URL


def token_for(settings: Settings, purpose: Purpose, subject_id: int, nonce: str) -> str:
    return make_token(settings.secret_key, purpose, subject_id, nonce)


def manage_url_of(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/registrations/{token}"


def manage_url(settings: Settings, registration_id: int, nonce: str) -> str:
    """The registrant's own page (see and cancel their registration)."""
    return manage_url_of(settings, token_for(settings, "manage", registration_id, nonce))


def has_checkin_code(status: str, attendance_mode: str) -> bool:
    """Who gets a code for the door (a QR code in their emails, on their manage page): a
    confirmed in-person attendee."""
    return status == "confirmed" and attendance_mode == "in_person"


def checkin_code(settings: Settings, registration_id: int, nonce: str) -> str:
    """What the QR code at the door carries."""
    return token_for(settings, "checkin", registration_id, nonce)


def feed_url(settings: Settings, contact_id: int, feed_nonce: str) -> str:
    """A person's own calendar feed (all their registrations, with join links): the link goes
    only into emails to the person's own address, never on a page a manage token opens."""
    return f"{settings.base_url}/calendar/personal/{token_for(settings, 'feed', contact_id, feed_nonce)}.ics"


async def registration_by_token(settings: Settings, token: str, purpose: Purpose = "manage") -> dict[str, Any]:
    """The registration a token names; a forged, tampered or revoked token is simply unknown."""
    parsed = read_token(settings.verification_keys, purpose, token)
    row = None
    if parsed is not None:  # a valid signature: the id and nonce are ours
        row = await Registration.select().where(Registration.id == parsed[0]).first()
    if row is None or parsed is None or not nonce_matches(row["token_nonce"], parsed[1]):
        raise RegistrationNotFound("no registration for this link; it may have been mistyped or replaced")
    return row


async def feed_owner(settings: Settings, token: str) -> dict[str, Any] | None:
    """The contact (id, feed_nonce, language) a feed token names, or None for a forged,
    tampered or replaced token."""
    parsed = read_token(settings.verification_keys, "feed", token)
    if parsed is None:
        return None
    contact = await Contact.select(Contact.id, Contact.feed_nonce, Contact.language).where(Contact.id == parsed[0]).first()
    if contact is None or not nonce_matches(contact["feed_nonce"], parsed[1]):
        return None
    return contact
