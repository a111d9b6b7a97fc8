"""Schemathesis against a real served process (tests/serving.py): every documented route of the
public API and of a signed-in organiser, with a few generated requests each (bounded so the test
stays around a minute per engine): no 5xx, and every answer's status, content type, headers and
body match /schema/openapi.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from events_service.settings import Settings
from tests.factories import event_payload
from tests.serving import organiser_headers, served, server_env

#: Generated requests per operation: enough to reach each error branch the parameters lead to,
#: few enough for ~90 operations to run in about a minute on two shared cores.
EXAMPLES_PER_OPERATION = 3
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _exercise(operation: Any, base_url: str, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Any) -> None:
        # /readyz's documented 503 means "not ready" (the served process runs no worker), not a fault.
        checks = CHECKS[1:] if case.path == "/readyz" else CHECKS
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=30)
        except (AssertionError, BaseExceptionGroup) as failure:  # FailureGroup: one or more checks failed
            failures.append(f"{case.method} {case.formatted_path}: {str(failure)[:600]}")

    check()


async def test_every_answer_matches_the_document_and_none_is_a_5xx(settings: Settings, tmp_path: Path) -> None:
    with served(server_env(settings, tmp_path / "server-var")) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            organiser = await organiser_headers(http, settings, "schemathesis")
            # One published event, so the generated small ids reach a real row now and then.
            event = (await http.post("/api/events", json=event_payload(), headers=organiser)).json()
            assert (await http.post(f"/api/events/{event['id']}/publish", headers=organiser)).status_code == 200

        schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 80
        failures: list[str] = []
        for operation in operations:
            _exercise(operation, base_url, organiser, failures)
        assert not failures, "\n".join(failures)
