from __future__ import annotations

from events_service.errors import DomainError, Invalid


class ImportError_(DomainError):  # noqa: N801 - not the builtin ImportError
    pass


class InvalidImport(ImportError_, Invalid):
    pass


class ImportTooLarge(ImportError_):
    status_code = 413
