"""HTTP for the Innovation Experts: experts and slots (editors), meetings marked held or missed
(door staff too), and the public side (free slots; booking and cancelling by signed tokens)."""

from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from events_service.experts import service
from events_service.experts.errors import ExpertConflict
from events_service.experts.schemas import (
    ExpertCreate,
    ExpertOut,
    ExpertUpdate,
    MeetingBooked,
    MeetingCreate,
    MeetingOut,
    MeetingStatusUpdate,
    PublicSlot,
    RulesOut,
    RulesUpdate,
    SlotMove,
    SlotOut,
    SlotsCreate,
    WhereOut,
    WhereUpdate,
)
from events_service.openapi_docs import raises
from events_service.organisers.auth import CHECKIN_STAFF, EDITORS
from events_service.params import RowId
from events_service.settings import Settings


class ExpertController(Controller):
    path = "/api"
    tags = ["experts"]

    @post("/experts", status_code=201, guards=[EDITORS], summary="Add an Innovation Expert", opt=raises(ExpertConflict))
    async def create(self, data: JSONBody[ExpertCreate]) -> ExpertOut:
        return await service.create_expert(data)

    @get("/experts", guards=[EDITORS], summary="The Innovation Experts")
    async def list(self) -> list[ExpertOut]:
        return await service.list_experts()

    @patch("/experts/{expert_id:int}", guards=[EDITORS], summary="Change an expert (only the fields sent)")
    async def update(self, expert_id: RowId, data: JSONBody[ExpertUpdate]) -> ExpertOut:
        return await service.update_expert(expert_id, data)

    @post("/events/{event_id:int}/expert-slots", status_code=201, guards=[EDITORS],
          summary="Open an expert's window inside a Tech Day, cut into slots of `minutes` around its breaks", opt=raises(ExpertConflict))
    async def open_slots(self, event_id: RowId, data: JSONBody[SlotsCreate], settings: NamedDependency[Settings]) -> list[SlotOut]:
        return await service.open_slots(event_id, data, settings)

    @get("/events/{event_id:int}/expert-days", guards=[EDITORS],
         summary="Where each expert meets at a Tech Day (room, video link)", opt=raises(ExpertConflict))
    async def places(self, event_id: RowId) -> list[WhereOut]:
        return await service.event_places(event_id)

    @patch("/events/{event_id:int}/expert-days/{expert_id:int}", guards=[EDITORS],
           summary="Set where an expert meets at a Tech Day; a change re-sends the booked meetings' invites (SEQUENCE raised)", opt=raises(ExpertConflict))
    async def set_place(self, event_id: RowId, expert_id: RowId, data: JSONBody[WhereUpdate],
                        settings: NamedDependency[Settings]) -> WhereOut:
        return await service.set_where(event_id, expert_id, data, settings)

    @get("/events/{event_id:int}/expert-slots", guards=[EDITORS], summary="Every slot of a Tech Day, booked or not")
    async def slots(self, event_id: RowId) -> list[SlotOut]:
        return await service.event_slots(event_id)

    @post("/events/{event_id:int}/expert-slots/{slot_id:int}/close", status_code=200, guards=[EDITORS],
          summary="Close a slot (its meeting, if any, is cancelled)")
    async def close_slot(self, event_id: RowId, slot_id: RowId, settings: NamedDependency[Settings]) -> SlotOut:
        return await service.close_slot(event_id, slot_id, settings)

    @post("/events/{event_id:int}/expert-slots/{slot_id:int}/move", status_code=200, guards=[EDITORS],
          summary="Move a slot (same length); whoever booked it gets the invite again (SEQUENCE raised)", opt=raises(ExpertConflict))
    async def move_slot(self, event_id: RowId, slot_id: RowId, data: JSONBody[SlotMove], settings: NamedDependency[Settings]) -> SlotOut:
        return await service.move_slot(event_id, slot_id, data, settings)

    @get("/events/{event_id:int}/expert-rules", guards=[EDITORS], summary="When meeting bookings close; meetings per company and expert", opt=raises(ExpertConflict))
    async def rules(self, event_id: RowId) -> RulesOut:
        return await service.event_rules(event_id)

    @put("/events/{event_id:int}/expert-rules", guards=[EDITORS], summary="Set when bookings close and the per-company cap", opt=raises(ExpertConflict))
    async def set_rules(self, event_id: RowId, data: JSONBody[RulesUpdate]) -> RulesOut:
        return await service.set_rules(event_id, data)

    @patch("/meetings/{meeting_id:int}", guards=[CHECKIN_STAFF], summary="Mark a meeting held or missed", opt=raises(ExpertConflict))
    async def set_status(self, meeting_id: RowId, data: JSONBody[MeetingStatusUpdate]) -> MeetingOut:
        return await service.set_status(meeting_id, data.status)


class PublicExpertController(Controller):
    path = "/api/public"
    tags = ["public"]

    @get("/events/{event_id:int}/expert-slots", summary="Free expert slots of a Tech Day (never the expert's email)")
    async def free_slots(self, event_id: RowId) -> list[PublicSlot]:
        return await service.public_slots(event_id)

    @post("/registrations/{token:str}/meetings", status_code=201, summary="Book a meeting with an expert", opt=raises(ExpertConflict))
    async def book(self, token: FromPath[str], data: JSONBody[MeetingCreate], settings: NamedDependency[Settings]) -> MeetingBooked:
        return await service.book(settings, token, data)

    @get("/registrations/{token:str}/meetings", summary="The registrant's meetings")
    async def meetings(self, token: FromPath[str], settings: NamedDependency[Settings]) -> list[MeetingBooked]:
        return await service.meetings_by_registration_token(settings, token)

    @post("/meetings/{token:str}/cancel", status_code=200, summary="Cancel a meeting by its token", opt=raises(ExpertConflict))
    async def cancel(self, token: FromPath[str], settings: NamedDependency[Settings]) -> MeetingOut:
        return await service.cancel_by_token(settings, token)
