"""The registrant's meetings with Innovation Experts on their manage page (/r/<token>): the
meetings they hold (each with a link to cancel it, asked once more on a page of its own) and a
form to book a free slot. Plain forms: no script needed. The rules are experts/service.py's: the
form offers only the slots they allow this person now (service.slots_bookable_by), and a refusal
(a slot taken meanwhile) shows the page again with a notice saying why, in the person's words,
and the form as it was typed."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from events_service.events.records import EventKind
from events_service.experts import service as experts
from events_service.experts.errors import ExpertError
from events_service.experts.schemas import MeetingBooked, MeetingCreate
from events_service.i18n import N_
from events_service.qr import qr_svg
from events_service.registrations import queries as registration_queries
from events_service.registrations.records import RegistrationStatus
from events_service.settings import Settings
from events_service.web.pages import render

#: Characters of a topic typed into the form (the API's own limit).
_TOPIC_LENGTH = 200

#: Why a booking from the page was refused (the service's codes), in words the person can act on;
#: any other code gets the first, general one.
MEETING_REFUSALS: dict[str, str] = {
    "refused": N_("This slot cannot be booked any more. Please choose another one."),
    "slot_taken": N_("Someone booked this slot a moment ago. Please choose another one."),
    "overlapping_meeting": N_("You already have a meeting at that time. Please choose a slot at another time."),
    "company_limit": N_("Your company already has its meeting with this expert on that day. Please choose another expert."),
    "bookings_closed": N_("Bookings for meetings with the experts are closed."),
}


def meeting_refusal(code: str | None) -> str | None:
    """The words for a refusal code (None: no refusal)."""
    if not code:
        return None
    return MEETING_REFUSALS.get(code, MEETING_REFUSALS["refused"])


#: What the page's address may ask to be said (after a booking or a cancellation: see _meetings.html).
MEETING_NOTICES = frozenset({"booked", "cancelled", "already_cancelled"})


def meeting_notice(code: str | None) -> str | None:
    """A notice of the manage page's address, if it is one of ours (anything typed: none)."""
    return code if code in MEETING_NOTICES else None


async def manage_page(
    request: Request[Any, Any, Any], settings: Settings, token: str, *, status_code: int = 200, **shown: Any
) -> Template:
    """The registrant's manage page (/r/<token>); here, so that a refused booking can show it
    again with its refusal and the form as typed (`shown`: notices and `topic`; the slot
    they chose is refused, so no longer offered)."""
    registration = await registration_queries.public_registration(token, settings)
    qr = qr_svg(registration.checkin_code) if registration.checkin_code else None
    meetings = await manage_page_meetings(settings, token, registration.event.kind, registration.status)
    context: dict[str, Any] = {"welcome": False, "just_cancelled": False, "meeting_notice": None, "meeting_refusal": None,
                               "topic": "", **shown,
                               "path": f"/r/{token}"}  # the language links' page, also when shown after a refused POST
    return render(request, "manage.html", status_code=status_code, registration=registration, token=token, qr=qr, **meetings, **context)


async def manage_page_meetings(settings: Settings, token: str, event_kind: str, status: str) -> dict[str, Any]:
    """What the manage page shows of meetings: none for a webinar or an unconfirmed registrant;
    of the free slots only those the booking's rules would let this person book now."""
    if event_kind != EventKind.TECH_DAY or status != RegistrationStatus.CONFIRMED:
        return {"meetings": [], "free_slots": [], "bookings_closed": False}
    meetings: list[MeetingBooked] = await experts.meetings_by_registration_token(settings, token)
    offer = experts.SlotOffer(slots=[])
    with suppress(ExpertError):  # not published (a draft's registrant): nothing to book yet
        offer = await experts.slots_bookable_by(settings, token)
    return {"meetings": meetings, "free_slots": offer.slots, "bookings_closed": offer.bookings_closed}


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
    async def book(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
        """Books and goes back to the page; a refusal shows the page again, with its status
        (409 mostly), saying why, with the topic as typed."""
        form = await request.form()
        topic = str(form.get("topic", ""))[:_TOPIC_LENGTH]
        try:
            slot_id = int(str(form.get("slot_id", "")))
        except ValueError:
            return await _refused(request, settings, token, HTTP_422_UNPROCESSABLE_ENTITY, "refused", topic)
        try:
            await experts.book(settings, token, MeetingCreate(slot_id=slot_id, topic=topic))
        except ExpertError as error:
            return await _refused(request, settings, token, error.status_code, error.code or "refused", topic)
        return Redirect(path=f"/r/{token}", query_params={"meeting": "booked"}, status_code=303)

    @get("/{meeting_token:str}/cancel")
    async def cancel_confirm(
        self, request: Request[Any, Any, Any], token: FromPath[str], meeting_token: FromPath[str], settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """Asks once more before cancelling (a cancelled slot may be taken by someone else at
        once); for their own meeting cancelled already, the page says so instead."""
        meeting = await experts.registrant_meeting(settings, token, meeting_token)
        if meeting is None:
            return _back_to_page(token, "already_cancelled")
        registration = await registration_queries.public_registration(token, settings)
        return render(request, "manage_meeting_cancel.html", registration=registration, token=token, meeting=meeting)

    @post("/{meeting_token:str}/cancel")
    async def cancel(self, token: FromPath[str], meeting_token: FromPath[str], settings: NamedDependency[Settings]) -> Redirect:
        """Their own meeting only (another person's: 404); sent twice, the second says it was already cancelled."""
        cancelled_now = await experts.cancel_registrant_meeting(settings, token, meeting_token)
        return _back_to_page(token, "cancelled" if cancelled_now else "already_cancelled")


async def _refused(
    request: Request[Any, Any, Any], settings: Settings, token: str, status_code: int, code: str, topic: str
) -> Template:
    return await manage_page(request, settings, token, status_code=status_code, meeting_refusal=meeting_refusal(code), topic=topic)


def _back_to_page(token: str, notice: str) -> Redirect:
    return Redirect(path=f"/r/{token}", query_params={"meeting": notice}, status_code=303)
