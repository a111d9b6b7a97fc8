"""The rules of replies/decisions.py, one per case of issue 19."""

from __future__ import annotations

from dataclasses import replace

import pytest

from events_service.calendar.replies import AuthVerdict, CalendarAnswer
from events_service.replies.decisions import (
    Answerer,
    Decision,
    IgnoreReason,
    InviteFacts,
    MeetingFacts,
    ReplyAction,
    Rsvp,
    decide,
)

ANNA = "anna@company.example"
FACTS = InviteFacts(registration_id=42, email="Anna@Company.example", status="confirmed", sequence_sent=2, acts_on_replies=True)
DECLINE = CalendarAnswer(method="REPLY", uid="u", sequence=2, dtstamp=None, attendee=ANNA, partstat="DECLINED")


def test_decline_by_the_attendee_cancels() -> None:
    assert decide(DECLINE, ANNA, AuthVerdict.ABSENT, FACTS) == Decision(ReplyAction.CANCEL, rsvp=Rsvp.DECLINED)
    assert decide(DECLINE, ANNA, AuthVerdict.PASSED, FACTS).action == ReplyAction.CANCEL


def test_newer_sequence_is_still_an_answer_to_our_entry() -> None:
    assert decide(replace(DECLINE, sequence=5), ANNA, AuthVerdict.ABSENT, FACTS).action == ReplyAction.CANCEL


@pytest.mark.parametrize(("partstat", "rsvp"), [("ACCEPTED", Rsvp.ACCEPTED), ("TENTATIVE", Rsvp.TENTATIVE)])
def test_accept_and_tentative_are_recorded(partstat: str, rsvp: Rsvp) -> None:
    decision = decide(replace(DECLINE, partstat=partstat), ANNA, AuthVerdict.ABSENT, FACTS)

    assert decision == Decision(ReplyAction.RECORD_RSVP, rsvp=rsvp)


def test_switched_off_event_only_records() -> None:
    decision = decide(DECLINE, ANNA, AuthVerdict.ABSENT, replace(FACTS, acts_on_replies=False))

    assert decision == Decision(ReplyAction.RECORD_ONLY, rsvp=Rsvp.DECLINED)


@pytest.mark.parametrize(
    ("answer", "sender", "auth", "facts", "reason"),
    [
        (replace(DECLINE, method="COUNTER"), ANNA, AuthVerdict.ABSENT, FACTS, IgnoreReason.COUNTER_PROPOSAL),
        (replace(DECLINE, method="REQUEST"), ANNA, AuthVerdict.ABSENT, FACTS, IgnoreReason.NOT_A_REPLY),
        (DECLINE, ANNA, AuthVerdict.ABSENT, None, IgnoreReason.UNKNOWN_UID),
        (replace(DECLINE, attendee="mallory@evil.example"), "mallory@evil.example", AuthVerdict.ABSENT, FACTS, IgnoreReason.ATTENDEE_MISMATCH),
        (DECLINE, "mallory@evil.example", AuthVerdict.ABSENT, FACTS, IgnoreReason.FORGED_SENDER),
        (DECLINE, "", AuthVerdict.ABSENT, FACTS, IgnoreReason.FORGED_SENDER),
        (DECLINE, ANNA, AuthVerdict.FAILED, FACTS, IgnoreReason.AUTH_FAILED),
        # Not authenticated for the attendee's domain: no answer is believed, not even an Accept,
        # and an event that only records replies records none of these.
        (replace(DECLINE, partstat="ACCEPTED"), ANNA, AuthVerdict.FAILED, FACTS, IgnoreReason.AUTH_FAILED),
        (DECLINE, ANNA, AuthVerdict.FAILED, replace(FACTS, acts_on_replies=False), IgnoreReason.AUTH_FAILED),
        (replace(DECLINE, sequence=1), ANNA, AuthVerdict.ABSENT, FACTS, IgnoreReason.STALE_SEQUENCE),
        (replace(DECLINE, sequence=-1), ANNA, AuthVerdict.ABSENT, FACTS, IgnoreReason.STALE_SEQUENCE),
        (replace(DECLINE, partstat="DELEGATED"), ANNA, AuthVerdict.ABSENT, FACTS, IgnoreReason.UNSUPPORTED_PARTSTAT),
        (DECLINE, ANNA, AuthVerdict.ABSENT, replace(FACTS, status="cancelled"), IgnoreReason.NOT_CONFIRMED),
        (DECLINE, ANNA, AuthVerdict.ABSENT, replace(FACTS, status="waitlisted"), IgnoreReason.NOT_CONFIRMED),
    ],
)
def test_everything_else_is_ignored_with_its_reason(
    answer: CalendarAnswer, sender: str, auth: AuthVerdict, facts: InviteFacts | None, reason: IgnoreReason
) -> None:
    assert decide(answer, sender, auth, facts) == Decision(ReplyAction.IGNORE, reason)


