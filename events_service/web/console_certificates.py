"""The console's download of an event's certificates of attendance (the API's
`/api/events/{id}/certificates.zip` for a signed-in organiser): checked first (404, 409 with
the reason as a page), then streamed as the PDFs are made."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Stream

from events_service.certificates import service as certificates
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.settings import Settings


class ConsoleCertificates(Controller):
    path = "/console/events"
    include_in_schema = False
    guards = [EDITORS]

    @get("/{event_id:int}/certificates.zip")
    async def certificates_zip(self, event_id: RowId, settings: NamedDependency[Settings]) -> Stream:
        earned = await certificates.event_certificates(event_id, settings)
        return Stream(
            certificates.zip_stream(earned, settings),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}-certificates.zip"'},
        )
