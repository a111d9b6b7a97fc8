"""The console's editor of an event's questions: add one (words per language, kind, stage,
required, options one per line as `value | Italian | English`), remove one."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from events_service.errors import DomainError
from events_service.events import queries as event_queries
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.questions import service as questions
from events_service.questions.schemas import QuestionCreate, QuestionKind, QuestionStage
from events_service.web import forms
from events_service.web.forms import FormErrors
from events_service.web.pages import page_translator, render

FIELDS = ["label_it", "label_en", "label_de", "kind", "stage", "options"]


def _options(text: str) -> list[dict[str, Any]]:
    """`value | Italian | English` per line; the words default to the value."""
    options = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        italian = parts[1] if len(parts) > 1 and parts[1] else value
        english = parts[2] if len(parts) > 2 and parts[2] else italian
        options.append({"value": value, "label": {"it": italian, "en": english}})
    return options


def question_of(values: dict[str, str], required: bool) -> QuestionCreate:
    label: dict[str, str] = {"it": values["label_it"], "en": values["label_en"]}
    if values["label_de"]:
        label["de"] = values["label_de"]
    return msgspec.convert(
        {"label": label, "kind": values["kind"], "stage": values["stage"] or "registration", "required": required,
         "options": _options(values["options"])},
        QuestionCreate,
    )


class ConsoleQuestions(Controller):
    path = "/console/events/{event_id:int}/questions"
    include_in_schema = False
    guards = [EDITORS]

    async def _page(self, request: Request[Any, Any, Any], event_id: int, *, status_code: int = 200, **context: Any) -> Template:
        context.setdefault("values", {"kind": QuestionKind.TEXT.value, "stage": QuestionStage.REGISTRATION.value})
        context.setdefault("errors", FormErrors())
        return render(request, "console/questions.html", status_code=status_code, event=await event_queries.get_event(event_id),
                      questions=await questions.list_questions(event_id), kinds=[k.value for k in QuestionKind],
                      stages=[s.value for s in QuestionStage], **context)

    @get("/")
    async def questions_page(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        return await self._page(request, event_id)

    @post("/")
    async def add_question(self, request: Request[Any, Any, Any], event_id: RowId) -> Response[Any]:
        form = await request.form()
        values = forms.form_values(form, FIELDS)
        values["options"] = str(form.get("options", "") or "")
        errors = FormErrors()
        _ = page_translator(request)
        try:
            await questions.create_question(event_id, question_of(values, form.get("required") == "yes"))
            return Redirect(path=f"/console/events/{event_id}/questions", status_code=303)
        except msgspec.ValidationError as error:
            errors.add(None, _("Check the question: {reason}").format(reason=str(error)))
        except DomainError as error:
            errors.add(None, forms.error_text(error, _))
        return await self._page(request, event_id, status_code=422, values=values, errors=errors)

    @post("/{question_id:int}/delete")
    async def delete_question(self, event_id: RowId, question_id: RowId) -> Redirect:
        await questions.delete_question(event_id, question_id)
        return Redirect(path=f"/console/events/{event_id}/questions", status_code=303)
