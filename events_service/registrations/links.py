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
from typing import Literal

from events_service.companies.records import ContactRecord
from events_service.companies.tables import Contact
from events_service.events.records import AttendanceMode
from events_service.registrations.errors import RegistrationNotFound
from events_service.registrations.records import RegistrationRecord, RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.settings import Settings

Purpose = Literal["manage", "checkin", "feed", "survey", "meeting", "meeting_checkin", "undo"]


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
    return status == RegistrationStatus.CONFIRMED and attendance_mode == AttendanceMode.IN_PERSON


def checkin_code(settings: Settings, registration_id: int, nonce: str) -> str:
    """What the QR code at the door carries."""
    return token_for(settings, "checkin", registration_id, nonce)


def survey_token(settings: Settings, registration_id: int, nonce: str) -> str:
    """The survey after the event: a token of its own purpose (a manage token does not open it)."""
    return token_for(settings, "survey", registration_id, nonce)


def survey_url(settings: Settings, registration_id: int, nonce: str) -> str:
    """The survey page, in the thank-you email of an attended registration only."""
    return f"{settings.base_url}/surveys/{survey_token(settings, registration_id, nonce)}"


def undo_url(settings: Settings, registration_id: int, undo_nonce: str) -> str:
    """The page that undoes a cancellation by a Decline reply (registrations/undo.py): its own
    purpose, and the nonce of that one cancellation (Registration.undo_nonce), not the manage
    nonce, so it undoes nothing else and nothing twice."""
    return f"{settings.base_url}/undo/{token_for(settings, 'undo', registration_id, undo_nonce)}"


def feed_url(settings: Settings, contact_id: int, feed_nonce: str) -> str:
    """A person's own calendar feed (all their registrations, with join links): the link goes
    only into emails to the person's own address, never on a page a manage token opens."""
    return f"{settings.base_url}/calendar/personal/{token_for(settings, 'feed', contact_id, feed_nonce)}.ics"


# ---------------------------------------------------------------- certificates of attendance


def _certificate_signature(secret: str, registration_id: int) -> str:
    digest = hmac.new(secret.encode(), f"certificate:{registration_id}".encode(), hashlib.sha256).digest()
    # 80 bits in base32: short enough to type from paper, far beyond guessing.
    return base64.b32encode(digest[:10]).decode()


def certificate_code(settings: Settings, registration_id: int) -> str:
    """The verification code printed on a certificate (and in its QR): `<registration id>-<HMAC>`.
    Bound to the registration only, not to its nonce: a certificate stays genuine when the
    registration's links are replaced."""
    return f"{registration_id}-{_certificate_signature(settings.secret_key, registration_id)}"


def read_certificate_code(keys: Sequence[str], code: str) -> int | None:
    """The registration id of a genuine code (signed with any of `keys`, the current one and
    former ones), or None for an unknown, mistyped or tampered one."""
    number, _, signature = code.strip().upper().partition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 10 or not signature.isascii() or len(signature) > 32:
        return None
    registration_id = int(number)
    # Every key is tried, so the time taken does not tell which one matched.
    matched = [hmac.compare_digest(_certificate_signature(key, registration_id), signature) for key in keys]
    return registration_id if any(matched) else None


def certificate_verification_url(settings: Settings, code: str) -> str:
    """The public page that says whether a certificate is genuine (its QR code points here)."""
    return f"{settings.base_url}/certificates/{code}"


def certificate_pdf_url(settings: Settings, registration_id: int, nonce: str) -> str:
    """The registrant's own certificate (the thank-you email links it): by the manage token."""
    return f"{settings.base_url}/api/public/registrations/{token_for(settings, 'manage', registration_id, nonce)}/certificate.pdf"


async def registration_by_token(settings: Settings, token: str, purpose: Purpose = "manage") -> RegistrationRecord:
    """The registration a token names; a forged, tampered or revoked token is simply unknown."""
    parsed = read_token(settings.verification_keys, purpose, token)
    row = None
    if parsed is not None:  # a valid signature: the id and nonce are ours
        row = await Registration.select().where(Registration.id == parsed[0]).first()
    if row is None or parsed is None or not nonce_matches(row["token_nonce"], parsed[1]):
        raise RegistrationNotFound("no registration for this link; it may have been mistyped or replaced")
    return RegistrationRecord.from_row(row)


async def feed_owner(settings: Settings, token: str) -> ContactRecord | None:
    """The contact a feed token names, or None for a forged, tampered or replaced token."""
    parsed = read_token(settings.verification_keys, "feed", token)
    if parsed is None:
        return None
    row = await Contact.select().where(Contact.id == parsed[0]).first()
    if row is None or not nonce_matches(row["feed_nonce"], parsed[1]):
        return None
    return ContactRecord.from_row(row)
