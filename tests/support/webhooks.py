"""A real HTTP receiver of webhooks (stdlib ThreadingHTTPServer on 127.0.0.1, in a thread)
that checks every signature as the Standard Webhooks specification says, answers as the test
scripts it per path (a status, a delay), and records what arrived."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    timestamp: int
    body: bytes
    signature_valid: bool

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def spec_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The specification's scheme written out independently of the code under test."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class WebhookReceiver:
    #: The secret of each path's subscription, set by the test once it has subscribed.
    secrets: dict[str, str] = field(default_factory=dict)
    #: Scripted answers per path, used up in order: (status, seconds to wait first); then 200.
    script: dict[str, deque[tuple[int, float]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status, delay = receiver._next(self.path)
                receiver._record(self.path, dict(self.headers.items()), body)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting (a timeout on purpose)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, path: str, *answers: tuple[int, float]) -> None:
        self.script.setdefault(path, deque()).extend(answers)

    def _next(self, path: str) -> tuple[int, float]:
        queue = self.script.get(path)
        return queue.popleft() if queue else (200, 0.0)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        lowered = {key.lower(): value for key, value in headers.items()}
        webhook_id = lowered.get("webhook-id", "")
        timestamp = int(lowered.get("webhook-timestamp", "0"))
        secret = self.secrets.get(path)
        valid = False
        if secret is not None:
            expected = spec_signature(secret, webhook_id, timestamp, body)
            sent = lowered.get("webhook-signature", "").split(" ")
            valid = expected in sent
            try:
                Webhook(secret).verify(body, lowered)  # the specification's own library agrees
            except Exception:
                valid = False
        self.received.append(Received(path, webhook_id, timestamp, body, valid))

    def at(self, path: str) -> list[Received]:
        return [item for item in self.received if item.path == path]
