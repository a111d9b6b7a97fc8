from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from events_service.attendance import pull, report_errors, service
from events_service.attendance.platform_api import PlatformNotConfigured
from events_service.attendance.schemas import (
    AttendanceImportResult,
    AttendanceUpload,
    CheckinRequest,
    CheckinResult,
    FinaliseResult,
    FollowUpOut,
    FollowUpPatch,
    WalkInCreate,
    WalkInResult,
)
from events_service.attendance.service import AttendanceConflict
from events_service.openapi_docs import raises
from events_service.organisers.auth import CHECKIN_STAFF, EDITORS
from events_service.organisers.schemas import CurrentOrganiser
from events_service.params import RowId
from events_service.registrations.errors import RegistrationConflict
from events_service.settings import Settings


def _organiser_id(request: Request[Any, Any, Any]) -> int | None:
    user = request.user
    return user.id if isinstance(user, CurrentOrganiser) else None


class AttendanceController(Controller):
    path = "/api/events"
    tags = ["attendance"]

    @post("/{event_id:int}/checkins", status_code=HTTP_200_OK, guards=[CHECKIN_STAFF], summary="Check in a QR code (or manage token) at the door", opt=raises(AttendanceConflict))
    async def check_in(
        self, event_id: RowId, data: JSONBody[CheckinRequest], request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> CheckinResult:
        return await service.check_in(event_id, data.code, _organiser_id(request), settings)

    @post("/{event_id:int}/walk-ins", guards=[EDITORS], summary="Record someone at the door without a seat, checked in", opt=raises(AttendanceConflict, RegistrationConflict))
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
        summary="Import a Zoom, Teams or Webex participant report (CSV or XLSX)",
        description="A file that is no report is refused (422, nothing written) with a `code` (`report_…`) and, when no "
        "attendance table fits, `extra.found` (the file's columns) and `extra.looked_for`; `detail` is worded in the "
        "first language of Accept-Language that the service speaks (it, en, de).",
        opt=raises(AttendanceConflict),
    )
    async def import_report(
        self, event_id: RowId, data: MultipartBody[AttendanceUpload], request: Request[Any, Any, Any]
    ) -> AttendanceImportResult:
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        try:
            return await service.import_report(event_id, content, data.platform)
        except service.InvalidReport as error:
            raise report_errors.localise(error, request.headers.get("accept-language")) from None

    @post(
        "/{event_id:int}/attendance-pull",
        status_code=HTTP_200_OK,
        guards=[EDITORS],
        summary="Pull a webinar's attendance from Zoom or Microsoft Graph (the event's online_meeting)",
        description="The same answer as an attendance import. 409 when the event has no online meeting, has not ended "
        "or its platform is not configured here; 502 when the platform fails; 503 with Retry-After when it rate-limits.",
        opt=raises(AttendanceConflict, PlatformNotConfigured),
    )
    async def pull_attendance(self, event_id: RowId, settings: NamedDependency[Settings]) -> AttendanceImportResult:
        return await pull.pull_attendance(event_id, settings)

    @post("/{event_id:int}/finalise-attendance", status_code=HTTP_200_OK, guards=[EDITORS], summary="Attended or no-show, and the follow-up emails", opt=raises(AttendanceConflict))
    async def finalise(self, event_id: RowId, settings: NamedDependency[Settings]) -> FinaliseResult:
        return await service.finalise_attendance(event_id, settings)

    @get("/{event_id:int}/follow-up", guards=[EDITORS])
    async def read_follow_up(self, event_id: RowId) -> FollowUpOut:
        return await service.get_follow_up(event_id)

    @patch("/{event_id:int}/follow-up", guards=[EDITORS], summary="Recording and slides links, attendance threshold")
    async def update_follow_up(self, event_id: RowId, data: JSONBody[FollowUpPatch]) -> FollowUpOut:
        return await service.update_follow_up(event_id, data)
