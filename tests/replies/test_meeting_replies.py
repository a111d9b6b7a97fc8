"""Issue 19 x 18: answers to an expert meeting's invite, over the real processing
(replies/service.py) and the real database, both engines. The registrant's Decline cancels the
meeting (slot free at once, CANCEL to both sides) and nothing else; Accept/Tentative are noted on
the meeting and shown in the organisers' slot list; the expert's Decline cancels nothing: it is
noted and listed for organisers with its reason; each answer acts once; forged, stale, foreign
and late answers change nothing and are listed with the reason."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from events_service.events.tables import Event
from events_service.experts.invites import MEETING_INVITE
from events_service.experts.tables import ExpertMeeting
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.replies.decisions import IgnoreReason, ReplyAction
from events_service.replies.queries import unacted_replies
from events_service.replies.service import process_message
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.experts.support import booked_meeting
from tests.replies.shapes import CLIENTS, reply_calendar, reply_email
from tests.web.support import console_login

LUCA = "luca.verdi@verdi-meccanica.example"
ELENA = "elena.conti@experts.example"  # tests.experts.support.expert's address for "Elena Conti"
MALLORY = "mallory@evil.example"


@dataclass(frozen=True)
class Booked:
    event_id: int
    slot_id: int
    meeting_id: int
    uid: str
    slots: list[dict[str, Any]]


async def _booked(client: httpx.AsyncClient, organiser: dict[str, str]) -> Booked:
    """A Tech Day where Luca booked Elena's first slot."""
    booked = await booked_meeting(client, organiser, LUCA)
    row = await ExpertMeeting.select(ExpertMeeting.uid).where(ExpertMeeting.id == booked.meeting["id"]).first()
    assert row is not None and row["uid"].startswith("meeting-")
    return Booked(booked.day["id"], booked.slots[0]["id"], booked.meeting["id"], row["uid"], booked.slots)


async def _meeting(meeting_id: int) -> dict[str, Any]:
    row = await ExpertMeeting.select(
        ExpertMeeting.status, ExpertMeeting.active_slot, ExpertMeeting.rsvp, ExpertMeeting.expert_rsvp, ExpertMeeting.sequence
    ).where(ExpertMeeting.id == meeting_id).first()
    assert row is not None
    return row


async def _meeting_mail_keys() -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == MEETING_INVITE)
    return sorted(row["idempotency_key"] for row in rows)


async def _organisers_slot(client: httpx.AsyncClient, organiser: dict[str, str], booked: Booked) -> dict[str, Any]:
    answer = await client.get(f"/api/events/{booked.event_id}/expert-slots", headers=organiser)
    assert answer.status_code == 200, answer.text
    return next(slot for slot in answer.json() if slot["id"] == booked.slot_id)


async def _free_slot_ids(client: httpx.AsyncClient, event_id: int) -> set[int]:
    answer = await client.get(f"/api/public/events/{event_id}/expert-slots")
    assert answer.status_code == 200, answer.text
    return {slot["id"] for slot in answer.json()}


async def _console_answers(client: httpx.AsyncClient, booked: Booked) -> list[str]:
    """The answers shown on the slot's line of the console's experts page (signed in as an editor)."""
    await console_login(client)
    page = await client.get(f"/console/events/{booked.event_id}/experts", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    line = re.search(rf'<tr id="slot-{booked.slot_id}".*?</tr>', page.text, re.S)
    assert line is not None
    return [html.unescape(text) for text in re.findall(r'class="meeting-(?:expert-)?rsvp">(.*?)</', line.group(0), re.S)]


@pytest.mark.parametrize("client_shape", CLIENTS)
async def test_registrants_decline_cancels_the_meeting_and_frees_the_slot(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, client_shape: str
) -> None:
    booked = await _booked(client, organiser)
    assert booked.slot_id not in await _free_slot_ids(client, booked.event_id)
    raw = reply_email(client_shape, reply_calendar(uid=booked.uid, attendee=LUCA, client=client_shape), sender=LUCA)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.CANCEL and outcome.first_time
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["active_slot"], meeting["rsvp"], meeting["sequence"]) == ("cancelled", None, "declined", 1)
    assert booked.slot_id in await _free_slot_ids(client, booked.event_id)
    # The CANCEL (SEQUENCE 1) is queued for both sides, the expert included.
    m = booked.meeting_id
    assert await _meeting_mail_keys() == sorted([
        f"{MEETING_INVITE}:{m}:registrant:0:REQUEST", f"{MEETING_INVITE}:{m}:expert:0:REQUEST",
        f"{MEETING_INVITE}:{m}:registrant:1:CANCEL", f"{MEETING_INVITE}:{m}:expert:1:CANCEL",
    ])
    # Declining the meeting is not declining the Tech Day: the registration stays.
    registration = await Registration.select(Registration.status, Registration.rsvp).where(Registration.contact.email == LUCA).first()
    assert registration == {"status": "confirmed", "rsvp": None}
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason, InviteReply.event, InviteReply.meeting, InviteReply.registration)
    assert logged == {"action": "cancel", "reason": None, "event": booked.event_id, "meeting": booked.meeting_id, "registration": None}
    assert await unacted_replies(booked.event_id) == []


