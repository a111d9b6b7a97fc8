"""The webhooks' records: event types, statuses, the API's bodies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec


class EventType(StrEnum):
    REGISTRATION_CREATED = "registration.created"
    REGISTRATION_CANCELLED = "registration.cancelled"
    REGISTRATION_PROMOTED = "registration.promoted"
    #: A cancellation by a Decline reply undone through the link in its email (registrations/undo.py).
    REGISTRATION_RESTORED = "registration.restored"
    CHECKIN_CREATED = "checkin.created"
    ATTENDANCE_FINALISED = "attendance.finalised"
    EVENT_PUBLISHED = "event.published"
    EVENT_UPDATED = "event.updated"
    EVENT_CANCELLED = "event.cancelled"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    #: Stopped by the receiver's 410 Gone (or by deleting it): nothing more is delivered.
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRY = "retry"
    #: Out of attempts, or the receiver said 410 Gone.
    FAILED = "failed"
    #: Its subscription was disabled or deleted before it could be delivered.
    DROPPED = "dropped"


#: A subscription's URL: long enough for any real endpoint, short enough for a log line.
MAX_URL_LENGTH = 2000
MAX_SUBSCRIPTIONS = 50


class SubscriptionCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EventType))]


class SubscriptionOut(msgspec.Struct):
    id: int
    url: str
    events: list[EventType]
    status: SubscriptionStatus
    created_at: datetime
    disabled_reason: str | None = None


class SubscriptionCreated(msgspec.Struct):
    """The only answer that holds the signing secret."""

    id: int
    url: str
    events: list[EventType]
    secret: str


class DeliveryOut(msgspec.Struct):
    id: int
    webhook_id: str
    type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
