"""What the wiring (worker.py) hands other domains for the experts domain: the hook that cancels
a person's meetings when their registration is cancelled (registrations/cancel_hooks.py), and the
reader of meeting codes at the door (attendance/door_codes.py), the job that sends the experts'
agendas (agenda.py), and what the reply mailbox needs of a meeting's invite (replies/meeting_invites.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from events_service.experts.agenda import send_agendas
from events_service.experts.invite_answers import meeting_of_invite, record_meeting_answer
from events_service.experts.records import MeetingAtDoor
from events_service.experts.service import (
    cancel_meeting_in_transaction,
    cancel_meetings_of_registration,
    check_in_meeting,
)
from events_service.jobs import PeriodicJob
from events_service.registrations.cancel_hooks import CancelHook
from events_service.settings import Settings

__all__ = ["CANCEL_HOOKS", "CANCEL_MEETING", "DOOR_CODE_READERS", "FIND_MEETING_OF_INVITE", "JOBS", "RECORD_MEETING_ANSWER"]

#: The experts' agendas go the evening before (agenda.py); the period is well inside the evening.
JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("expert-agendas", send_agendas, every_seconds=300),)

CANCEL_HOOKS: tuple[CancelHook, ...] = (cancel_meetings_of_registration,)

#: A meeting's QR scanned at POST /api/events/{id}/checkins marks the meeting held.
DOOR_CODE_READERS: tuple[Callable[[int, str, Settings], Awaitable[MeetingAtDoor | None]], ...] = (check_in_meeting,)

#: Answers to a meeting's invite read from the reply mailbox: the meeting a UID names, the
#: registrant's Decline cancelling it, and a side's answer noted on it.
FIND_MEETING_OF_INVITE = meeting_of_invite
CANCEL_MEETING = cancel_meeting_in_transaction
RECORD_MEETING_ANSWER = record_meeting_answer
