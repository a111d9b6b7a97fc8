"""Certificates over HTTP: the registrant's PDF (by the manage token) and an event's ZIP for
organisers. The public verification page is a web page (web/certificates.py)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from events_service.certificates import service
from events_service.certificates.errors import NoCertificate, TooManyCertificates
from events_service.openapi_docs import raises
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.settings import Settings


class PublicCertificateController(Controller):
    path = "/api/public"
    tags = ["public", "certificates"]

    @get(
        "/registrations/{token:str}/certificate.pdf",
        summary="The certificate of attendance of a registration, by its manage token",
        description="409 with the reason (`code`: not_attended, below_threshold, cancelled, event_not_over, event_not_held).",
        opt=raises(NoCertificate),
    )
    async def certificate(self, token: FromPath[str], settings: NamedDependency[Settings]) -> Response[bytes]:
        name, data = await service.certificate_pdf(token, settings)
        return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


class CertificateController(Controller):
    path = "/api/events"
    tags = ["certificates"]
    guards = [EDITORS]

    @get("/{event_id:int}/certificates.zip", summary="Every certificate of an event, one PDF each, as a ZIP", opt=raises(NoCertificate, TooManyCertificates))
    async def certificates_zip(self, event_id: RowId, settings: NamedDependency[Settings]) -> Stream:
        # Checked (404, 409) before the answer starts; then streamed as the PDFs are made.
        certificates = await service.event_certificates(event_id, settings)
        return Stream(
            service.zip_stream(certificates, settings),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}-certificates.zip"'},
        )
