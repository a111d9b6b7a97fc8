"""The OpenAPI document names 409 exactly where the code behind a route can refuse because of
the current state (issue 16 item 5), and every file route has its file's media type.

How it stays true: each domain error class carries its status (errors.py: a Conflict is 409);
a route that can raise one says so next to its handler, `opt=raises(EventFull)`
(openapi_docs.raises), and /schema documents 409 from that. This test reads the code behind
every documented handler (tests/openapi/reachable_errors.py: the calls it makes, followed
through events_service, and the errors they raise that no `try` around them catches) and fails
when a declaration misses a conflict the code can reach, or names one it cannot, printing the
chain of calls. What names cannot tell (a call through a variable, a hook registered at run
time) it does not see; schemathesis (test_schemathesis.py) then catches an undocumented 409
answered by the served process.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from litestar import Litestar, Response
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream
from litestar.routes import HTTPRoute

from events_service.app import create_app
from events_service.errors import DomainError
from events_service.openapi_docs import FILE_MEDIA_TYPES, declared_errors
from events_service.settings import Settings
from tests.openapi.reachable_errors import reachable_errors

CONFLICT = 409


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    return create_app(Settings(db_url=f"sqlite:///{tmp_path_factory.mktemp('conflicts') / 'doc.db'}"))


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def _documented(app: Litestar, document: dict[str, Any]) -> list[tuple[str, str, HTTPRouteHandler]]:
    """(method, path as /schema writes it, handler) of every operation in the document."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for method, (handler, _) in route.route_handler_map.items():
            if method.lower() in document["paths"].get(path, {}):
                found.append((method, path, handler))
    return found


def _chain(chain: list[str]) -> str:
    return " -> ".join(step.removeprefix("events_service.") for step in chain)


def test_each_route_declares_exactly_the_conflicts_its_code_can_raise(app: Litestar, document: dict[str, Any]) -> None:
    problems = []
    checked = 0
    for method, path, handler in _documented(app, document):
        reachable = {error: chain for error, chain in reachable_errors(handler.fn).items() if error.status_code == CONFLICT}
        declared = {error for error in declared_errors(handler) if error.status_code == CONFLICT}
        problems += [
            f"{method} {path} can raise {error.__name__} ({_chain(chain)}): add it to the route's opt=raises(…)"
            for error, chain in reachable.items() if error not in declared
        ]
        problems += [
            f"{method} {path} declares {error.__name__}, which no code behind it raises: take it out of opt=raises(…)"
            for error in declared - reachable.keys()
        ]
        checked += 1
    assert checked > 60
    assert not problems, "\n".join(sorted(problems))


def test_409_is_documented_exactly_where_a_conflict_is_declared(app: Litestar, document: dict[str, Any]) -> None:
    with_conflict = set()
    for method, path, handler in _documented(app, document):
        documented = "409" in document["paths"][path][method.lower()]["responses"]
        declared = any(error.status_code == CONFLICT for error in declared_errors(handler))
        assert documented == declared, (method, path)
        with_conflict |= {f"{method} {path}"} if documented else set()
    # The ones everyone knows, and writes that can never collide with anything.
    assert {"POST /api/public/events/{event_id}/registrations", "POST /api/events/{event_id}/publish",
            "GET /api/public/registrations/{token}/certificate.pdf"} <= with_conflict
    assert not {"POST /api/tokens", "DELETE /api/tokens/{token_id}", "POST /api/auth/token",
                "PATCH /api/events/{event_id}/questions/{question_id}", "GET /api/events/{event_id}"} & with_conflict


def test_declarations_name_domain_errors(app: Litestar, document: dict[str, Any]) -> None:
    for method, path, handler in _documented(app, document):
        for error in declared_errors(handler):
            assert isinstance(error, type) and issubclass(error, DomainError), (method, path, error)


def _answers_a_file(handler: HTTPRouteHandler) -> bool:
    """A handler answering raw text or bytes (or a stream) sends a file, not a JSON document."""
    annotation = handler.parsed_fn_signature.return_type.annotation
    if annotation is Stream:
        return True
    return get_origin(annotation) is Response and get_args(annotation)[0] in (bytes, str)


def test_every_file_route_documents_its_media_type(app: Litestar, document: dict[str, Any]) -> None:
    files = 0
    for method, path, handler in _documented(app, document):
        responses = document["paths"][path][method.lower()]["responses"]
        success = str(handler.status_code or 200)
        media_types = list(responses[success].get("content", {}))
        if _answers_a_file(handler):
            assert media_types and set(media_types) <= set(FILE_MEDIA_TYPES.values()), (method, path, media_types)
            files += 1
        else:
            assert not set(media_types) & set(FILE_MEDIA_TYPES.values()), (method, path, media_types)
    assert files >= 15


# ---------------------------------------------------------------- the reader itself


def _handler(app: Litestar, method: str, path: str) -> HTTPRouteHandler:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == path:
            return route.route_handler_map[method][0]
    raise LookupError(path)


def _conflicts(app: Litestar, method: str, path: str) -> set[str]:
    return {error.__name__ for error in reachable_errors(_handler(app, method, path).fn) if error.status_code == CONFLICT}


def test_the_reader_follows_calls_and_errors_built_by_a_helper(app: Litestar) -> None:
    # registrations.service._insert_registration raises `_already_registered(email)`, a function
    # that builds the RegistrationConflict: the route is three calls away from it.
    assert _conflicts(app, "POST", "/api/public/events/{event_id:int}/registrations") == {"RegistrationConflict"}
    # A route of a controller built inside a function (the settings decide its rate limit).
    assert "RegistrationConflict" in _conflicts(app, "POST", "/api/public/cancellations/{token:str}/undo")
    # Cancelling promotes the first person waiting under the event row's lock, from a seat that
    # cannot be refused (seats.take_seat_for_promotion): no 409, for the person, an organiser or
    # an erasure.
    for method, path in (("POST", "/api/public/registrations/{token:str}/cancel"), ("POST", "/api/registrations/{registration_id:int}/cancel"),
                         ("POST", "/api/contacts/erase")):
        assert _conflicts(app, method, path) == set(), path


def test_the_reader_leaves_out_what_a_try_catches(app: Litestar) -> None:
    # The import registers each row through the same rules, but catches every DomainError of a
    # row and reports it as that row's error: the route itself never answers 409.
    assert _conflicts(app, "POST", "/api/events/{event_id:int}/registrations-import") == set()
    assert _conflicts(app, "GET", "/api/events/{event_id:int}") == set()


def test_the_reader_reads_the_installed_sources() -> None:
    import events_service.registrations.service as registrations

    assert Path(registrations.__file__).read_text(encoding="utf-8")  # it parses what runs
