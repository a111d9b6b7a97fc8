"""The console's registration import: upload a CSV or XLSX list, try it first (dry run: what
would happen, line by line, nothing written), then import it, with or without confirmations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Template

from events_service.errors import DomainError
from events_service.events import queries as event_queries
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.registration_import import service as imports
from events_service.settings import Settings
from events_service.web.forms import FormErrors
from events_service.web.pages import page_translator, render


class ConsoleRegistrationImport(Controller):
    path = "/console/events/{event_id:int}/registrations-import"
    include_in_schema = False
    guards = [EDITORS]

    @get("/")
    async def import_form(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        return render(request, "console/registrations_import.html", event=await event_queries.get_event(event_id), result=None,
                      error=None, values={"dry_run": "yes", "send_confirmations": "yes"})

    @post("/", request_max_body_size=imports.MAX_IMPORT_BYTES + 256 * 1024)
    async def import_file(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        event = await event_queries.get_event(event_id)
        form = await request.form()
        values = {name: "yes" if form.get(name) == "yes" else "" for name in ("dry_run", "send_confirmations", "consent_confirmed")}
        upload = form.get("file")
        _ = page_translator(request)
        if not isinstance(upload, UploadFile):
            return render(request, "console/registrations_import.html", status_code=422, event=event, result=None,
                          error=_("Choose a file."), values=values, errors=FormErrors())
        try:
            content = await upload.read(imports.MAX_IMPORT_BYTES + 1)
        finally:
            await upload.close()
        try:
            result = await imports.import_registrations(
                event_id, content, settings, dry_run=values["dry_run"] == "yes",
                send_confirmations=values["send_confirmations"] == "yes", consent_confirmed=values["consent_confirmed"] == "yes",
            )
        except DomainError as error:
            return render(request, "console/registrations_import.html", status_code=422, event=event, result=None,
                          error=error.detail, values=values)
        return render(request, "console/registrations_import.html", event=event, result=result, error=None, values=values)
