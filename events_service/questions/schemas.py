"""The shapes of questions and answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec

from events_service.validation import SINGLE_LINE

MAX_QUESTIONS_PER_EVENT = 30
MAX_OPTIONS = 50
#: A text answer: a few sentences, not a document.
MAX_TEXT_ANSWER = 1000

LabelText = Annotated[str, msgspec.Meta(min_length=1, max_length=300), SINGLE_LINE]
OptionValue = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"\A[A-Za-z0-9_.-]+\Z")]


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    BOOLEAN = "boolean"


class QuestionStage(StrEnum):
    REGISTRATION = "registration"
    SURVEY = "survey"


class Label(msgspec.Struct, forbid_unknown_fields=True):
    """A question's or option's words per language; German falls back to English."""

    it: LabelText
    en: LabelText
    de: LabelText | None = None

    def in_language(self, language: str) -> str:
        return {"it": self.it, "en": self.en, "de": self.de or self.en}.get(language, self.en)


class Option(msgspec.Struct, forbid_unknown_fields=True):
    value: OptionValue
    label: Label


class QuestionCreate(msgspec.Struct, forbid_unknown_fields=True):
    label: Label
    kind: QuestionKind
    required: bool = False
    stage: QuestionStage = QuestionStage.REGISTRATION
    options: Annotated[list[Option], msgspec.Meta(max_length=MAX_OPTIONS)] = msgspec.field(default_factory=list)
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None


class QuestionPatch(msgspec.Struct, forbid_unknown_fields=True):
    label: Label | None = None
    required: bool | None = None
    options: Annotated[list[Option], msgspec.Meta(max_length=MAX_OPTIONS)] | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None


class QuestionOut(msgspec.Struct):
    id: int
    event_id: int
    label: Label
    kind: QuestionKind
    required: bool
    stage: QuestionStage
    options: list[Option]
    position: int


#: What a registration or survey carries: {"<question id>": value}. Values are checked
#: against the question (questions/answers.py); these bounds only stop hostile sizes early.
AnswerValue = (
    Annotated[str, msgspec.Meta(max_length=MAX_TEXT_ANSWER)]
    | bool
    | Annotated[list[Annotated[str, msgspec.Meta(max_length=60)]], msgspec.Meta(max_length=MAX_OPTIONS)]
)
Answers = Annotated[dict[Annotated[str, msgspec.Meta(max_length=12)], AnswerValue], msgspec.Meta(max_length=MAX_QUESTIONS_PER_EVENT)]


def as_answers(value: Any) -> dict[str, Any]:
    """Stored answers (JSON, a str on some engines) as a dict."""
    if isinstance(value, str):
        return msgspec.json.decode(value) if value else {}
    return dict(value or {})
