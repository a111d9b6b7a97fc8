"""Answers to an invite in shapes captured from real mail clients (tests/data/replies/).

Each shape is a pair of templates: `<name>.eml`, the message cut down to what a reader sees
(the headers a client writes, the MIME tree, each part's type, transfer encoding and
disposition), and `<name>.ics`, the calendar one property a line. Identities, UIDs, dates and
free text are replaced by {{placeholders}} that `real_reply` fills for the invite at hand;
the calendar is then folded at 75 octets and encoded as the capture was (base64 in 76-column
lines, or as it is for 7bit/8bit parts), so folds land inside names and addresses as they do
in the captures.

What is a real capture and what is not is said per shape in REAL_SHAPES; Apple Calendar has
no captured shape yet (tests/replies/shapes.py still writes it from knowledge).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "replies"
FOLD_OCTETS = 75


@dataclass(frozen=True)
class RealShape:
    name: str  # the templates' file stem in tests/data/replies
    client: str
    #: Which parts are the capture's and which are written from knowledge.
    captured: str
    source: str
    licence: str
    #: The subject's first word per PARTSTAT, in the capture's language.
    answer_words: tuple[tuple[str, str], ...]


REAL_SHAPES = (
    RealShape(
        name="exchange-owa",
        client="Outlook on the web / Exchange 2016 (PRODID says 2010)",
        captured=(
            "all of it: headers, MIME tree (multipart/alternative of text/plain, text/html and a base64"
            " text/calendar; method=REPLY, no attachment), and the calendar line for line (VTIMEZONE"
            " with 1601 rules, ATTENDEE with upper-case MAILTO: folded inside the address, COMMENT with"
            " an escaped comma, the X-MICROSOFT-CDO-* lines). The capture is a DECLINED (test-06-2);"
            " its ACCEPTED twin (test-05-2) differs only in PARTSTAT, subject and comment."
        ),
        source=(
            "https://github.com/mkbrechtel/calmailproc/blob/cde1c88cb7d236b7e39d33af125128ede6637db4"
            "/test/maildir/cur/test-06-2.eml"
        ),
        licence="Apache-2.0 (Copyright 2025 Markus Katharina Brechtel; COPYING in that repository)",
        answer_words=(("DECLINED", "Abgelehnt"), ("ACCEPTED", "Akzeptiert"), ("TENTATIVE", "Mit Vorbehalt angenommen")),
    ),
    RealShape(
        name="gmail",
        client="Gmail / Google Calendar",
        captured=(
            "the calendar (PRODID 70.9054, property order, ATTENDEE with CUTYPE/ROLE/X-NUM-GUESTS and a"
            " quoted X-RESPONSE-COMMENT) from real Google replies anonymised in plotday/plot"
            " libs/rsvp-fold/src/ics-reply.test.ts; the MIME tree (multipart/mixed of multipart/alternative"
            " [text/plain base64, text/html, text/calendar; method=REPLY 7bit] and application/ics"
            " invite.ics base64) as connectors/outlook/src/mail/outlook-ics-reply.test.ts records it."
            " The comment's backslash-escaped comma and semicolon inside the quotes are a real Gmail"
            " decline quoted in arran4/golang-ical property_test.go ('weird escapes in quotes', Apache-2.0,"
            " https://github.com/arran4/golang-ical/blob/d999380d3e4cf749bdac85be345005f8d4a1c950/property_test.go)."
        ),
        source=(
            "https://github.com/plotday/plot/blob/869aa5221905c2ed82df56a4448e0d38346ebb6e"
            "/libs/rsvp-fold/src/ics-reply.test.ts"
        ),
        licence="MIT (Copyright (c) 2026 Plot Technologies Inc.; LICENSE.md in that repository)",
        answer_words=(("DECLINED", "Declined"), ("ACCEPTED", "Accepted"), ("TENTATIVE", "Tentatively Accepted")),
    ),
    RealShape(
        name="thunderbird",
        client="Thunderbird (as received through an Exchange gateway)",
        captured=(
            "the MIME tree and part headers of a real Thunderbird iTIP message (multipart/mixed of"
            " multipart/alternative [text/plain, text/calendar; method=...; charset=\"UTF-8\", both 8BIT]"
            " and application/ics invite.ics 8BIT, boundaries as the receiving Exchange rewrote them)."
            " That capture is an invitation (METHOD:REQUEST, test-06-1); Thunderbird sends its replies"
            " through the same code. The REPLY calendar itself (ATTENDEE parameter order RSVP, PARTSTAT,"
            " CUTYPE, ROLE, CN; a short VTIMEZONE) is written from knowledge."
        ),
        source=(
            "https://github.com/mkbrechtel/calmailproc/blob/cde1c88cb7d236b7e39d33af125128ede6637db4"
            "/test/maildir/cur/test-06-1.eml"
        ),
        licence="Apache-2.0 (Copyright 2025 Markus Katharina Brechtel; COPYING in that repository)",
        answer_words=(("DECLINED", "Abgelehnt"), ("ACCEPTED", "Akzeptiert"), ("TENTATIVE", "Vorläufig zugesagt")),
    ),
)

SHAPES_BY_NAME = {shape.name: shape for shape in REAL_SHAPES}


def real_reply(
    shape: RealShape,
    *,
    uid: str,
    attendee: str,
    partstat: str = "DECLINED",
    sequence: int = 0,
    organizer: str = "events@programme.example",
    attendee_name: str = "Anna Rossi",
    message_id: str = "<reply-1@client.example>",
    stamp: datetime = datetime(2026, 12, 7, 21, 17, 31, tzinfo=UTC),
) -> bytes:
    """The captured message of `shape`, answering `partstat` to the invite `uid` from `attendee`."""
    subject = f"{dict(shape.answer_words)[partstat]}: Tech Talk"
    values = {
        "uid": uid, "attendee": attendee, "attendee_name": attendee_name, "organizer": organizer, "partstat": partstat,
        "sequence": str(sequence), "dtstamp": f"{stamp:%Y%m%dT%H%M%SZ}", "subject": subject, "message_id": message_id,
    }
    calendar = _crlf(fold("\n".join(_fill(line, values) for line in _template(shape, "ics").splitlines())))
    values |= {
        "calendar": calendar.decode(),
        "calendar_base64": _base64_lines(calendar),
        "text_base64": _base64_lines(f"{attendee_name} has replied to this invitation.".encode()),
    }
    # The calendar is CRLF already; the template's own lines become CRLF before it goes in.
    return _fill(_crlf(_template(shape, "eml")).decode(), values).encode()


def fold(text: str) -> str:
    """RFC 5545 3.1 folding as these clients do it: lines longer than 75 octets go on in
    continuation lines starting with a space, cut between characters, not words."""
    folded = []
    for line in text.split("\n"):
        first, room = True, FOLD_OCTETS
        while len(line.encode()) > room:
            cut = room
            while len(line[:cut].encode()) > room:
                cut -= 1
            folded.append(("" if first else " ") + line[:cut])
            line, first, room = line[cut:], False, FOLD_OCTETS - 1
        folded.append(("" if first else " ") + line)
    return "\n".join(folded)


def _template(shape: RealShape, suffix: str) -> str:
    return (DATA / f"{shape.name}.{suffix}").read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"unfilled placeholder in {text[text.index('{{') :][:40]!r}")
    return text


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode().strip().replace("\n", "\r\n")
