"""A person's rights over their data: everything we hold about them (export), and erasure.

Erasure removes the person, not the facts the programme reports on: the contact is
anonymised in place and their registrations stay, with their company, attendance and minutes,
so every company-level figure is the same before and after. What identifies them goes:
name, address and consents on the contact and the names typed with each registration; the
emails queued or sent to them, in the outbox and as files under var/mail/; the names and
addresses that platform reports wrote into attendance intervals; a speaker's name, address and
biography; their address as attendee or sender in the reply log (invite_reply), and both
addresses of every reply about their registrations and expert meetings (the rows stay: they
are each answer's exactly-once claim, replies/erasure.py). Links sent to them stop working
(new nonces). Their seats at events not begun yet are cancelled and go to the people
waiting; a past event's registration keeps its minutes. Nothing is queued to them
afterwards: their placeholder address is undeliverable (.invalid), and the outbox writes
nothing for such an address.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from events_service.attendance.service import ERASED_DOMAIN, name_key
from events_service.attendance.tables import AttendanceInterval
from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.companies.tables import Company, Contact
from events_service.db import with_retry, write_transaction
from events_service.errors import DomainError, NotFound
from events_service.events.tables import EventSpeaker, Speaker
from events_service.experts.tables import ExpertMeeting
from events_service.mail.tables import OutboxMessage
from events_service.mail.transport import eml_name, remove_mail_files
from events_service.registrations.links import make_token, new_nonce
from events_service.registrations.records import CancelledBy, RegistrationStatus
from events_service.registrations.service import cancel_in_transaction
from events_service.registrations.tables import Registration
from events_service.replies.erasure import erase_reply_addresses, replies_held
from events_service.settings import Settings
from events_service.surveys.tables import SurveyResponse


class PrivacyError(DomainError):
    pass


class NothingHeld(PrivacyError, NotFound):
    pass


def _address(raw: str) -> str:
    # Not validated: whatever was stored is what we look for (contacts are stored lower-cased).
    return raw.strip().lower()


def erased_address(contact_id: int) -> str:
    return f"erased-{contact_id}{ERASED_DOMAIN}"


def erased_speaker_name(speaker_id: int) -> str:
    # Unique: an agenda names its speakers, and two erased speakers of one event stay apart.
    return f"[erased speaker {speaker_id}]"


def _speaker_condition(address: str) -> Any:
    return WhereRaw("lower(email) = {}", address)


async def _contact(address: str) -> dict[str, Any] | None:
    return await Contact.select().where(Contact.email == address).first()


async def _registration_ids(contact_id: int | None) -> list[int]:
    if contact_id is None:
        return []
    return [row["id"] for row in await Registration.select(Registration.id).where(Registration.contact == contact_id)]


def _interval_condition(address: str, registration_ids: list[int]) -> Any:
    condition = (AttendanceInterval.email == address) | (AttendanceInterval.participant_key == address)
    if registration_ids:
        condition = condition | AttendanceInterval.registration.is_in(registration_ids)
    return condition


def _outbox_condition(address: str, registration_ids: list[int]) -> Any:
    # Case-insensitive: an address typed in capitals reached the outbox as typed (WhereRaw,
    # not ILIKE, so `_` and `%` in an address are not wildcards).
    condition = WhereRaw("lower(to_address) = {}", address)
    if registration_ids:
        condition = condition | OutboxMessage.registration_id.is_in(registration_ids)
    return condition


async def _guest_rows_by_name(contact: dict[str, Any], registration_ids: list[int]) -> list[int]:
    """Unmatched, address-less report rows bearing the person's name (as they gave it, or as
    typed with a registration), at events they registered for: the report's name for them
    (unmatched only because the name was not unique)."""
    if not registration_ids:
        return []
    registrations = await Registration.select(Registration.event, Registration.first_name, Registration.last_name).where(
        Registration.id.is_in(registration_ids)
    )
    events = [row["event"] for row in registrations]
    names: set[str] = set()
    for row in [contact, *registrations]:
        first, last = name_key(row["first_name"]), name_key(row["last_name"])
        if first or last:
            names |= {f"{first} {last}", f"{last}, {first}", f"{last} {first}"}
    if not names:
        return []
    rows = await AttendanceInterval.select(AttendanceInterval.id, AttendanceInterval.name).where(
        AttendanceInterval.event.is_in(events) & AttendanceInterval.registration.is_null() & AttendanceInterval.email.is_null()
    )
    return [row["id"] for row in rows if name_key(row["name"]) in names]


async def _speakers(address: str) -> list[dict[str, Any]]:
    """The speaker rows with this address, each with the events it speaks at."""
    speakers = await Speaker.select(Speaker.id, Speaker.name, Speaker.email, Speaker.bio).where(_speaker_condition(address)).order_by(Speaker.id)
    for speaker in speakers:
        speaker["events"] = await EventSpeaker.select(
            EventSpeaker.event.id.as_alias("id"), EventSpeaker.event.title.as_alias("title"),
            EventSpeaker.event.starts_at.as_alias("starts_at"),
        ).where(EventSpeaker.speaker == speaker["id"]).order_by(EventSpeaker.event.starts_at)
    return speakers


# Bookkeeping of the dispatcher, and the raw MIME (its text part is exported instead).
_OUTBOX_INTERNALS = ("message", "lease_until", "claimed_by", "idempotency_key")


def _text_of(raw: str | None) -> str:
    if not raw:
        return ""  # not rendered yet
    message = email.message_from_string(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return body.get_content() if body is not None else ""


async def export_contact(raw_email: str) -> dict[str, Any]:
    """Everything held about one person, as plain data (for `events-service contact export`)."""
    address = _address(raw_email)
    contact = await _contact(address)
    registration_ids = await _registration_ids(contact["id"] if contact else None)
    intervals = await AttendanceInterval.select(
        AttendanceInterval.event, AttendanceInterval.registration, AttendanceInterval.name, AttendanceInterval.email,
        AttendanceInterval.platform, AttendanceInterval.joined_at, AttendanceInterval.left_at, AttendanceInterval.imported_at,
    ).where(_interval_condition(address, registration_ids)).order_by(AttendanceInterval.joined_at)
    outbox = await OutboxMessage.select().where(_outbox_condition(address, registration_ids)).order_by(OutboxMessage.id)
    speakers = await _speakers(address)
    replies = await replies_held(address, registration_ids, await _meeting_ids(registration_ids))
    if contact is None and not intervals and not outbox and not speakers and not replies:
        raise NothingHeld(f"nothing is held about {address}")
    company = None
    if contact and contact["company"]:
        company = await Company.select(
            Company.id, Company.name, Company.vat_id, Company.country, Company.region
        ).where(Company.id == contact["company"]).first()
    registrations = []
    if registration_ids:
        registrations = await Registration.select(
            Registration.id, Registration.first_name, Registration.last_name, Registration.status,
            Registration.attendance_mode, Registration.language, Registration.created_at,
            Registration.confirmed_at, Registration.cancelled_at, Registration.cancelled_by,
            Registration.attended, Registration.minutes_attended, Registration.checked_in_at, Registration.walk_in,
            Registration.attendance_source, Registration.answers,
            Registration.company.name.as_alias("company"),
            Registration.event.id.as_alias("event_id"), Registration.event.title.as_alias("event_title"),
            Registration.event.kind.as_alias("event_kind"), Registration.event.starts_at.as_alias("event_starts_at"),
            Registration.event.ends_at.as_alias("event_ends_at"),
        ).where(Registration.id.is_in(registration_ids)).order_by(Registration.id)
    contact_out = None
    if contact:
        contact_out = {key: contact[key] for key in ("id", "email", "first_name", "last_name", "language",
                                                     "consent_privacy_at", "consent_marketing_at", "created_at")}
    return {
        "email": address,
        "contact": contact_out,
        "company": company,
        "registrations": registrations,
        "attendance_intervals": intervals,
        "speakers": speakers,
        "invite_replies": replies,
        "emails": [
            {**{key: value for key, value in row.items() if key not in _OUTBOX_INTERNALS}, "text": _text_of(row["message"])}
            for row in outbox
        ],
    }


@dataclass
class _Erased:
    """What the database part of an erasure did, and what it learnt for the mail files."""

    contact_id: int | None = None
    registrations_kept: int = 0
    registrations_cancelled: int = 0
    emails_deleted: int = 0
    attendance_intervals_anonymised: int = 0
    speakers_erased: int = 0
    replies_anonymised: int = 0
    #: Names of the .eml files of the emails the outbox knew (FileTransport names them by content).
    mail_files: set[str] = field(default_factory=set)
    #: The secrets of every link ever sent to them (manage, check-in, calendar feed).
    link_tokens: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(
            self.contact_id is not None or self.emails_deleted or self.attendance_intervals_anonymised or self.speakers_erased
            or self.replies_anonymised
        )


async def erase_contact(raw_email: str, settings: Settings) -> dict[str, int | None]:
    """Remove the person's personal data everywhere (see the module): the database in one
    transaction, then the mail files under var/mail/ that were written for them."""
    address = _address(raw_email)
    if address.endswith(ERASED_DOMAIN):
        raise NothingHeld("this address is an erased contact's placeholder already")
    erased = await with_retry(lambda: _erase_in_database(address, settings))
    # After the commit: a file removed for a transaction that then rolled back could not be
    # written again, while a file left behind by a failure here is found by its address when
    # the erasure is run again.
    files = await asyncio.to_thread(
        remove_mail_files, settings.mail_dir, names=erased.mail_files, addresses=[address], tokens=erased.link_tokens
    )
    if not erased.held and not files:
        raise NothingHeld(f"nothing is held about {address}")
    return {
        "contact_id": erased.contact_id,
        "registrations_kept": erased.registrations_kept,
        "registrations_cancelled": erased.registrations_cancelled,
        "emails_deleted": erased.emails_deleted,
        "attendance_intervals_anonymised": erased.attendance_intervals_anonymised,
        "speakers_erased": erased.speakers_erased,
        "replies_anonymised": erased.replies_anonymised,
        "mail_files_removed": files,
    }


def _link_tokens(settings: Settings, contact: dict[str, Any], registrations: list[dict[str, Any]]) -> list[str]:
    """Every link's secret the person was sent, as signed before their nonces change."""
    tokens = [make_token(settings.secret_key, "feed", contact["id"], contact["feed_nonce"])] if contact["feed_nonce"] else []
    for row in registrations:
        tokens += [make_token(settings.secret_key, purpose, row["id"], row["token_nonce"]) for purpose in ("manage", "checkin")]
    return tokens


