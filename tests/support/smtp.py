"""Test support shared across the suite (mail, calendar, web, CLI tests).

A real SMTP server (aiosmtpd, in a thread) that records what arrives and injects faults,
a clock the test moves by hand, and small outbox messages.

Faults are keyed by recipient address (each test message goes to its own address) and act
at RCPT, before the message could have been accepted: a fault never delivers half a message.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from events_service.mail.mime import RenderedMessage, build_email


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Fault:
    kind: str  # "reply" | "drop" | "slow"
    times: int  # how many RCPTs it affects; -1 = always
    reply: str = ""
    seconds: float = 0.0


@dataclass
class Received:
    message_id: str
    recipients: list[str]
    sender: str
    raw: bytes


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    delay_data: float = 0.0
    #: How many messages have reached DATA (counted before `delay_data`): a test waits on it to
    #: act while a message is in the server's hands, not merely claimed by the dispatcher.
    data_started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_fault(self, address: str, fault: Fault, *, at: str = "RCPT") -> None:
        """A fault for mail to `address`, at RCPT (reply/drop/slow) or at DATA (reply)."""
        if at == "DATA":
            address = f"DATA:{address}"
        with self.lock:
            self.faults.setdefault(address, []).append(fault)

    def _next_fault(self, address: str) -> Fault | None:
        with self.lock:
            for fault in self.faults.get(address, []):
                if fault.times != 0:
                    fault.times -= 1 if fault.times > 0 else 0
                    return fault
        return None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        fault = self._next_fault(address)
        if fault is not None and fault.kind == "reply":
            return fault.reply
        if fault is not None and fault.kind == "drop":
            server.transport.abort()  # the connection dies mid-dialogue
            return "250 OK"
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_started += 1
        if self.delay_data:
            await asyncio.sleep(self.delay_data)
        fault = self._next_fault(f"DATA:{envelope.rcpt_tos[0]}")
        if fault is not None and fault.kind == "reply":
            return fault.reply  # refused after the whole message came in: not delivered
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.SMTP)
        with self.lock:
            self.received.append(Received(str(parsed["Message-ID"]), list(envelope.rcpt_tos), envelope.mail_from, raw))
        return "250 Message accepted for delivery"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(item.message_id for item in self.received)


class SmtpSink:
    """Start, stop (connections refused) and start again on the same port."""

    def __init__(self, handler: RecordingHandler | None = None, port: int | None = None) -> None:
        self.handler = handler or RecordingHandler()
        self.port = port or free_port()
        self._controller: Controller | None = None

    def url(self, **options: object) -> str:
        query = "&".join(f"{key}={value}" for key, value in {"starttls": 0, **options}.items())
        return f"smtp://127.0.0.1:{self.port}?{query}"

    def start(self) -> None:
        # A stopped Controller has closed its loop: every start needs a new one.
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class ManualClock:
    def __init__(self) -> None:
        # A minute ahead, so messages the test queues (at real time) are due at once.
        self.now = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_message(n: int, *, to: str | None = None) -> EmailMessage:
    """A small real message (multipart/alternative, its own Message-ID) to person n."""
    rendered = RenderedMessage(
        subject=f"Promemoria {n}: Tech Talk IoT",
        text=f"Ciao {n},\nil Tech Talk inizia domani alle 17:00 CET.\n",
        html=f"<p>Ciao {n},</p><p>il Tech Talk inizia domani alle 17:00 CET.</p>\n",
    )
    return build_email(
        sender="events@programme.example",
        sender_name="SME Innovation Programme",
        to=to or address(n),
        rendered=rendered,
        message_id_domain="programme.example",
    )


def address(n: int) -> str:
    return f"person{n}@company.example"
