"""The OpenAPI document tells the truth about each route (events_service/openapi_docs.py):
its errors with their one shape, its bearer requirement, its file media type, its operation id;
and a guarded route really answers the documented 401/403 in that shape."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from events_service.app import create_app
from events_service.companies.schemas import CompanyCreate
from events_service.events.schemas import EventCreate
from events_service.organisers.schemas import TokenRequest
from events_service.registrations.schemas import RegistrationCreate
from events_service.settings import Settings
from tests.conftest import token_headers

ERROR_FIELDS = {"status_code", "detail", "code", "extra"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'doc.db'}"
    return create_app(Settings(db_url=url)).openapi_schema.to_schema()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def _error_schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    schema = response["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    return document["components"]["schemas"][name]


def test_no_document_wide_bearer_and_public_routes_are_open(document: dict[str, Any]) -> None:
    assert not document.get("security")
    for path, method, operation in _operations(document):
        public = path.startswith("/api/public") or path == "/api/auth/token" or not path.startswith("/api")
        if public:
            assert not operation.get("security"), (method, path)
        else:
            assert operation.get("security") == [{"BearerToken": []}], (method, path)


def test_guarded_routes_document_401_403_and_path_ids_404(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        if operation.get("security"):
            assert {"401", "403"} <= responses.keys(), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in {"post", "put", "patch", "delete"}:
            assert "422" in responses, (method, path)  # 409 only where it can happen: test_conflicts.py


def test_every_documented_error_has_the_shared_shape_with_an_example(document: dict[str, Any]) -> None:
    seen = 0
    for _, _, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status in {"401", "403", "404", "409", "429"}:
                assert set(_error_schema(document, response)["properties"]) == ERROR_FIELDS
                assert response["content"]["application/json"]["examples"]
                seen += 1
    assert seen > 100


def test_rate_limited_routes_document_429(document: dict[str, Any]) -> None:
    limited = {path for path, _, operation in _operations(document) if "429" in operation["responses"]}
    assert {"/api/auth/token", "/api/public/events/{event_id}/registrations"} <= limited
    assert "/api/events" not in limited


def test_file_routes_have_their_media_types(document: dict[str, Any]) -> None:
    expected = {
        "/api/events/{event_id}/registrations.csv": "text/csv",
        "/api/events/{event_id}/registrations.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "/api/public/registrations/{token}/certificate.pdf": "application/pdf",
        "/api/events/{event_id}/certificates.zip": "application/zip",
        "/calendar/events.ics": "text/calendar",
        "/events/{filename}": "text/calendar",  # /events/42.ics: the suffix is in the parameter
        "/calendar/personal/{filename}": "text/calendar",
    }
    for path, media_type in expected.items():
        assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == [media_type]


def test_operation_ids_are_unique_and_read_as_method_and_path(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/api/events/{event_id}/registrations"]["get"]["operationId"] == "get_api_events_event_id_registrations"
    assert document["paths"]["/api/auth/token"]["post"]["operationId"] == "post_api_auth_token"


async def test_a_guarded_route_answers_what_it_documents(client: httpx.AsyncClient) -> None:
    nobody = await client.get("/api/companies")
    checkin = await client.post("/api/companies", json={"name": "X", "vat_id": "IT00000000000", "country": "IT"},
                                headers=await token_headers(client, "checkin"))
    missing = await client.get("/api/events/999999", headers=await token_headers(client, "organiser"))
    for answer, status in ((nobody, 401), (checkin, 403), (missing, 404)):
        assert answer.status_code == status
        assert answer.json()["status_code"] == status
        assert set(answer.json()) <= ERROR_FIELDS and answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body_type"),
    [
        ("/api/auth/token", TokenRequest),
        ("/api/companies", CompanyCreate),
        ("/api/events", EventCreate),
        ("/api/public/events/{event_id}/registrations", RegistrationCreate),
    ],
)
def test_main_bodies_carry_a_valid_example(document: dict[str, Any], path: str, body_type: type) -> None:
    content = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    examples = content["schema"]["examples"]  # Litestar writes a body's examples on its schema
    assert examples
    for example in examples:
        msgspec.convert(example, body_type, strict=False)  # raises if the example stopped being valid
