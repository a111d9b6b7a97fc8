"""What the funder's indicators need from the Innovation Experts at Tech Days (API.md): the
expert meetings held in a period, each with the company it supported.

The experts domain (experts/) keeps the meetings; this is the one place the indicators ask.
A meeting counts when it is marked held (`PATCH /api/meetings/{id}` or at the door) and its
slot starts within the period; a meeting without a company (none was given) supports none.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from events_service.experts.service import held_meetings


class ExpertMeetingHeld(msgspec.Struct, frozen=True):
    """One held meeting, as the indicators and their evidence need it."""

    meeting_id: int
    event_id: int
    starts_at: datetime
    company: str
    vat_id: str
    company_country: str | None
    region: str | None
    size_class: str | None


async def expert_meetings_held(start: datetime | None, end: datetime | None) -> list[ExpertMeetingHeld]:
    """Expert meetings held whose slot starts in [start, end), oldest booking first."""
    return [
        ExpertMeetingHeld(
            meeting_id=row["id"], event_id=row["event"], starts_at=row["starts_at"], company=row["company_row"]["name"],
            vat_id=row["company_row"]["vat_id"], company_country=row["company_row"]["country"],
            region=row["company_row"]["region"], size_class=row["company_row"]["size_class"],
        )
        for row in await held_meetings(start, end)
    ]
