"""The console's page for messages to an event's registrants: write, preview in every
language with the count of recipients, then send (the form's one-time key is the request's
Idempotency-Key, so a double click or a resent form sends once); the messages sent so far."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from events_service.broadcasts import messages as broadcast_messages
from events_service.broadcasts import service as broadcasts
from events_service.broadcasts.schemas import Audience, MessageCreate
from events_service.errors import DomainError
from events_service.events import queries as event_queries
from events_service.organisers.auth import EDITORS
from events_service.organisers.schemas import CurrentOrganiser
from events_service.params import RowId
from events_service.settings import Settings
from events_service.web import forms
from events_service.web.forms import FormErrors
from events_service.web.pages import page_translator, render

FIELDS = ["subject", "body", "audience", "attendance_mode"]


def _message_of(values: dict[str, str]) -> MessageCreate:
    data: dict[str, Any] = {name: values[name] for name in ("subject", "body", "audience")}
    if values["attendance_mode"]:
        data["attendance_mode"] = values["attendance_mode"]
    return msgspec.convert(data, MessageCreate)


class ConsoleMessages(Controller):
    path = "/console/events/{event_id:int}/messages"
    include_in_schema = False
    guards = [EDITORS]

    async def _page(self, request: Request[Any, Any, Any], event_id: int, *, status_code: int = 200, **context: Any) -> Template:
        context.setdefault("values", {"audience": Audience.CONFIRMED.value})
        context.setdefault("errors", FormErrors())
        return render(request, "console/messages.html", status_code=status_code, event=await event_queries.get_event(event_id),
                      audiences=[audience.value for audience in Audience], sent=await broadcasts.list_messages(event_id), **context)

    @get("/")
    async def messages_page(self, request: Request[Any, Any, Any], event_id: RowId, queued: FromQuery[int | None] = None) -> Template:
        return await self._page(request, event_id, queued=queued)

    @post("/")
    async def preview_or_send(
        self, request: Request[CurrentOrganiser, Any, Any], event_id: RowId, settings: NamedDependency[Settings]
    ) -> Response[Any]:
        form = await request.form()
        values = forms.form_values(form, FIELDS)
        values["body"] = str(form.get("body", "") or "").replace("\r\n", "\n").strip()
        errors = FormErrors()
        _ = page_translator(request)
        try:
            data = _message_of(values)
            if form.get("action") == "send":
                key = forms.form_key_of(form.get("form_key"))
                queued = await broadcasts.send_message(event_id, data, idempotency_key=key, organiser_id=request.user.id)
                return Redirect(path=f"/console/events/{event_id}/messages", query_params={"queued": str(queued.recipients)}, status_code=303)
            preview = await broadcast_messages.preview(event_id, data, settings)
            return await self._page(request, event_id, values=values, preview=preview, form_key=forms.new_form_key())
        except msgspec.ValidationError as error:
            errors.add(None, _("Check the message: {reason}").format(reason=str(error)))
        except DomainError as error:
            errors.add(None, forms.error_text(error, _))
        return await self._page(request, event_id, status_code=422, values=values, errors=errors)
