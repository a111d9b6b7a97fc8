"""The rules of an event's questions: what a question may look like, how many an event asks,
and whether a set of answers fits them (the one check registrations and surveys both use)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from events_service.db import run_sql, write_transaction
from events_service.events.queries import event_row
from events_service.i18n import N_, translator
from events_service.questions.errors import (
    InvalidAnswer,
    InvalidQuestion,
    QuestionConflict,
    QuestionNotFound,
)
from events_service.questions.schemas import (
    MAX_QUESTIONS_PER_EVENT,
    MAX_TEXT_ANSWER,
    Label,
    Option,
    QuestionCreate,
    QuestionKind,
    QuestionOut,
    QuestionPatch,
    QuestionStage,
)
from events_service.questions.tables import Question
from events_service.validation import has_control_characters

#: Kinds whose answers are picked from options.
_WITH_OPTIONS = (QuestionKind.CHOICE, QuestionKind.MULTI)


def _check_options(kind: QuestionKind, options: list[Option]) -> None:
    if kind in _WITH_OPTIONS and not options:
        raise InvalidQuestion(f"a {kind.value} question needs options to choose from")
    if kind not in _WITH_OPTIONS and options:
        raise InvalidQuestion(f"a {kind.value} question has no options")
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        raise InvalidQuestion("each option needs a value of its own")


def _out(row: dict[str, Any]) -> QuestionOut:
    return msgspec.convert(
        {**row, "event_id": row["event"], "label": _json(row["label"]), "options": _json(row["options"])}, QuestionOut, strict=False
    )


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str) else value


async def event_questions(event_id: int, stage: QuestionStage | None = None) -> list[QuestionOut]:
    """In the order they are asked (position, then creation). SQL text (db.run_sql): every
    registration reads its event's questions, and the query builder's CPU per statement is
    what a registration rush is made of (bench/questions.py)."""
    if stage is None:
        rows = await run_sql(_EVENT_QUESTIONS, event_id)
    else:
        rows = await run_sql(_STAGE_QUESTIONS, event_id, stage.value)
    return [_out(row) for row in rows]


_COLUMNS = "id, event, label, kind, required, stage, options, position"
_EVENT_QUESTIONS = f"SELECT {_COLUMNS} FROM question WHERE event = {{}} ORDER BY position, id"
_STAGE_QUESTIONS = f"SELECT {_COLUMNS} FROM question WHERE event = {{}} AND stage = {{}} ORDER BY position, id"


async def list_questions(event_id: int, stage: QuestionStage | None = None) -> list[QuestionOut]:
    await event_row(event_id)  # 404 for an unknown event
    return await event_questions(event_id, stage)


async def create_question(event_id: int, data: QuestionCreate) -> QuestionOut:
    _check_options(data.kind, data.options)
    async with write_transaction():
        await event_row(event_id)
        count = await Question.count().where(Question.event == event_id)
        if count >= MAX_QUESTIONS_PER_EVENT:
            raise QuestionConflict(f"an event asks at most {MAX_QUESTIONS_PER_EVENT} questions", code="too_many_questions")
        rows = await Question.insert(
            Question(
                event=event_id,
                label=msgspec.to_builtins(data.label),
                kind=data.kind.value,
                required=data.required,
                stage=data.stage.value,
                options=msgspec.to_builtins(data.options),
                position=count if data.position is None else data.position,
            )
        ).returning(*Question.all_columns())
    return _out(rows[0])


async def _question(event_id: int, question_id: int) -> QuestionOut:
    row = await Question.select().where((Question.id == question_id) & (Question.event == event_id)).first()
    if row is None:
        raise QuestionNotFound(f"event {event_id} has no question {question_id}")
    return _out(row)


async def update_question(event_id: int, question_id: int, patch: QuestionPatch) -> QuestionOut:
    """Words, whether it is required, options and place; never its kind or stage (answers
    given already would stop making sense)."""
    async with write_transaction():
        question = await _question(event_id, question_id)
        changes: dict[Any, Any] = {}
        if patch.label is not None:
            changes[Question.label] = msgspec.to_builtins(patch.label)
        if patch.required is not None:
            changes[Question.required] = patch.required
        if patch.options is not None:
            _check_options(question.kind, patch.options)
            changes[Question.options] = msgspec.to_builtins(patch.options)
        if patch.position is not None:
            changes[Question.position] = patch.position
        if changes:
            await Question.update(changes).where(Question.id == question_id)
    return await _question(event_id, question_id)


async def delete_question(event_id: int, question_id: int) -> None:
    """Answers given to it stay with their registrations, shown no more."""
    async with write_transaction():
        await _question(event_id, question_id)
        await Question.delete().where(Question.id == question_id)


# ---------------------------------------------------------------- answers


def _named(question: QuestionOut) -> str:
    return f"question {question.id} ({question.label.en})"


def _refuse(question: QuestionOut, reason: str, code: str = "invalid_answer") -> InvalidAnswer:
    return InvalidAnswer(f"{_named(question)}: {reason}", code=code, extra={"question": question.id})


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _checked_value(question: QuestionOut, value: Any) -> Any:
    options = {option.value for option in question.options}
    if question.kind is QuestionKind.TEXT:
        if not isinstance(value, str):
            raise _refuse(question, "the answer is text")
        text = value.strip()
        if len(text) > MAX_TEXT_ANSWER or has_control_characters(text.replace("\n", " ").replace("\r", " ").replace("\t", " ")):
            raise _refuse(question, f"at most {MAX_TEXT_ANSWER} characters, no control characters")
        return text
    if question.kind is QuestionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise _refuse(question, "the answer is true or false")
        return value
    if question.kind is QuestionKind.CHOICE:
        if not isinstance(value, str) or value not in options:
            raise _refuse(question, f"the answer is one of {sorted(options)}", code="unknown_option")
        return value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _refuse(question, "the answer is a list of options")
    if not set(value) <= options or len(set(value)) != len(value):
        raise _refuse(question, f"each answer once, from {sorted(options)}", code="unknown_option")
    return value


def check_answers(questions: Iterable[QuestionOut], answers: dict[str, Any], *, enforce_required: bool = True) -> dict[str, Any]:
    """The answers, checked against the questions asked (one stage's): an answer to a
    question not asked here, a missing required one, a value of the wrong type or an option
    that does not exist is a 422 naming the question. Blank answers are left out."""
    by_id = {str(question.id): question for question in questions}
    for key in answers:
        if key not in by_id:
            raise InvalidAnswer(f"question {key[:12]} is not asked here", code="unknown_question", extra={"question": key[:12]})
    checked: dict[str, Any] = {}
    for key, question in by_id.items():
        value = answers.get(key)
        if _is_blank(value):
            if question.required and enforce_required:
                raise _refuse(question, "an answer is required", code="answer_required")
            continue
        checked[key] = _checked_value(question, value)
    return checked


def answer_text(question: QuestionOut, value: Any, language: str = "en") -> str:
    """An answer as a person reads it in a list or an export, in `language`: option labels,
    yes/no."""
    labels = {option.value: option.label.in_language(language) for option in question.options}
    if isinstance(value, bool):
        return yes_or_no(value, language)
    if isinstance(value, list):
        return ", ".join(labels.get(item, item) for item in value)
    return labels.get(value, value) if isinstance(value, str) else ""


def yes_or_no(value: bool, language: str) -> str:
    return translator(language)(N_("yes") if value else N_("no"))


def question_label(question: QuestionOut, language: str = "en") -> str:
    return Label.in_language(question.label, language)
