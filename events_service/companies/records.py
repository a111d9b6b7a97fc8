"""A company's size classes, in one place for the table (`choices=`) and the schemas, and a
contact (a person) as the rest of the service sees the row."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class SizeClass(StrEnum):
    """The EU's SME classes by head count (micro < 10, small < 50, medium < 250)."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class ContactRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A person (see companies/tables.py): the address is lower-cased, the names are the ones
    first given; `company` is an id."""

    id: int
    email: str
    first_name: str
    last_name: str
    company: int | None
    language: str
    consent_privacy_at: datetime | None
    consent_marketing_at: datetime | None
    feed_nonce: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ContactRecord:
        """A row of `Contact.select()` (every column)."""
        return msgspec.convert(row, cls)
