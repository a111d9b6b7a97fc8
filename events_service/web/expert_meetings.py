"""The registrant's meetings with Innovation Experts on their manage page (/r/<token>): the
meetings they hold (each with a cancel button) and a form to book a free slot. The rules are
experts/service.py's; a refusal comes back to the page as a notice naming its code."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from events_service.events.records import EventKind
from events_service.experts import service as experts
from events_service.experts.errors import ExpertError
from events_service.experts.schemas import MeetingBooked, MeetingCreate, PublicSlot
from events_service.registrations.records import RegistrationStatus
from events_service.settings import Settings

#: Characters of a topic typed into the form (the API's own limit).
_TOPIC_LENGTH = 200


async def manage_page_meetings(settings: Settings, token: str, event_id: int, event_kind: str, status: str) -> dict[str, Any]:
    """What the manage page shows of meetings: none for a webinar or an unconfirmed registrant."""
    if event_kind != EventKind.TECH_DAY or status != RegistrationStatus.CONFIRMED:
        return {"meetings": [], "free_slots": []}
    meetings: list[MeetingBooked] = await experts.meetings_by_registration_token(settings, token)
    free: list[PublicSlot] = []
    with suppress(ExpertError):  # not published (a draft's registrant): nothing to book yet
        free = await experts.public_slots(event_id)
    return {"meetings": meetings, "free_slots": free}


async def event_page_experts(event_id: int, event_kind: str) -> list[dict[str, Any]]:
    """The Tech Day page's experts: name, topics and how many free slots each has (never the email)."""
    if event_kind != EventKind.TECH_DAY:
        return []
    try:
        free = await experts.public_slots(event_id)
    except ExpertError:
        return []
    offer: dict[str, dict[str, Any]] = {}
    for slot in free:
        entry = offer.setdefault(slot.expert.name, {"name": slot.expert.name, "topics": slot.expert.topics, "free": 0})
        entry["free"] += 1
    return list(offer.values())


class ExpertMeetingPages(Controller):
    path = "/r/{token:str}/meetings"
    include_in_schema = False

    @post("/")
    async def book(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Redirect:
        form = await request.form()
        try:
            slot_id = int(str(form.get("slot_id", "")))
        except ValueError:
            return Redirect(path=f"/r/{token}", query_params={"meeting_error": "slot_unknown"}, status_code=303)
        topic = str(form.get("topic", ""))[:_TOPIC_LENGTH]
        try:
            await experts.book(settings, token, MeetingCreate(slot_id=slot_id, topic=topic))
        except ExpertError as error:
            return Redirect(path=f"/r/{token}", query_params={"meeting_error": error.code or "refused"}, status_code=303)
        return Redirect(path=f"/r/{token}", query_params={"meeting": "booked"}, status_code=303)

    @post("/{meeting_token:str}/cancel")
    async def cancel(self, token: FromPath[str], meeting_token: FromPath[str], settings: NamedDependency[Settings]) -> Redirect:
        await experts.cancel_by_token(settings, meeting_token)
        return Redirect(path=f"/r/{token}", query_params={"meeting": "cancelled"}, status_code=303)
