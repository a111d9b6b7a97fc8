from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from events_service.csv_export import CSV_MEDIA_TYPE
from events_service.organisers.auth import EDITORS
from events_service.params import Offset
from events_service.reports import indicators, service
from events_service.reports.indicators import Evidence
from events_service.reports.schemas import Indicators, ProgrammeSummary
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

    @get("/summary.xlsx")
    async def summary_xlsx(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[bytes]:
        return _xlsx(service.summary_xlsx(await service.summary(*_period(date_from, date_to))), "summary.xlsx")


# ---------------------------------------------------------------- the funder's indicators

Figure = Annotated[str | None, QueryParameter(description="participations, cross_border_participations, enterprises_supported, public_events, targeted_events or expert_meetings", max_length=40)]
CountryFilter = Annotated[str | None, QueryParameter(description="a breakdown's country: IT, CH … or unknown", max_length=10)]
RegionFilter = Annotated[str | None, QueryParameter(description="a breakdown's province or canton: IT-LC, CH-TI … IT-unknown, unknown", max_length=110)]
SizeFilter = Annotated[str | None, QueryParameter(description="a breakdown's size class: micro, small, medium, large or unknown", max_length=10)]
EvidenceLimit = Annotated[int, QueryParameter(ge=0, le=500, description="rows of this page (JSON); the downloads hold them all")]


class IndicatorController(Controller):
    """API.md "Reports for the funder": the indicators of a period and the rows behind each."""

    path = "/api/reports/indicators"
    tags = ["reports"]
    guards = [EDITORS]

    @get("/", summary="The funder's indicators for a period (from and to are needed)")
    async def indicators(self, date_from: DateFrom = None, date_to: DateTo = None) -> Indicators:
        return await indicators.indicators(*_period(date_from, date_to))

    @get("/evidence", summary="The rows behind one figure of the indicators (paged: limit, offset; X-Total-Count)")
    async def evidence(
        self, request: Request[Any, Any, Any], figure: Figure = None, date_from: DateFrom = None, date_to: DateTo = None,
        country: CountryFilter = None, region: RegionFilter = None, size_class: SizeFilter = None,
        limit: EvidenceLimit = 100, offset: Offset = 0,
    ) -> Response[Evidence]:
        answer = await indicators.evidence(indicators.parse_figure(figure), *_period(date_from, date_to),
                                           indicators.parse_filters(country, region, size_class), limit=limit, offset=offset)
        return Response(answer, headers={"X-Total-Count": str(answer.total)})

    @get("/evidence.csv", summary="The rows behind one figure, as CSV")
    async def evidence_csv(self, figure: Figure = None, date_from: DateFrom = None, date_to: DateTo = None,
                           country: CountryFilter = None, region: RegionFilter = None, size_class: SizeFilter = None) -> Response[str]:
        answer = await _full_evidence(figure, date_from, date_to, country, region, size_class)
        return _csv(indicators.evidence_csv(answer), f"evidence-{answer.figure.value}.csv")

    @get("/evidence.xlsx", summary="The rows behind one figure, as XLSX")
    async def evidence_xlsx(self, figure: Figure = None, date_from: DateFrom = None, date_to: DateTo = None,
                            country: CountryFilter = None, region: RegionFilter = None, size_class: SizeFilter = None) -> Response[bytes]:
        answer = await _full_evidence(figure, date_from, date_to, country, region, size_class)
        return _xlsx(indicators.evidence_xlsx(answer), f"evidence-{answer.figure.value}.xlsx")


class IndicatorFilesController(Controller):
    """The indicators as files: `/api/reports/indicators.csv` and `.xlsx`."""

    path = "/api/reports"
    tags = ["reports"]
    guards = [EDITORS]

    @get("/indicators.csv", summary="The funder's indicators as CSV, one line per figure and group, with its evidence path")
    async def indicators_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        report = await indicators.indicators(*_period(date_from, date_to))
        return _csv(indicators.indicators_csv(report), "indicators.csv")

    @get("/indicators.xlsx", summary="The funder's indicators as XLSX (with their definitions)")
    async def indicators_xlsx(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[bytes]:
        report = await indicators.indicators(*_period(date_from, date_to))
        return _xlsx(indicators.indicators_xlsx(report), "indicators.xlsx")


async def _full_evidence(figure: str | None, date_from: str | None, date_to: str | None,
                         country: str | None, region: str | None, size_class: str | None) -> Evidence:
    return await indicators.full_evidence(indicators.parse_figure(figure), *_period(date_from, date_to),
                                          indicators.parse_filters(country, region, size_class))
