"""Certificates of attendance: who earns one, what it says, the registrant's PDF, the public
check of a verification code, and an event's certificates as one ZIP.

Who earns one is not decided here: a registration that attendance/service.py marked attended
(checked in at the door, or minutes in the webinar report at or above the event's threshold),
not cancelled, of a published event that is over. Someone below the threshold is told their
minutes and the minutes needed (409, code `below_threshold`).

The verification code (registrations/links.py) is an HMAC of the registration id with the
secret key: it cannot be made up, and a key rotation keeps it genuine while the former key is
in EVENTS_SECRET_KEY_FALLBACKS. The check reads the facts from the database, so a certificate
whose printed name or minutes were edited does not match what the page says.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from events_service.attendance.service import ERASED_DOMAIN, minutes_needed
from events_service.certificates.errors import (
    CertificateNotFound,
    NoCertificate,
    TooManyCertificates,
)
from events_service.certificates.pdf import (
    CertificateFacts,
    Decorations,
    Layout,
    load_layout,
    render_certificate,
)
from events_service.certificates.schemas import CertificateCheck
from events_service.clock import now_utc
from events_service.events.queries import event_row, events_by_id
from events_service.events.records import EventRecord, EventStatus
from events_service.mail.formatting import format_event_date, normalise_language
from events_service.registrations.links import (
    certificate_code,
    certificate_verification_url,
    read_certificate_code,
    registration_by_token,
)
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.settings import Settings

#: An event's ZIP is streamed as its PDFs are made (memory stays small), but each takes some
#: milliseconds of CPU: beyond this many the organiser gets a 409 instead of a long wait.
MAX_ZIP_CERTIFICATES = 3000
#: PDFs made per trip to a worker thread: the event loop is never held for longer than this batch.
ZIP_BATCH = 20

_COLUMNS = (
    Registration.id,
    Registration.event,
    Registration.status,
    Registration.attended,
    Registration.minutes_attended,
    Registration.attendance_source,
    Registration.language,
    Registration.first_name,
    Registration.last_name,
    Registration.contact.email.as_alias("email"),
    Registration.company.name.as_alias("company_name"),
)


# ---------------------------------------------------------------- the rule and the facts


def event_refusal(event: EventRecord, now: datetime) -> NoCertificate | None:
    """Why an event gives no certificates (yet), or None."""
    if event.status != EventStatus.PUBLISHED:
        return NoCertificate(f"the event is {event.status}: it gives no certificates", code="event_not_held")
    if event.ends_at > now:
        return NoCertificate("the event is not over yet: certificates come after it ends", code="event_not_over")
    return None


def refusal(row: dict[str, Any], event: EventRecord, now: datetime) -> NoCertificate | None:
    """Why this registration has no certificate, or None when it has one."""
    if (refused := event_refusal(event, now)) is not None:
        return refused
    if row["status"] == RegistrationStatus.CANCELLED:
        return NoCertificate("this registration was cancelled", code="cancelled")
    if row["attended"]:
        return None
    if row["minutes_attended"] > 0:
        needed = minutes_needed(event)
        return NoCertificate(
            f"attended {row['minutes_attended']} minutes; a certificate needs at least {needed} "
            f"({event.attendance_threshold_percent}% of the event)",
            code="below_threshold",
            extra={"minutes": row["minutes_attended"], "minutes_needed": needed,
                   "threshold_percent": event.attendance_threshold_percent},
        )
    return NoCertificate("no attendance is recorded for this registration", code="not_attended")


def _erased(row: dict[str, Any]) -> bool:
    return str(row["email"] or "").endswith(ERASED_DOMAIN)


def _minutes(row: dict[str, Any]) -> int | None:
    # Minutes come only from webinar reports: a check-in alone says who came, not for how long.
    return row["minutes_attended"] if "import" in (row["attendance_source"] or "") else None


def _name(row: dict[str, Any]) -> str:
    return f"{row['first_name']} {row['last_name']}".strip()


def facts_of(row: dict[str, Any], event: EventRecord, settings: Settings) -> CertificateFacts:
    language = normalise_language(row["language"])
    code = certificate_code(settings, row["id"])
    return CertificateFacts(
        registration_id=row["id"],
        language=language,
        name=_name(row),
        company=row["company_name"],
        event=event.title,
        date=format_event_date(event.starts_at, event.timezone, language),
        minutes=_minutes(row),
        code=code,
        verify_url=certificate_verification_url(settings, code),
        programme=settings.programme_name,
    )


@lru_cache(maxsize=8)
def _layout(path: Path | None) -> Layout:
    return load_layout(path)


def check_template(settings: Settings) -> None:
    """At start-up: a template with a mistake stops the service, naming it (pdf.TemplateError)."""
    _layout(settings.certificate_template)


def render(facts: CertificateFacts, settings: Settings) -> bytes:
    """One PDF (CPU work: call it from a thread)."""
    decorations = Decorations(logo=settings.certificate_logo, signatory=settings.certificate_signatory)
    return render_certificate(facts, _layout(settings.certificate_template), decorations)


def file_name(facts: CertificateFacts) -> str:
    """`certificate-12-lukasz-capek.pdf`: ASCII, so every unzip tool and browser keeps it."""
    ascii_name = unicodedata.normalize("NFKD", facts.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60]
    return f"certificate-{facts.registration_id}{'-' + slug if slug else ''}.pdf"


# ---------------------------------------------------------------- one registration


async def _row(registration_id: int) -> dict[str, Any] | None:
    return await Registration.select(*_COLUMNS).where(Registration.id == registration_id).first()


async def certificate_pdf(token: str, settings: Settings, now: datetime | None = None) -> tuple[str, bytes]:
    """The registrant's certificate by their manage token: (file name, PDF bytes)."""
    registration = await registration_by_token(settings, token)  # a forged or replaced token: 404
    row = await _row(registration.id)
    assert row is not None  # read a moment ago; a registration is never deleted, only erased
    event = await event_row(row["event"])
    if (refused := refusal(row, event, now or now_utc())) is not None:
        raise refused
    facts = facts_of(row, event, settings)
    return file_name(facts), await asyncio.to_thread(render, facts, settings)


