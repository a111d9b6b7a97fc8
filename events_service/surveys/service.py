"""The survey's rules: who may answer (an attended, not cancelled registration, through its
signed survey link), once (the unique registration index decides, also under a race), with
answers checked as registration answers are (questions/service.py); and its results."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from events_service.companies.tables import Company
from events_service.db import is_unique_violation, write_transaction
from events_service.events.queries import event_row
from events_service.questions.schemas import QuestionKind, QuestionStage, as_answers
from events_service.questions.service import check_answers, event_questions
from events_service.registrations.errors import RegistrationNotFound
from events_service.registrations.links import registration_by_token
from events_service.registrations.records import RegistrationRecord
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.surveys.errors import SurveyConflict, SurveyNotFound
from events_service.surveys.schemas import (
    CompanyResult,
    QuestionResult,
    SurveyAnswer,
    SurveyForm,
    SurveyReceived,
    SurveyResults,
)
from events_service.surveys.tables import SurveyResponse


async def _respondent(settings: Settings, token: str) -> RegistrationRecord:
    """The registration a survey token names: it must have attended and not be cancelled."""
    try:
        registration = await registration_by_token(settings, token, purpose="survey")
    except RegistrationNotFound:
        raise SurveyNotFound("no survey for this link; it may have been mistyped or replaced") from None
    if not registration.attended or registration.status == "cancelled":
        raise SurveyConflict("the survey is for those who attended the event", code="not_attended")
    return registration


async def survey_form(settings: Settings, token: str) -> SurveyForm:
    registration = await _respondent(settings, token)
    event = await event_row(registration.event)
    answered = await SurveyResponse.exists().where(SurveyResponse.registration == registration.id)
    return SurveyForm(
        event_title=event.title,
        event_starts_at=event.starts_at,
        questions=await event_questions(event.id, QuestionStage.SURVEY),
        answered=answered,
    )


async def answer_survey(settings: Settings, token: str, data: SurveyAnswer) -> SurveyReceived:
    """201 once per registration; 409 after (the unique index on registration decides)."""
    registration = await _respondent(settings, token)
    answers = check_answers(await event_questions(registration.event, QuestionStage.SURVEY), data.answers)
    try:
        async with write_transaction():
            if await SurveyResponse.exists().where(SurveyResponse.registration == registration.id):
                raise SurveyConflict("this registration has answered the survey already", code="already_answered")
            rows = await SurveyResponse.insert(
                SurveyResponse(registration=registration.id, event=registration.event, company=registration.company,
                               rating=data.rating, answers=answers)
            ).returning(SurveyResponse.id)
    except Exception as error:
        if is_unique_violation(error):  # the same link, sent twice at the same moment
            raise SurveyConflict("this registration has answered the survey already", code="already_answered") from None
        raise
    return SurveyReceived(id=rows[0]["id"], rating=data.rating, answers=answers)


def _mean(ratings: list[int]) -> float | None:
    return round(sum(ratings) / len(ratings), 2) if ratings else None


def _question_result(question: Any, responses: list[dict[str, Any]]) -> QuestionResult:
    counts: Counter[str] = Counter()
    texts: list[str] = []
    answered = 0
    for response in responses:
        value = as_answers(response["answers"]).get(str(question.id))
        if value is None:
            continue
        answered += 1
        if question.kind is QuestionKind.TEXT:
            texts.append(str(value))
        elif question.kind is QuestionKind.BOOLEAN:
            counts["yes" if value else "no"] += 1
        elif question.kind is QuestionKind.MULTI:
            counts.update(str(item) for item in value)
        else:
            counts[str(value)] += 1
    if question.kind in (QuestionKind.CHOICE, QuestionKind.MULTI):
        counts = Counter({option.value: counts.get(option.value, 0) for option in question.options})
    return QuestionResult(question=question, answered=answered, counts=dict(counts), texts=texts)


async def event_results(event_id: int) -> SurveyResults:
    """Counts per answer, the mean rating, and per company (its responses and mean rating)."""
    await event_row(event_id)
    responses = await SurveyResponse.select().where(SurveyResponse.event == event_id).order_by(SurveyResponse.id)
    attended = await Registration.count().where((Registration.event == event_id) & Registration.attended.eq(True))
    questions = await event_questions(event_id, QuestionStage.SURVEY)
    by_company: dict[int | None, list[int]] = defaultdict(list)
    for response in responses:
        by_company[response["company"]].append(response["rating"])
    names = {row["id"]: row["name"] for row in await Company.select(Company.id, Company.name).where(
        Company.id.is_in([key for key in by_company if key is not None] or [0]))}
    ratings = [response["rating"] for response in responses]
    return SurveyResults(
        event_id=event_id,
        responses=len(responses),
        attended=attended,
        mean_rating=_mean(ratings),
        ratings={str(score): ratings.count(score) for score in range(1, 6)},
        questions=[_question_result(question, responses) for question in questions],
        companies=[
            CompanyResult(company_id=company, company=names.get(company) if company else None, responses=len(scores), mean_rating=_mean(scores))
            for company, scores in sorted(by_company.items(), key=lambda item: (item[0] is None, item[0] or 0))
        ],
    )


async def company_summary(company_id: int) -> tuple[int, float | None]:
    """How many survey answers the company's people gave, and their mean rating."""
    rows = await SurveyResponse.select(SurveyResponse.rating).where(SurveyResponse.company == company_id)
    ratings = [row["rating"] for row in rows]
    return len(ratings), _mean(ratings)
