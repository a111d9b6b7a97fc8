"""What the funder's indicators need from the Innovation Experts at Tech Days (API.md): the
expert meetings held in a period, each with the company it supported.

That domain does not exist yet. Until it does, this is the one place the indicators ask, and
it answers that no meeting was held: `expert_meetings` is 0 and no enterprise counts as
supported through a meeting. Nothing is made up here; when the experts domain lands, this
function reads its held meetings (status "held", slot start within the period) instead.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


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
    """Expert meetings held at events starting in [start, end): none until the Innovation
    Experts domain exists (see the module's note)."""
    return []