async def check_code(code: str, settings: Settings, now: datetime | None = None) -> CertificateCheck:
    """What a verifier may learn from a genuine code: name, company, event, date, minutes.
    Unknown, tampered, or no longer earned (cancelled, erased): 404, saying nothing more."""
    registration_id = read_certificate_code(settings.verification_keys, code)
    row = await _row(registration_id) if registration_id is not None else None
    if row is None or _erased(row):
        raise CertificateNotFound("no certificate has this code")
    event = await event_row(row["event"])
    if refusal(row, event, now or now_utc()) is not None:
        raise CertificateNotFound("no certificate has this code")
    return CertificateCheck(
        valid=True,
        name=_name(row),
        company=row["company_name"],
        event=event.title,
        date=event.starts_at.astimezone(ZoneInfo(event.timezone)).date(),
        minutes=_minutes(row),
    )


async def certificate_pdf_by_id(registration_id: int, settings: Settings, now: datetime | None = None) -> tuple[str, bytes]:
    """A registration's certificate for organisers (the console's company page): (file name, PDF)."""
    row = await _row(registration_id)
    if row is None or _erased(row):
        raise CertificateNotFound(f"no registration with id {registration_id}")
    event = await event_row(row["event"])
    if (refused := refusal(row, event, now or now_utc())) is not None:
        raise refused
    facts = facts_of(row, event, settings)
    return file_name(facts), await asyncio.to_thread(render, facts, settings)


@dataclass(frozen=True)
class EarnedCertificate:
    """A certificate someone of a company earned (the console's company page)."""

    registration_id: int
    name: str
    event_id: int
    event: str
    starts_at: datetime
    timezone: str
    minutes: int | None


async def company_certificates(company_id: int, now: datetime | None = None) -> list[EarnedCertificate]:
    """The certificates the company's people earned, newest event first."""
    rows = await Registration.select(*_COLUMNS).where(
        (Registration.company == company_id) & (Registration.status != RegistrationStatus.CANCELLED) & Registration.attended.eq(True)
    )
    events = await events_by_id({row["event"] for row in rows})
    moment = now or now_utc()
    earned = [
        EarnedCertificate(registration_id=row["id"], name=_name(row), event_id=event.id, event=event.title,
                          starts_at=event.starts_at, timezone=event.timezone, minutes=_minutes(row))
        for row in rows
        if not _erased(row) and (event := events[row["event"]]) and refusal(row, event, moment) is None
    ]
    return sorted(earned, key=lambda item: (-item.starts_at.timestamp(), item.name.lower(), item.registration_id))


# ---------------------------------------------------------------- an event's ZIP


async def event_certificates(event_id: int, settings: Settings, now: datetime | None = None) -> list[CertificateFacts]:
    """Every certificate an event gives (erased people's left out), checked before a byte is sent."""
    event = await event_row(event_id)
    if (refused := event_refusal(event, now or now_utc())) is not None:
        raise refused
    rows = await (
        Registration.select(*_COLUMNS)
        .where((Registration.event == event_id) & (Registration.status != RegistrationStatus.CANCELLED) & Registration.attended.eq(True))
        .order_by(Registration.last_name)
        .order_by(Registration.first_name)
        .order_by(Registration.id)
    )
    rows = [row for row in rows if not _erased(row)]
    if not rows:
        raise NoCertificate("nobody earned a certificate at this event", code="no_certificates")
    if len(rows) > MAX_ZIP_CERTIFICATES:
        raise TooManyCertificates(
            f"{len(rows)} certificates are more than one download holds ({MAX_ZIP_CERTIFICATES})",
            extra={"certificates": len(rows), "limit": MAX_ZIP_CERTIFICATES},
        )
    return [facts_of(row, event, settings) for row in rows]


class _Chunks:
    """A write-only file that keeps what zipfile writes until it is taken (zipfile writes a
    stream it cannot seek back in with data descriptors, as ZIP allows)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _add_batch(archive: zipfile.ZipFile, batch: Sequence[CertificateFacts], settings: Settings) -> None:
    for facts in batch:
        # PDFs are compressed already: stored, not deflated again.
        archive.writestr(file_name(facts), render(facts, settings), compress_type=zipfile.ZIP_STORED)


async def zip_stream(certificates: Sequence[CertificateFacts], settings: Settings) -> AsyncIterator[bytes]:
    """The ZIP, in pieces as its PDFs are made: each batch in a worker thread."""
    sink = _Chunks()
    archive = zipfile.ZipFile(sink, mode="w")  # type: ignore[arg-type]  # write() is all zipfile needs
    for start in range(0, len(certificates), ZIP_BATCH):
        await asyncio.to_thread(_add_batch, archive, certificates[start : start + ZIP_BATCH], settings)
        yield sink.take()
    archive.close()
    yield sink.take()
