from __future__ import annotations

from events_service.errors import Conflict, DomainError, Invalid, NotFound


class QuestionError(DomainError):
    pass


class QuestionNotFound(QuestionError, NotFound):
    pass


class InvalidQuestion(QuestionError, Invalid):
    pass


class QuestionConflict(QuestionError, Conflict):
    pass


class InvalidAnswer(QuestionError, Invalid):
    """An answer that does not fit its question: the detail and `extra.question` name it."""

    default_code = "invalid_answer"
