"""Read back what the service queued or sent: the MIME tree and the calendar inside."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from icalendar import Calendar


def parse(raw: str | bytes) -> EmailMessage:
    data = raw.encode() if isinstance(raw, str) else raw
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def calendar_part(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part  # type: ignore[return-value]
    return None


def calendar_of(raw: str | bytes) -> Calendar | None:
    part = calendar_part(parse(raw))
    if part is None:
        return None
    return Calendar.from_ical(part.get_payload(decode=True))


def calendar_method(raw: str | bytes) -> str | None:
    calendar = calendar_of(raw)
    return str(calendar["METHOD"]) if calendar is not None else None


def text_body(raw: str | bytes) -> str:
    body = parse(raw).get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


async def rendered(outbox_row: dict, settings: object) -> str:
    """The message an outbox row stands for: stored, or rendered now from its intent, exactly
    as the dispatcher would render it."""
    if outbox_row["message"]:
        return outbox_row["message"]
    import email.policy as policy

    from events_service.worker import MESSAGE_RENDERERS

    intent = (outbox_row["id"], outbox_row["kind"])
    message = (await MESSAGE_RENDERERS.render([intent], settings))[outbox_row["id"]]  # type: ignore[arg-type]
    if isinstance(message, Exception):
        raise message
    return message.as_string(policy=policy.SMTP)
