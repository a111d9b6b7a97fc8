from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery

from events_service.mail import outbox
from events_service.mail.schemas import OutboxItem, OutboxStatus
from events_service.organisers.auth import EDITORS
from events_service.params import Limit, Offset, RowId


class OutboxController(Controller):
    path = "/api/outbox"
    tags = ["mail"]
    guards = [EDITORS]

    @get("/", summary="Outgoing emails, newest first (optionally only one status)")
    async def list_messages(
        self,
        status: FromQuery[OutboxStatus | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[OutboxItem]:
        return await outbox.list_outbox(status, limit=limit, offset=offset)

    @post(
        "/{message_id:int}/retry",
        status_code=200,
        summary="Send a failed (or backing-off) email again now",
    )
    async def retry(self, message_id: RowId) -> OutboxItem:
        return await outbox.retry(message_id)
