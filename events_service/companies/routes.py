from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from events_service.companies import service
from events_service.companies.schemas import (
    CompanyCreate,
    CompanyEngagement,
    CompanyOut,
    CompanyPatch,
)
from events_service.companies.service import DuplicateCompany
from events_service.experts import service as experts
from events_service.openapi_docs import COMPANY_EXAMPLE, json_body, raises
from events_service.organisers.auth import EDITORS
from events_service.paging import PAGE, Page, paged
from events_service.params import RowId
from events_service.surveys import service as surveys


class CompanyController(Controller):
    path = "/api/companies"
    tags = ["companies"]
    guards = [EDITORS]

    @post("/", summary="Create a company (VAT id validated and normalised)", opt=raises(DuplicateCompany))
    async def create(self, data: Annotated[CompanyCreate, json_body("An SME", COMPANY_EXAMPLE)]) -> CompanyOut:
        return await service.create_company(data)

    @get("/", summary="Find companies by name or VAT id (paged: limit, offset, updated_since)", dependencies=PAGE)
    async def find(
        self, request: Request[Any, Any, Any], page: NamedDependency[Page], q: FromQuery[str | None] = None
    ) -> Response[list[CompanyOut]]:
        companies, total = await service.page_of_companies(q, page)
        return paged(request, page, companies, total)

    @get("/{company_id:int}")
    async def read(self, company_id: RowId) -> CompanyOut:
        return await service.get_company(company_id)

    @patch("/{company_id:int}", opt=raises(DuplicateCompany))
    async def update(self, company_id: RowId, data: JSONBody[CompanyPatch]) -> CompanyOut:
        return await service.update_company(company_id, data)

    @get("/{company_id:int}/engagement", summary="Events the company registered for and attended, with minutes")
    async def engagement(self, company_id: RowId) -> CompanyEngagement:
        engagement = await service.company_engagement(company_id)
        engagement.survey_responses, engagement.survey_mean_rating = await surveys.company_summary(company_id)
        engagement.expert_meetings = await experts.held_count(company_id)
        return engagement
