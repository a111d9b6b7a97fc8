from __future__ import annotations

from events_service.errors import Conflict, DomainError, NotFound


class SurveyError(DomainError):
    pass


class SurveyNotFound(SurveyError, NotFound):
    pass


class SurveyConflict(SurveyError, Conflict):
    pass
