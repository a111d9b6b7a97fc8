"""Reading calendar answers out of the emails Outlook, Gmail, Apple Calendar and Thunderbird send
(calendar/replies.py), and recognising our own invite UIDs (calendar/entries.py)."""

from __future__ import annotations

import email
from datetime import UTC, datetime

import pytest

from events_service.calendar.entries import InviteRef, invite_uid, parse_invite_uid
from events_service.calendar.replies import (
    MAX_MESSAGE_BYTES,
    AuthVerdict,
    auth_verdict,
    read_reply_message,
)
from events_service.settings import Settings
from tests.replies.real_shapes import REAL_SHAPES, SHAPES_BY_NAME, RealShape, real_reply
from tests.replies.shapes import CLIENTS, reply_calendar, reply_email

ANNA = "anna@company.example"
UID = "event-7-registration-42-AbC_-x9z@events.programme.example"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("partstat", ["DECLINED", "ACCEPTED", "TENTATIVE"])
def test_each_client_shape_gives_one_answer(client: str, partstat: str) -> None:
    calendar = reply_calendar(uid=UID, attendee="Anna@Company.example", partstat=partstat, sequence=3, client=client)
    raw = reply_email(client, calendar, sender=ANNA, message_id="<r1@client.example>")

    message = read_reply_message(raw)

    assert message.problem == ""
    assert message.message_id == "<r1@client.example>"
    assert message.sender == ANNA
    # Gmail and Thunderbird carry the calendar twice (inline and invite.ics): one answer.
    (answer,) = message.answers
    assert (answer.method, answer.uid, answer.sequence, answer.attendee, answer.partstat) == ("REPLY", UID, 3, ANNA, partstat)
    assert answer.dtstamp == datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("shape", REAL_SHAPES, ids=lambda shape: shape.name)
@pytest.mark.parametrize("partstat", ["DECLINED", "ACCEPTED", "TENTATIVE"])
def test_each_captured_shape_gives_one_answer(shape: RealShape, partstat: str) -> None:
    raw = real_reply(shape, uid=UID, attendee=ANNA, partstat=partstat, sequence=3, message_id="<captured@client.example>")

    message = read_reply_message(raw)

    assert (message.problem, message.message_id, message.sender) == ("", "<captured@client.example>", ANNA)
    # Gmail and Thunderbird attach the calendar a second time (invite.ics): still one answer.
    (answer,) = message.answers
    assert (answer.method, answer.uid, answer.sequence, answer.attendee, answer.partstat) == ("REPLY", UID, 3, ANNA, partstat)
    assert answer.dtstamp == datetime(2026, 12, 7, 21, 17, 31, tzinfo=UTC)


LONG_ADDRESS = "anna.rossi@officine-meccaniche-lariane.example"


def test_captured_exchange_quirks_survive_the_template() -> None:
    raw = real_reply(SHAPES_BY_NAME["exchange-owa"], uid=UID, attendee=LONG_ADDRESS)
    (calendar,) = _calendar_parts(raw)

    # MAILTO in capitals, and the 75-octet fold falls inside the address, as in the capture.
    assert b"DECLINED;CN=Anna Rossi:MAILTO:" in calendar
    assert LONG_ADDRESS.encode() not in calendar
    assert read_reply_message(raw).answers[0].attendee == LONG_ADDRESS


def test_captured_gmail_quirks_survive_the_template() -> None:
    raw = real_reply(SHAPES_BY_NAME["gmail"], uid=UID, attendee=ANNA)
    inline, attached = _calendar_parts(raw)

    # The person's note is a quoted parameter with backslash escapes inside the quotes.
    assert inline == attached
    assert b"X-RESPONSE-COMMENT=\"Non posso\\, sono in trasferta&agrave\\;" in inline.replace(b"\r\n ", b"")
    assert read_reply_message(raw).answers[0].partstat == "DECLINED"


def _calendar_parts(raw: bytes) -> list[bytes]:
    parts = email.message_from_bytes(raw).walk()
    return [part.get_payload(decode=True) for part in parts if part.get_content_type() in ("text/calendar", "application/ics")]


