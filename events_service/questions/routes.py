"""HTTP for an event's questions: editors manage them; anyone sees the registration questions
of a published event (the public form asks them)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromQuery, JSONBody

from events_service.events.queries import published_event
from events_service.openapi_docs import raises
from events_service.organisers.auth import EDITORS
from events_service.params import RowId
from events_service.questions import service
from events_service.questions.errors import QuestionConflict
from events_service.questions.schemas import (
    QuestionCreate,
    QuestionOut,
    QuestionPatch,
    QuestionStage,
)


class QuestionController(Controller):
    path = "/api/events/{event_id:int}/questions"
    tags = ["questions"]
    guards = [EDITORS]

    @post("/", summary="Add a question to the event's registration form or survey", opt=raises(QuestionConflict))
    async def create(self, event_id: RowId, data: JSONBody[QuestionCreate]) -> QuestionOut:
        return await service.create_question(event_id, data)

    @get("/", summary="The event's questions, in the order they are asked")
    async def list_all(self, event_id: RowId, stage: FromQuery[QuestionStage | None] = None) -> list[QuestionOut]:
        return await service.list_questions(event_id, stage)

    @patch("/{question_id:int}", summary="Change a question's words, options, place or whether it is required")
    async def update(self, event_id: RowId, question_id: RowId, data: JSONBody[QuestionPatch]) -> QuestionOut:
        return await service.update_question(event_id, question_id, data)

    @delete("/{question_id:int}", summary="Stop asking a question")
    async def remove(self, event_id: RowId, question_id: RowId) -> None:
        await service.delete_question(event_id, question_id)


class PublicQuestionController(Controller):
    path = "/api/public/events/{event_id:int}/questions"
    tags = ["public"]

    @get("/", summary="The questions a published event asks on registration")
    async def registration_questions(self, event_id: RowId) -> list[QuestionOut]:
        event = await published_event(str(event_id))
        return await service.event_questions(event.id, QuestionStage.REGISTRATION)
