"""The shapes of the survey: what a respondent sees and sends, what organisers read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from events_service.questions.schemas import Answers, QuestionOut


class SurveyAnswer(msgspec.Struct, forbid_unknown_fields=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    answers: Answers = msgspec.field(default_factory=dict)


class SurveyForm(msgspec.Struct):
    """What the survey link opens: the event's name and its survey questions (nothing of the person)."""

    event_title: str
    event_starts_at: datetime
    questions: list[QuestionOut]
    answered: bool


class SurveyReceived(msgspec.Struct):
    id: int
    rating: int
    answers: dict[str, Any]


class QuestionResult(msgspec.Struct):
    question: QuestionOut
    answered: int
    #: choice / multi / boolean: how many gave each answer (booleans as "yes" / "no").
    counts: dict[str, int]
    #: text: the answers themselves.
    texts: list[str]


class CompanyResult(msgspec.Struct):
    company_id: int | None
    company: str | None
    responses: int
    mean_rating: float | None


class SurveyResults(msgspec.Struct):
    event_id: int
    responses: int
    attended: int
    mean_rating: float | None
    ratings: dict[str, int]
    questions: list[QuestionResult]
    companies: list[CompanyResult]
