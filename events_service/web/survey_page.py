"""The page the thank-you email's survey link opens: a rating from 1 to 5 and the event's
survey questions, answered once (surveys/service.py decides who may and how often)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from events_service.i18n import translator
from events_service.questions.errors import InvalidAnswer
from events_service.settings import Settings
from events_service.surveys import service as surveys
from events_service.surveys.errors import SurveyConflict
from events_service.surveys.schemas import SurveyAnswer
from events_service.web import question_form
from events_service.web.forms import FormErrors
from events_service.web.pages import page_language, render


class SurveyPage(Controller):
    path = "/surveys"
    include_in_schema = False

    @get("/{token:str}")
    async def survey(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        form = await surveys.survey_form(settings, token)
        return render(request, "survey.html", survey=form, questions=form.questions, token=token, values={}, errors=FormErrors(),
                      done=form.answered)

    @post("/{token:str}")
    async def answer(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
        survey = await surveys.survey_form(settings, token)
        _ = translator(page_language(request))
        form = await request.form()
        answers = question_form.answers_of(form, survey.questions)
        values: dict[str, Any] = {**question_form.form_values(answers), "rating": str(form.get("rating", ""))}
        errors = FormErrors()
        try:
            rating = int(values["rating"]) if values["rating"].isdigit() else 0
            await surveys.answer_survey(settings, token, msgspec.convert({"rating": rating, "answers": answers}, SurveyAnswer))
            return render(request, "survey.html", survey=survey, questions=[], token=token, values={}, errors=errors, done=True)
        except msgspec.ValidationError:
            errors.add("rating", _("Please choose a rating from 1 to 5."))
        except InvalidAnswer as error:
            question_form.add_error(errors, error, _)
        except SurveyConflict:
            return render(request, "survey.html", survey=survey, questions=[], token=token, values={}, errors=errors, done=True)
        return render(request, "survey.html", status_code=422, survey=survey, questions=survey.questions, token=token, values=values,
                      errors=errors, done=False)