async def _cancel_future_registrations(registration_ids: list[int], settings: Settings) -> int:
    """Seats at events not begun yet are given up, each to the first person waiting; a past
    (or running) event's registration stays as it is, with its attendance and minutes."""
    if not registration_ids:
        return 0
    upcoming = await Registration.select(Registration.id).where(
        Registration.id.is_in(registration_ids) & (Registration.status != RegistrationStatus.CANCELLED) & (Registration.event.starts_at > now_utc())
    ).order_by(Registration.id)
    for row in upcoming:
        # The cancellation notice it queues goes to the erased placeholder, which the outbox
        # never writes (mail.outbox.undeliverable); the promoted person's email is queued.
        await cancel_in_transaction(row["id"], settings, cancelled_by=CancelledBy.ERASURE)
    return len(upcoming)


async def _meeting_ids(registration_ids: list[int]) -> list[int]:
    """Their expert meetings (kept, with the slot, for the expert's agenda and the figures)."""
    if not registration_ids:
        return []
    rows = await ExpertMeeting.select(ExpertMeeting.id).where(ExpertMeeting.registration.is_in(registration_ids))
    return [row["id"] for row in rows]


async def _erase_speakers(address: str) -> int:
    """A speaker with this address keeps their place in programmes and agendas, under a
    placeholder name, without address or biography."""
    rows = await Speaker.select(Speaker.id).where(_speaker_condition(address))
    for row in rows:
        await Speaker.update({Speaker.name: erased_speaker_name(row["id"]), Speaker.email: None, Speaker.bio: ""}).where(
            Speaker.id == row["id"]
        )
    return len(rows)


