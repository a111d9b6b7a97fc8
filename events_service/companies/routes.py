from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromQuery, JSONBody

from events_service.companies import service
from events_service.companies.schemas import (
    CompanyCreate,
    CompanyEngagement,
    CompanyOut,
    CompanyPatch,
)
from events_service.organisers.auth import EDITORS
from events_service.params import Limit, Offset, RowId


class CompanyController(Controller):
    path = "/api/companies"
    tags = ["companies"]
    guards = [EDITORS]

    @post("/", summary="Create a company (VAT id validated and normalised)")
    async def create(self, data: JSONBody[CompanyCreate]) -> CompanyOut:
        return await service.create_company(data)

    @get("/", summary="Find companies by name or VAT id")
    async def find(
        self,
        q: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[CompanyOut]:
        return await service.find_companies(q, limit=limit, offset=offset)

    @get("/{company_id:int}")
    async def read(self, company_id: RowId) -> CompanyOut:
        return await service.get_company(company_id)

    @patch("/{company_id:int}")
    async def update(self, company_id: RowId, data: JSONBody[CompanyPatch]) -> CompanyOut:
        return await service.update_company(company_id, data)

    @get("/{company_id:int}/engagement", summary="Events the company registered for and attended, with minutes")
    async def engagement(self, company_id: RowId) -> CompanyEngagement:
        return await service.company_engagement(company_id)
