from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery

from events_service.mail import outbox
from events_service.mail.outbox import NotRetryable
from events_service.mail.records import OutboxStatus
from events_service.mail.schemas import OutboxItem
from events_service.openapi_docs import raises
from events_service.organisers.auth import EDITORS
from events_service.paging import PAGE, Page, paged
from events_service.params import RowId


class OutboxController(Controller):
    path = "/api/outbox"
    tags = ["mail"]
    guards = [EDITORS]

    @get("/", summary="Outgoing emails, newest first (optionally only one status; paged: limit, offset, updated_since)", dependencies=PAGE)
    async def list_messages(
        self, request: Request[Any, Any, Any], page: NamedDependency[Page], status: FromQuery[OutboxStatus | None] = None
    ) -> Response[list[OutboxItem]]:
        items, total = await outbox.page_of_outbox(status, page)
        return paged(request, page, items, total)

    @post(
        "/{message_id:int}/retry",
        status_code=200,
        summary="Send a failed (or backing-off) email again now",
        opt=raises(NotRetryable),
    )
    async def retry(self, message_id: RowId) -> OutboxItem:
        return await outbox.retry(message_id)