def test_counter_proposal_is_read_as_counter() -> None:
    raw = reply_email("outlook", reply_calendar(uid=UID, attendee=ANNA, method="COUNTER"), sender=ANNA)

    (answer,) = read_reply_message(raw).answers

    assert answer.method == "COUNTER"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"From: anna@company.example\r\nSubject: hello\r\n\r\njust text",
        b"Content-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n",
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
        b"\xff\xfe\x00garbage\r\n\r\n\x00",
        b"From: a@b.c, d@e.f\r\nContent-Type: text/calendar\r\n\r\n" + reply_calendar(uid=UID, attendee=ANNA).encode(),
    ],
)
def test_hostile_messages_give_no_answers_and_do_not_raise(raw: bytes) -> None:
    message = read_reply_message(raw)

    if message.answers:
        # The last one parses, but a From naming two people is nobody's: the decision refuses it.
        assert message.sender == ""
    else:
        assert message.problem


@pytest.mark.parametrize(
    "from_header",
    [
        # An address where the display name goes: the real address is the one in <>.
        "anna@company.example <mallory@evil.example>",
        '"anna@company.example" <mallory@evil.example>',
        "=?utf-8?q?anna@company.example?= <mallory@evil.example>",
        "<mallory@evil.example> anna@company.example",
        "anna@company.example, mallory@evil.example",
        "Group: anna@company.example, mallory@evil.example;",
    ],
)
def test_a_from_that_only_shows_the_attendee_is_not_the_attendee(from_header: str) -> None:
    raw = reply_email("outlook", reply_calendar(uid=UID, attendee=ANNA), sender=ANNA).replace(
        b"From: Anna Rossi <" + ANNA.encode() + b">", b"From: " + from_header.encode()
    )

    message = read_reply_message(raw)

    assert message.answers  # the calendar is read; the sender is what the decision refuses
    assert message.sender in ("", "mallory@evil.example")


def test_oversized_message_is_not_parsed() -> None:
    message = read_reply_message(b"x" * (MAX_MESSAGE_BYTES + 1))

    assert message.answers == ()
    assert message.problem == "message too large"


OUR_SERVER = "mx.programme.example"
#: The header Exchange Online writes: no authserv-id, a bare domain as an item, `action=none`
#: (the shape of real Microsoft 365 and Outlook.com deliveries, domains replaced).
MICROSOFT_PASS = (
    "spf=pass (sender IP is 192.0.2.194) smtp.mailfrom=company.example; outlook.example; dkim=pass (signature was verified)"
    " header.d=company.example;outlook.example; dmarc=pass action=none header.from=company.example;compauth=pass reason=100"
)
#: Gmail's: authserv-id, header.i=@domain, comments with colons and parentheses inside.
GMAIL_PASS = (
    "mx.google.com; dkim=pass header.i=@company.example header.s=20230601 header.b=Ab1Cd2; spf=pass (google.com: domain of"
    " anna@company.example designates 192.0.2.10 as permitted sender) smtp.mailfrom=anna@company.example;"
    " dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=company.example"
)


@pytest.mark.parametrize(
    ("headers", "verdict"),
    [
        ([], AuthVerdict.ABSENT),
        (["mx.programme.example; dkim=pass header.d=company.example; spf=fail"], AuthVerdict.PASSED),
        (["mx.programme.example; dkim=none; spf=pass smtp.mailfrom=company.example"], AuthVerdict.PASSED),
        (["mx.programme.example; dkim=fail; spf=softfail"], AuthVerdict.FAILED),
        (["mx.programme.example; dkim=none; spf=none"], AuthVerdict.FAILED),
        (["mx.programme.example; dmarc=none"], AuthVerdict.ABSENT),
        (["mx.programme.example; none"], AuthVerdict.ABSENT),
        ([MICROSOFT_PASS], AuthVerdict.PASSED),
        ([GMAIL_PASS], AuthVerdict.PASSED),
        # Only the topmost header is our server's; one further down came with the message.
        (["mx.programme.example; dkim=fail; spf=fail", "mx.programme.example; dkim=pass; spf=pass"], AuthVerdict.FAILED),
    ],
)
def test_auth_verdict_reads_the_topmost_header(headers: list[str], verdict: AuthVerdict) -> None:
    assert auth_verdict(headers, "company.example") == verdict


