"""What the OpenAPI document (/schema) says about each route, derived from how the route is built.

The errors a route can answer follow from its construction, so they are read from it rather than
written by hand on ~100 handlers (where they would drift from the truth):
- a guard (requires_role) answers 401 without a bearer and 403 with the wrong role;
- a path parameter names a row that may not exist: 404;
- a route that can refuse because of the current state (a full event, a taken slot) says so
  next to its handler, naming the domain errors it raises: `@post(..., opt=raises(EventFull))`
  documents 409 because EventFull is a Conflict (each DomainError carries its status_code).
  tests/openapi/test_conflicts.py reads the code behind every handler and fails when a
  declaration names an error the route cannot reach, or misses one it can;
- a route with parameters or a body may refuse them: 422 (errors.validation_error_response);
- a rate-limit middleware answers 429 with Retry-After.
Every error has one shape, errors.domain_error_response's `{status_code, detail, code, extra}`.
Routes outside the bearer middleware's reach (public API, sign-in, calendar, pages) carry no
bearer requirement. File routes (.csv, .xlsx, .pdf, .ics, .zip) are documented with their media type,
found from the path's suffix or, for a path without one, declared with `opt=answers_file(".ics")`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitMiddleware
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, SecurityRequirement
from litestar.params import Body
from litestar.routes import HTTPRoute
from litestar.types import Method

from events_service.errors import DomainError


class ErrorBody(msgspec.Struct, kw_only=True):
    """The body of every 4xx this service answers (errors.py)."""

    status_code: int
    #: For people, in English.
    detail: str
    #: A stable name for programs, when the error has one.
    code: str | None = None
    #: The details: for 422, every broken rule.
    extra: Any = None


_DESCRIPTIONS = {
    401: "No bearer token, or an unknown, expired or revoked one",
    403: "The bearer's role may not do this",
    404: "Nothing of that id (or token)",
    409: "Refused by the current state (full, closed, already done, taken)",
    422: "A parameter or the body breaks a rule; `extra` lists every broken rule",
    429: "Too many requests from this client for now; Retry-After says when to try again",
}

_EXAMPLES = {
    401: {"status_code": 401, "detail": "sign in first: POST /api/auth/token"},
    403: {"status_code": 403, "detail": "the role 'checkin' may not do this; it needs: admin, organiser"},
    404: {"status_code": 404, "detail": "event 7 not found"},
    409: {"status_code": 409, "detail": "the event is full", "code": "event_full"},
    422: {"status_code": 422, "detail": "Expected `str` of length <= 200 - at `$.name`",
          "extra": [{"message": "Expected `str` of length <= 200", "key": "name", "source": "body"}]},
    429: {"status_code": 429, "detail": "Too many requests"},
}

#: What the file routes answer, by the suffix of their path.
FILE_MEDIA_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".ics": "text/calendar",
    ".zip": "application/zip",
}

#: The key of a handler's `opt` that holds what `raises` declared.
RAISES = "raises"


def raises(*errors: type[DomainError]) -> dict[str, tuple[type[DomainError], ...]]:
    """The domain errors a route raises because of the current state, for its `opt=`:
    `@post("/…", opt=raises(RegistrationConflict))`. Their statuses are documented (409)."""
    return {RAISES: errors}


def declared_errors(handler: HTTPRouteHandler) -> tuple[type[DomainError], ...]:
    return tuple(handler.opt.get(RAISES, ()))


#: The key of a handler's `opt` that holds what `answers_file` declared.
FILE = "file"


def answers_file(suffix: str) -> dict[str, str]:
    """For a file route whose path does not end in its suffix (`/events/{filename}` answers
    `42.ics`): `@get("/events/{filename:str}", opt=answers_file(".ics"))`."""
    if suffix not in FILE_MEDIA_TYPES:
        raise ValueError(f"no media type known for {suffix!r}: add it to FILE_MEDIA_TYPES")
    return {FILE: suffix}


def error_responses(*status_codes: int) -> dict[int, ResponseSpec]:
    """The shared response spec of the errors `status_codes`, for a handler's `responses=`."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody,
            description=_DESCRIPTIONS[code],
            examples=[Example(summary=_DESCRIPTIONS[code], value=_EXAMPLES[code])],
        )
        for code in status_codes
    }


