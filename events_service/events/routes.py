from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from events_service import event_changes
from events_service.events import queries, service
from events_service.events.errors import EventStateConflict
from events_service.events.records import EventKind, EventStatus
from events_service.events.schemas import (
    EventCreate,
    EventOut,
    EventPatch,
    PublicEventOut,
)
from events_service.openapi_docs import EVENT_EXAMPLE, json_body, raises
from events_service.organisers.auth import EDITORS
from events_service.paging import PAGE, Page, paged
from events_service.params import RowId
from events_service.registrations.errors import RegistrationConflict
from events_service.settings import Settings


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]
    guards = [EDITORS]

    @post("/", summary="Create a draft event", opt=raises(EventStateConflict))
    async def create(self, data: Annotated[EventCreate, json_body("A Tech Talk", EVENT_EXAMPLE)]) -> EventOut:
        return await service.create_event(data)

    @get("/", summary="All events, soonest first (paged: limit, offset, updated_since)", dependencies=PAGE)
    async def find(
        self,
        request: Request[Any, Any, Any],
        page: NamedDependency[Page],
        status: FromQuery[EventStatus | None] = None,
        kind: FromQuery[EventKind | None] = None,
    ) -> Response[list[EventOut]]:
        events, total = await queries.page_of_events(page, status=status, kind=kind)
        return paged(request, page, events, total)

    @get("/{event_id:int}")
    async def read(self, event_id: RowId) -> EventOut:
        return await queries.get_event(event_id)

    @patch("/{event_id:int}", summary="Change an event; a change of time, place or link raises sequence", opt=raises(EventStateConflict, RegistrationConflict))
    async def update(self, event_id: RowId, data: JSONBody[EventPatch], settings: NamedDependency[Settings]) -> EventOut:
        event, _ = await event_changes.update_event(event_id, data, settings)
        return event

    @post("/{event_id:int}/publish", status_code=200, opt=raises(EventStateConflict))
    async def publish(self, event_id: RowId) -> EventOut:
        return await service.publish_event(event_id)

    @post("/{event_id:int}/cancel", status_code=200)
    async def cancel(self, event_id: RowId, settings: NamedDependency[Settings]) -> EventOut:
        return await event_changes.cancel_event(event_id, settings)


class PublicEventController(Controller):
    path = "/api/public/events"
    tags = ["public"]

    @get("/", summary="Published events that have not ended")
    async def find(
        self,
        settings: NamedDependency[Settings],
        kind: FromQuery[EventKind | None] = None,
        topic: FromQuery[str | None] = None,
    ) -> list[PublicEventOut]:
        return await queries.public_events(settings.base_url, kind=kind, topic=topic)

    @get("/{id_or_slug:str}")
    async def read(self, id_or_slug: FromPath[str], settings: NamedDependency[Settings]) -> PublicEventOut:
        return await queries.public_event(id_or_slug, settings.base_url)
