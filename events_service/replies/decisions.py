"""What one calendar answer does: the rules of issue 19 in one pure function.

A DECLINED answer cancels the registration only when all of these hold:
- the UID is one of our invites and names a registration that exists with that nonce;
- the ATTENDEE is that registration's address and the message's From is the same address;
- the receiving server's Authentication-Results, where there is one, shows a DKIM or SPF pass
  for the From address's domain or a DMARC pass (auth verdict, calendar/replies.py);
- its SEQUENCE is not older than the entry we last sent (an answer to an old version);
- the event acts on replies (organisers can switch it to "record only").
ACCEPTED / TENTATIVE are recorded on the registration under the same checks. Anything else
changes nothing and is kept with its reason for the console.

The UID of an expert meeting's invite (experts/) is answered the same way, by either of its
two attendees: the registrant's DECLINED cancels the meeting (its slot is free at once), but
the expert's DECLINED does not: a company's meeting is not dropped behind its back because
the expert cannot come. It is recorded on the meeting and referred to the organisers, who
move the slot or cancel it. A meeting must still be booked for an answer to count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from events_service.calendar.replies import AuthVerdict, CalendarAnswer
from events_service.registrations.records import RegistrationStatus, Rsvp


class ReplyAction(StrEnum):
    CANCEL = "cancel"  # the registration (or meeting) is cancelled, the seat (or slot) freed
    RECORD_RSVP = "record_rsvp"  # ACCEPTED / TENTATIVE noted on the registration (or meeting)
    RECORD_ONLY = "record_only"  # would act, but the event's organisers switched acting off
    REFER = "refer"  # noted on the meeting and left to the organisers (the expert declined)
    IGNORE = "ignore"


class Answerer(StrEnum):
    """Who answered: the registrant, or the expert of a meeting (an attendee of its invite too)."""

    REGISTRANT = "registrant"
    EXPERT = "expert"


class IgnoreReason(StrEnum):
    NOT_A_REPLY = "not_a_reply"  # METHOD is not REPLY
    COUNTER_PROPOSAL = "counter_proposal"  # METHOD:COUNTER, a proposed new time
    UNKNOWN_UID = "unknown_uid"
    ATTENDEE_MISMATCH = "attendee_mismatch"
    FORGED_SENDER = "forged_sender"  # From is not the attendee
    AUTH_FAILED = "auth_failed"  # no DKIM or SPF pass for the From domain at our server, or DMARC failed
    STALE_SEQUENCE = "stale_sequence"
    NOT_CONFIRMED = "not_confirmed"  # already cancelled, or waiting: nothing to free
    MEETING_NOT_BOOKED = "meeting_not_booked"  # the meeting was cancelled, held or missed
    EXPERT_DECLINED = "expert_declined"  # the meeting stays: organisers move or cancel it
    UNSUPPORTED_PARTSTAT = "unsupported_partstat"  # DELEGATED, NEEDS-ACTION, ...
    UNREADABLE = "unreadable"  # no calendar answer in the message


@dataclass(frozen=True)
class MeetingFacts:
    """The expert meeting an answer's UID names: its expert is an attendee too."""

    meeting_id: int
    expert_email: str
    booked: bool


@dataclass(frozen=True)
class InviteFacts:
    """The registration an answer's UID names (for a meeting: the meeting's registration, None
    once erased), as the database has it."""

    registration_id: int | None
    email: str
    status: str  # RegistrationStatus value
    sequence_sent: int  # the registration's invite: the event's; a meeting's: the meeting's
    acts_on_replies: bool
    meeting: MeetingFacts | None = None


@dataclass(frozen=True)
class Decision:
    action: ReplyAction
    reason: IgnoreReason | None = None
    rsvp: Rsvp | None = None
    answerer: Answerer = Answerer.REGISTRANT


def _ignore(reason: IgnoreReason) -> Decision:
    return Decision(ReplyAction.IGNORE, reason)


def decide(answer: CalendarAnswer, sender: str, auth: AuthVerdict, facts: InviteFacts | None) -> Decision:
    if answer.method == "COUNTER":
        return _ignore(IgnoreReason.COUNTER_PROPOSAL)
    if answer.method != "REPLY":
        return _ignore(IgnoreReason.NOT_A_REPLY)
    if facts is None:
        return _ignore(IgnoreReason.UNKNOWN_UID)
    answerer = _answerer(answer.attendee, facts)
    if answerer is None:
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
    if facts.meeting is not None and not facts.meeting.booked:
        return _ignore(IgnoreReason.MEETING_NOT_BOOKED)
    if facts.status != RegistrationStatus.CONFIRMED:
        return _ignore(IgnoreReason.NOT_CONFIRMED)
    if not facts.acts_on_replies:
        return Decision(ReplyAction.RECORD_ONLY, rsvp=rsvp, answerer=answerer)
    if rsvp == Rsvp.DECLINED and answerer == Answerer.EXPERT:
        return Decision(ReplyAction.REFER, IgnoreReason.EXPERT_DECLINED, rsvp=rsvp, answerer=answerer)
    if rsvp == Rsvp.DECLINED:
        return Decision(ReplyAction.CANCEL, rsvp=rsvp, answerer=answerer)
    return Decision(ReplyAction.RECORD_RSVP, rsvp=rsvp, answerer=answerer)


def _answerer(attendee: str, facts: InviteFacts) -> Answerer | None:
    """Which of the invite's attendees the answer's ATTENDEE is; None for anybody else (an
    erased registration's empty address matches nobody)."""
    if facts.email and attendee == facts.email.lower():
        return Answerer.REGISTRANT
    if facts.meeting is not None and facts.meeting.expert_email and attendee == facts.meeting.expert_email.lower():
        return Answerer.EXPERT
    return None
