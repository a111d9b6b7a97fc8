"""The webhooks' outbox: `emit` writes one delivery per subscription that wants the event
type, in the caller's transaction, so a change that rolls back reports nothing and a change
that commits is never lost (the worker delivers it, delivery.py). Nothing is sent here."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from events_service.clock import now_utc
from events_service.webhooks.schemas import DeliveryStatus, EventType, SubscriptionStatus
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription

__all__ = ["emit", "new_webhook_id", "subscribers", "wanted_by"]


def new_webhook_id() -> str:
    """The Standard Webhooks message id: one per event and subscription, the same on every attempt."""
    return f"msg_{uuid.uuid4().hex}"


def wanted_by(events_text: str, event_type: EventType) -> bool:
    return event_type.value in events_text.split(",")


async def subscribers(event_type: EventType) -> list[int]:
    """The active subscriptions that want `event_type`: one indexed read of the few subscriptions."""
    rows = await WebhookSubscription.select(WebhookSubscription.id, WebhookSubscription.events).where(
        WebhookSubscription.status == SubscriptionStatus.ACTIVE
    )
    return [row["id"] for row in rows if wanted_by(row["events"], event_type)]


async def emit(event_type: EventType, data: dict[str, Any], *, to: list[int] | None = None) -> int:
    """Queue `{type, timestamp, data}` for every active subscription to `event_type`, inside
    the caller's write transaction. Returns how many deliveries were written (usually none).

    `to`: the subscriptions, read earlier in the same transaction with `subscribers` by a
    caller that keeps its hot stretch short (a registration, before it queues for the event's
    seats); None reads them here. A subscription disabled in between gets a delivery that
    the dispatcher drops unsent."""
    wanting = await subscribers(event_type) if to is None else to
    if not wanting:
        return 0
    now = now_utc()
    body = msgspec.json.encode({"type": event_type.value, "timestamp": now.isoformat(), "data": data}).decode("utf-8")
    await WebhookDelivery.insert(
        *(
            WebhookDelivery(
                subscription=subscription_id,
                webhook_id=new_webhook_id(),
                type=event_type.value,
                body=body,
                status=DeliveryStatus.QUEUED,
                send_after=now,
                created_at=now,
                updated_at=now,
            )
            for subscription_id in wanting
        )
    )
    return len(wanting)
