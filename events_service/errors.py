"""The base of every domain error, and how one becomes an HTTP answer.

Each domain defines its own error class (CompanyError, EventError, …) with subclasses that set
`status_code`; app.py registers one handler for DomainError, which Litestar finds for every
subclass (it looks handlers up along the exception's class hierarchy).
"""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import MediaType, Request, Response
from litestar.exceptions import ValidationException


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    #: A stable name for programs (the web pages show their own translated message for it);
    #: `detail` is for people, in English. A subclass may set a default; a raise may override.
    default_code: ClassVar[str | None] = None

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    """Refused for now, not for good: the answer says when to try again (Retry-After)."""

    status_code = 429

    def __init__(self, detail: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(int(retry_after + 0.999), 1)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def domain_error_response(_: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    content: dict[str, Any] = {"status_code": error.status_code, "detail": error.detail}
    if error.code:
        content["code"] = error.code
    if error.extra:
        content["extra"] = error.extra
    headers = error.headers if isinstance(error, TooManyRequests) else None
    return Response(content, status_code=error.status_code, media_type=MediaType.JSON, headers=headers)


def validation_error_response(_: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """Input that parses but breaks a rule is 422, with every broken rule spelled out."""
    problems = error.extra if isinstance(error.extra, list) else []
    reasons = [_describe(problem) for problem in problems if isinstance(problem, dict)]
    detail = "; ".join(reasons) if reasons else str(error.detail)
    return Response(
        {"status_code": 422, "detail": detail, "extra": problems},
        status_code=422,
        media_type=MediaType.JSON,
    )


def _describe(problem: dict[str, Any]) -> str:
    message = str(problem.get("message", "invalid value"))
    if "matching regex" in message and "x00-" in message and "https?" not in message:  # validation.SINGLE_LINE / MULTI_LINE
        message = "must not contain control characters (NUL, line breaks and the like)"
    key = problem.get("key")
    return f"{key}: {message}" if key and f"`{key}`" not in message else message
