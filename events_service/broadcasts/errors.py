"""What can go wrong with a message to registrants, as HTTP answers."""

from __future__ import annotations

from events_service.errors import Conflict, DomainError, Invalid


class BroadcastError(DomainError):
    pass


class InvalidBroadcast(BroadcastError, Invalid):
    pass


class BroadcastConflict(BroadcastError, Conflict):
    pass
