"""Fixtures for the calendar tests: a real SMTP server (the mail tests' aiosmtpd sink) and a
mailbox that sends what the outbox holds through the real dispatcher and reads it back."""

from __future__ import annotations

import dataclasses
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from events_service.feeds import service as calendar_service
from events_service.mail.transport import transport_from_settings
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.mailparse import calendar_part, parse
from tests.support.smtp import SmtpSink


@dataclass
class Mail:
    """One email as the SMTP server received it."""

    to: str
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return parse(self.raw)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return body.get_content()

    @property
    def calendar_bytes(self) -> bytes | None:
        part = calendar_part(self.message)
        return part.get_payload(decode=True) if part is not None else None

    @property
    def calendar(self) -> Calendar | None:
        data = self.calendar_bytes
        return Calendar.from_ical(data) if data is not None else None

    @property
    def method(self) -> str | None:
        calendar = self.calendar
        return str(calendar["METHOD"]) if calendar is not None else None

    @property
    def vevent(self):  # noqa: ANN201 - icalendar's Event
        calendar = self.calendar
        assert calendar is not None, self.subject
        (event,) = calendar.walk("VEVENT")
        return event


class Mailbox:
    """Sends the outbox through EVENTS_SMTP_URL (the sink), as the worker would, and hands out
    what arrived since the last look."""

    def __init__(self, settings: Settings, sink: SmtpSink) -> None:
        # The transport's own timeout (10 s): a send to the local sink is quick alone, but a
        # loaded CI machine can stretch it past a few seconds, and a timed-out send is a retry
        # that `dispatch` reports as a failure.
        self.settings = dataclasses.replace(settings, smtp_url=sink.url(connections=1))
        self.sink = sink
        self._seen = 0

    async def dispatch(self) -> list[Mail]:
        transport = transport_from_settings(self.settings)
        try:
            stats = await new_dispatcher(self.settings, transport, "calendar-tests").drain()
        finally:
            await transport.close()
        assert stats.failed == stats.retried == 0, stats
        received = self.sink.handler.received[self._seen :]
        self._seen += len(received)
        assert len(received) == stats.sent, (stats, len(received))
        mails = []
        for item in received:
            assert len(item.recipients) == 1
            # The message as sent must be readable with the SMTP policy too (CRLF throughout).
            email.message_from_bytes(item.raw, policy=email.policy.SMTP)
            mails.append(Mail(item.recipients[0], item.raw))
        return mails


@pytest.fixture
def mailbox(settings: Settings, sink: SmtpSink) -> Mailbox:
    return Mailbox(settings, sink)


class MemoClock:
    """Stands in for time.monotonic in the feed's ETag memo: the test moves it."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def pass_memo_window(self) -> None:
        self.now += calendar_service.FEED_ETAG_MEMO_SECONDS + 0.001


@pytest.fixture(autouse=True)
def memo_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoClock]:
    """Every test starts with no remembered feed ETags, on a clock of its own."""
    clock = MemoClock()
    monkeypatch.setattr(calendar_service._etag_memo, "clock", clock)
    calendar_service.forget_feed_etags()
    yield clock
    calendar_service.forget_feed_etags()
