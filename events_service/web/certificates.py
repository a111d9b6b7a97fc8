"""The public page that says whether a certificate of attendance is genuine: what its QR code
opens. JSON for programs (`Accept: application/json`), HTML for people."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from events_service.certificates import service
from events_service.certificates.errors import CertificateNotFound
from events_service.settings import Settings
from events_service.web.pages import page_language, render


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match([MediaType.HTML, MediaType.JSON]) == MediaType.JSON


class CertificatePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/certificates/{code:str}")
    async def verify(self, request: Request[Any, Any, Any], code: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
        try:
            check = await service.check_code(code, settings)
        except CertificateNotFound as error:
            if _wants_json(request):
                return Response({"status_code": 404, "detail": error.detail}, status_code=404, media_type=MediaType.JSON)
            return render(request, "certificate.html", status_code=404, check=None, code=code)
        if _wants_json(request):
            return Response(check, media_type=MediaType.JSON)
        day = format_date(check.date, format="long", locale=page_language(request))
        return render(request, "certificate.html", check=check, code=code, day=day)
