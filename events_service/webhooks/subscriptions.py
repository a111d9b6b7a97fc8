"""Subscriptions: made, listed and deleted by an admin; their delivery log."""

from __future__ import annotations

from typing import Any

from events_service.db import write_transaction
from events_service.errors import Conflict, DomainError, Invalid, NotFound
from events_service.paging import Page
from events_service.webhooks.addresses import refusal
from events_service.webhooks.schemas import (
    MAX_SUBSCRIPTIONS,
    DeliveryOut,
    DeliveryStatus,
    EventType,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionStatus,
)
from events_service.webhooks.signing import new_secret
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription

__all__ = ["create_subscription", "delete_subscription", "deliveries", "list_subscriptions"]


class WebhookError(DomainError):
    pass


class SubscriptionNotFound(WebhookError, NotFound):
    pass


class RefusedUrl(WebhookError, Invalid):
    default_code = "webhook_url_refused"


class TooManySubscriptions(WebhookError, Conflict):
    default_code = "too_many_subscriptions"


def _events(text: str) -> list[EventType]:
    return [EventType(name) for name in text.split(",") if name]


async def create_subscription(data: SubscriptionCreate, *, private_allowed: bool, created_by: int | None) -> SubscriptionCreated:
    url = data.url.strip()
    if reason := await refusal(url, private_allowed=private_allowed):
        raise RefusedUrl(reason)
    events = list(dict.fromkeys(data.events))  # once each, in the order given
    secret = new_secret()
    async with write_transaction():
        if await WebhookSubscription.count() >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptions(f"at most {MAX_SUBSCRIPTIONS} webhook subscriptions; delete one first")
        row = WebhookSubscription(url=url, events=",".join(events), secret=secret, created_by=created_by)
        await row.save()
    return SubscriptionCreated(id=row.id, url=url, events=events, secret=secret)


def _subscription_out(row: dict[str, Any]) -> SubscriptionOut:
    return SubscriptionOut(
        id=row["id"],
        url=row["url"],
        events=_events(row["events"]),
        status=SubscriptionStatus(row["status"]),
        created_at=row["created_at"],
        disabled_reason=row["disabled_reason"],
    )


_PUBLIC_COLUMNS = (
    WebhookSubscription.id,
    WebhookSubscription.url,
    WebhookSubscription.events,
    WebhookSubscription.status,
    WebhookSubscription.created_at,
    WebhookSubscription.disabled_reason,
)


async def list_subscriptions() -> list[SubscriptionOut]:
    rows = await WebhookSubscription.select(*_PUBLIC_COLUMNS).order_by(WebhookSubscription.id)
    return [_subscription_out(row) for row in rows]


async def _require(subscription_id: int) -> None:
    if not await WebhookSubscription.exists().where(WebhookSubscription.id == subscription_id):
        raise SubscriptionNotFound(f"no webhook subscription with id {subscription_id}")


async def delete_subscription(subscription_id: int) -> None:
    """The subscription and its log go; a delivery being sent right now may still arrive."""
    async with write_transaction():
        await _require(subscription_id)
        await WebhookDelivery.delete().where(WebhookDelivery.subscription == subscription_id)
        await WebhookSubscription.delete().where(WebhookSubscription.id == subscription_id)


def _delivery_out(row: dict[str, Any]) -> DeliveryOut:
    waiting = row["status"] in (DeliveryStatus.QUEUED, DeliveryStatus.RETRY)
    return DeliveryOut(
        id=row["id"],
        webhook_id=row["webhook_id"],
        type=EventType(row["type"]),
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        delivered_at=row["delivered_at"],
        next_attempt_at=row["send_after"] if waiting else None,
    )


async def deliveries(subscription_id: int, page: Page) -> tuple[list[DeliveryOut], int]:
    """The subscription's delivery log, newest first, and how many deliveries it holds."""
    await _require(subscription_id)
    d = WebhookDelivery
    conditions = [d.subscription == subscription_id]
    if page.updated_since is not None:
        conditions.append(d.updated_at >= page.updated_since)
    query = d.select(
        d.id, d.webhook_id, d.type, d.status, d.attempts, d.last_status_code, d.last_error,
        d.created_at, d.updated_at, d.delivered_at, d.send_after,
    ).order_by(d.id, ascending=False)
    counting = d.count()
    for condition in conditions:
        query, counting = query.where(condition), counting.where(condition)
    return [_delivery_out(row) for row in await page.window(query)], await counting
