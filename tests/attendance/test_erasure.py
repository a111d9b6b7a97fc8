"""Erasure seen from the auditor's side: after `contact erase` nothing of the person is left in
the database, the outbox or the sent mail under var/mail/, their future seats go to the people
waiting, nothing more is ever queued to them, and speakers can be erased too."""

from __future__ import annotations

import email
import email.policy
import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from uvicorn.logging import AccessFormatter

from events_service.app import create_app
from events_service.audit.tables import AuditEntry
from events_service.events.tables import Event, Speaker
from events_service.mail.outbox import PENDING
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import FileTransport
from events_service.privacy.service import export_contact
from events_service.registrations.service import send_due_event_updates
from events_service.registrations.tables import Registration
from events_service.reminders.service import schedule_due
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.attendance.support import move_event, register
from tests.attendance.test_privacy import _everything
from tests.conftest import token_headers
from tests.factories import future, published_event

ADA = "ada.lovelace@analytical.example"
BOB = "bob.babbage@difference.example"
CARLA = "carla.conti@engine.example"
DAY = timedelta(days=1)


async def _erase(client: httpx.AsyncClient, address: str) -> dict[str, Any]:
    admin = await token_headers(client, "admin")
    answer = await client.post("/api/contacts/erase", json={"email": address}, headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _registration(registration_id: int) -> dict[str, Any]:
    return await Registration.select().where(Registration.id == registration_id).first()


def _start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["starts_at"]).astimezone(UTC)


