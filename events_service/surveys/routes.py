"""HTTP for the survey: the respondent's link (public, the signed token is the key) and the
organisers' results."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from events_service.openapi_docs import raises
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.settings import Settings
from events_service.surveys import service
from events_service.surveys.errors import SurveyConflict
from events_service.surveys.schemas import SurveyAnswer, SurveyForm, SurveyReceived, SurveyResults


class PublicSurveyController(Controller):
    path = "/api/public/surveys"
    tags = ["public"]

    @get("/{token:str}", summary="The survey a thank-you email links to", opt=raises(SurveyConflict))
    async def read(self, token: FromPath[str], settings: NamedDependency[Settings]) -> SurveyForm:
        return await service.survey_form(settings, token)

    @post("/{token:str}", status_code=201, summary="Answer the survey (once)", opt=raises(SurveyConflict))
    async def answer(self, token: FromPath[str], data: JSONBody[SurveyAnswer], settings: NamedDependency[Settings]) -> SurveyReceived:
        return await service.answer_survey(settings, token, data)


class SurveyResultsController(Controller):
    path = "/api/events/{event_id:int}/survey"
    tags = ["questions"]
    guards = [EDITORS]

    @get("/", summary="The survey's results: counts per answer, mean rating, per company")
    async def results(self, event_id: RowId) -> SurveyResults:
        return await service.event_results(event_id)
