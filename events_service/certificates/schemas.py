"""The answers about certificates."""

from __future__ import annotations

from datetime import date

import msgspec


class CertificateCheck(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /certificates/{code}` as JSON: the only facts a verifier learns (no email, no token)."""

    valid: bool
    name: str
    company: str | None
    event: str
    date: date
    #: None: present in person (checked in at the door), no report of minutes.
    minutes: int | None
