"""Answers to invites in the audit log (issue 16 item 7): the worker records an ACCEPTED or
TENTATIVE answer (registration.rsvp) and a DECLINED one with the cancellation it causes, by the
system (it read the mailbox; no sign-in or link vouches for the sender), each once. Both engines."""

from __future__ import annotations

from typing import Any

import httpx

from events_service.audit.actor import REGISTRANT, set_actor
from events_service.audit.tables import AuditEntry
from events_service.jobs import PeriodicJob
from events_service.mail.transport import FileTransport
from events_service.registrations.tables import Registration
from events_service.replies.service import process_message
from events_service.settings import Settings
from events_service.worker import Worker
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _full_event


async def _entries(*registration_ids: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    rows = await (
        AuditEntry.select()
        .where((AuditEntry.entity == "registration") & AuditEntry.entity_id.is_in(list(registration_ids)) & (AuditEntry.action != "created"))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    return [(row["entity_id"], row["actor"], row["action"], row["changes"]) for row in rows]


async def _registrations(event_id: int) -> list[dict[str, Any]]:
    return await Registration.select(Registration.id, Registration.contact.email.as_alias("email")).where(Registration.event == event_id)


async def _answer(settings: Settings, uid: str, partstat: str, message_id: str) -> None:
    """As the worker's mailbox job reads it (the worker runs every job as the system)."""
    raw = reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA, partstat=partstat), sender=ANNA, message_id=message_id)
    job = PeriodicJob("read-one-reply", lambda settings: process_message(raw, settings), every_seconds=60)
    set_actor(REGISTRANT)  # what the test's own requests left behind: the worker must not inherit it
    await Worker(settings, jobs=[job], transport=FileTransport(settings.mail_dir)).run_once()


async def test_rsvp_answers_are_logged_once_each_by_the_system(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event_id, uid = await _full_event(client, organiser)
    ids = {row["email"]: row["id"] for row in await _registrations(event_id)}
    anna, bruno = ids[ANNA], ids[BRUNO]

    await _answer(settings, uid, "ACCEPTED", "<first@client.example>")
    await _answer(settings, uid, "ACCEPTED", "<first@client.example>")  # the same message read again
    await _answer(settings, uid, "ACCEPTED", "<second@client.example>")  # the same answer once more: nothing new
    assert await _entries(anna, bruno) == [(anna, "system", "updated", {"rsvp": [None, "accepted"]})]

    await _answer(settings, uid, "DECLINED", "<third@client.example>")
    assert (await _entries(anna, bruno))[1:] == [
        (anna, "system", "updated", {"rsvp": ["accepted", "declined"]}),
        (anna, "system", "cancelled", {"status": ["confirmed", "cancelled"], "cancelled_by": "reply"}),
        (bruno, "system", "promoted", {"status": ["waitlisted", "confirmed"]}),
    ]
