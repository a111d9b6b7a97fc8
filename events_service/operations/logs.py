"""Logs a machine can read: EVENTS_LOG_FORMAT=json writes one JSON object per line, for `serve`
(uvicorn's, Litestar's and the service's loggers, and one line per request) and `worker` alike.
Tokens in paths and messages are redacted (log_redaction.redact) in every line.

A request line carries: request_id (the client's X-Request-ID when it is a sane one, else a new
one; sent back in the answer's X-Request-ID), method, route (the template: /r/{token:str}),
path (redacted), status, duration_ms and actor ("organiser:<id>", or "anonymous"); never a
person's address or a token.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from events_service.log_redaction import RedactTokens, redact
from events_service.settings import Settings

REQUEST_LOGGER = "events_service.requests"
_request_log = logging.getLogger(REQUEST_LOGGER)
#: LogRecord's own attributes: everything else on a record is an `extra` and goes in the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName", "color_message"}
_TEMPLATES = {"route"}
#: Where the request's id waits in the scope for the answer's X-Request-ID (add_request_id).
_SCOPE_KEY = "events_request_id"
_SANE_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                # A route template ("/r/{token:str}") is the code's, never a secret.
                entry[key] = redact(value) if isinstance(value, str) and key not in _TEMPLATES else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """The logging of a command that is not served by uvicorn (worker, migrate, check): INFO and
    up to stderr, as text or JSON. Handlers someone else put on the root logger (a test
    runner's) stay."""
    root = logging.getLogger()
    root.handlers = [handler for handler in root.handlers if type(handler) is not logging.StreamHandler]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def uvicorn_log_config(settings: Settings) -> dict[str, Any] | None:
    """uvicorn's own loggers as JSON (None: uvicorn's default text). Its access log is off in
    JSON mode: RequestLog writes a richer line for every request."""
    if settings.log_format != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def litestar_formatters(settings: Settings) -> dict[str, dict[str, Any]] | None:
    """The formatter of Litestar's logging config (the root and `litestar` loggers of a served
    process) in JSON mode; None keeps Litestar's default."""
    return {"standard": {"()": JsonFormatter}} if settings.log_format == "json" else None


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def _actor(scope: Scope) -> str:
    user = scope.get("user")
    identifier = getattr(user, "id", None)
    return f"organiser:{identifier}" if identifier is not None else "anonymous"


def add_request_id(message: Message, scope: Scope) -> None:
    """A before_send hook: every answer, an error's too (which Litestar sends from outside the
    middleware), carries the request's id."""
    request_id = scope.get(_SCOPE_KEY)  # type: ignore[misc]
    if message["type"] == "http.response.start" and request_id:
        MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id


def _status_of(error: BaseException) -> int:
    """The status Litestar will answer an exception with (HTTPException, DomainError), else 500."""
    status = getattr(error, "status_code", 500)
    return status if isinstance(status, int) else 500


class RequestLog:
    """ASGI middleware: one INFO line per HTTP request, once it is answered (or has raised the
    exception Litestar will answer with: an auth middleware's 401, a domain's 409)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope[_SCOPE_KEY] = request_id  # type: ignore[literal-required]
        started = time.perf_counter()
        status = 500  # unless an answer started

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException as error:
            status = _status_of(error)
            raise
        finally:
            path = redact(scope.get("path", ""))
            _request_log.info(
                "%s %s %s", scope.get("method", ""), path, status,
                extra={
                    "request_id": request_id,
                    "method": scope.get("method", ""),
                    "route": scope.get("path_template") or path,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "actor": _actor(scope),
                },
            )
