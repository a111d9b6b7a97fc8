"""HTTP for messages to registrants: send (202, through the outbox), count, preview, list.
Editors only: a message goes out in the programme's name."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody

from events_service.broadcasts import messages, service
from events_service.broadcasts.errors import BroadcastConflict
from events_service.broadcasts.schemas import (
    AttendanceMode,
    Audience,
    MessageCreate,
    MessageOut,
    MessagePreview,
    MessageQueued,
    RecipientCount,
)
from events_service.openapi_docs import raises
from events_service.organisers.auth import EDITORS
from events_service.organisers.schemas import CurrentOrganiser
from events_service.params import RowId
from events_service.settings import Settings

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=service.MAX_IDEMPOTENCY_KEY,
              description="the same key twice for one event: the message is written once"),
]


class EventMessageController(Controller):
    path = "/api/events/{event_id:int}/messages"
    tags = ["messages"]
    guards = [EDITORS]

    @post("/", status_code=202, summary="Send a message to an audience of the event's registrants", opt=raises(BroadcastConflict))
    async def send(
        self, request: Request[CurrentOrganiser, Any, Any], event_id: RowId, data: JSONBody[MessageCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> MessageQueued:
        return await service.send_message(event_id, data, idempotency_key=idempotency_key, organiser_id=request.user.id)

    @get("/", summary="Messages sent to the event's registrants, newest first")
    async def list_sent(self, event_id: RowId) -> list[MessageOut]:
        return await service.list_messages(event_id)

    @get("/recipients", summary="How many registrants an audience holds now", opt=raises(BroadcastConflict))
    async def recipients(
        self, event_id: RowId, audience: FromQuery[Audience], attendance_mode: FromQuery[AttendanceMode | None] = None
    ) -> RecipientCount:
        return await service.count_recipients(event_id, audience, attendance_mode)

    @post("/preview", status_code=200, summary="The message as each language's recipients would get it; nothing is sent", opt=raises(BroadcastConflict))
    async def preview(self, event_id: RowId, data: JSONBody[MessageCreate], settings: NamedDependency[Settings]) -> MessagePreview:
        return await messages.preview(event_id, data, settings)
