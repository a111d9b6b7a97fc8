"""What the console shows of a Tech Day's experts: every slot with who booked it (company,
person, topic), the meeting's status and each side's answer to its invite (replies/). Reads only; the changes are service.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events_service.clock import as_utc
from events_service.companies.tables import Company
from events_service.experts.records import MeetingStatus, SlotStatus
from events_service.experts.tables import ExpertMeeting, ExpertSlot
from events_service.registrations.records import Rsvp

#: A slot's meeting in these statuses is shown on it (a cancelled one has left the slot).
_SHOWN = [MeetingStatus.BOOKED, MeetingStatus.HELD, MeetingStatus.MISSED]


@dataclass(frozen=True)
class BookedMeeting:
    id: int
    status: MeetingStatus
    company: str | None
    person: str
    topic: str
    rsvp: Rsvp | None = None  # the person's answer to the meeting's invite
    expert_rsvp: Rsvp | None = None  # the expert's: "declined" waits for the organisers


@dataclass(frozen=True)
class SlotLine:
    id: int
    expert_id: int
    expert_name: str
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus
    meeting: BookedMeeting | None


async def _meetings_by_slot(event_id: int) -> dict[int, BookedMeeting]:
    m = ExpertMeeting
    rows = await m.select(
        m.id, m.slot, m.status, m.topic, m.company, m.rsvp, m.expert_rsvp,
        m.registration.first_name.as_alias("first_name"), m.registration.last_name.as_alias("last_name"),
    ).where((m.event == event_id) & m.status.is_in(_SHOWN)).order_by(m.id)
    names = {row["id"]: row["name"] for row in await Company.select(Company.id, Company.name).where(
        Company.id.is_in(sorted({row["company"] for row in rows if row["company"] is not None}) or [0]))}
    return {
        row["slot"]: BookedMeeting(
            id=row["id"], status=MeetingStatus(row["status"]), company=names.get(row["company"]),
            person=f"{row['first_name'] or ''} {row['last_name'] or ''}".strip(), topic=row["topic"],
            rsvp=Rsvp(row["rsvp"]) if row["rsvp"] else None, expert_rsvp=Rsvp(row["expert_rsvp"]) if row["expert_rsvp"] else None,
        )
        for row in rows
    }


async def slot_lines(event_id: int) -> list[SlotLine]:
    """The Tech Day's slots by expert name, then time, each with the meeting on it, if any."""
    meetings = await _meetings_by_slot(event_id)
    rows = await ExpertSlot.select(
        ExpertSlot.id, ExpertSlot.expert, ExpertSlot.starts_at, ExpertSlot.ends_at, ExpertSlot.status,
        ExpertSlot.expert.name.as_alias("expert_name"),
    ).where(ExpertSlot.event == event_id).order_by(ExpertSlot.expert.name).order_by(ExpertSlot.expert).order_by(
        ExpertSlot.starts_at).order_by(ExpertSlot.id)
    return [
        SlotLine(id=row["id"], expert_id=row["expert"], expert_name=row["expert_name"], starts_at=as_utc(row["starts_at"]),
                 ends_at=as_utc(row["ends_at"]), status=SlotStatus(row["status"]), meeting=meetings.get(row["id"]))
        for row in rows
    ]


async def meeting_event(meeting_id: int) -> int | None:
    """The event a meeting belongs to (None for an unknown meeting)."""
    row = await ExpertMeeting.select(ExpertMeeting.event).where(ExpertMeeting.id == meeting_id).first()
    return row["event"] if row else None