@pytest.mark.parametrize(
    "header",
    [
        # Mallory writes From: anna@company.example and passes for her own domain only.
        "mx.programme.example; dkim=pass header.d=evil.example; spf=fail smtp.mailfrom=evil.example",
        "mx.programme.example; dkim=none; spf=pass smtp.mailfrom=mallory@evil.example",
        "mx.programme.example; dkim=pass header.d=evil.example header.i=@evil.example; spf=pass smtp.mailfrom=evil.example",
        # A domain that merely ends like the From domain, or contains it, is another domain.
        "mx.programme.example; dkim=pass header.d=evilcompany.example; spf=pass smtp.mailfrom=company.example.evil.example",
        # A top-level domain is nobody's organisation.
        "mx.programme.example; dkim=pass header.d=example; spf=pass smtp.mailfrom=example",
        # The aligned names only inside comments or another property do not count.
        "mx.programme.example; dkim=pass (header.d=company.example) header.d=evil.example; spf=pass smtp.helo=company.example",
        # DMARC passed for another From (the server judged a different header), or failed.
        "mx.programme.example; dmarc=pass header.from=evil.example",
        "mx.programme.example; dmarc=fail header.from=company.example; spf=pass smtp.mailfrom=company.example",
        "mx.programme.example; dkim=pass header.d=company.example; dmarc=fail (p=REJECT) header.from=company.example",
    ],
)
def test_a_pass_for_another_domain_is_a_failure(header: str) -> None:
    assert auth_verdict([header], "company.example") == AuthVerdict.FAILED


@pytest.mark.parametrize(
    "header",
    [
        "mx.programme.example; dkim=pass header.d=mail.company.example",  # a subdomain signs
        "mx.programme.example; dkim=pass header.i=anna@eu.company.example",  # only the i= identity
        "mx.programme.example; spf=pass smtp.mailfrom=bounces+anna@mailer.company.example",
        "mx.programme.example; dkim=fail header.d=company.example; dmarc=pass header.from=Company.Example",
        'mx.programme.example 1; dkim/1=pass header.d="company.example."',  # version, quotes, root dot
    ],
)
def test_a_pass_aligned_with_the_from_domain_passes(header: str) -> None:
    assert auth_verdict([header], "company.example") == AuthVerdict.PASSED


def test_a_subdomain_from_is_aligned_with_its_parent_signature() -> None:
    assert auth_verdict(["mx.programme.example; dkim=pass header.d=company.example"], "sales.company.example") == AuthVerdict.PASSED
    # Without a public-suffix list two siblings are not taken for one organisation.
    assert auth_verdict(["mx.programme.example; dkim=pass header.d=hr.company.example"], "sales.company.example") == AuthVerdict.FAILED


def test_with_our_authserv_id_only_our_servers_header_counts() -> None:
    # A sender can write any Authentication-Results; our server adds its own above it, or none.
    forged_on_top = "mx.programme.example.evil.example; dkim=pass header.d=company.example; spf=pass smtp.mailfrom=company.example"
    ours = "MX.Programme.Example; dkim=fail header.d=company.example; spf=fail smtp.mailfrom=company.example"

    assert auth_verdict([forged_on_top, ours], "company.example", OUR_SERVER) == AuthVerdict.FAILED
    assert auth_verdict([forged_on_top, ours], "company.example") == AuthVerdict.PASSED  # without the setting: the topmost
    # No header of ours: nothing to go by, whatever the sender wrote.
    assert auth_verdict([forged_on_top], "company.example", OUR_SERVER) == AuthVerdict.ABSENT
    assert auth_verdict([MICROSOFT_PASS], "company.example", OUR_SERVER) == AuthVerdict.ABSENT


