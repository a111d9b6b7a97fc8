"""What can go wrong with a registration, as HTTP answers (errors.domain_error_response)."""

from __future__ import annotations

from events_service.errors import Conflict, DomainError, Invalid, NotFound


class RegistrationError(DomainError):
    pass


class RegistrationNotFound(RegistrationError, NotFound):
    pass


class RegistrationConflict(RegistrationError, Conflict):
    pass


class InvalidRegistration(RegistrationError, Invalid):
    pass
