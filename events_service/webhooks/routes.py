"""/api/webhooks: only an admin subscribes, since a subscription sends registrants' data to
the URL it names."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from events_service.openapi_docs import raises
from events_service.organisers.auth import ADMINS
from events_service.organisers.schemas import CurrentOrganiser
from events_service.paging import PAGE, Page, paged
from events_service.params import RowId
from events_service.settings import Settings
from events_service.webhooks import subscriptions
from events_service.webhooks.schemas import (
    DeliveryOut,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
)
from events_service.webhooks.subscriptions import TooManySubscriptions


class WebhookController(Controller):
    path = "/api/webhooks"
    tags = ["integrators"]
    guards = [ADMINS]

    @post("/", summary="Subscribe a URL to event types; the answer is the only time the signing secret is shown", opt=raises(TooManySubscriptions))
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[SubscriptionCreate], settings: NamedDependency[Settings]
    ) -> SubscriptionCreated:
        user = request.user
        return await subscriptions.create_subscription(
            data,
            private_allowed=settings.webhook_private_addresses,
            created_by=user.id if isinstance(user, CurrentOrganiser) else None,
        )

    @get("/", summary="Webhook subscriptions (without their secrets)")
    async def find(self) -> list[SubscriptionOut]:
        return await subscriptions.list_subscriptions()

    @delete("/{subscription_id:int}", summary="Delete a subscription and its delivery log")
    async def remove(self, subscription_id: RowId) -> None:
        await subscriptions.delete_subscription(subscription_id)

    @get(
        "/{subscription_id:int}/deliveries",
        summary="A subscription's deliveries, newest first (paged: limit, offset, updated_since)",
        dependencies=PAGE,
    )
    async def deliveries(
        self, request: Request[Any, Any, Any], subscription_id: RowId, page: NamedDependency[Page]
    ) -> Response[list[DeliveryOut]]:
        items, total = await subscriptions.deliveries(subscription_id, page)
        return paged(request, page, items, total)
