"""The console's reports page: the funder's indicators for a chosen period (reports/indicators.py),
charts drawn server-side (web/report_charts.py), each figure and each bar linked to the rows it
counts (the evidence page), and the downloads. Organisers and admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from events_service.clock import now_utc
from events_service.csv_export import CSV_MEDIA_TYPE
from events_service.errors import DomainError
from events_service.organisers.auth import EDITORS
from events_service.reports import indicators
from events_service.reports import service as reports
from events_service.reports.indicators import UNKNOWN, Figure
from events_service.reports.schemas import Indicators
from events_service.web.pages import page_language, page_translator, render
from events_service.web.report_charts import BarChart, BarItem, bar_chart
from events_service.xlsx_export import XLSX_MEDIA_TYPE

DateFrom = Annotated[str | None, QueryParameter(name="from", max_length=40)]
DateTo = Annotated[str | None, QueryParameter(name="to", max_length=40)]
#: Rows of evidence the page shows; the downloads hold them all.
EVIDENCE_PAGE_ROWS = 500


@dataclass(frozen=True)
class FigureCard:
    figure: str
    value: int
    href: str


def _default_period() -> tuple[str, str]:
    """The current calendar year in the programme's zone."""
    year = now_utc().astimezone(reports.PROGRAMME_ZONE).year
    return f"{year}-01-01", f"{year}-12-31"


def evidence_href(figure: Figure, date_from: date, date_to: date, **filters: str) -> str:
    query = {"figure": figure.value, "from": date_from.isoformat(), "to": date_to.isoformat(), **filters}
    return f"/console/reports/evidence?{urlencode(query)}"


def _period_query(date_from: str, date_to: str) -> str:
    return urlencode({"from": date_from, "to": date_to})


