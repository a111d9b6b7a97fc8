"""Acting on answers read from the reply mailbox (replies/service.py) against the real database,
both engines: a Decline frees the seat for the first person waiting in the same transaction,
each message acts once (read twice, or by two workers at once), and every forged, stale or
foreign answer changes nothing and is kept with its reason."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from events_service.calendar.entries import invite_uid
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations.records import Rsvp
from events_service.registrations.tables import Registration
from events_service.replies.decisions import Decision, IgnoreReason, ReplyAction
from events_service.replies.service import process_message
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.factories import published_event, registration_payload
from tests.replies.real_shapes import REAL_SHAPES, RealShape, real_reply
from tests.replies.shapes import CLIENTS, reply_calendar, reply_email

ANNA = "anna.rossi@azienda1.example"
BRUNO = "bruno.verdi@azienda2.example"


async def _register(client: httpx.AsyncClient, event_id: int, email: str, company_no: int) -> dict[str, Any]:
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _full_event(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[int, str]:
    """One seat: Anna has it, Bruno waits. Returns the event id and Anna's invite UID."""
    event = await published_event(client, organiser, capacity=1)
    anna = await _register(client, event["id"], ANNA, 1)
    bruno = await _register(client, event["id"], BRUNO, 2)
    assert (anna["status"], bruno["status"]) == ("confirmed", "waitlisted")
    row = await Registration.select(Registration.id, Registration.token_nonce).where(Registration.id == anna["id"]).first()
    assert row is not None
    return event["id"], invite_uid(event["id"], row["id"], row["token_nonce"], "events.test")


async def _statuses(event_id: int) -> dict[str, tuple[str, str | None]]:
    rows = await Registration.select(Registration.contact.email, Registration.status, Registration.rsvp).where(Registration.event == event_id)
    return {row["contact.email"]: (row["status"], row["rsvp"]) for row in rows}


@pytest.mark.parametrize("client_shape", CLIENTS)
async def test_decline_frees_the_seat_for_the_first_waiting(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, client_shape: str
) -> None:
    event_id, uid = await _full_event(client, organiser)
    raw = reply_email(client_shape, reply_calendar(uid=uid, attendee=ANNA, client=client_shape), sender=ANNA)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.CANCEL and outcome.first_time
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
    cancelled_by = await Registration.select(Registration.cancelled_by).where(Registration.contact.email == ANNA).first()
    assert cancelled_by == {"cancelled_by": "reply"}
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason, InviteReply.event)
    assert logged == {"action": "cancel", "reason": None, "event": event_id}


@pytest.mark.parametrize("shape", REAL_SHAPES, ids=lambda shape: shape.name)
async def test_decline_in_a_captured_shape_frees_the_seat(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, shape: RealShape
) -> None:
    event_id, uid = await _full_event(client, organiser)
    raw = real_reply(shape, uid=uid, attendee=ANNA, organizer=settings.organizer_address)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.CANCEL and outcome.first_time
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE"])
async def test_accept_and_tentative_are_recorded(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, partstat: str
) -> None:
    event_id, uid = await _full_event(client, organiser)
    raw = reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, partstat=partstat, client="gmail"), sender=ANNA)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.RECORD_RSVP
    assert await _statuses(event_id) == {ANNA: ("confirmed", partstat.lower()), BRUNO: ("waitlisted", None)}


async def test_same_message_twice_and_two_workers_at_once_act_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event_id, uid = await _full_event(client, organiser)
    raw = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=ANNA, message_id="<once@client.example>")

    together = await asyncio.gather(*(process_message(raw, settings) for _ in range(4)))
    again = await process_message(raw, settings)

    firsts = [outcome.first_time for outcomes in together for outcome in outcomes]
    assert sorted(firsts) == [False, False, False, True]
    assert again[0].first_time is False and again[0].decision.action == ReplyAction.CANCEL
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
    assert await InviteReply.count() == 1
    # One cancellation notice for Anna, one promotion for Bruno: nothing queued twice.
    kinds = sorted(row["kind"] for row in await OutboxMessage.select(OutboxMessage.kind).where(OutboxMessage.kind.is_in(["cancelled", "promoted"])))
    assert kinds.count("promoted") == 1


