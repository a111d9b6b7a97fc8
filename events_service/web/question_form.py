"""An event's questions on the public registration form: one field per question, named
`answer_<question id>`, read back into the API's `answers` (questions/service.py checks them
as it checks the API's), and a refusal put next to its question."""

from __future__ import annotations

from typing import Any

from events_service.i18n import N_, Translate
from events_service.questions.errors import InvalidAnswer
from events_service.questions.schemas import QuestionKind, QuestionOut
from events_service.web.forms import FormErrors

_ANSWER_NEEDED = N_("Please answer this question.")
_ANSWER_INVALID = N_("Please choose one of the answers offered.")


def field_name(question: QuestionOut) -> str:
    return f"answer_{question.id}"


def answers_of(form: Any, asked: list[QuestionOut]) -> dict[str, Any]:
    """What the form says to each question; a blank field is no answer."""
    answers: dict[str, Any] = {}
    for question in asked:
        name = field_name(question)
        if question.kind is QuestionKind.MULTI:
            picked = [str(value) for value in form.getall(name, [])] if hasattr(form, "getall") else []
            if picked:
                answers[str(question.id)] = picked
            continue
        value = str(form.get(name, "") or "").strip()
        if not value:
            continue
        answers[str(question.id)] = value == "yes" if question.kind is QuestionKind.BOOLEAN else value
    return answers


def form_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as the form shows them again after a refusal."""
    shown: dict[str, Any] = {}
    for key, value in answers.items():
        shown[f"answer_{key}"] = ("yes" if value else "no") if isinstance(value, bool) else value
    return shown


def add_error(errors: FormErrors, error: InvalidAnswer, _: Translate) -> None:
    question = (error.extra or {}).get("question")
    message = _ANSWER_NEEDED if error.code == "answer_required" else _ANSWER_INVALID
    errors.add(f"answer_{question}" if question is not None else None, _(message))
