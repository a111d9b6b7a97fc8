"""Where an expert meets on a Tech Day (expert_day): a room of the venue, a video link, or both.

One row per (event, expert), so "per expert" holds by construction: every slot of the expert that
day shares it, whichever window opened the slot, and a change is one UPDATE. A change reaches
whoever booked: each booked meeting of that expert that day gets its invite again with SEQUENCE
raised (same UID), as a move does. The video link is private: the two sides' invites and the
registrant's manage page show it, the public pages never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events_service.experts import invites
from events_service.experts.records import MeetingStatus
from events_service.experts.tables import ExpertDay, ExpertMeeting
from events_service.settings import Settings


@dataclass(frozen=True)
class Where:
    room: str | None = None
    video_url: str | None = None


async def where_of(event_id: int, expert_id: int) -> Where:
    row = await ExpertDay.select(ExpertDay.room, ExpertDay.video_url).where(
        (ExpertDay.event == event_id) & (ExpertDay.expert == expert_id)).first()
    return Where(row["room"], row["video_url"]) if row else Where()


async def places_of_event(event_id: int) -> dict[int, Where]:
    """Each expert's place at the event, by expert id (experts with none are left out)."""
    rows = await ExpertDay.select(ExpertDay.expert, ExpertDay.room, ExpertDay.video_url).where(ExpertDay.event == event_id)
    return {row["expert"]: Where(row["room"], row["video_url"]) for row in rows}


async def set_in_transaction(event_id: int, expert_id: int, changes: dict[str, Any], settings: Settings) -> Where:
    """Apply `changes` ({"room": …, "video_url": …}, either or both) in the caller's write
    transaction, which holds the expert's turn (service._take_expert_turn: this reads, then
    writes); when the place differs afterwards, each booked meeting of the expert that day gets
    its invite again. Returns the place now."""
    before = await where_of(event_id, expert_id)
    after = Where(**{"room": before.room, "video_url": before.video_url, **changes})
    if after == before:
        return before
    await ExpertDay.insert(ExpertDay(event=event_id, expert=expert_id)).on_conflict(action="DO NOTHING")
    await ExpertDay.update({ExpertDay.room: after.room, ExpertDay.video_url: after.video_url}).where(
        (ExpertDay.event == event_id) & (ExpertDay.expert == expert_id))
    for meeting in await ExpertMeeting.select(ExpertMeeting.id).where(
        (ExpertMeeting.event == event_id) & (ExpertMeeting.expert == expert_id) & (ExpertMeeting.status == MeetingStatus.BOOKED)
    ).order_by(ExpertMeeting.id):
        await invites.reissue(meeting["id"], settings)
    return after