@pytest.mark.parametrize(("side", "partstat"), [(LUCA, "ACCEPTED"), (LUCA, "TENTATIVE"), (ELENA, "ACCEPTED"), (ELENA, "TENTATIVE")])
async def test_accept_and_tentative_are_noted_on_the_meeting_and_shown_to_organisers(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, side: str, partstat: str
) -> None:
    booked = await _booked(client, organiser)
    raw = reply_email("gmail", reply_calendar(uid=booked.uid, attendee=side, partstat=partstat, client="gmail"), sender=side)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.RECORD_RSVP
    column = "rsvp" if side == LUCA else "expert_rsvp"
    other = "expert_rsvp" if side == LUCA else "rsvp"
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting[column], meeting[other]) == ("booked", partstat.lower(), None)
    listed = await _organisers_slot(client, organiser, booked)
    assert (listed["booked"], listed["meeting_id"], listed[column], listed[other]) == (True, booked.meeting_id, partstat.lower(), None)
    who = "The person" if side == LUCA else "The expert"
    assert await _console_answers(client, booked) == [f"{who}: {partstat.capitalize()}"]


async def test_experts_decline_keeps_the_meeting_and_is_listed_for_organisers(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    booked = await _booked(client, organiser)
    raw = reply_email("outlook", reply_calendar(uid=booked.uid, attendee=ELENA), sender=ELENA)

    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.action == ReplyAction.REFER and outcome.decision.reason == IgnoreReason.EXPERT_DECLINED
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["active_slot"], meeting["expert_rsvp"], meeting["rsvp"]) == ("booked", booked.slot_id, "declined", None)
    assert len(await _meeting_mail_keys()) == 2  # the two REQUESTs: no CANCEL to anybody
    listed = await _organisers_slot(client, organiser, booked)
    assert (listed["booked"], listed["expert_rsvp"]) == (True, "declined")
    (unacted,) = await unacted_replies(booked.event_id)
    assert (unacted.sender, unacted.action, unacted.reason) == (ELENA, ReplyAction.REFER, IgnoreReason.EXPERT_DECLINED)
    assert await _console_answers(client, booked) == ["The expert declined: move the slot or cancel the meeting."]
    page = await client.get(f"/console/events/{booked.event_id}", headers={"Accept-Language": "en"})
    section = re.search(r'<section class="unacted-replies".*?</section>', page.text, re.S)
    assert section is not None
    assert "the expert declined the meeting: move the slot or cancel the meeting" in section.group(0)
    assert ELENA in section.group(0)

    # Organisers move the slot: both sides are asked again, the old answer no longer stands.
    later = datetime.fromisoformat(booked.slots[2]["ends_at"]) + timedelta(minutes=30)
    moved = await client.post(f"/api/events/{booked.event_id}/expert-slots/{booked.slot_id}/move", headers=organiser,
                              json={"starts_at": later.isoformat()})
    assert moved.status_code == 200, moved.text
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["sequence"], meeting["expert_rsvp"]) == ("booked", 1, None)
    assert await _console_answers(client, booked) == []


async def test_switched_off_event_only_records_meeting_answers(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    booked = await _booked(client, organiser)
    await Event.update({Event.acts_on_replies: False}).where(Event.id == booked.event_id)

    (outcome,) = await process_message(reply_email("apple", reply_calendar(uid=booked.uid, attendee=LUCA, client="apple"), sender=LUCA), settings)

    assert outcome.decision.action == ReplyAction.RECORD_ONLY
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["active_slot"], meeting["rsvp"]) == ("booked", booked.slot_id, None)
    (unacted,) = await unacted_replies(booked.event_id)
    assert unacted.action == ReplyAction.RECORD_ONLY


async def test_same_decline_read_four_times_at_once_cancels_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    booked = await _booked(client, organiser)
    raw = reply_email("outlook", reply_calendar(uid=booked.uid, attendee=LUCA), sender=LUCA, message_id="<meeting-once@client.example>")

    together = await asyncio.gather(*(process_message(raw, settings) for _ in range(4)))
    again = await process_message(raw, settings)

    assert sorted(outcome.first_time for outcomes in together for outcome in outcomes) == [False, False, False, True]
    assert again[0].first_time is False and again[0].decision.action == ReplyAction.CANCEL
    assert await InviteReply.count() == 1
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["sequence"]) == ("cancelled", 1)
    keys = await _meeting_mail_keys()
    assert [key for key in keys if key.endswith(":CANCEL")] == sorted([
        f"{MEETING_INVITE}:{booked.meeting_id}:expert:1:CANCEL", f"{MEETING_INVITE}:{booked.meeting_id}:registrant:1:CANCEL"])


