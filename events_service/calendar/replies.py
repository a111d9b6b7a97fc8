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
#: RFC 8601 2.2: `method[/version]=result`, then `ptype.property=value` pairs.
_RESULT_RE = re.compile(r"^([a-z0-9_-]+)(?:/\d+)?=([a-z]+)$")
_PROPERTY_RE = re.compile(r"^([a-z]+)\.([a-z0-9_-]+)=(.*)$")


class AuthVerdict(StrEnum):
    """What the receiving server's Authentication-Results said about the sender."""

    ABSENT = "absent"  # no header of our server's, or one without DKIM, SPF or DMARC results
    PASSED = "passed"  # DKIM or SPF passed for the From address's domain, or DMARC passed
    FAILED = "failed"  # no pass for the From domain (or DMARC failed): a forged From is likely


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


def read_reply_message(raw: bytes, authserv_id: str | None = None) -> ReplyMessage:
    """Every calendar answer in `raw`. Never raises on hostile input: a message that cannot be
    read comes back with no answers and `problem` set. `authserv_id`: see `auth_verdict`."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return ReplyMessage("", "", AuthVerdict.ABSENT, (), problem="message too large")
    # compat32: policy.default parses every header it touches (each part's Content-Type
    # included) into objects, ten times the cost of the whole read; the three headers used
    # here are read as text, addresses with getaddresses (bench/replies.py).
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = _header(message, "Message-ID")[:300]
    sender = _sender(message)
    auth = auth_verdict(message.get_all("Authentication-Results") or [], sender.rpartition("@")[2], authserv_id)
    answers: list[CalendarAnswer] = []
    for payload in _calendar_payloads(message)[:MAX_CALENDARS]:
        for answer in _answers(payload):
            if answer not in answers:
                answers.append(answer)
    problem = "" if answers else "no calendar answer in the message"
    return ReplyMessage(message_id, sender, auth, tuple(answers[:MAX_ANSWERS]), problem=problem)


def auth_verdict(headers: list[str], from_domain: str, authserv_id: str | None = None) -> AuthVerdict:
    """DMARC's test (RFC 7489 3.1, 4.2): a DKIM or SPF pass counts only for a domain aligned
    with the From address's; anybody can get a pass for a domain of their own.

    Which header: with `authserv_id` (EVENTS_REPLY_AUTHSERV_ID) the topmost one our receiving
    server wrote, the others ignored (RFC 8601 5: a sender can put any header on top of the
    message it sends when the server writes none); without it, the topmost one."""
    results = _trusted_results(headers, authserv_id)
    if not results:
        return AuthVerdict.ABSENT
    if any(result.method == "dmarc" and result.result == "fail" for result in results):
        return AuthVerdict.FAILED
    return AuthVerdict.PASSED if any(_aligned_pass(result, from_domain) for result in results) else AuthVerdict.FAILED


@dataclass(frozen=True)
class AuthResult:
    """One `method=result` of an Authentication-Results header with its properties."""

    method: str  # lower case: dkim, spf, dmarc, ...
    result: str  # lower case: pass, fail, none, ...
    properties: dict[str, str]  # "header.d" -> value, as written


def parse_authentication_results(value: str) -> tuple[str, list[AuthResult]]:
    """The authserv-id (lower case, "" when the header has none) and the results of one header.

    Written here rather than with the `authres` package: that one refuses the header Exchange
    Online writes (no authserv-id, bare `hotmail.com;` items, `action=none`), so a Microsoft
    365 reply mailbox would go unread. Tolerant: what it cannot read it leaves out."""
    items = _uncommented(value).split(";")
    first = items[0].split()
    authserv = ""
    if first and "=" not in items[0]:
        authserv = first[0].lower()
        items = items[1:]
    results = [result for item in items if (result := _auth_result(item.split())) is not None]
    return authserv, results


def _trusted_results(headers: list[str], authserv_id: str | None) -> list[AuthResult]:
    for header in headers:
        authserv, results = parse_authentication_results(str(header))
        if authserv_id is None or authserv == authserv_id.lower():
            return [result for result in results if _says_who_sent(result)]
    return []


def _says_who_sent(result: AuthResult) -> bool:
    """Any DKIM or SPF result (dkim=none: unsigned, a pass is missing); DMARC only when it
    passed or failed (dmarc=none: the domain publishes no policy, which says nothing)."""
    if result.method == "dmarc":
        return result.result in ("pass", "fail")
    return result.method in ("dkim", "spf")


def _auth_result(words: list[str]) -> AuthResult | None:
    if not words or not (matched := _RESULT_RE.match(words[0].lower())):
        return None
    properties = {}
    for word in words[1:]:
        if found := _PROPERTY_RE.match(word):
            ptype, name, text = found.groups()
            properties[f"{ptype.lower()}.{name.lower()}"] = text.strip('"')
    return AuthResult(matched.group(1), matched.group(2), properties)


def _uncommented(value: str) -> str:
    """The header without its (comments), nested ones too, keeping quoted strings whole."""
    kept: list[str] = []
    depth = 0
    quoted = False
    for char in " ".join(value.split()):
        if char == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            continue
        elif not quoted and char == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            kept.append(char)
    return "".join(kept)


def _aligned_pass(result: AuthResult, from_domain: str) -> bool:
    if result.result != "pass":
        return False
    if result.method == "dmarc":
        # The server did the alignment; it must have done it for this From.
        return _domain(result.properties.get("header.from", "")) == _domain(from_domain) != ""
    if result.method == "dkim":
        signer = result.properties.get("header.d") or result.properties.get("header.i", "")
        return domains_aligned(signer, from_domain)
    return domains_aligned(result.properties.get("smtp.mailfrom", ""), from_domain)


def domains_aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without a public-suffix list: the same domain, or one a subdomain of
    the other (mail.company.example signs for company.example), and never a bare top-level
    domain. Stricter than DMARC's organisational domain: two sibling subdomains
    (a.company.example, b.company.example) are not aligned, so such a reply is listed, not
    acted on; a stranger's domain is never aligned."""
    first, second = _domain(domain), _domain(from_domain)
    if not first or not second:
        return False
    if first == second:
        return True
    shorter, longer = sorted((first, second), key=len)
    return shorter.count(".") >= 1 and longer.endswith("." + shorter)


def _domain(value: str) -> str:
    """The domain of an address, an `@domain` (header.i) or a bare domain, lower case."""
    return value.rpartition("@")[2].strip().rstrip(".").lower()


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