@pytest.mark.parametrize(
    "header",
    [
        "",
        ";;;===",
        "mx.programme.example; dkim=pass (unclosed comment header.d=company.example",
        'mx.programme.example; dkim=pass header.d="evil.example; header.d=company.example"',
        "mx.programme.example; =pass; dkim=; spf pass; .=; header.d=company.example",
        "(" * 5000 + "mx.programme.example; dkim=pass header.d=company.example",
        "mx.programme.example; " + "dkim=pass header.d=evil.example; " * 2000,
    ],
)
def test_garbled_or_hostile_headers_never_pass(header: str) -> None:
    assert auth_verdict([header], "company.example") in (AuthVerdict.ABSENT, AuthVerdict.FAILED)


def test_auth_results_header_reaches_the_verdict() -> None:
    raw = reply_email(
        "gmail", reply_calendar(uid=UID, attendee=ANNA), sender=ANNA, auth_results="mx.programme.example; dkim=fail; spf=fail"
    )

    assert read_reply_message(raw).auth == AuthVerdict.FAILED


def test_the_from_domain_and_authserv_id_reach_the_verdict() -> None:
    mallory = "mx.programme.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=mallory@evil.example"
    raw = reply_email("outlook", reply_calendar(uid=UID, attendee=ANNA), sender=ANNA, auth_results=mallory)

    assert read_reply_message(raw).auth == AuthVerdict.FAILED
    assert read_reply_message(raw, "other-mx.programme.example").auth == AuthVerdict.ABSENT
    aligned = reply_email("outlook", reply_calendar(uid=UID, attendee=ANNA), sender=ANNA, auth_results=GMAIL_PASS)
    assert read_reply_message(aligned, "mx.google.com").auth == AuthVerdict.PASSED


@pytest.mark.parametrize("shape", REAL_SHAPES, ids=lambda shape: shape.name)
def test_captured_shapes_carry_no_authentication_results(shape: RealShape) -> None:
    """The captures were cut before their receiving servers' headers: nothing to go by, and
    the decision acts on them as on any reply where the server writes no header."""
    raw = real_reply(shape, uid=UID, attendee=ANNA, message_id="<captured@client.example>")

    assert read_reply_message(raw).auth == AuthVerdict.ABSENT


def test_invite_uid_round_trips() -> None:
    uid = invite_uid(7, 42, "AbC_-x9zLONGERNONCE", "events.programme.example")

    assert parse_invite_uid(uid, "events.programme.example") == InviteRef(7, 42, "AbC_-x9z")
    assert parse_invite_uid(uid.upper().replace("EVENT-", "event-").replace("-REGISTRATION-", "-registration-"), "events.programme.example") is not None


@pytest.mark.parametrize(
    "uid",
    [
        "event-7-registration-42-AbC_-x9z@elsewhere.example",  # somebody else's host
        "event-7@events.programme.example",  # a public entry, never an invite
        "event-x-registration-42-AbC@events.programme.example",
        "event-7-registration-42-toolongnonce@events.programme.example",
        "",
    ],
)
def test_foreign_uids_are_not_ours(uid: str) -> None:
    assert parse_invite_uid(uid, "events.programme.example") is None


def test_invites_name_the_reply_mailbox_as_organiser() -> None:
    assert Settings(mail_from="events@programme.example").organizer_address == "events@programme.example"
    both = Settings.from_env({"EVENTS_MAIL_FROM": "events@programme.example", "EVENTS_REPLY_ADDRESS": "rsvp@programme.example"})
    assert both.organizer_address == "rsvp@programme.example"


def test_the_authserv_id_setting_is_a_lower_case_host_name_or_unset() -> None:
    assert Settings.from_env({"EVENTS_REPLY_AUTHSERV_ID": " MX.Programme.Example "}).reply_authserv_id == OUR_SERVER
    assert Settings.from_env({"EVENTS_REPLY_AUTHSERV_ID": ""}).reply_authserv_id is None
    assert Settings.from_env({}).reply_authserv_id is None
