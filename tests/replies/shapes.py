"""Answers to an invite as mail clients write them (MIME structure, headers, calendar text),
written from knowledge. Shapes captured from real clients (Exchange/Outlook on the web, Gmail,
Thunderbird's MIME tree) are in tests/replies/real_shapes.py; Apple Calendar is only here.

The structures follow what each client sends:
- Outlook/Exchange: multipart/alternative (text/plain, text/html, text/calendar; method=REPLY,
  base64), PRODID "Microsoft Exchange Server 2010", a COMMENT-less VEVENT carrying the
  attendee's PARTSTAT, Subject "Declined: <title>";
- Gmail: multipart/mixed → [multipart/alternative → text/plain, text/html, text/calendar;
  method=REPLY], then the same calendar as `application/ics; name="invite.ics"` (base64),
  PRODID "-//Google Inc//Google Calendar 70.9054//EN";
- Apple Calendar: multipart/mixed → text/plain, then `text/calendar; method=REPLY;
  name=iCal-<date>.ics` as an attachment (quoted-printable), PRODID "-//Apple Inc.//macOS 14.5//EN";
- Thunderbird: multipart/mixed → [multipart/alternative → text/plain, text/calendar;
  method=REPLY], then `application/ics; name="invite.ics"` attachment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

CLIENTS = ("outlook", "gmail", "apple", "thunderbird")

_PRODIDS = {
    "outlook": "Microsoft Exchange Server 2010",
    "gmail": "-//Google Inc//Google Calendar 70.9054//EN",
    "apple": "-//Apple Inc.//macOS 14.5//EN",
    "thunderbird": "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
}


def reply_calendar(
    *,
    uid: str,
    attendee: str,
    partstat: str = "DECLINED",
    sequence: int = 0,
    organizer: str = "events@programme.example",
    method: str = "REPLY",
    client: str = "outlook",
    stamp: datetime = datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        f"METHOD:{method}",
        f"PRODID:{_PRODIDS[client]}",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        f"ATTENDEE;PARTSTAT={partstat};CN=Anna Rossi:mailto:{attendee}",
        f"ORGANIZER;CN=SME Programme:mailto:{organizer}",
        "DTSTART:20270115T140000Z",
        "DTEND:20270115T153000Z",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        "SUMMARY:Tech Talk",
    ]
    if client == "outlook":
        lines += ["X-MICROSOFT-CDO-APPT-SEQUENCE:" + str(sequence), "X-MICROSOFT-CDO-OWNERAPPTID:-1234567"]
    if method == "COUNTER":
        lines[6:8] = ["DTSTART:20270116T140000Z", "DTEND:20270116T153000Z"]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def reply_email(
    client: str,
    calendar: str,
    *,
    sender: str,
    to: str = "events@programme.example",
    message_id: str | None = None,
    auth_results: str | None = None,
    subject: str = "Declined: Tech Talk",
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Anna Rossi <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 12, 6, 9, 30, tzinfo=UTC))
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if auth_results is not None:
        message["Authentication-Results"] = auth_results
    text = "Anna Rossi has declined this event."
    data = calendar.encode()
    if client == "outlook":
        message.set_content(text)
        message.add_alternative("<p>" + text + "</p>", subtype="html")
        message.add_alternative(data, maintype="text", subtype="calendar", params={"method": "REPLY", "charset": "utf-8"}, cte="base64")
    elif client in ("gmail", "thunderbird"):
        message.set_content(text)
        if client == "gmail":
            message.add_alternative("<p>" + text + "</p>", subtype="html")
        message.add_alternative(data, maintype="text", subtype="calendar", params={"method": "REPLY", "charset": "UTF-8"}, cte="base64")
        message.make_mixed()
        message.add_attachment(data, maintype="application", subtype="ics", filename="invite.ics")
    elif client == "apple":
        message.set_content(text)
        message.add_attachment(
            data, maintype="text", subtype="calendar", filename="iCal-20261206-093000.ics",
            params={"method": "REPLY", "name": "iCal-20261206-093000.ics"}, cte="quoted-printable",
        )
    else:
        raise ValueError(client)
    return message.as_bytes()
