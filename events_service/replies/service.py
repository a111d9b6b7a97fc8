"""Acting on one message from the reply mailbox: read its calendar answers, decide each
(decisions.py), act, and record it, all in one write transaction per answer. The row is
claimed first: the unique index of invite_reply lets exactly one reader act on an answer; a
second reader (the same message read again, another worker) inserts nothing and stops."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.calendar.entries import parse_invite_uid
from events_service.calendar.replies import CalendarAnswer, ReplyMessage, read_reply_message
from events_service.db import with_retry, write_transaction
from events_service.events.queries import event_row
from events_service.events.tables import Event
from events_service.registrations.records import CancelledBy
from events_service.registrations.service import cancel_in_transaction
from events_service.registrations.tables import Registration
from events_service.replies.decisions import (
    Decision,
    IgnoreReason,
    InviteFacts,
    MeetingFacts,
    ReplyAction,
    decide,
)
from events_service.replies.erasure import is_erased
from events_service.replies.meeting_invites import meeting_replies
from events_service.replies.tables import InviteReply
from events_service.settings import Settings


@dataclass(frozen=True)
class ReplyOutcome:
    uid: str
    decision: Decision
    #: False when this answer had been acted on before (the same message read again).
    first_time: bool


async def process_message(raw: bytes, settings: Settings) -> list[ReplyOutcome]:
    """Act on every answer in `raw` once; returns what was done (or found done) with each."""
    message = read_reply_message(raw, settings.reply_authserv_id)
    # A message without Message-ID is known by its bytes: the same message, the same key.
    message_id = message.message_id or f"<sha256:{hashlib.sha256(raw).hexdigest()}>"
    if not message.answers:
        unreadable = CalendarAnswer(method="", uid="", sequence=0, dtstamp=None, attendee="", partstat="")
        decision = Decision(ReplyAction.IGNORE, IgnoreReason.UNREADABLE)
        first = await with_retry(lambda: _record_only(message_id, message, unreadable, decision))
        return [ReplyOutcome("", decision, first)]
    outcomes = []
    for answer in message.answers:
        outcomes.append(await with_retry(lambda answer=answer: _act_once(message_id, message, answer, settings)))  # type: ignore[misc]
    return outcomes


async def _record_only(message_id: str, message: ReplyMessage, answer: CalendarAnswer, decision: Decision) -> bool:
    async with write_transaction():
        return await _claim(message_id, message, answer, decision, None, None) is not None


async def _act_once(message_id: str, message: ReplyMessage, answer: CalendarAnswer, settings: Settings) -> ReplyOutcome:
    async with write_transaction():
        claimed = await _claim(message_id, message, answer, Decision(ReplyAction.IGNORE, IgnoreReason.UNKNOWN_UID), None, None)
        if claimed is None:
            return ReplyOutcome(answer.uid, await _earlier_decision(message_id, answer), first_time=False)
        facts, event_id = await _facts(answer, settings)
        decision = decide(answer, message.sender, message.auth, facts)
        if facts is not None and facts.meeting is not None:
            decision = await _act_on_meeting(decision, facts.meeting, settings)
        elif decision.action == ReplyAction.CANCEL and facts is not None:
            await _record_rsvp(facts.registration_id, decision)
            await cancel_in_transaction(facts.registration_id, settings, CancelledBy.REPLY)
        elif decision.action == ReplyAction.RECORD_RSVP and facts is not None:
            await _record_rsvp(facts.registration_id, decision)
        await InviteReply.update(
            {
                InviteReply.action: decision.action,
                InviteReply.reason: decision.reason,
                InviteReply.event: event_id,
                # A meeting's answer names the meeting, not the registration it hangs on.
                InviteReply.registration: facts.registration_id if facts and not facts.meeting else None,
                InviteReply.meeting: facts.meeting.meeting_id if facts and facts.meeting else None,
            }
        ).where(InviteReply.id == claimed)
        return ReplyOutcome(answer.uid, decision, first_time=True)


async def _record_rsvp(registration_id: int, decision: Decision) -> None:
    """The answer on the registration, and in the audit log when it is a new one (by the
    system: the worker read it from the mailbox, no link or sign-in vouches for the sender)."""
    row = await Registration.select(Registration.rsvp).where(Registration.id == registration_id).first()
    await Registration.update({Registration.rsvp: decision.rsvp}).where(Registration.id == registration_id)
    changes = audit.diff(row or {}, {"rsvp": decision.rsvp})
    if changes:
        await audit.record(Entity.REGISTRATION, registration_id, Action.UPDATED, changes)


async def _claim(
    message_id: str, message: ReplyMessage, answer: CalendarAnswer, decision: Decision, event_id: int | None, registration_id: int | None
) -> int | None:
    """Insert the answer's row; None when it is there already (acted on before), also when
    its attendee was erased since (erasure.py: the key no longer holds the address)."""
    if await InviteReply.exists().where(_same_answer(message_id, answer) & is_erased(InviteReply.attendee)):
        return None
    rows = await InviteReply.insert(
        InviteReply(
            message_id=message_id[:300],
            uid=answer.uid,
            attendee=answer.attendee[:320],
            sequence=answer.sequence,
            dtstamp=_stamp_text(answer),
            sender=message.sender[:320],
            partstat=answer.partstat[:20],
            action=decision.action,
            reason=decision.reason,
            event=event_id,
            registration=registration_id,
        )
    ).on_conflict(action="DO NOTHING").returning(InviteReply.id)
    return rows[0]["id"] if rows else None


async def _earlier_decision(message_id: str, answer: CalendarAnswer) -> Decision:
    row = await InviteReply.select(InviteReply.action, InviteReply.reason).where(
        _same_answer(message_id, answer) & ((InviteReply.attendee == answer.attendee[:320]) | is_erased(InviteReply.attendee))
    ).first()
    if row is None:  # unreachable after a conflict; kept honest rather than guessed
        return Decision(ReplyAction.IGNORE, IgnoreReason.UNREADABLE)
    return Decision(ReplyAction(row["action"]), IgnoreReason(row["reason"]) if row["reason"] else None)


def _same_answer(message_id: str, answer: CalendarAnswer) -> Any:
    """The unique key of invite_reply but its attendee."""
    return (
        (InviteReply.message_id == message_id[:300])
        & (InviteReply.uid == answer.uid)
        & (InviteReply.sequence == answer.sequence)
        & (InviteReply.dtstamp == _stamp_text(answer))
    )


#: What a meeting keeps of an answer (as a registration does, RECORD_ONLY keeps nothing).
_NOTED_ON_MEETING = (ReplyAction.CANCEL, ReplyAction.RECORD_RSVP, ReplyAction.REFER)


async def _act_on_meeting(decision: Decision, meeting: MeetingFacts, settings: Settings) -> Decision:
    """The registrant's Decline cancels the meeting (slot free, CANCEL to both sides); any
    answer acted on or referred to organisers is noted on the meeting for its side. Returns
    what was done: a meeting cancelled meanwhile (an organiser closed its slot on PostgreSQL
    between our read and the cancel) makes the Decline a late one."""
    port = meeting_replies()
    if port is None or decision.rsvp is None or decision.action not in _NOTED_ON_MEETING:
        return decision
    if decision.action == ReplyAction.CANCEL and not await port.cancel(meeting.meeting_id, settings):
        return Decision(ReplyAction.IGNORE, IgnoreReason.MEETING_NOT_BOOKED, answerer=decision.answerer)
    await port.record_answer(meeting.meeting_id, decision.answerer, decision.rsvp)
    return decision


async def _facts(answer: CalendarAnswer, settings: Settings) -> tuple[InviteFacts | None, int | None]:
    """The registration the answer's UID names, if it is one of ours with the same nonce; else
    the expert meeting whose invite carries that UID."""
    ref = parse_invite_uid(answer.uid, settings.host)
    if ref is None:
        return await _meeting_facts(answer)
    row: dict[str, Any] | None = (
        await Registration.select(
            Registration.id, Registration.status, Registration.token_nonce, Registration.sequence_offset, Registration.contact.email
        )
        .where((Registration.id == ref.registration_id) & (Registration.event == ref.event_id))
        .first()
    )
    # The nonce's start is in the UID: a guessed registration id alone names nothing.
    if row is None or not str(row["token_nonce"]).startswith(ref.nonce_start):
        return None, None
    event = await event_row(ref.event_id)
    facts = InviteFacts(
        registration_id=row["id"],
        email=row["contact.email"],
        status=row["status"],
        # An undone cancellation re-invited with a higher SEQUENCE: answers to the older invite are stale.
        sequence_sent=event.sequence + row["sequence_offset"],
        acts_on_replies=await _acts_on_replies(ref.event_id),
    )
    return facts, ref.event_id


async def _meeting_facts(answer: CalendarAnswer) -> tuple[InviteFacts | None, int | None]:
    port = meeting_replies()
    found = await port.find(answer.uid) if port is not None else None
    if found is None:
        return None, None
    facts = InviteFacts(
        registration_id=found.registration_id,
        email=found.registrant_email,
        status=found.registration_status,
        sequence_sent=found.sequence,
        acts_on_replies=await _acts_on_replies(found.event_id),
        meeting=MeetingFacts(meeting_id=found.meeting_id, expert_email=found.expert_email, booked=found.booked),
    )
    return facts, found.event_id


async def _acts_on_replies(event_id: int) -> bool:
    # Read on its own: SQLite gives the boolean as 0/1, which EventRecord's strict convert refuses.
    switch = await Event.select(Event.acts_on_replies).where(Event.id == event_id).first()
    return bool(switch and switch["acts_on_replies"])


def _stamp_text(answer: CalendarAnswer) -> str:
    return answer.dtstamp.strftime("%Y%m%dT%H%M%SZ") if answer.dtstamp else ""