class ConsoleReports(Controller):
    path = "/console/reports"
    include_in_schema = False
    guards = [EDITORS]

    @get("/")
    async def reports_page(self, request: Request[Any, Any, Any], date_from: DateFrom = None,
                           date_to: DateTo = None) -> Template:
        default_from, default_to = _default_period()
        values = {"from": (date_from or default_from).strip()[:20], "to": (date_to or default_to).strip()[:20]}
        try:
            first, last = reports.parse_day(values["from"], "from"), reports.parse_day(values["to"], "to")
            report = await indicators.indicators(first, last)
            charts = await _charts(request, report)
        except DomainError as error:
            return render(request, "console/reports.html", status_code=422, values=values, error=error.detail, report=None)
        return render(request, "console/reports.html", values=values, error=None, report=report, cards=_cards(report),
                      charts=charts, period_query=_period_query(values["from"], values["to"]))

    @get("/indicators.csv")
    async def indicators_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        report = await indicators.indicators(reports.parse_day(date_from, "from"), reports.parse_day(date_to, "to"))
        return _download(indicators.indicators_csv(report), CSV_MEDIA_TYPE, "indicators.csv")

    @get("/indicators.xlsx")
    async def indicators_xlsx(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[bytes]:
        report = await indicators.indicators(reports.parse_day(date_from, "from"), reports.parse_day(date_to, "to"))
        return _download(indicators.indicators_xlsx(report), XLSX_MEDIA_TYPE, "indicators.xlsx")

    @get("/evidence")
    async def evidence_page(self, request: Request[Any, Any, Any], figure: FromQuery[str | None] = None,
                            date_from: DateFrom = None, date_to: DateTo = None,
                            country: FromQuery[str | None] = None, region: FromQuery[str | None] = None,
                            size_class: FromQuery[str | None] = None) -> Template:
        answer = await indicators.evidence(
            indicators.parse_figure(figure), reports.parse_day(date_from, "from"), reports.parse_day(date_to, "to"),
            indicators.parse_filters(country, region, size_class), limit=EVIDENCE_PAGE_ROWS,
        )
        header, rows = indicators.evidence_table(answer)
        query = urlencode({"figure": answer.figure.value, "from": answer.date_from.isoformat(), "to": answer.date_to.isoformat(),
                           **answer.filters})
        return render(request, "console/evidence.html", answer=answer, header=header, rows=rows, query=query,
                      shown=len(rows), back=_period_query(answer.date_from.isoformat(), answer.date_to.isoformat()))

    @get("/evidence.csv")
    async def evidence_csv(self, figure: FromQuery[str | None] = None, date_from: DateFrom = None,
                           date_to: DateTo = None, country: FromQuery[str | None] = None,
                           region: FromQuery[str | None] = None, size_class: FromQuery[str | None] = None) -> Response[str]:
        answer = await _full_evidence(figure, date_from, date_to, country, region, size_class)
        return _download(indicators.evidence_csv(answer), CSV_MEDIA_TYPE, f"evidence-{answer.figure.value}.csv")

    @get("/evidence.xlsx")
    async def evidence_xlsx(self, figure: FromQuery[str | None] = None, date_from: DateFrom = None,
                            date_to: DateTo = None, country: FromQuery[str | None] = None,
                            region: FromQuery[str | None] = None, size_class: FromQuery[str | None] = None) -> Response[bytes]:
        answer = await _full_evidence(figure, date_from, date_to, country, region, size_class)
        return _download(indicators.evidence_xlsx(answer), XLSX_MEDIA_TYPE, f"evidence-{answer.figure.value}.xlsx")


async def _full_evidence(figure: str | None, date_from: str | None, date_to: str | None,
                         country: str | None, region: str | None, size_class: str | None) -> indicators.Evidence:
    return await indicators.full_evidence(indicators.parse_figure(figure), reports.parse_day(date_from, "from"),
                                          reports.parse_day(date_to, "to"), indicators.parse_filters(country, region, size_class))


def _download(body: str | bytes, media_type: str, filename: str) -> Response[Any]:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _cards(report: Indicators) -> list[FigureCard]:
    f, t = report.date_from, report.date_to
    return [
        FigureCard("participations", report.participations.total, evidence_href(Figure.PARTICIPATIONS, f, t)),
        FigureCard("enterprises_supported", report.enterprises_supported.total, evidence_href(Figure.ENTERPRISES_SUPPORTED, f, t)),
        FigureCard("cross_border_participations", report.cross_border_participations, evidence_href(Figure.CROSS_BORDER_PARTICIPATIONS, f, t)),
        FigureCard("public_events", report.public_events, evidence_href(Figure.PUBLIC_EVENTS, f, t)),
        FigureCard("targeted_events", report.targeted_events, evidence_href(Figure.TARGETED_EVENTS, f, t)),
        FigureCard("expert_meetings", report.expert_meetings, evidence_href(Figure.EXPERT_MEETINGS, f, t)),
    ]


async def _charts(request: Request[Any, Any, Any], report: Indicators) -> dict[str, BarChart]:
    """By month, by country, by province/canton, by size class, attendance rate by event kind."""
    _ = page_translator(request)
    lang = page_language(request)
    f, t = report.date_from, report.date_to
    unknown = _("not known")

    def group(code: str) -> str:
        return unknown if code == UNKNOWN else code.replace(f"-{UNKNOWN}", f" · {unknown}").replace("-", " · ", 1)

    monthly = await indicators.participations_by_month(f, t)
    by_month = [BarItem(format_date(month, "MMM y", locale=lang), count, str(count),
                        evidence_href(Figure.PARTICIPATIONS, *indicators.month_period(month, f, t))) for month, count in monthly]
    by_country = [BarItem(group(code), count, str(count), evidence_href(Figure.PARTICIPATIONS, f, t, country=code))
                  for code, count in report.participations.by_country.items()]
    by_region = [BarItem(group(code), count, str(count), evidence_href(Figure.PARTICIPATIONS, f, t, region=code))
                 for code, count in report.participations.by_region.items()]
    size_words = {"micro": _("micro"), "small": _("small"), "medium": _("medium"), "large": _("large"), UNKNOWN: unknown}
    by_size = [BarItem(size_words.get(code, code), count, str(count), evidence_href(Figure.ENTERPRISES_SUPPORTED, f, t, size_class=code))
               for code, count in report.enterprises_supported.by_size_class.items()]
    summary = await reports.summary(f, t)
    kind_words = {"tech_talk": _("Tech Talk"), "tech_day": _("Tech Day")}
    by_kind = [BarItem(kind_words.get(kind.kind, kind.kind), round(100 * kind.attendance_rate),
                       f"{round(100 * kind.attendance_rate)} %") for kind in summary.by_kind if kind.attendance_rate is not None]
    return {
        "month": bar_chart("chart-month", by_month, pattern="hatch"),
        "country": bar_chart("chart-country", by_country, pattern="dots"),
        "region": bar_chart("chart-region", by_region, pattern="cross"),
        "size": bar_chart("chart-size", by_size, pattern="stripes"),
        "kind": bar_chart("chart-kind", by_kind, pattern="hatch", maximum=100),
    }
