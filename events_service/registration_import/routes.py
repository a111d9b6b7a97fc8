"""HTTP for registration imports (editors)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import MultipartBody

from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.registration_import import service
from events_service.registration_import.schemas import ImportResult, RegistrationUpload
from events_service.settings import Settings


class RegistrationImportController(Controller):
    path = "/api/events/{event_id:int}/registrations-import"
    tags = ["registrations"]
    guards = [EDITORS]

    @post(
        "/",
        status_code=200,
        request_max_body_size=service.MAX_IMPORT_BYTES + 256 * 1024,
        summary="Register the people of a CSV or XLSX list (dry_run: report only, write nothing)",
    )
    async def import_file(
        self, event_id: RowId, data: MultipartBody[RegistrationUpload], settings: NamedDependency[Settings]
    ) -> ImportResult:
        try:
            content = await data.file.read(service.MAX_IMPORT_BYTES + 1)
        finally:
            await data.file.close()
        return await service.import_registrations(
            event_id, content, settings, dry_run=data.dry_run, send_confirmations=data.send_confirmations,
            consent_confirmed=data.consent_confirmed,
        )