def operation_id(route_handler: HTTPRouteHandler, http_method: Method, path_components: list[Any]) -> str:
    """`get_api_events_event_id_registrations`: the method and the path, so it is readable,
    unique (one handler per method and path) and changes only when the route does."""
    parts = [getattr(component, "name", component) for component in path_components]
    words = re.sub(r"[^0-9a-zA-Z]+", "_", "_".join(str(part) for part in parts if part)).strip("_")
    return f"{http_method.lower()}_{words}" if words else http_method.lower()


def _rate_limited(handler: HTTPRouteHandler) -> bool:
    return any(
        isinstance(layer, DefineMiddleware) and isinstance(layer.middleware, type)
        and issubclass(layer.middleware, RateLimitMiddleware)
        for layer in handler.resolve_middleware()
    )


def errors_of(handler: HTTPRouteHandler, path: str, public: bool) -> list[int]:
    """The error statuses this route can answer, from how it is built (module docstring)."""
    codes: list[int] = []
    if handler.resolve_guards() or not public:
        codes += [401, 403]
    if "{" in path:
        codes.append(404)
    codes += sorted({error.status_code for error in declared_errors(handler)} & _DESCRIPTIONS.keys())
    if "{" in path or handler.parsed_fn_signature.parameters:
        codes.append(422)
    if _rate_limited(handler):
        codes.append(429)
    return codes


def document_routes(app: Litestar, bearer: SecurityRequirement, public_paths: Sequence[str]) -> None:
    """Fill in each route's errors, bearer requirement and file media type before /schema is
    first built (Litestar builds it lazily from the handlers' attributes). Must be called once,
    right after the app is built; what a handler declares itself is kept."""
    open_paths = [re.compile(pattern) for pattern in public_paths]
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in _unique(route.route_handlers):
            if not handler.include_in_schema:
                continue
            public = not route.path.startswith("/api") or any(p.search(route.path) for p in open_paths)
            declared = dict(handler.responses or {})
            handler.responses = {**error_responses(*errors_of(handler, route.path, public)), **declared}
            if not public and bearer not in (handler.security or []):
                handler.security = [*(handler.security or []), bearer]
            if file_answer := _file_response(handler.opt.get(FILE) or route.path):
                # Only the document: the handler's own media_type stays JSON, because what a
                # before_request hook or an error answers instead of the file is JSON.
                success = handler.status_code or 200
                handler.responses = {**handler.responses, success: file_answer, **declared}


def _file_response(path: str) -> ResponseSpec | None:
    for suffix, media_type in FILE_MEDIA_TYPES.items():
        if path.endswith(suffix):
            return ResponseSpec(data_container=bytes, media_type=media_type, generate_examples=False,
                                description=f"The {suffix[1:].upper()} file")
    return None


def _unique(handlers: Iterable[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    seen: dict[int, HTTPRouteHandler] = {}
    for handler in handlers:
        seen.setdefault(id(handler), handler)
    return list(seen.values())


# Examples of the main request bodies, shown in /schema; tests/openapi/test_document.py decodes
# each into its body type, so an example that stops being valid fails a test.
SIGN_IN_EXAMPLE = {"email": "lucia.verdi@programme.example", "password": "correct horse battery staple"}
COMPANY_EXAMPLE = {"name": "Meccanica Brianza Srl", "vat_id": "IT00000020016", "country": "IT",
                   "region": "Lombardia", "city": "Lecco", "sector": "manufacturing"}
EVENT_EXAMPLE = {
    "kind": "tech_talk",
    "title": "Industrial IoT for small manufacturers",
    "description": "How SMEs connect machines without a big IT team.",
    "language": "it",
    "starts_at": "2027-03-04T16:00:00+01:00",
    "ends_at": "2027-03-04T17:30:00+01:00",
    "timezone": "Europe/Rome",
    "mode": "online",
    "capacity": 100,
    "online_url": "https://meet.example.org/j/123456",
    "speakers": [{"name": "Giulia Ferrari", "email": "giulia.ferrari@polimi.example", "bio": "IoT researcher"}],
    "topics": ["iot", "manufacturing"],
}
REGISTRATION_EXAMPLE = {
    "email": "ada.lovelace@meccanica-brianza.example",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": {"vat_id": "IT00000020016", "name": "Meccanica Brianza Srl", "country": "IT"},
    "consent_privacy": True,
}


def json_body(summary: str, value: dict[str, Any]) -> Body:
    """A JSON body's parameter with an example: `data: Annotated[EventCreate, json_body(...)]`."""
    return Body(media_type=RequestEncodingType.JSON, examples=[Example(summary=summary, value=value)])
