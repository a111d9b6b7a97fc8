from __future__ import annotations

from events_service.errors import Conflict, DomainError, Invalid, NotFound


class ExpertError(DomainError):
    pass


class ExpertNotFound(ExpertError, NotFound):
    pass


class ExpertConflict(ExpertError, Conflict):
    pass


class ExpertInvalid(ExpertError, Invalid):
    pass
