"""A person's rights over their data: everything we hold about them (export), and erasure.

Erasure removes the person, not the facts the programme reports on: the contact is
anonymised in place and their registrations stay, with their company, attendance and minutes,
so every company-level figure is the same before and after. What identifies them goes:
name, address and consents on the contact; the emails queued or sent to them; the names and
addresses that platform reports wrote into attendance intervals. Links sent to them stop
working (new nonces).
"""

from __future__ import annotations

import email
import email.policy
from typing import Any

from piccolo.querystring import QueryString

from events_service.attendance.service import ERASED_DOMAIN, name_key
from events_service.attendance.tables import AttendanceInterval
from events_service.companies.tables import Company, Contact
from events_service.db import write_transaction
from events_service.errors import DomainError, NotFound
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.registrations.tokens import new_nonce


class PrivacyError(DomainError):
    pass


class NothingHeld(PrivacyError, NotFound):
    pass


def _address(raw: str) -> str:
    # Not validated: whatever was stored is what we look for (contacts are stored lower-cased).
    return raw.strip().lower()


def erased_address(contact_id: int) -> str:
    return f"erased-{contact_id}{ERASED_DOMAIN}"


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
    condition = OutboxMessage.to_address == address
    if registration_ids:
        condition = condition | OutboxMessage.registration_id.is_in(registration_ids)
    return condition


async def _guest_rows_by_name(contact: dict[str, Any], registration_ids: list[int]) -> list[int]:
    """Unmatched, address-less report rows bearing the person's name, at events they registered
    for: the report's name for them (unmatched only because the name was not unique)."""
    if not registration_ids or not (contact["first_name"] or contact["last_name"]):
        return []
    events = [row["event"] for row in await Registration.select(Registration.event).where(Registration.id.is_in(registration_ids))]
    first, last = name_key(contact["first_name"]), name_key(contact["last_name"])
    names = {f"{first} {last}", f"{last}, {first}", f"{last} {first}"}
    rows = await AttendanceInterval.select(AttendanceInterval.id, AttendanceInterval.name).where(
        AttendanceInterval.event.is_in(events) & AttendanceInterval.registration.is_null() & AttendanceInterval.email.is_null()
    )
    return [row["id"] for row in rows if name_key(row["name"]) in names]


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
    if contact is None and not intervals and not outbox:
        raise NothingHeld(f"nothing is held about {address}")
    company = None
    if contact and contact["company"]:
        company = await Company.select(
            Company.id, Company.name, Company.vat_id, Company.country, Company.region
        ).where(Company.id == contact["company"]).first()
    registrations = []
    if registration_ids:
        registrations = await Registration.select(
            Registration.id, Registration.status, Registration.attendance_mode, Registration.language,
            Registration.created_at, Registration.confirmed_at, Registration.cancelled_at, Registration.cancelled_by,
            Registration.attended, Registration.minutes_attended, Registration.checked_in_at, Registration.walk_in,
            Registration.attendance_source,
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
        "emails": [
            {**{key: value for key, value in row.items() if key not in _OUTBOX_INTERNALS}, "text": _text_of(row["message"])}
            for row in outbox
        ],
    }


async def erase_contact(raw_email: str) -> dict[str, int | None]:
    """Remove the person's personal data everywhere, in one transaction (see the module)."""
    address = _address(raw_email)
    if address.endswith(ERASED_DOMAIN):
        raise NothingHeld("this address is an erased contact's placeholder already")
    async with write_transaction():
        contact = await _contact(address)
        contact_id = contact["id"] if contact else None
        registration_ids = await _registration_ids(contact_id)
        guest_rows = await _guest_rows_by_name(contact, registration_ids) if contact else []
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
        outbox = await OutboxMessage.delete().where(_outbox_condition(address, registration_ids)).returning(OutboxMessage.id)
        if contact is None and not intervals and not outbox:
            raise NothingHeld(f"nothing is held about {address}")
        if contact_id is not None:
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
            # Links in emails already sent (manage, check-in, calendar feed) stop working.
            for registration_id in registration_ids:
                await Registration.update({Registration.token_nonce: new_nonce()}).where(Registration.id == registration_id)
    return {
        "contact_id": contact_id,
        "registrations_kept": len(registration_ids),
        "emails_deleted": len(outbox),
        "attendance_intervals_anonymised": len(intervals),
    }