async def test_decline_racing_the_organisers_close_cancels_the_meeting_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    booked = await _booked(client, organiser)
    raw = reply_email("thunderbird", reply_calendar(uid=booked.uid, attendee=LUCA, client="thunderbird"), sender=LUCA)

    closed, outcomes = await asyncio.gather(
        client.post(f"/api/events/{booked.event_id}/expert-slots/{booked.slot_id}/close", headers=organiser),
        process_message(raw, settings),
    )

    assert closed.status_code == 200, closed.text
    # Whichever came first cancelled it. A Decline coming second answers an invite replaced
    # by the CANCEL (SEQUENCE raised: stale), or, read while the close was committing, finds
    # the meeting cancelled at its own cancel: either way it is listed, nothing done twice.
    decision = outcomes[0].decision
    assert (decision.action, decision.reason) in [
        (ReplyAction.CANCEL, None), (ReplyAction.IGNORE, IgnoreReason.STALE_SEQUENCE), (ReplyAction.IGNORE, IgnoreReason.MEETING_NOT_BOOKED)]
    meeting = await _meeting(booked.meeting_id)
    assert (meeting["status"], meeting["active_slot"], meeting["sequence"]) == ("cancelled", None, 1)
    assert [key for key in await _meeting_mail_keys() if key.endswith(":CANCEL")] == sorted([
        f"{MEETING_INVITE}:{booked.meeting_id}:expert:1:CANCEL", f"{MEETING_INVITE}:{booked.meeting_id}:registrant:1:CANCEL"])


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged_sender", IgnoreReason.FORGED_SENDER),
        ("expert_forged", IgnoreReason.FORGED_SENDER),
        ("unknown_uid", IgnoreReason.UNKNOWN_UID),
        ("other_host", IgnoreReason.UNKNOWN_UID),
        ("other_attendee", IgnoreReason.ATTENDEE_MISMATCH),
        ("stale_sequence", IgnoreReason.STALE_SEQUENCE),
        ("counter_proposal", IgnoreReason.COUNTER_PROPOSAL),
        ("auth_failed", IgnoreReason.AUTH_FAILED),
        ("auth_own_domain", IgnoreReason.AUTH_FAILED),
        ("cancelled_meeting", IgnoreReason.MEETING_NOT_BOOKED),
        ("held_meeting", IgnoreReason.MEETING_NOT_BOOKED),
    ],
)
async def test_hostile_stale_or_late_meeting_answers_change_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, case: str, reason: IgnoreReason
) -> None:
    booked = await _booked(client, organiser)
    # The meeting moved once: the invite we last sent has SEQUENCE 1.
    later = datetime.fromisoformat(booked.slots[2]["ends_at"]) + timedelta(minutes=30)
    moved = await client.post(f"/api/events/{booked.event_id}/expert-slots/{booked.slot_id}/move", headers=organiser,
                              json={"starts_at": later.isoformat()})
    assert moved.status_code == 200, moved.text
    if case == "cancelled_meeting":
        await client.post(f"/api/events/{booked.event_id}/expert-slots/{booked.slot_id}/close", headers=organiser)
    elif case == "held_meeting":
        held = await client.patch(f"/api/meetings/{booked.meeting_id}", headers=organiser, json={"status": "held"})
        assert held.status_code == 200, held.text
    before = (await _meeting(booked.meeting_id), await _meeting_mail_keys())
    calendar: dict[str, Any] = {"uid": booked.uid, "attendee": LUCA, "sequence": 2 if case == "cancelled_meeting" else 1}
    sender, auth = LUCA, None
    if case == "forged_sender":
        sender = MALLORY
    elif case == "expert_forged":
        calendar["attendee"] = ELENA  # the expert's Decline, but sent by somebody else
        sender = MALLORY
    elif case == "unknown_uid":
        calendar["uid"] = "meeting-000000000000000000000000@events.test"
    elif case == "other_host":
        calendar["uid"] = booked.uid.split("@")[0] + "@elsewhere.example"
    elif case == "other_attendee":
        calendar["attendee"] = sender = MALLORY
    elif case == "stale_sequence":
        calendar["sequence"] = 0
    elif case == "counter_proposal":
        calendar["method"] = "COUNTER"
    elif case == "auth_failed":
        auth = "mx.programme.example; dkim=fail header.d=verdi-meccanica.example; spf=fail smtp.mailfrom=verdi-meccanica.example"
    elif case == "auth_own_domain":
        # Mallory writes Luca's From and passes DKIM and SPF for her own domain only.
        auth = "mx.programme.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example"
    raw = reply_email("outlook", reply_calendar(**calendar), sender=sender, auth_results=auth)

    (outcome,) = await process_message(raw, settings)

    assert (outcome.decision.action, outcome.decision.reason) == (ReplyAction.IGNORE, reason)
    assert (await _meeting(booked.meeting_id), await _meeting_mail_keys()) == before
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.reason, InviteReply.meeting)
    assert (logged["action"], logged["reason"]) == ("ignore", reason.value)
    unacted = await unacted_replies(booked.event_id)
    if reason == IgnoreReason.UNKNOWN_UID:
        # Naming no meeting, it names no event either: no event's console lists it.
        assert logged["meeting"] is None and unacted == []
    else:
        assert logged["meeting"] == booked.meeting_id
        assert [(row.sender, row.reason) for row in unacted] == [(sender, reason)]
