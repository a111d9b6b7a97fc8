"""What can go wrong with an event, as HTTP answers (errors.domain_error_response)."""

from __future__ import annotations

from events_service.errors import Conflict, DomainError, Invalid, NotFound


class EventError(DomainError):
    pass


class EventNotFound(EventError, NotFound):
    pass


class InvalidEvent(EventError, Invalid):
    pass


class EventStateConflict(EventError, Conflict):
    pass
