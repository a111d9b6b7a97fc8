"""Retention on aged rows: finished emails lose their body after N days (row, status and key
stay); people with no event in N months are erased through the erasure path, and company
figures do not change."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email.message import EmailMessage

import httpx

from events_service.clock import now_utc
from events_service.companies.tables import Contact
from events_service.db import write_transaction
from events_service.events.tables import Event
from events_service.mail.outbox import enqueue
from events_service.mail.retention import empty_old_bodies
from events_service.mail.tables import OutboxMessage
from events_service.privacy.retention import erase_inactive
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.worker import PERIODIC_JOBS
from tests.factories import published_event, registration_payload


def _email(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"], message["From"], message["Subject"] = to, "events@programme.example", "Your seat"
    message.set_content(f"Dear {to}, your seat is confirmed.")
    return message


async def test_finished_mail_loses_its_body_after_the_retention_days(settings: Settings) -> None:
    async with write_transaction():
        for key in ("old-sent", "old-queued", "new-sent"):
            await enqueue(_email(f"{key}@example.org"), kind="confirmation", idempotency_key=key)
    aged = now_utc() - timedelta(days=91)
    await OutboxMessage.update({OutboxMessage.created_at: aged}).where(OutboxMessage.idempotency_key.is_in(["old-sent", "old-queued"]))
    await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.sent_at: aged}).where(
        OutboxMessage.idempotency_key.is_in(["old-sent", "new-sent"]))

    assert await empty_old_bodies(settings.retention_mail_body_days) == 1
    rows = {row["idempotency_key"]: row for row in await OutboxMessage.select()}
    assert rows["old-sent"]["message"] == ""
    assert rows["old-sent"]["status"] == "sent"
    assert rows["old-sent"]["to_address"] == "old-sent@example.org"
    assert "your seat is confirmed" in rows["old-queued"]["message"]  # not sent yet: kept whole
    assert "your seat is confirmed" in rows["new-sent"]["message"]
    assert await empty_old_bodies(settings.retention_mail_body_days) == 0  # idempotent
    assert await empty_old_bodies(0) == 0  # 0 keeps everything


async def test_people_with_no_event_in_the_retention_months_are_erased(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    old_talk = await published_event(client, organiser)
    recent_talk = await published_event(client, organiser)
    for email, talk in (("gone@old.example", old_talk), ("kept@old.example", old_talk), ("kept@old.example", recent_talk)):
        answer = await client.post(f"/api/public/events/{talk['id']}/registrations", json=registration_payload(email))
        assert answer.status_code == 201, answer.text
    long_ago = now_utc() - timedelta(days=40 * 31)
    await Event.update({Event.starts_at: long_ago, Event.ends_at: long_ago + timedelta(hours=2)}).where(Event.id == old_talk["id"])
    await Contact.update({Contact.created_at: long_ago - timedelta(days=1)}).where(Contact.id > 0)
    company_before = await Registration.count().where(Registration.event == old_talk["id"])

    assert await erase_inactive(settings) == 1
    emails = {row["email"] for row in await Contact.select(Contact.email)}
    assert "gone@old.example" not in emails
    assert "kept@old.example" in emails
    assert any(email.startswith("erased-") for email in emails)
    # The registration stays, anonymised: the event's and the company's figures do not move.
    assert await Registration.count().where(Registration.event == old_talk["id"]) == company_before
    assert await erase_inactive(settings) == 0
    assert await erase_inactive(dataclasses.replace(settings, retention_inactive_months=0)) == 0


def test_the_worker_runs_both_retention_jobs() -> None:
    names = {job.name for job in PERIODIC_JOBS}
    assert {"mail body retention", "personal data retention", "worker heartbeat"} <= names
