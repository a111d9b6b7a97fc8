"""The console's session cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from events_service.settings import Settings

SESSION_COOKIE = "console_session"
SESSION_HOURS = 12


def _session_signature(secret: str, organiser_id: int, expires: int) -> str:
    digest = hmac.new(secret.encode(), f"console:{organiser_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_session(settings: Settings, organiser_id: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_HOURS * 3600)
    return f"{organiser_id}.{expires}.{_session_signature(settings.secret_key, organiser_id, expires)}"


def read_session(settings: Settings, value: str | None, now: float | None = None) -> int | None:
    """The organiser id a well-signed, unexpired session cookie carries, or None."""
    parts = (value or "").split(".")
    # ASCII digits only: str.isdigit() is also true for '²', which int() refuses.
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts[:2]) or len(parts[0]) > 12 or len(parts[1]) > 12:
        return None
    organiser_id, expires = int(parts[0]), int(parts[1])
    # Bytes: compare_digest raises on a non-ASCII str. Every key is tried (a former key,
    # EVENTS_SECRET_KEY_FALLBACKS, keeps a session open across a rotation).
    signature = parts[2].encode()
    signed = [hmac.compare_digest(signature, _session_signature(key, organiser_id, expires).encode()) for key in settings.verification_keys]
    if not any(signed):
        return None
    if expires < (now or time.time()):
        return None
    return organiser_id
