"""An organiser's roles, in one place for the table (`choices=`), the schemas and the guards."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    CHECKIN = "checkin"  # door staff: check-in and walk-ins only