def _unfolded_text(raw: bytes) -> str:
    """Everything a reader of the file could learn: the raw bytes, and every header and MIME
    part decoded (quoted-printable, base64, RFC 2047), with folded lines joined, lower-cased."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    pieces = [raw.decode("utf-8", "replace")]
    for part in message.walk():
        pieces += [str(value) for value in part.values()]
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            pieces.append(payload.decode("utf-8", "replace"))
    text = "\n".join(pieces)
    for fold in ("\r\n ", "\r\n\t", "\n ", "\n\t", "=\r\n", "=\n"):
        text = text.replace(fold, "")
    return text.lower()


def _mail_files_mentioning(mail_dir: Path, *needles: str) -> list[str]:
    found = []
    for path in sorted(mail_dir.iterdir()) if mail_dir.exists() else []:
        text = _unfolded_text(path.read_bytes())
        found += [f"{path.name}: {needle}" for needle in needles if needle.lower() in text]
    return found


async def _db_traces(*needles: str) -> list[tuple[str, str]]:
    return [(table, column) for table, column, text in await _everything() if any(n.lower() in text.lower() for n in needles)]


# ---------------------------------------------------------------- seats


async def test_erase_frees_future_seats_for_the_waitlist_and_keeps_past_minutes(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    coming = await published_event(client, organiser, capacity=1, title="Robotica collaborativa")
    past = await published_event(client, organiser, title="Cloud per PMI")
    ada_coming = await register(client, coming["id"], ADA, "Ada", "Lovelace", company=1)
    bob_coming = await register(client, coming["id"], BOB, "Bob", "Babbage", company=2)
    ada_past = await register(client, past["id"], ADA, "Ada", "Lovelace", company=1)
    assert (ada_coming["status"], bob_coming["status"]) == ("confirmed", "waitlisted")
    then = datetime.now(UTC) - 10 * DAY
    await move_event(past["id"], then, then + timedelta(minutes=90))
    await Registration.update({Registration.attended: True, Registration.minutes_attended: 42}).where(Registration.id == ada_past["id"])
    past_before = await _registration(ada_past["id"])

    await _erase(client, ADA)

    seat = await _registration(ada_coming["id"])
    assert seat["status"] == "cancelled"
    assert seat["cancelled_at"] is not None
    assert (await _registration(bob_coming["id"]))["status"] == "confirmed"  # the first waiting person got the seat
    stats = (await client.get(f"/api/events/{coming['id']}/stats", headers=organiser)).json()
    assert (stats["confirmed"], stats["waitlisted"]) == (1, 0)
    assert (await Event.select(Event.seats_taken).where(Event.id == coming["id"]).first())["seats_taken"] == 1
    # A past event's registration stays exactly as it was, with its minutes.
    past_after = await _registration(ada_past["id"])
    # new link nonce; the names typed with it are blanked; updated_at says when (paging's updated_since)
    personal = ("token_nonce", "first_name", "last_name", "updated_at")
    assert {k: v for k, v in past_after.items() if k not in personal} == {k: v for k, v in past_before.items() if k not in personal}
    assert (past_after["attended"], past_after["minutes_attended"], past_after["status"]) == (True, 42, "confirmed")
    assert (past_after.get("first_name", ""), past_after.get("last_name", "")) == ("", "")
    # Bob hears of his seat; nothing at all goes to Ada (not even a cancellation notice).
    promoted = await OutboxMessage.select().where(OutboxMessage.registration_id == bob_coming["id"])
    assert "promoted" in {row["kind"] for row in promoted}
    assert await OutboxMessage.select().where(OutboxMessage.registration_id.is_in([ada_coming["id"], ada_past["id"]])) == []


# ---------------------------------------------------------------- the outbox


async def test_nothing_is_queued_to_an_erased_person_afterwards(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    coming = await published_event(client, organiser, starts=future(days=3), reminder_offsets_minutes=[1440, 60])
    running = await published_event(client, organiser, title="In corso")
    ada_coming = await register(client, coming["id"], ADA, "Ada", "Lovelace", company=1)
    ada_running = await register(client, running["id"], ADA, "Ada", "Lovelace", company=1)
    bob_running = await register(client, running["id"], BOB, "Bob", "Babbage", company=2)
    assert await schedule_due(settings, now=_start(coming) - DAY) >= 1  # Ada's reminder is queued
    # The other event has started (so her seat there stays), and its join link changes.
    started = datetime.now(UTC) - timedelta(minutes=10)
    await move_event(running["id"], started, started + timedelta(hours=2))
    changed = await client.patch(f"/api/events/{running['id']}", json={"online_url": "https://meet.example.org/j/999"}, headers=organiser)
    assert changed.status_code == 200, changed.text
    queued_before = await OutboxMessage.select().where(
        OutboxMessage.registration_id.is_in([ada_coming["id"], ada_running["id"]]) & OutboxMessage.status.is_in(list(PENDING))
    )
    assert {row["kind"] for row in queued_before} >= {"confirmed", "reminder"}

    await _erase(client, ADA)

    # Everything that would run later: the reminder scheduler, the settled update mails.
    await schedule_due(settings, now=_start(coming) - DAY)
    await schedule_due(settings, now=_start(coming) - timedelta(minutes=30))
    assert await send_due_event_updates(settings, now=datetime.now(UTC) + timedelta(hours=1)) >= 1  # Bob's update
    to_ada = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.to_address, OutboxMessage.status).where(
        OutboxMessage.registration_id.is_in([ada_coming["id"], ada_running["id"]]) | OutboxMessage.to_address.like("%erased.invalid")
    )
    assert to_ada == []
    assert "event_updated" in {row["kind"] for row in await OutboxMessage.select().where(OutboxMessage.registration_id == bob_running["id"])}
    assert await _db_traces(ADA, "Lovelace") == []


# ---------------------------------------------------------------- sent mail files


async def test_erase_removes_the_persons_sent_mail_files(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    day = await published_event(client, organiser, tech_day=True, title="Tech Day Lecco")
    talk = await published_event(client, organiser, title="AI generativa")
    ada_day = await register(client, day["id"], ADA, "Ada", "Lovelace", company=1)
    await register(client, talk["id"], ADA, "Ada", "Lovelace", company=1)
    await register(client, day["id"], BOB, "Bob", "Babbage", company=2)
    mail_dir = settings.mail_dir
    stats = await new_dispatcher(settings, FileTransport(mail_dir)).drain()
    assert stats.sent == 3
    assert len(_mail_files_mentioning(mail_dir, "Lovelace")) == 2
    # Files whose outbox rows are gone already (history pruned, another process's copy): only
    # their content says whose they are, the address in another case, or only a link of hers.
    ada_file = next(p for p in mail_dir.glob("*.eml") if ADA in _unfolded_text(p.read_bytes()))
    (mail_dir / "copy-upper.eml").write_bytes(ada_file.read_bytes().replace(ADA.encode(), ADA.upper().encode()))
    manage_only = f"From: events@programme.example\r\nTo: someone@else.example\r\nSubject: fwd\r\n\r\nLink: {ada_day['manage_url']}\r\n"
    (mail_dir / "forwarded.eml").write_text(manage_only)
    await OutboxMessage.delete().where(OutboxMessage.registration_id == ada_day["id"])

    result = await _erase(client, ADA)

    assert _mail_files_mentioning(mail_dir, ADA, "Lovelace", ada_day["manage_token"]) == []
    assert result["mail_files_removed"] == 4
    remaining = _mail_files_mentioning(mail_dir, BOB)
    assert len(remaining) == 1  # Bob's confirmation stays
    assert await _db_traces(ADA, "Lovelace") == []


# ---------------------------------------------------------------- speakers


async def test_a_speaker_is_exported_and_erased_by_email(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    grace = {"name": "Grace Hopper", "email": "grace.hopper@navy.example", "bio": "Inventor of the first compiler"}
    event = await published_event(client, organiser, speakers=[grace, {"name": "Anna Bianchi"}])
    other = await published_event(client, organiser, title="Secondo talk", speakers=[grace])
    exported = await export_contact("Grace.Hopper@Navy.example")
    assert [(s["name"], s["email"], s["bio"]) for s in exported["speakers"]] == [(grace["name"], grace["email"], grace["bio"])]
    assert {e["id"] for e in exported["speakers"][0]["events"]} == {event["id"], other["id"]}

    result = await _erase(client, grace["email"].upper())

    assert result["speakers_erased"] == 1
    speakers = await Speaker.select().order_by(Speaker.id)
    erased = [s for s in speakers if s["name"] != "Anna Bianchi"]
    assert len(erased) == 1
    assert erased[0]["email"] is None
    assert erased[0]["bio"] == ""
    assert "erased" in erased[0]["name"]
    assert await _db_traces("grace.hopper", "Grace Hopper", "first compiler") == []
    public = (await client.get(f"/api/public/events/{event['id']}")).json()
    assert "Grace" not in str(public)
    assert len(public["speakers"]) == 2


# ---------------------------------------------------------------- logs


def _access_line(path: str, logger_name: str = "uvicorn.access") -> str:
    """One access-log line exactly as uvicorn writes it (its message, arguments and formatter)."""
    logger = logging.getLogger(logger_name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5123", "GET", path, "1.1", 200)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return stream.getvalue()


def test_tokens_in_paths_are_redacted_from_the_access_log(settings: Settings) -> None:
    create_app(settings)  # installs the redaction, as every served process does
    manage = "17.Xy3_kP0aQ9-vLm2tNc4R.q1W2e3R4t5Y6u7I8o9P0a1S2"
    cases = {
        f"/registrations/{manage}": "/registrations/…",
        f"/api/public/registrations/{manage}/cancel": "/api/public/registrations/…/cancel",
        f"/calendar/personal/{manage}.ics": "/calendar/personal/….ics",
        f"/r/{manage}?lang=en": "/r/…?lang=en",
        "/certificates/C0FFEE-1234-ABCD": "/certificates/…",
        f"/api/public/registrations/{manage}/certificate.pdf": "/api/public/registrations/…/certificate.pdf",
        f"/console/checkin?code={manage}": "/console/checkin?code=…",
    }
    for path, shown in cases.items():
        line = _access_line(path)
        assert shown in line, line
        assert manage not in line, line
        assert "C0FFEE" not in line, line
    # What carries no token is left as it was.
    assert "/api/events/12/registrations?status=confirmed" in _access_line("/api/events/12/registrations?status=confirmed")
    assert "/api/registrations/42/cancel" in _access_line("/api/registrations/42/cancel")


def test_tokens_in_paths_are_redacted_from_litestars_exception_log(settings: Settings) -> None:
    create_app(settings)
    manage = "17.Xy3_kP0aQ9-vLm2tNc4R.q1W2e3R4t5Y6u7I8o9P0a1S2"
    logger = logging.getLogger("litestar")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        # As Litestar's default exception logging handler writes it for a 5xx.
        logger.error("Uncaught exception (connection_type=%s, path=%r):", "http", f"/registrations/{manage}")
    finally:
        logger.removeHandler(handler)
    assert "/registrations/…" in stream.getvalue()
    assert manage not in stream.getvalue()


async def test_erasure_is_in_the_audit_log_without_what_was_erased(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    coming = await published_event(client, organiser, capacity=1, title="Robotica collaborativa")
    ada = await register(client, coming["id"], ADA, "Ada", "Lovelace", company=1)
    bob = await register(client, coming["id"], BOB, "Bob", "Babbage", company=2)

    await _erase(client, ADA)

    entries = await AuditEntry.select().where(AuditEntry.entity == "registration").order_by(AuditEntry.id).output(load_json=True)
    ada_entries = [(entry["action"], entry["changes"]) for entry in entries if entry["entity_id"] == ada["id"]]
    assert ada_entries[-2:] == [
        ("cancelled", {"status": ["confirmed", "cancelled"], "cancelled_by": "erasure"}),
        ("updated", {"personal_data": "erased"}),
    ]
    assert [entry["action"] for entry in entries if entry["entity_id"] == bob["id"]][-1] == "promoted"
    erasing = {entry["actor"] for entry in entries[-3:]}
    assert len(erasing) == 1 and erasing.pop().startswith("organiser:")  # the admin who erased, for all three
    assert not any(needle in str(entry).lower() for entry in entries for needle in ("ada", "lovelace", ADA))
