"""What the privacy routes read: the person's address."""

from __future__ import annotations

import msgspec

from events_service.registrations.schemas import Email


class ContactEmail(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
