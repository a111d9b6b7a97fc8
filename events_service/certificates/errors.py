"""What can go wrong with a certificate, as HTTP answers (errors.domain_error_response)."""

from __future__ import annotations

from events_service.errors import Conflict, DomainError, NotFound


class CertificateError(DomainError):
    pass


class CertificateNotFound(CertificateError, NotFound):
    """An unknown, mistyped or tampered verification code, or one whose registration is gone."""


class NoCertificate(CertificateError, Conflict):
    """The registration exists but earns no certificate (yet): the reason, with a stable code
    (`not_attended`, `below_threshold`, `cancelled`, `event_not_over`, `event_not_held`)."""


class TooManyCertificates(CertificateError, Conflict):
    default_code = "too_many_certificates"
