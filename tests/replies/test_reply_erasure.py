"""A person's erasure reaches the reply log (replies/erasure.py via privacy/service.py): their
address as attendee or sender, and both addresses of every reply about their registrations and
expert meetings, are replaced by a per-row marker in the erasure's transaction; the rows stay,
so the same message delivered again (once, or by several workers at once) is still the earlier
claim and is not acted on again, nor does it bring the address back. Old replies lose their
addresses with the mail bodies' retention. Read back from the database, both engines."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from events_service.clock import now_utc
from events_service.companies.tables import Contact
from events_service.privacy.service import erase_contact, export_contact
from events_service.registrations.tables import Registration
from events_service.replies import background
from events_service.replies.decisions import IgnoreReason, ReplyAction
from events_service.replies.erasure import ERASED_PREFIX, forget_old_reply_addresses
from events_service.replies.service import process_message
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.conftest import token_headers
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_meeting_replies import ELENA, LUCA, _booked
from tests.replies.test_processing import ANNA, BRUNO, _full_event, _statuses
from tests.replies.test_unacted_console import MALLORY


async def _log() -> list[dict[str, Any]]:
    return await InviteReply.select(
        InviteReply.id, InviteReply.attendee, InviteReply.sender, InviteReply.action, InviteReply.reason, InviteReply.uid
    ).order_by(InviteReply.id)


def _erased(row: dict[str, Any]) -> bool:
    return row["attendee"] == f"{ERASED_PREFIX}{row['id']}]" and row["sender"] == f"{ERASED_PREFIX}{row['id']}]"


async def _erase(client: httpx.AsyncClient, address: str) -> dict[str, Any]:
    admin = await token_headers(client, "admin")
    answer = await client.post("/api/contacts/erase", json={"email": address}, headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_erasure_clears_the_reply_log_and_a_redelivery_is_not_acted_on(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event_id, uid = await _full_event(client, organiser)
    accepted = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA, partstat="ACCEPTED"), sender=ANNA, message_id="<accept@client.example>")
    forged = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=MALLORY, message_id="<forged@evil.example>")
    lost = reply_email("gmail", reply_calendar(uid="lost@elsewhere.example", attendee=ANNA, client="gmail"), sender=ANNA.upper(),
                       message_id="<lost@client.example>")
    brunos = reply_email("gmail", reply_calendar(uid="his@elsewhere.example", attendee=BRUNO, client="gmail"), sender=BRUNO)
    for raw in (accepted, forged, lost, brunos):
        await process_message(raw, settings)
    assert [row["action"] for row in await _log()] == ["record_rsvp", "ignore", "ignore", "ignore"]

    exported = await export_contact(ANNA)
    assert [(row["uid"], row["sender"], row["action"]) for row in exported["invite_replies"]] == [
        (uid, ANNA, "record_rsvp"), (uid, MALLORY, "ignore"), ("lost@elsewhere.example", ANNA, "ignore"),
    ]

    result = await _erase(client, ANNA)

    assert result["replies_anonymised"] == 3
    anna_accept, mallory_forged, anna_lost, bruno_lost = await _log()
    # Hers, the forged one about her registration (Mallory's address with it: the row is about
    # her) and her unmatched one: both addresses gone, the answer and the reason kept.
    assert all(_erased(row) for row in (anna_accept, mallory_forged, anna_lost))
    assert [(row["action"], row["reason"]) for row in (anna_accept, mallory_forged, anna_lost)] == [
        ("record_rsvp", None), ("ignore", "forged_sender"), ("ignore", "unknown_uid"),
    ]
    assert (bruno_lost["attendee"], bruno_lost["sender"]) == (BRUNO, BRUNO)
    seats = await _statuses(event_id)

    again = await process_message(accepted, settings)
    together = await asyncio.gather(*(process_message(raw, settings) for raw in (accepted, accepted, forged, lost, lost)))

    for outcome in [*again, *(outcome for outcomes in together for outcome in outcomes)]:
        assert outcome.first_time is False
    assert again[0].decision.action == ReplyAction.RECORD_RSVP
    assert [outcomes[0].decision.reason for outcomes in together] == [
        None, None, IgnoreReason.FORGED_SENDER, IgnoreReason.UNKNOWN_UID, IgnoreReason.UNKNOWN_UID,
    ]
    log = await _log()
    assert len(log) == 4
    assert not [row for row in log if ANNA in (row["attendee"], row["sender"].lower())]
    assert await _statuses(event_id) == seats


async def test_answers_told_apart_only_by_attendee_are_erased_without_colliding(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    """The unique index covers the attendee: a message answering for two of her addresses
    holds two rows that a single marker would make equal (the erasure would fail)."""
    _, uid = await _full_event(client, organiser)
    registration = await Registration.select(Registration.id).where(Registration.contact.email == ANNA).first()
    assert registration is not None
    twins = [
        InviteReply(message_id="<both@client.example>", uid=uid, attendee=attendee, sender=ANNA, partstat="DECLINED",
                    action=ReplyAction.IGNORE, reason=IgnoreReason.ATTENDEE_MISMATCH, event=None, registration=registration["id"])
        for attendee in (ANNA, "anna.private@mail.example")
    ]
    await InviteReply.insert(*twins)

    assert (await erase_contact(ANNA, settings))["replies_anonymised"] == 2

    assert all(_erased(row) for row in await _log())


async def test_erasure_clears_the_replies_to_a_persons_expert_meeting(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    booked = await _booked(client, organiser)
    await process_message(reply_email("gmail", reply_calendar(uid=booked.uid, attendee=LUCA, partstat="ACCEPTED", client="gmail"), sender=LUCA), settings)
    await process_message(reply_email("outlook", reply_calendar(uid=booked.uid, attendee=ELENA, partstat="TENTATIVE"), sender=ELENA), settings)
    forwarded = reply_email("apple", reply_calendar(uid=booked.uid, attendee=LUCA, client="apple"), sender="assistant@verdi-meccanica.example")
    await process_message(forwarded, settings)
    rows = await InviteReply.select(InviteReply.meeting, InviteReply.registration).order_by(InviteReply.id)
    assert rows == [{"meeting": booked.meeting_id, "registration": None}] * 3

    assert (await _erase(client, LUCA))["replies_anonymised"] == 3

    assert all(_erased(row) for row in await _log())
    (again,) = await process_message(forwarded, settings)
    assert again.first_time is False and len(await _log()) == 3


async def test_someone_known_only_from_a_reply_can_be_erased(settings: Settings) -> None:
    stranger = "someone@elsewhere.example"
    await process_message(reply_email("outlook", reply_calendar(uid="x@elsewhere.example", attendee=stranger), sender=stranger), settings)
    assert await Contact.count() == 0
    assert [row["attendee"] for row in (await export_contact(stranger))["invite_replies"]] == [stranger]

    result = await erase_contact(stranger, settings)

    assert (result["contact_id"], result["replies_anonymised"]) == (None, 1)
    assert all(_erased(row) for row in await _log())


async def test_old_replies_lose_their_addresses_with_the_mail_bodies(settings: Settings) -> None:
    sent = reply_email("outlook", reply_calendar(uid="old@elsewhere.example", attendee=MALLORY), sender=MALLORY)
    await process_message(sent, settings)
    assert "reply address retention" in {job.name for job in background.JOBS}

    assert await forget_old_reply_addresses(0, now=now_utc() + timedelta(days=400)) == 0  # 0 keeps them
    assert await forget_old_reply_addresses(90, now=now_utc() + timedelta(days=89)) == 0
    assert [(row["attendee"], row["sender"]) for row in await _log()] == [(MALLORY, MALLORY)]
    assert await forget_old_reply_addresses(90, now=now_utc() + timedelta(days=91)) == 1
    assert await forget_old_reply_addresses(90, now=now_utc() + timedelta(days=91)) == 0  # done once

    assert all(_erased(row) for row in await _log())
    (again,) = await process_message(sent, settings)
    assert again.first_time is False and again.decision.reason == IgnoreReason.UNKNOWN_UID
    assert len(await _log()) == 1
