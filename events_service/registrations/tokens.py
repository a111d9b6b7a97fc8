"""Signed, unguessable tokens for links sent to registrants.

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
