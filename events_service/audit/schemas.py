from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class Entity(StrEnum):
    EVENT = "event"
    REGISTRATION = "registration"
    COMPANY = "company"
    ORGANISER = "organiser"


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"
    CHECKED_IN = "checked_in"
    DISABLED = "disabled"
    ENABLED = "enabled"
    ROLE_CHANGED = "role_changed"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: Action
    entity: Entity
    entity_id: int
    changes: dict[str, Any]
