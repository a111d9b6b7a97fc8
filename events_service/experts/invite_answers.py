"""The answers to a meeting's invite (issue 19), as the reply mailbox reader needs them: which
meeting a UID names, and noting a side's answer on it. What an answer does is decided in
replies/decisions.py; the wiring (worker.py) hands these to replies/meeting_invites.py, with
service.cancel_meeting_in_transaction for a registrant's Decline."""

from __future__ import annotations

from events_service.experts.records import MeetingInvite, MeetingStatus
from events_service.experts.tables import ExpertMeeting
from events_service.registrations.records import Rsvp

#: The longest UID a meeting has (its column): a longer one names no meeting.
_UID_LENGTH = ExpertMeeting.uid.length


async def meeting_of_invite(uid: str) -> MeetingInvite | None:
    """The meeting whose invites carry `uid` (as the database has it now), or None."""
    uid = uid.strip()
    if not uid or len(uid) > _UID_LENGTH:
        return None
    m = ExpertMeeting
    row = await m.select(
        m.id, m.event, m.registration, m.status, m.sequence, m.expert.email.as_alias("expert_email"),
        m.registration.status.as_alias("registration_status"), m.registration.contact.email.as_alias("registrant_email"),
    ).where(m.uid == uid).first()
    if row is None:
        return None
    return MeetingInvite(
        meeting_id=row["id"], event_id=row["event"], registration_id=row["registration"],
        registrant_email=row["registrant_email"] or "", registration_status=row["registration_status"] or "",
        expert_email=row["expert_email"] or "", booked=row["status"] == MeetingStatus.BOOKED, sequence=row["sequence"],
    )


async def record_meeting_answer(meeting_id: int, side: str, rsvp: Rsvp) -> None:
    """Note the registrant's ("registrant") or the expert's ("expert") answer on the meeting."""
    column = ExpertMeeting.expert_rsvp if side == "expert" else ExpertMeeting.rsvp
    await ExpertMeeting.update({column: rsvp}).where(ExpertMeeting.id == meeting_id)
