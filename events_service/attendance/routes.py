from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from events_service import privacy
from events_service.attendance import reports, service
from events_service.attendance.schemas import (
    AttendanceImportResult,
    AttendanceUpload,
    CheckinRequest,
    CheckinResult,
    ContactEmail,
    FinaliseResult,
    FollowUpOut,
    FollowUpPatch,
    ProgrammeSummary,
    WalkInCreate,
    WalkInResult,
)
from events_service.organisers.auth import CHECKIN_STAFF, EDITORS, requires_role
from events_service.organisers.schemas import CurrentOrganiser
from events_service.params import RowId
from events_service.settings import Settings

DateFrom = Annotated[str | None, QueryParameter(name="from", description="first day, e.g. 2026-11-01 (events starting on or after it)")]
DateTo = Annotated[str | None, QueryParameter(name="to", description="last day, included, e.g. 2026-11-30")]
ADMINS = requires_role()


def _organiser_id(request: Request[Any, Any, Any]) -> int | None:
    user = request.user
    return user.id if isinstance(user, CurrentOrganiser) else None


def _period(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    return reports.parse_day(date_from, "from"), reports.parse_day(date_to, "to")


def _csv(body: str, filename: str) -> Response[str]:
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class AttendanceController(Controller):
    path = "/api/events"
    tags = ["attendance"]

    @post("/{event_id:int}/checkins", status_code=HTTP_200_OK, guards=[CHECKIN_STAFF], summary="Check in a QR code (or manage token) at the door")
    async def check_in(
        self, event_id: RowId, data: JSONBody[CheckinRequest], request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> CheckinResult:
        return await service.check_in(event_id, data.code, _organiser_id(request), settings)

    @post("/{event_id:int}/walk-ins", guards=[EDITORS], summary="Record someone at the door without a seat, checked in")
    async def walk_in(self, event_id: RowId, data: JSONBody[WalkInCreate], request: Request[Any, Any, Any]) -> Response[WalkInResult]:
        result = await service.walk_in(event_id, data, _organiser_id(request))
        return Response(result, status_code=HTTP_201_CREATED if result.outcome == "created" else HTTP_200_OK)

    @post(
        "/{event_id:int}/attendance-import",
        status_code=HTTP_200_OK,
        guards=[EDITORS],
        # The file's own limit (413 with the reason) is checked in the service; this leaves
        # room for the multipart envelope around a file just under it.
        request_max_body_size=service.MAX_REPORT_BYTES + 1024 * 1024,
        summary="Import a Zoom, Teams or Webex participant report",
    )
    async def import_report(self, event_id: RowId, data: MultipartBody[AttendanceUpload]) -> AttendanceImportResult:
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        return await service.import_report(event_id, content, data.platform)

    @post("/{event_id:int}/finalise-attendance", status_code=HTTP_200_OK, guards=[EDITORS], summary="Attended or no-show, and the follow-up emails")
    async def finalise(self, event_id: RowId, settings: NamedDependency[Settings]) -> FinaliseResult:
        return await service.finalise_attendance(event_id, settings)

    @get("/{event_id:int}/follow-up", guards=[EDITORS])
    async def read_follow_up(self, event_id: RowId) -> FollowUpOut:
        return await service.get_follow_up(event_id)

    @patch("/{event_id:int}/follow-up", guards=[EDITORS], summary="Recording and slides links, attendance threshold")
    async def update_follow_up(self, event_id: RowId, data: JSONBody[FollowUpPatch]) -> FollowUpOut:
        return await service.update_follow_up(event_id, data)


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]
    guards = [EDITORS]

    @get("/companies.csv", summary="One row per company: registrations, attendances, minutes")
    async def companies_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        return _csv(await reports.companies_csv(*_period(date_from, date_to)), "companies.csv")

    @get("/summary", summary="Programme summary: events, registrations, attendance, companies")
    async def summary(self, date_from: DateFrom = None, date_to: DateTo = None) -> ProgrammeSummary:
        return await reports.summary(*_period(date_from, date_to))

    @get("/summary.csv")
    async def summary_csv(self, date_from: DateFrom = None, date_to: DateTo = None) -> Response[str]:
        return _csv(reports.summary_csv(await reports.summary(*_period(date_from, date_to))), "summary.csv")


class PrivacyController(Controller):
    path = "/api/contacts"
    tags = ["privacy"]
    guards = [ADMINS]

    @post("/export", status_code=HTTP_200_OK, summary="Everything held about a person (admins)")
    async def export(self, data: JSONBody[ContactEmail]) -> dict[str, Any]:
        return await privacy.export_contact(data.email)

    @post("/erase", status_code=HTTP_200_OK, summary="Erase a person's personal data; company figures stay (admins)")
    async def erase(self, data: JSONBody[ContactEmail], settings: NamedDependency[Settings]) -> dict[str, int | None]:
        return await privacy.erase_contact(data.email, settings)