# An expert meeting's invite (issue 19 x 18): the registrant and the expert are its attendees.
ELENA = "elena@experts.example"
MEETING = replace(FACTS, meeting=MeetingFacts(meeting_id=7, expert_email="Elena@Experts.example", booked=True))


def test_registrants_decline_of_a_meeting_cancels_it() -> None:
    assert decide(DECLINE, ANNA, AuthVerdict.ABSENT, MEETING) == Decision(ReplyAction.CANCEL, rsvp=Rsvp.DECLINED)


def test_experts_decline_is_referred_to_organisers_not_acted_on() -> None:
    decision = decide(replace(DECLINE, attendee=ELENA), ELENA, AuthVerdict.PASSED, MEETING)

    assert decision == Decision(ReplyAction.REFER, IgnoreReason.EXPERT_DECLINED, Rsvp.DECLINED, Answerer.EXPERT)


def test_experts_accept_is_recorded_for_the_expert() -> None:
    decision = decide(replace(DECLINE, attendee=ELENA, partstat="ACCEPTED"), ELENA, AuthVerdict.ABSENT, MEETING)

    assert decision == Decision(ReplyAction.RECORD_RSVP, rsvp=Rsvp.ACCEPTED, answerer=Answerer.EXPERT)


@pytest.mark.parametrize(
    ("answer", "sender", "facts", "reason"),
    [
        (replace(DECLINE, attendee=ELENA), ANNA, MEETING, IgnoreReason.FORGED_SENDER),  # Anna sends the expert's Decline
        (DECLINE, ELENA, MEETING, IgnoreReason.FORGED_SENDER),
        (replace(DECLINE, attendee=ELENA), ELENA, FACTS, IgnoreReason.ATTENDEE_MISMATCH),  # no expert on a registration's invite
        (DECLINE, ANNA, replace(MEETING, meeting=MeetingFacts(7, ELENA, booked=False)), IgnoreReason.MEETING_NOT_BOOKED),
        (replace(DECLINE, attendee=""), "", replace(MEETING, email=""), IgnoreReason.ATTENDEE_MISMATCH),  # an erased registrant
        (replace(DECLINE, sequence=1), ANNA, MEETING, IgnoreReason.STALE_SEQUENCE),
    ],
)
def test_meeting_answers_that_do_not_count(answer: CalendarAnswer, sender: str, facts: InviteFacts, reason: IgnoreReason) -> None:
    assert decide(answer, sender, AuthVerdict.ABSENT, facts).reason == reason
    assert decide(answer, sender, AuthVerdict.ABSENT, facts).action == ReplyAction.IGNORE


def test_switched_off_event_only_records_an_experts_decline() -> None:
    decision = decide(replace(DECLINE, attendee=ELENA), ELENA, AuthVerdict.ABSENT, replace(MEETING, acts_on_replies=False))

    assert decision == Decision(ReplyAction.RECORD_ONLY, rsvp=Rsvp.DECLINED, answerer=Answerer.EXPERT)
