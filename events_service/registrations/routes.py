from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from events_service.audit.actor import REGISTRANT, set_actor
from events_service.openapi_docs import REGISTRATION_EXAMPLE, json_body, raises
from events_service.organisers.auth import EDITORS
from events_service.paging import PAGE, Page, paged
from events_service.params import ExportLanguage, RowId
from events_service.rate_limit import count_colleagues, public_registration_limit, undo_link_limit
from events_service.registrations import queries, service, undo
from events_service.registrations.errors import RegistrationConflict
from events_service.registrations.records import CancelledBy, RegistrationStatus
from events_service.registrations.schemas import (
    EventStats,
    PublicRegistration,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationRow,
    UndoOffer,
)
from events_service.settings import Settings
from events_service.xlsx_export import XLSX_MEDIA_TYPE


async def _as_registrant(_: Request[Any, Any, Any]) -> None:
    set_actor(REGISTRANT)


def public_registration_controller(settings: Settings) -> type[Controller]:
    """The public controller; registering, and the undo link, are rate limited per client
    address (429 with Retry-After), each with its own count."""
    rate_limit = public_registration_limit(settings)
    undo_limit = undo_link_limit(settings)

    class PublicRegistrationController(Controller):
        path = "/api/public"
        tags = ["public"]
        # Changes made here are the registrant's own (through their link): so says the audit log.
        before_request = _as_registrant

        @post("/events/{event_id:int}/registrations", middleware=[rate_limit], summary="Register for an event", opt=raises(RegistrationConflict))
        async def register(
            self, request: Request[Any, Any, Any], event_id: RowId,
            data: Annotated[RegistrationCreate, json_body("Someone of an SME registers", REGISTRATION_EXAMPLE)], settings: NamedDependency[Settings]
        ) -> RegistrationCreated:
            await count_colleagues(request, settings, len(data.colleagues))
            return await service.register(event_id, data, settings)

        @get("/registrations/{token:str}", summary="A registration, by its manage token")
        async def read(self, token: FromPath[str], settings: NamedDependency[Settings]) -> PublicRegistration:
            return await queries.public_registration(token, settings)

        @post("/registrations/{token:str}/cancel", status_code=200, summary="Cancel a registration by its manage token")
        async def cancel(self, token: FromPath[str], settings: NamedDependency[Settings]) -> PublicRegistration:
            return await service.cancel_by_token(token, settings)

        @get("/cancellations/{token:str}", middleware=[undo_limit], summary="A cancellation by a Decline reply, by its undo link: can it be undone now?")
        async def read_cancellation(self, token: FromPath[str], settings: NamedDependency[Settings]) -> UndoOffer:
            return await undo.undo_offer(token, settings)

        @post("/cancellations/{token:str}/undo", status_code=200, middleware=[undo_limit],
              summary="Undo a cancellation by a Decline reply while the seat is free", opt=raises(RegistrationConflict))
        async def undo_cancellation(self, token: FromPath[str], settings: NamedDependency[Settings]) -> PublicRegistration:
            return await undo.undo_cancellation(token, settings)

    return PublicRegistrationController


class OrganiserRegistrationController(Controller):
    path = "/api"
    tags = ["registrations"]
    guards = [EDITORS]

    @get("/events/{event_id:int}/registrations", summary="Registrations of an event (paged: limit, offset, updated_since)", dependencies=PAGE)
    async def find(
        self,
        request: Request[Any, Any, Any],
        event_id: RowId,
        page: NamedDependency[Page],
        status: FromQuery[RegistrationStatus | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Response[list[RegistrationRow]]:
        rows, total = await queries.page_of_registrations(event_id, page, status=status, q=q)
        return paged(request, page, rows, total)

    @get("/events/{event_id:int}/registrations.csv", summary="Registrations of an event as CSV")
    async def export(
        self, event_id: RowId, status: FromQuery[RegistrationStatus | None] = None, language: ExportLanguage = "en"
    ) -> Response[str]:
        body = await queries.registrations_csv(event_id, status=status, language=language)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}-registrations.csv"'},
        )

    @get("/events/{event_id:int}/registrations.xlsx", summary="Registrations of an event as XLSX")
    async def export_xlsx(
        self, event_id: RowId, status: FromQuery[RegistrationStatus | None] = None, language: ExportLanguage = "en"
    ) -> Response[bytes]:
        body = await queries.registrations_xlsx(event_id, status=status, language=language)
        return Response(
            body,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}-registrations.xlsx"'},
        )

    @get("/events/{event_id:int}/stats")
    async def stats(self, event_id: RowId) -> EventStats:
        return await queries.event_stats(event_id)

    @post("/registrations/{registration_id:int}/cancel", status_code=200, summary="Cancel a registration as organiser")
    async def cancel(self, registration_id: RowId, settings: NamedDependency[Settings]) -> dict[str, str]:
        return {"status": await service.cancel(registration_id, settings, cancelled_by=CancelledBy.ORGANISER)}