async def _erase_in_database(address: str, settings: Settings) -> _Erased:
    async with write_transaction():
        contact = await _contact(address)
        contact_id = contact["id"] if contact else None
        registrations = []
        if contact_id is not None:
            registrations = await Registration.select(Registration.id, Registration.token_nonce).where(Registration.contact == contact_id)
        registration_ids = [row["id"] for row in registrations]
        erased = _Erased(contact_id=contact_id, registrations_kept=len(registration_ids))
        erased.link_tokens = _link_tokens(settings, contact, registrations) if contact else []
        guest_rows = await _guest_rows_by_name(contact, registration_ids) if contact else []
        if contact_id is not None:
            # The contact row first: a registration of the same address takes it before the
            # event's seat row, and so does this (no deadlock between the two on PostgreSQL).
            await Contact.update(
                {
                    Contact.email: erased_address(contact_id),
                    Contact.first_name: "",
                    Contact.last_name: "",
                    Contact.consent_privacy_at: None,
                    Contact.consent_marketing_at: None,
                    Contact.feed_nonce: new_nonce(),
                }
            ).where(Contact.id == contact_id)
            erased.registrations_cancelled = await _cancel_future_registrations(registration_ids, settings)
        condition = _interval_condition(address, registration_ids)
        if guest_rows:
            condition = condition | AttendanceInterval.id.is_in(guest_rows)
        intervals = await AttendanceInterval.update(
            {
                AttendanceInterval.name: "",
                AttendanceInterval.email: None,
                # Unique per row, so the (event, key, joined, left) index cannot collide.
                AttendanceInterval.participant_key: QueryString("'erased:' || id"),
            }
        ).where(condition).returning(AttendanceInterval.id)
        erased.attendance_intervals_anonymised = len(intervals)
        # Every email to them goes, sent or still waiting (queued, retry: withdrawn); the sent
        # ones' files are found by name afterwards.
        outbox_condition = _outbox_condition(address, registration_ids)
        written = await OutboxMessage.select(OutboxMessage.message).where(outbox_condition & (OutboxMessage.message != ""))
        erased.mail_files = {eml_name(row["message"].encode("utf-8")) for row in written}
        erased.emails_deleted = len(await OutboxMessage.delete().where(outbox_condition).returning(OutboxMessage.id))
        # Links in emails already sent (manage, check-in, calendar feed, undo) stop working.
        # The names typed with each registration go too.
        for registration_id in registration_ids:
            await Registration.update(
                {Registration.updated_at: now_utc(), Registration.token_nonce: new_nonce(), Registration.undo_nonce: None,
                 Registration.first_name: "", Registration.last_name: "",
                 # Answers to an event's questions (dietary or accessibility needs) are the person's too.
                 Registration.answers: None}
            ).where(Registration.id == registration_id)
        # The log says that it happened, never what was there (that would keep it).
        await audit.record_many(Entity.REGISTRATION, Action.UPDATED, {registration_id: {"personal_data": "erased"} for registration_id in registration_ids})
        if registration_ids:
            # Their survey answers stay in the event's results, no longer linked to them.
            await SurveyResponse.update({SurveyResponse.registration: None}).where(SurveyResponse.registration.is_in(list(registration_ids)))
        erased.speakers_erased = await _erase_speakers(address)
        erased.replies_anonymised = await erase_reply_addresses(address, registration_ids, await _meeting_ids(registration_ids))
        return erased
