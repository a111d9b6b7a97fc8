"""The console's Innovation Experts: the experts (list, create, edit) and a Tech Day's experts
page (open an expert's availability with breaks and a room or video link, change the place,
the slots with who booked them, close or move a slot, mark a meeting held or missed, the day's
booking rules). Editors change everything; check-in staff see the Tech Day's page and mark
meetings held or missed, as the API lets them. Every change is a call to experts/service.py."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from events_service.errors import DomainError
from events_service.events import queries as event_queries
from events_service.events.records import EventKind
from events_service.experts import queries as expert_queries
from events_service.experts import service as experts
from events_service.experts.records import MeetingStatus
from events_service.experts.schemas import (
    ExpertCreate,
    ExpertUpdate,
    RulesUpdate,
    SlotMove,
    SlotsCreate,
    WhereUpdate,
)
from events_service.organisers.auth import CHECKIN_STAFF, EDITORS
from events_service.organisers.records import Role
from events_service.params import RowId
from events_service.settings import Settings
from events_service.web import expert_form
from events_service.web.event_form import local_input
from events_service.web.expert_form import EXPERT_FIELDS, PLACE_FIELDS, RULES_FIELDS, SLOT_FIELDS
from events_service.web.forms import FormErrors
from events_service.web.pages import page_translator, render


class ConsoleExperts(Controller):
    path = "/console"
    include_in_schema = False

    # ------------------------------------------------------------------ the experts

    @get("/experts", guards=[EDITORS])
    async def experts(self, request: Request[Any, Any, Any]) -> Template:
        return await self._list(request, notice=request.query_params.get("done"))

    async def _list(self, request: Request[Any, Any, Any], *, status_code: int = 200, values: dict[str, str] | None = None,
                    errors: FormErrors | None = None, notice: str | None = None) -> Template:
        return render(request, "console/experts.html", status_code=status_code, experts=await experts.list_experts(),
                      values=values or dict.fromkeys(EXPERT_FIELDS, ""), errors=errors or FormErrors(), notice=notice)

    @post("/experts", guards=[EDITORS])
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        _ = page_translator(request)
        values = expert_form.read_form(await request.form(), EXPERT_FIELDS)
        errors = FormErrors()
        data = expert_form.converted(expert_form.expert_payload(values), ExpertCreate, errors, EXPERT_FIELDS, _)
        if data is not None:
            try:
                await experts.create_expert(data)
                return Redirect(path="/console/experts", query_params={"done": "created"}, status_code=303)
            except DomainError as error:
                expert_form.add_service_error(errors, error, _)
        return await self._list(request, status_code=422, values=values, errors=errors)

    @get("/experts/{expert_id:int}", guards=[EDITORS])
    async def expert_page(self, request: Request[Any, Any, Any], expert_id: RowId) -> Template:
        expert = await experts.get_expert(expert_id)
        return render(request, "console/expert_form.html", expert=expert, values=expert_form.expert_values(expert), errors=FormErrors(),
                      notice=request.query_params.get("done"))

    @post("/experts/{expert_id:int}", guards=[EDITORS])
    async def update(self, request: Request[Any, Any, Any], expert_id: RowId) -> Response[Any]:
        _ = page_translator(request)
        expert = await experts.get_expert(expert_id)
        values = expert_form.read_form(await request.form(), EXPERT_FIELDS)
        errors = FormErrors()
        data = expert_form.converted(expert_form.expert_payload(values), ExpertUpdate, errors, EXPERT_FIELDS, _)
        if data is not None:
            try:
                await experts.update_expert(expert_id, data)
                return Redirect(path=f"/console/experts/{expert_id}", query_params={"done": "saved"}, status_code=303)
            except DomainError as error:
                expert_form.add_service_error(errors, error, _)
        return render(request, "console/expert_form.html", status_code=422, expert=expert, values=values, errors=errors, notice=None)

    # ------------------------------------------------------------------ a Tech Day's experts

    @get("/events/{event_id:int}/experts", guards=[CHECKIN_STAFF])
    async def event_experts(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        return await self._day(request, event_id, notice=request.query_params.get("done"))

    async def _day(self, request: Request[Any, Any, Any], event_id: int, *, status_code: int = 200, section: str = "",
                   values: dict[str, str] | None = None, errors: FormErrors | None = None, notice: str | None = None) -> Template:
        errors = errors or FormErrors()
        if section != "slots":  # only the opening form shows errors at its fields; the others above the page
            errors = FormErrors(general=[*errors.general, *errors.fields.values()])
        event = await event_queries.get_event(event_id)
        if event.kind != EventKind.TECH_DAY:
            raise NotFoundException("experts meet companies at Tech Days only")
        rules = await experts.event_rules(event_id)
        places = {place.expert_id: place for place in await experts.event_places(event_id)}
        lines = await expert_queries.slot_lines(event_id)
        everyone = await experts.list_experts() if request.user.role != Role.CHECKIN else []
        shown = sorted({line.expert_id for line in lines} | set(places))
        return render(
            request, "console/event_experts.html", status_code=status_code, event=event, rules=rules, places=places, lines=lines,
            experts=everyone, expert_names={line.expert_id: line.expert_name for line in lines} | {e.id: e.name for e in everyone},
            shown_experts=shown, can_edit=request.user.role != Role.CHECKIN, section=section,
            expert_options=[(str(expert.id), expert.name) for expert in everyone],
            move_values={line.id: local_input(line.starts_at, event.timezone) for line in lines},
            values=values or dict.fromkeys(SLOT_FIELDS, "") | {"minutes": "20"}, errors=errors,
            rules_values=expert_form.rules_values(rules, event.timezone), notice=notice,
        )

    def _done(self, event_id: int, what: str) -> Redirect:
        return Redirect(path=f"/console/events/{event_id}/experts", query_params={"done": what}, status_code=303)

    async def _refused(self, request: Request[Any, Any, Any], event_id: int, section: str, error: DomainError,
                       values: dict[str, str] | None = None) -> Template:
        errors = FormErrors()
        expert_form.add_service_error(errors, error, page_translator(request))
        return await self._day(request, event_id, status_code=error.status_code, section=section, values=values, errors=errors)

    @post("/events/{event_id:int}/experts/slots", guards=[EDITORS])
    async def open_slots(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Response[Any]:
        _ = page_translator(request)
        event = await event_queries.get_event(event_id)
        values = expert_form.read_form(await request.form(), SLOT_FIELDS)
        errors = FormErrors()
        data = expert_form.converted(expert_form.slots_payload(values, event.timezone, errors, _), SlotsCreate, errors, SLOT_FIELDS, _)
        if data is None:
            return await self._day(request, event_id, status_code=422, section="slots", values=values, errors=errors)
        try:
            await experts.open_slots(event_id, data, settings)
        except DomainError as error:
            return await self._refused(request, event_id, "slots", error, values)
        return self._done(event_id, "opened")

    @post("/events/{event_id:int}/experts/{expert_id:int}/place", guards=[EDITORS])
    async def set_place(self, request: Request[Any, Any, Any], event_id: RowId, expert_id: RowId,
                        settings: NamedDependency[Settings]) -> Response[Any]:
        _ = page_translator(request)
        values = expert_form.read_form(await request.form(), PLACE_FIELDS)
        errors = FormErrors()
        data = expert_form.converted(expert_form.place_payload(values), WhereUpdate, errors, PLACE_FIELDS, _)
        if data is None:
            return await self._day(request, event_id, status_code=422, section="place", errors=errors)
        try:
            await experts.set_where(event_id, expert_id, data, settings)
        except DomainError as error:
            return await self._refused(request, event_id, "place", error)
        return self._done(event_id, "place")

    @post("/events/{event_id:int}/experts/rules", guards=[EDITORS])
    async def set_rules(self, request: Request[Any, Any, Any], event_id: RowId) -> Response[Any]:
        _ = page_translator(request)
        event = await event_queries.get_event(event_id)
        values = expert_form.read_form(await request.form(), RULES_FIELDS)
        errors = FormErrors()
        data = expert_form.converted(expert_form.rules_payload(values, event.timezone, errors, _), RulesUpdate, errors, RULES_FIELDS, _)
        if data is None:
            return await self._day(request, event_id, status_code=422, section="rules", errors=errors)
        try:
            await experts.set_rules(event_id, data)
        except DomainError as error:
            return await self._refused(request, event_id, "rules", error)
        return self._done(event_id, "rules")

    @post("/events/{event_id:int}/experts/slots/{slot_id:int}/close", guards=[EDITORS])
    async def close_slot(self, request: Request[Any, Any, Any], event_id: RowId, slot_id: RowId,
                         settings: NamedDependency[Settings]) -> Response[Any]:
        try:
            await experts.close_slot(event_id, slot_id, settings)
        except DomainError as error:
            return await self._refused(request, event_id, "grid", error)
        return self._done(event_id, "closed")

    @post("/events/{event_id:int}/experts/slots/{slot_id:int}/move", guards=[EDITORS])
    async def move_slot(self, request: Request[Any, Any, Any], event_id: RowId, slot_id: RowId,
                        settings: NamedDependency[Settings]) -> Response[Any]:
        _ = page_translator(request)
        event = await event_queries.get_event(event_id)
        values = expert_form.read_form(await request.form(), ["starts_at"])
        errors = FormErrors()
        data = expert_form.converted(expert_form.move_payload(values, event.timezone, errors, _), SlotMove, errors, ["starts_at"], _)
        if data is None:
            return await self._day(request, event_id, status_code=422, section="grid", errors=errors)
        try:
            await experts.move_slot(event_id, slot_id, data, settings)
        except DomainError as error:
            return await self._refused(request, event_id, "grid", error)
        return self._done(event_id, "moved")

    @post("/events/{event_id:int}/experts/meetings/{meeting_id:int}/status", guards=[CHECKIN_STAFF])
    async def mark_meeting(self, request: Request[Any, Any, Any], event_id: RowId, meeting_id: RowId) -> Response[Any]:
        if await expert_queries.meeting_event(meeting_id) != event_id:  # only this Tech Day's meetings, from its page
            raise NotFoundException("no such meeting at this event")
        status = str((await request.form()).get("status", ""))[:20]
        try:
            await experts.set_status(meeting_id, MeetingStatus(status) if status in tuple(MeetingStatus) else MeetingStatus.CANCELLED)
        except DomainError as error:
            return await self._refused(request, event_id, "grid", error)
        return self._done(event_id, "marked")
