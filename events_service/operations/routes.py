"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus, outside
the API's bearer-token router (API.md "Health and operations")."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from events_service.operations.health import Readiness, readiness
from events_service.operations.logs import RequestLog
from events_service.operations.metrics import FiguresCache
from events_service.settings import Settings

#: Probes and scrapes are not requests worth counting (nor is every static file).
NOT_COUNTED = ["^/metrics", "^/healthz", "^/readyz", "^/static/"]


def request_metrics(settings: Settings) -> PrometheusConfig:
    """Litestar's request counts and latencies, by route template (group_path: a token in a
    path never becomes a label, and the label set stays small)."""
    return PrometheusConfig(app_name="events_service", prefix="events_http", group_path=True, exclude=NOT_COUNTED)


class HealthController(Controller):
    tags = ["operations"]

    @get("/healthz", summary="The process runs", cache=False)
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", responses={503: ResponseSpec(Readiness, description="Not ready, and why")}, summary="200 when a request can be served and its mail will go; 503 and why otherwise")
    async def readyz(self, settings: NamedDependency[Settings]) -> Response[Readiness]:
        answer = await readiness(settings)
        return Response(answer, status_code=200 if answer.ready else 503)


def metrics_controller(settings: Settings) -> type[Controller]:
    """Litestar's PrometheusController with the service's own figures appended (read at most
    once per EVENTS_METRICS_MAX_AGE seconds by this process) and, when EVENTS_METRICS_TOKEN is
    set, that bearer token required."""
    figures = FiguresCache(settings.metrics_max_age_s)

    def token_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if settings.metrics_token is None:
            return
        given = connection.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
            raise NotAuthorizedException(detail="metrics need the bearer token (EVENTS_METRICS_TOKEN)")

    class MetricsController(PrometheusController):
        path = "/metrics"

        @get(guards=[token_guard], include_in_schema=False, media_type=MediaType.TEXT)
        async def get(self) -> Response:
            requests: Response = await PrometheusController.get.fn(self)  # type: ignore[attr-defined]
            body = bytes(requests.content) + await figures.text()
            return Response(body, status_code=200, headers=dict(requests.headers))

    return MetricsController


def operations_handlers(settings: Settings) -> list[type[Controller]]:
    """Health and readiness always; /metrics unless EVENTS_METRICS=0."""
    return [HealthController, *([metrics_controller(settings)] if settings.metrics_enabled else [])]


def operations_middleware(settings: Settings) -> list[Any]:
    """The request line of EVENTS_LOG_FORMAT=json (outermost: it times everything) and the
    request metrics (unless EVENTS_METRICS=0)."""
    return [
        *([RequestLog] if settings.log_format == "json" else []),
        *([request_metrics(settings).middleware] if settings.metrics_enabled else []),
    ]
