"""The registrant's meetings with Innovation Experts on their manage page (/r/<token>): the
meetings they hold (each with a link to cancel it, asked once more on a page of its own) and a
form to book a free slot. Plain forms: no script needed. The rules are experts/service.py's; a
refusal comes back to the page as a notice saying why, in the person's words."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events_service.events.records import EventKind
from events_service.experts import service as experts
from events_service.experts.errors import ExpertError
from events_service.experts.schemas import MeetingBooked, MeetingCreate, PublicSlot
from events_service.i18n import N_
from events_service.registrations import queries as registration_queries
from events_service.registrations.records import RegistrationStatus
from events_service.settings import Settings
from events_service.web.pages import render

#: Characters of a topic typed into the form (the API's own limit).
_TOPIC_LENGTH = 200

#: Why a booking from the page was refused (the service's codes), in words the person can act on;
#: any other code, or a code typed into the address, gets the first, general one.
MEETING_REFUSALS: dict[str, str] = {
    "refused": N_("This slot cannot be booked any more. Please choose another one."),
    "slot_taken": N_("Someone booked this slot a moment ago. Please choose another one."),
    "overlapping_meeting": N_("You already have a meeting at that time. Please choose a slot at another time."),
    "company_limit": N_("Your company already has its meeting with this expert on that day. Please choose another expert."),
    "bookings_closed": N_("Bookings for meetings with the experts are closed."),
}


def meeting_refusal(code: str | None) -> str | None:
    """The words for a refusal code of the manage page's address (None: no refusal)."""
    if not code:
        return None
    return MEETING_REFUSALS.get(code, MEETING_REFUSALS["refused"])


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

    @get("/{meeting_token:str}/cancel")
    async def cancel_confirm(
        self, request: Request[Any, Any, Any], token: FromPath[str], meeting_token: FromPath[str], settings: NamedDependency[Settings]
    ) -> Template:
        """Asks once more before cancelling (a cancelled slot may be taken by someone else at once)."""
        meeting = await experts.registrant_meeting(settings, token, meeting_token)
        registration = await registration_queries.public_registration(token, settings)
        return render(request, "manage_meeting_cancel.html", registration=registration, token=token, meeting=meeting)

    @post("/{meeting_token:str}/cancel")
    async def cancel(self, token: FromPath[str], meeting_token: FromPath[str], settings: NamedDependency[Settings]) -> Redirect:
        meeting = await experts.registrant_meeting(settings, token, meeting_token)  # theirs, or 404
        await experts.cancel_by_token(settings, meeting.manage_token)
        return Redirect(path=f"/r/{token}", query_params={"meeting": "cancelled"}, status_code=303)
