"""What one calendar answer does: the rules of issue 19 in one pure function.

A DECLINED answer cancels the registration only when all of these hold:
- the UID is one of our invites and names a registration that exists with that nonce;
- the ATTENDEE is that registration's address and the message's From is the same address;
- the receiving server did not report both DKIM and SPF failing (auth verdict);
- its SEQUENCE is not older than the entry we last sent (an answer to an old version);
- the event acts on replies (organisers can switch it to "record only").
ACCEPTED / TENTATIVE are recorded on the registration under the same checks. Anything else
changes nothing and is kept with its reason for the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from events_service.calendar.replies import AuthVerdict, CalendarAnswer
from events_service.registrations.records import RegistrationStatus, Rsvp


class ReplyAction(StrEnum):
    CANCEL = "cancel"  # the registration is cancelled, the seat goes to the waitlist
    RECORD_RSVP = "record_rsvp"  # ACCEPTED / TENTATIVE noted on the registration
    RECORD_ONLY = "record_only"  # would act, but the event's organisers switched acting off
    IGNORE = "ignore"


class IgnoreReason(StrEnum):
    NOT_A_REPLY = "not_a_reply"  # METHOD is not REPLY
    COUNTER_PROPOSAL = "counter_proposal"  # METHOD:COUNTER, a proposed new time
    UNKNOWN_UID = "unknown_uid"
    ATTENDEE_MISMATCH = "attendee_mismatch"
    FORGED_SENDER = "forged_sender"  # From is not the attendee
    AUTH_FAILED = "auth_failed"  # DKIM and SPF both failed at our server
    STALE_SEQUENCE = "stale_sequence"
    NOT_CONFIRMED = "not_confirmed"  # already cancelled, or waiting: nothing to free
    UNSUPPORTED_PARTSTAT = "unsupported_partstat"  # DELEGATED, NEEDS-ACTION, ...
    UNREADABLE = "unreadable"  # no calendar answer in the message


@dataclass(frozen=True)
class InviteFacts:
    """The registration an answer's UID names, as the database has it."""

    registration_id: int
    email: str
    status: str  # RegistrationStatus value
    sequence_sent: int
    acts_on_replies: bool


@dataclass(frozen=True)
class Decision:
    action: ReplyAction
    reason: IgnoreReason | None = None
    rsvp: Rsvp | None = None


def _ignore(reason: IgnoreReason) -> Decision:
    return Decision(ReplyAction.IGNORE, reason)


def decide(answer: CalendarAnswer, sender: str, auth: AuthVerdict, facts: InviteFacts | None) -> Decision:
    if answer.method == "COUNTER":
        return _ignore(IgnoreReason.COUNTER_PROPOSAL)
    if answer.method != "REPLY":
        return _ignore(IgnoreReason.NOT_A_REPLY)
    if facts is None:
        return _ignore(IgnoreReason.UNKNOWN_UID)
    if answer.attendee != facts.email.lower():
        return _ignore(IgnoreReason.ATTENDEE_MISMATCH)
    if sender != answer.attendee:
        return _ignore(IgnoreReason.FORGED_SENDER)
    if auth == AuthVerdict.FAILED:
        return _ignore(IgnoreReason.AUTH_FAILED)
    if answer.sequence < facts.sequence_sent:
        return _ignore(IgnoreReason.STALE_SEQUENCE)
    try:
        rsvp = Rsvp(answer.partstat.lower())
    except ValueError:
        return _ignore(IgnoreReason.UNSUPPORTED_PARTSTAT)
    if facts.status != RegistrationStatus.CONFIRMED:
        return _ignore(IgnoreReason.NOT_CONFIRMED)
    if not facts.acts_on_replies:
        return Decision(ReplyAction.RECORD_ONLY, rsvp=rsvp)
    if rsvp == Rsvp.DECLINED:
        return Decision(ReplyAction.CANCEL, rsvp=rsvp)
    return Decision(ReplyAction.RECORD_RSVP, rsvp=rsvp)
