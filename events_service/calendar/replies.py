"""Reading the answers to our invites (iTIP METHOD:REPLY, RFC 5546 3.2.3) out of an email.

Pure: bytes in, typed records out; no database, no I/O. What to do with an answer is decided in
replies/decisions.py. The shapes handled are the ones mail clients send:

- Outlook / Exchange: multipart/alternative with an inline `text/calendar; method=REPLY` part;
- Gmail: the inline part plus the same calendar attached as `application/ics` (`invite.ics`);
- Apple Calendar: a `text/calendar` attachment (Content-Disposition: attachment, `iCal-*.ics`);
- Thunderbird: inline `text/calendar; method=REPLY` and an `invite.ics` attachment.

A calendar found twice in one message (inline and attached) counts once.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses
from enum import StrEnum

from icalendar import Calendar

#: A message larger than this is not an answer to an invite (those are a few KB).
MAX_MESSAGE_BYTES = 1_000_000
#: Calendars and answers read from one message, at most: the rest is ignored.
MAX_CALENDARS = 4
MAX_ANSWERS = 8

_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
_AUTH_RESULT_RE = re.compile(r"\b(dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)


class AuthVerdict(StrEnum):
    """What the receiving server's Authentication-Results said about the sender."""

    ABSENT = "absent"  # no header, or one naming neither DKIM nor SPF: nothing to go by
    PASSED = "passed"  # DKIM or SPF passed
    FAILED = "failed"  # neither passed: a forged From is likely


@dataclass(frozen=True)
class CalendarAnswer:
    """One attendee's answer to one of our entries, as the calendar states it."""

    method: str  # REPLY; COUNTER (a proposed new time) and others are kept to be listed
    uid: str
    sequence: int
    dtstamp: datetime | None
    attendee: str  # the address, lower case, without mailto:
    partstat: str  # ACCEPTED, DECLINED, TENTATIVE, ... upper case


@dataclass(frozen=True)
class ReplyMessage:
    message_id: str
    sender: str  # the From address, lower case
    auth: AuthVerdict
    answers: tuple[CalendarAnswer, ...]
    #: Why nothing could be read, for the console ("" when the message parsed).
    problem: str = ""


def read_reply_message(raw: bytes) -> ReplyMessage:
    """Every calendar answer in `raw`. Never raises on hostile input: a message that cannot be
    read comes back with no answers and `problem` set."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return ReplyMessage("", "", AuthVerdict.ABSENT, (), problem="message too large")
    # compat32: policy.default parses every header it touches (each part's Content-Type
    # included) into objects, ten times the cost of the whole read; the three headers used
    # here are read as text, addresses with getaddresses (bench/replies.py).
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = _header(message, "Message-ID")[:300]
    sender = _sender(message)
    auth = auth_verdict(message.get_all("Authentication-Results") or [])
    answers: list[CalendarAnswer] = []
    for payload in _calendar_payloads(message)[:MAX_CALENDARS]:
        for answer in _answers(payload):
            if answer not in answers:
                answers.append(answer)
    problem = "" if answers else "no calendar answer in the message"
    return ReplyMessage(message_id, sender, auth, tuple(answers[:MAX_ANSWERS]), problem=problem)


def auth_verdict(headers: list[str]) -> AuthVerdict:
    """Judged on the topmost Authentication-Results only: that one is written by our own
    receiving server; the ones below it came with the message and anybody can write them."""
    if not headers:
        return AuthVerdict.ABSENT
    results = {name.lower(): value.lower() for name, value in _AUTH_RESULT_RE.findall(str(headers[0]))}
    if not results:
        return AuthVerdict.ABSENT
    return AuthVerdict.PASSED if "pass" in results.values() else AuthVerdict.FAILED


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # malformed headers surface when read
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message: Message) -> str:
    try:
        addresses = getaddresses([str(value) for value in message.get_all("From") or []])
    except (ValueError, IndexError):
        return ""
    # More than one From (or a From naming several people) is not one sender.
    found = [address for _, address in addresses if address]
    return found[0].lower() if len(found) == 1 else ""


def _calendar_payloads(message: Message) -> list[bytes]:
    payloads: list[bytes] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if content_type in _CALENDAR_TYPES or filename.endswith(".ics"):
            data = part.get_payload(decode=True)
            # Gmail and Thunderbird send the same calendar inline and attached: parse it once.
            if isinstance(data, bytes) and data.strip() and data not in payloads:
                payloads.append(data)
    return payloads


def _answers(payload: bytes) -> list[CalendarAnswer]:
    try:
        calendars = Calendar.from_ical(payload, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError):
        return []
    answers = []
    for calendar in calendars:
        method = str(calendar.get("METHOD", "")).strip().upper()
        for event in calendar.walk("VEVENT"):
            answers.extend(_event_answers(method, event))
    return answers


def _event_answers(method: str, event: Calendar) -> list[CalendarAnswer]:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        return []
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = -1  # unreadable: older than anything we sent
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return []
    if not isinstance(attendees, list):
        attendees = [attendees]
    dtstamp = _stamp(event)
    return [
        CalendarAnswer(
            method=method,
            uid=uid[:255],
            sequence=sequence,
            dtstamp=dtstamp,
            attendee=_mailto(str(attendee)),
            partstat=str(getattr(attendee, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper(),
        )
        for attendee in attendees
    ]


def _stamp(event: Calendar) -> datetime | None:
    value = event.get("DTSTAMP")
    moment = getattr(value, "dt", None)
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _mailto(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    return value.strip().lower()
