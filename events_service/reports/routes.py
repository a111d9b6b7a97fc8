from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from events_service.csv_export import CSV_MEDIA_TYPE
from events_service.organisers.auth import EDITORS
from events_service.reports import service
from events_service.reports.schemas import ProgrammeSummary
from events_service.xlsx_export import XLSX_MEDIA_TYPE

DateFrom = Annotated[str | None, QueryParameter(name="from", description="first day, e.g. 2026-11-01 (events starting on or after it)")]
DateTo = Annotated[str | None, QueryParameter(name="to", description="last day, included, e.g. 2026-11-30")]


def _period(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    return service.parse_day(date_from, "from"), service.parse_day(date_to, "to")


def _csv(body: str, filename: str) -> Response[str]:
    return Response(body, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _xlsx(body: bytes, filename: str) -> Response[bytes]:
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    guards = [EDITORS]

    @get("/companies.csv", summary="One row per company: registrations, attendances, minutes")
    async def companies_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        return _csv(await service.companies_csv(*_period(date_from, date_to)), "companies.csv")

    @get("/companies.xlsx", summary="One row per company: registrations, attendances, minutes (Excel)")
    async def companies_xlsx(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[bytes]:
        return _xlsx(await service.companies_xlsx(*_period(date_from, date_to)), "companies.xlsx")

    @get("/summary", summary="Programme summary: events, registrations, attendance, companies")
    async def summary(self, date_from: DateFrom = None, date_to: DateTo = None) -> ProgrammeSummary:
        return await service.summary(*_period(date_from, date_to))

    @get("/summary.csv")
    async def summary_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        return _csv(service.summary_csv(await service.summary(*_period(date_from, date_to))), "summary.csv")
