"""A local stand-in for Zoom's and Microsoft Graph's APIs, answering as their published
documentation says: a real HTTP server on 127.0.0.1 (a thread of the test process).

Zoom (Server-to-Server OAuth, "Get meeting participant reports"):
  POST /zoom/oauth/token?grant_type=account_credentials&account_id=…   basic auth
       -> {access_token, token_type: "bearer", expires_in, scope, api_url}
  GET  /zoom/v2/report/meetings/{id}/participants?page_size&next_page_token
  GET  /zoom/v2/report/webinars/{id}/participants
       -> {page_count, page_size, total_records, next_page_token, participants: [...]}
  errors: {"code": 124, "message": "Invalid access token."} (401), {"code": 3001, "message":
  "Meeting does not exist: …."} (404), 429 with Retry-After.
Microsoft Graph (client credentials, attendanceReports / attendanceRecords):
  POST /login/{tenant}/oauth2/v2.0/token  form: client_id, client_secret, scope, grant_type
       -> {token_type: "Bearer", expires_in, ext_expires_in, access_token}
  GET  /graph/v1.0/users/{user}/onlineMeetings/{meeting}/attendanceReports
       -> {@odata.context, value: [{id, totalParticipantCount, meetingStartDateTime, meetingEndDateTime}]}
  GET  …/attendanceReports/{report}/attendanceRecords[?$skiptoken=…]
       -> {@odata.context, value: [attendanceRecord…], @odata.nextLink?}
  errors: {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired
  or is not yet valid.", "innerError": {…}}} (401), "NotFound" (404), "TooManyRequests" (429).

Faults for the tests, taken one per API request (token requests aside) from `faults[platform]`:
"429" (Retry-After: 1), "429-long" (Retry-After: 3600), "expire" (every token issued so far
stops working: 401), "500", "slow" (answers after `slow_seconds`). `broken[platform]` applies
one fault to every request, token requests included.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

ZOOM_ACCOUNT = "zoom-account-7Hq"
ZOOM_CLIENT = "zoom-client-3kP"
ZOOM_SECRET = "zoom-secret-Vb9TqS2mXk4Lr7Wc"
GRAPH_TENANT = "5d2e6f1a-63c1-4a4b-9b3e-0f6a3c2b1d4e"
GRAPH_CLIENT = "graph-client-8Zt"
GRAPH_SECRET = "graph-secret-Qm3~Np8.Ys5_Hd1Ux"
SECRETS = (ZOOM_SECRET, GRAPH_SECRET)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class StandIn:
    base_url: str = ""
    # Zoom: meeting id -> participant rows; webinar id -> rows.
    zoom_meetings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    zoom_webinars: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Graph: (user id, meeting id) -> reports, each {"report": {...}, "records": [...]}.
    graph_meetings: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    zoom_page_cap: int = 300
    graph_page_size: int = 100
    slow_seconds: float = 3.0
    faults: dict[str, deque[str]] = field(default_factory=lambda: {"zoom": deque(), "graph": deque()})
    broken: dict[str, str | None] = field(default_factory=lambda: {"zoom": None, "graph": None})
    tokens: dict[str, str] = field(default_factory=dict)  # token -> platform, those still valid
    issued: list[str] = field(default_factory=list)  # every token ever issued
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def zoom_settings(self) -> dict[str, Any]:
        """Settings fields pointing Zoom at this stand-in."""
        return {
            "zoom_account_id": ZOOM_ACCOUNT, "zoom_client_id": ZOOM_CLIENT, "zoom_client_secret": ZOOM_SECRET,
            "zoom_api_url": f"{self.base_url}/zoom/v2", "zoom_oauth_url": f"{self.base_url}/zoom",
        }

    def graph_settings(self) -> dict[str, Any]:
        """Settings fields pointing Microsoft Graph at this stand-in."""
        return {
            "graph_tenant_id": GRAPH_TENANT, "graph_client_id": GRAPH_CLIENT, "graph_client_secret": GRAPH_SECRET,
            "graph_api_url": f"{self.base_url}/graph/v1.0", "graph_login_url": f"{self.base_url}/login",
        }

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def api_requests(self, platform: str) -> list[Recorded]:
        prefix = "/zoom/v2/" if platform == "zoom" else "/graph/v1.0/"
        return [r for r in self.requests if r.path.startswith(prefix)]

    def token_requests(self, platform: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(("/oauth/token", "/oauth2/v2.0/token")) and r.path.startswith(f"/{'zoom' if platform == 'zoom' else 'login'}/")]


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _zoom_error(status: int, code: int, message: str) -> _Answer:
    return _Answer(status, {"code": code, "message": message})


def _graph_error(status: int, code: str, message: str) -> _Answer:
    return _Answer(status, {"error": {"code": code, "message": message, "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": secrets.token_hex(8)}}})


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        standin = self.standin
        with standin.lock:
            standin.requests.append(Recorded(method, parts.path, query, self.headers.get("Authorization")))
        try:
            self._route(method, parts.path, query, body)
        except _Answer as answer:
            self._send(answer.status, answer.body, answer.headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if method == "POST" and path == "/zoom/oauth/token":
            self._fault("zoom", token=True)
            raise self._zoom_token(query)
        if method == "POST" and segments[:1] == ["login"] and segments[2:] == ["oauth2", "v2.0", "token"]:
            self._fault("graph", token=True)
            raise self._graph_token(segments[1], body)
        if method == "GET" and segments[:2] == ["zoom", "v2"]:
            self._fault("zoom")
            self._check_token("zoom")
            raise self._zoom_report(segments[2:], query)
        if method == "GET" and segments[:2] == ["graph", "v1.0"]:
            self._fault("graph")
            self._check_token("graph")
            raise self._graph(segments[2:], query)
        raise _Answer(404, {"error": "no such endpoint"})

    def _fault(self, platform: str, token: bool = False) -> None:
        standin = self.standin
        fault = standin.broken[platform]
        if fault is None and not token:
            with standin.lock:
                fault = standin.faults[platform].popleft() if standin.faults[platform] else None
        if fault is None:
            return
        if fault == "expire":
            standin.expire_tokens()
        elif fault == "slow":
            time.sleep(standin.slow_seconds)
        elif fault == "500":
            raise (_zoom_error(500, 500, "Internal Error") if platform == "zoom" else _graph_error(500, "InternalServerError", "An internal server error occurred."))
        elif fault in ("429", "429-long"):
            wait = "1" if fault == "429" else "3600"
            if platform == "zoom":
                raise _Answer(429, {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."}, {"Retry-After": wait})
            raise _Answer(429, _graph_error(429, "TooManyRequests", "Too many requests.").body, {"Retry-After": wait})

    def _check_token(self, platform: str) -> None:
        header = self.headers.get("Authorization") or ""
        token = header.removeprefix("Bearer ").strip()
        with self.standin.lock:
            valid = self.standin.tokens.get(token) == platform
        if not valid:
            if platform == "zoom":
                raise _zoom_error(401, 124, "Invalid access token.")
            raise _graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")

    def _issue(self, platform: str) -> str:
        token = f"{platform}-{secrets.token_urlsafe(24)}"
        with self.standin.lock:
            self.standin.tokens[token] = platform
            self.standin.issued.append(token)
        return token

    # ------------------------------------------------------------------ Zoom

    def _zoom_token(self, query: dict[str, list[str]]) -> _Answer:
        expected = "Basic " + base64.b64encode(f"{ZOOM_CLIENT}:{ZOOM_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return _Answer(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if query.get("grant_type") != ["account_credentials"] or query.get("account_id") != [ZOOM_ACCOUNT]:
            return _Answer(400, {"reason": "Invalid request : Account id is invalid.", "error": "invalid_request"})
        return _Answer(200, {"access_token": self._issue("zoom"), "token_type": "bearer", "expires_in": 3599,
                             "scope": "report:read:list_meeting_participants:admin", "api_url": "https://api.zoom.us"})

    def _zoom_report(self, segments: list[str], query: dict[str, list[str]]) -> _Answer:
        if len(segments) != 4 or segments[0] != "report" or segments[1] not in ("meetings", "webinars") or segments[3] != "participants":
            return _zoom_error(404, 404, "Not found")
        source = self.standin.zoom_meetings if segments[1] == "meetings" else self.standin.zoom_webinars
        meeting_id = unquote(segments[2])
        if meeting_id not in source:
            return _zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.") if segments[1] == "meetings" else _zoom_error(404, 3001, f"Webinar does not exist: {meeting_id}.")
        rows = source[meeting_id]
        size = min(int((query.get("page_size") or ["30"])[0]), 300, self.standin.zoom_page_cap)
        start = int((query.get("next_page_token") or ["0"])[0].removeprefix("tok"))
        page = rows[start : start + size]
        following = start + size
        return _Answer(200, {
            "page_count": -(-len(rows) // size) if rows else 0,
            "page_size": size,
            "total_records": len(rows),
            "next_page_token": f"tok{following}" if following < len(rows) else "",
            "participants": page,
        })

    # ------------------------------------------------------------------ Graph

    def _graph_token(self, tenant: str, body: bytes) -> _Answer:
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if tenant != GRAPH_TENANT:
            return _Answer(400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."})
        if form.get("client_id") != GRAPH_CLIENT or form.get("client_secret") != GRAPH_SECRET:
            return _Answer(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "https://graph.microsoft.com/.default":
            return _Answer(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: The provided value for scope is not valid."})
        return _Answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": self._issue("graph")})

    def _graph(self, segments: list[str], query: dict[str, list[str]]) -> _Answer:
        # users/{user}/onlineMeetings/{meeting}/attendanceReports[/{report}/attendanceRecords]
        if len(segments) not in (5, 7) or segments[0] != "users" or segments[2] != "onlineMeetings" or segments[4] != "attendanceReports":
            return _graph_error(400, "BadRequest", "Resource not found for the segment.")
        reports = self.standin.graph_meetings.get((segments[1], segments[3]))
        if reports is None:
            return _graph_error(404, "NotFound", "The requested resource was not found.")
        context = f"https://graph.microsoft.com/v1.0/$metadata#users('{segments[1]}')/onlineMeetings('{segments[3]}')/attendanceReports"
        if len(segments) == 5:
            return _Answer(200, {"@odata.context": context, "value": [entry["report"] for entry in reports]})
        chosen = [entry for entry in reports if entry["report"]["id"] == segments[5]]
        if not chosen or segments[6] != "attendanceRecords":
            return _graph_error(404, "NotFound", "The requested resource was not found.")
        records = chosen[0]["records"]
        start = int((query.get("$skiptoken") or ["0"])[0])
        size = self.standin.graph_page_size
        answer: dict[str, Any] = {"@odata.context": f"{context}('{segments[5]}')/attendanceRecords", "value": records[start : start + size]}
        if start + size < len(records):
            path = "/".join(quote(segment, safe="") for segment in segments)
            answer["@odata.nextLink"] = f"{self.standin.base_url}/graph/v1.0/{path}?$skiptoken={start + size}"
        return _Answer(200, answer)


@contextmanager
def running_standin() -> Iterator[StandIn]:
    standin = StandIn()
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    standin.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="platform-standin", daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
