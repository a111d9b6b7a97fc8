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
from typing import Literal

Purpose = Literal["manage", "checkin", "feed"]


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def _signature(secret: str, purpose: Purpose, subject_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{subject_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make_token(secret: str, purpose: Purpose, subject_id: int, nonce: str) -> str:
    return f"{subject_id}.{nonce}.{_signature(secret, purpose, subject_id, nonce)}"


def read_token(secret: str, purpose: Purpose, token: str) -> tuple[int, str] | None:
    """(subject id, nonce) of a well-signed token, or None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    subject_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    expected = _signature(secret, purpose, subject_id, nonce)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return subject_id, nonce