async def test_switched_off_event_only_records(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    await Event.update({Event.acts_on_replies: False}).where(Event.id == event_id)

    (outcome,) = await process_message(reply_email("apple", reply_calendar(uid=uid, attendee=ANNA, client="apple"), sender=ANNA), settings)

    assert outcome.decision.action == ReplyAction.RECORD_ONLY
    assert await _statuses(event_id) == {ANNA: ("confirmed", None), BRUNO: ("waitlisted", None)}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged_sender", IgnoreReason.FORGED_SENDER),
        ("unknown_uid", IgnoreReason.UNKNOWN_UID),
        ("guessed_nonce", IgnoreReason.UNKNOWN_UID),
        ("other_attendee", IgnoreReason.ATTENDEE_MISMATCH),
        ("stale_sequence", IgnoreReason.STALE_SEQUENCE),
        ("counter_proposal", IgnoreReason.COUNTER_PROPOSAL),
        ("auth_failed", IgnoreReason.AUTH_FAILED),
        ("no_calendar", IgnoreReason.UNREADABLE),
    ],
)
async def test_hostile_or_foreign_answers_change_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, case: str, reason: IgnoreReason
) -> None:
    event_id, uid = await _full_event(client, organiser)
    # The event moved once: the entry we last sent has SEQUENCE 1.
    await Event.update({Event.sequence: 1}).where(Event.id == event_id)
    before = await _statuses(event_id)
    calendar: dict[str, Any] = {"uid": uid, "attendee": ANNA, "sequence": 1}
    sender, auth = ANNA, None
    if case == "forged_sender":
        sender = "mallory@evil.example"
    elif case == "unknown_uid":
        calendar["uid"] = f"event-{event_id}-registration-999999-abcdefgh@events.test"
    elif case == "guessed_nonce":
        calendar["uid"] = uid.rsplit("-", 1)[0] + "-zzzzzzzz@events.test"
    elif case == "other_attendee":
        calendar["attendee"] = sender = BRUNO
    elif case == "stale_sequence":
        calendar["sequence"] = 0
    elif case == "counter_proposal":
        calendar["method"] = "COUNTER"
    elif case == "auth_failed":
        auth = "mx.programme.example; dkim=fail header.d=azienda1.example; spf=fail smtp.mailfrom=azienda1.example"
    raw = reply_email("outlook", reply_calendar(**calendar), sender=sender, auth_results=auth)
    if case == "no_calendar":
        raw = b"From: " + ANNA.encode() + b"\r\nMessage-ID: <x@y>\r\nSubject: Declined\r\n\r\nI cannot come."

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.IGNORE
    assert outcome.decision.reason == reason
    assert await _statuses(event_id) == before
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason)
    assert logged == {"action": "ignore", "reason": reason.value}


#: Mallory writes From: Anna and sends from her own server: her domain passes, Anna's does not.
MALLORY_DKIM = "mx.programme.example; dkim=pass header.d=evil.example header.s=s1; spf=none smtp.mailfrom=evil.example"
MALLORY_SPF = "mx.programme.example; dkim=none (message not signed); spf=pass smtp.mailfrom=mallory@evil.example"
MALLORY_BOTH = "mx.programme.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example; dmarc=none"


def _with_auth_results(headers: str | list[str], raw: bytes) -> bytes:
    """`headers` on top of the message, the first topmost, as receiving servers prepend them."""
    listed = [headers] if isinstance(headers, str) else headers
    return b"".join(f"Authentication-Results: {header}\r\n".encode() for header in listed) + raw


@pytest.mark.parametrize(
    ("auth_results", "authserv_id"),
    [
        pytest.param(MALLORY_DKIM, None, id="own_domain_dkim_pass"),
        pytest.param(MALLORY_SPF, None, id="own_domain_spf_pass"),
        pytest.param(MALLORY_BOTH, None, id="own_domain_dkim_and_spf_pass"),
        pytest.param("mx.programme.example; dmarc=fail header.from=azienda1.example; spf=pass smtp.mailfrom=azienda1.example", None, id="dmarc_fail"),
        # Our server wrote its verdict; the sender put a passing one above it.
        pytest.param(
            [
                "mx.azienda1.example; dkim=pass header.d=azienda1.example; spf=pass smtp.mailfrom=azienda1.example",
                "mx.programme.example; dkim=none; spf=fail smtp.mailfrom=evil.example",
            ],
            "mx.programme.example",
            id="sender_header_on_top",
        ),
    ],
)
@pytest.mark.parametrize("partstat", ["DECLINED", "ACCEPTED"])
async def test_a_reply_not_authenticated_for_the_attendees_domain_changes_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, auth_results: str | list[str], authserv_id: str | None, partstat: str
) -> None:
    event_id, uid = await _full_event(client, organiser)
    before = await _statuses(event_id)
    settings = dataclasses.replace(settings, reply_authserv_id=authserv_id)
    raw = _with_auth_results(auth_results, reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA, partstat=partstat), sender=ANNA))

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision == Decision(ReplyAction.IGNORE, IgnoreReason.AUTH_FAILED)
    assert await _statuses(event_id) == before
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason, InviteReply.registration)
    assert logged["action"] == "ignore" and logged["reason"] == "auth_failed"
    assert await OutboxMessage.count().where(OutboxMessage.kind.is_in(["cancelled", "promoted"])) == 0


@pytest.mark.parametrize(
    ("auth_results", "authserv_id"),
    [
        pytest.param("mx.programme.example; dkim=pass header.d=mail.azienda1.example; spf=fail smtp.mailfrom=evil.example", None, id="subdomain_dkim"),
        pytest.param("mx.programme.example; dkim=none; spf=pass smtp.mailfrom=bounce@azienda1.example", None, id="aligned_spf"),
        pytest.param("mx.programme.example; dkim=fail; spf=softfail; dmarc=pass header.from=azienda1.example", None, id="dmarc_pass"),
        # The sender's own header below ours does not matter, passing or not.
        pytest.param(
            ["mx.programme.example; dkim=pass header.d=azienda1.example", "mx.azienda1.example; dkim=fail; spf=fail"],
            "mx.programme.example",
            id="ours_on_top_with_setting",
        ),
    ],
)
async def test_a_reply_authenticated_for_the_attendees_domain_frees_the_seat(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, auth_results: str | list[str], authserv_id: str | None
) -> None:
    event_id, uid = await _full_event(client, organiser)
    settings = dataclasses.replace(settings, reply_authserv_id=authserv_id)
    raw = _with_auth_results(auth_results, reply_email("gmail", reply_calendar(uid=uid, attendee=ANNA, client="gmail"), sender=ANNA))

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision == Decision(ReplyAction.CANCEL, rsvp=Rsvp.DECLINED)
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
