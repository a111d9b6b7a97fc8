"""The console's companies: search by name or VAT id, a company's page (its people, events,
minutes and certificates), and importing companies from CSV or XLSX with a preview.
Organisers only (EDITORS); every page turns a form into a service call."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from events_service.certificates import service as certificates
from events_service.certificates.errors import CertificateNotFound
from events_service.companies import importer
from events_service.companies import service as companies
from events_service.organisers.auth import EDITORS
from events_service.paging import Page
from events_service.params import Offset, RowId
from events_service.registrations import queries as registration_queries
from events_service.settings import DEFAULT_TIMEZONE, Settings
from events_service.web.pages import page_translator, render

#: Companies listed on one page of the search.
PAGE_SIZE = 50


class ConsoleCompanies(Controller):
    path = "/console/companies"
    include_in_schema = False
    guards = [EDITORS]

    @get("/")
    async def search(self, request: Request[Any, Any, Any], q: FromQuery[str | None] = None, offset: Offset = 0) -> Template:
        query = (q or "").strip()[:200]
        found, total = await companies.page_of_companies(query or None, Page(PAGE_SIZE, offset))
        return render(request, "console/companies.html", companies=found, total=total, q=query, offset=offset, page_size=PAGE_SIZE)

    @get("/{company_id:int}")
    async def company_page(self, request: Request[Any, Any, Any], company_id: RowId) -> Template:
        engagement = await companies.company_engagement(company_id)
        return render(
            request, "console/company.html", engagement=engagement, company=engagement.company,
            people=await registration_queries.company_people(company_id),
            certificates=await certificates.company_certificates(company_id),
            timezone=DEFAULT_TIMEZONE,  # the engagement's events come without their zone: the programme's
        )

    @get("/{company_id:int}/certificates/{registration_id:int}")
    async def certificate(self, company_id: RowId, registration_id: RowId, settings: NamedDependency[Settings]) -> Response[bytes]:
        earned = {item.registration_id for item in await certificates.company_certificates(company_id)}
        if registration_id not in earned:  # only this company's certificates, from this page
            raise CertificateNotFound(f"company {company_id} has no certificate {registration_id}")
        name, data = await certificates.certificate_pdf_by_id(registration_id, settings)
        return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "console/companies_import.html", report=None, error=None, file_name="")

    @post("/import", request_max_body_size=importer.MAX_UPLOAD_BYTES + 256 * 1024)
    async def import_file(self, request: Request[Any, Any, Any]) -> Template:
        form = await request.form()
        upload = form.get("file")
        dry_run = form.get("action") != "import"
        if not isinstance(upload, UploadFile) or not upload.filename:
            _ = page_translator(request)
            return render(request, "console/companies_import.html", status_code=422, report=None,
                          error=_("Choose the file of companies (CSV or XLSX) to upload."), file_name="")
        try:
            content = await upload.read()
        finally:
            await upload.close()
        try:
            report = await importer.import_company_upload(content, dry_run=dry_run)
        except importer.ImportFileError as error:
            return render(request, "console/companies_import.html", status_code=422, report=None, error=str(error),
                          file_name=upload.filename)
        return render(request, "console/companies_import.html", report=report, error=None, file_name=upload.filename)
