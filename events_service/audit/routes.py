from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from events_service.audit import log
from events_service.audit.schemas import AuditOut, Entity
from events_service.organisers.auth import EDITORS
from events_service.paging import PAGE, Page, paged
from events_service.validation import DB_INT_MAX

EntityId = Annotated[int | None, QueryParameter(gt=0, le=DB_INT_MAX, description="a row id")]


class AuditController(Controller):
    path = "/api/audit"
    tags = ["integrators"]
    guards = [EDITORS]

    @get(
        "/",
        summary="Who changed what, newest first (paged: limit, offset, updated_since)",
        dependencies=PAGE,
    )
    async def find(
        self,
        request: Request[Any, Any, Any],
        page: NamedDependency[Page],
        entity: FromQuery[Entity | None] = None,
        entity_id: EntityId = None,
    ) -> Response[list[AuditOut]]:
        items, total = await log.entries(entity, entity_id, page)
        return paged(request, page, items, total)
