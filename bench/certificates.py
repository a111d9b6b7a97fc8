"""Certificates of attendance per second: one, and an event's ZIP of 1,000.

    python -m bench.certificates [--pg postgresql://postgres@127.0.0.1:5432/test] [--sqlite-only]

The service's path (the registration read, the rule checked, the layout file and the
catalogs applied, the verification code signed, the PDF drawn; for the ZIP also the
streaming in worker-thread batches) against the baseline measured in the same run: the same
page written with fpdf2 alone (the same fonts, texts and QR code, from values at hand), and
for the ZIP those PDFs put in a zipfile in a plain loop. Ratio = service time / baseline time.
Each engine gets a fresh database with one past webinar and 1,000 attended registrations.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import (
    engine_arguments,
    engines,
    fresh_database,
    insert_rows,
    print_table,
    service_database,
)

ATTENDEES = 1_000
SINGLE_RUNS = 20
STARTS = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
LANGUAGES = ("it", "en", "de")


def _vat(n: int) -> str:
    from tests.factories import partita_iva

    return partita_iva(n)


async def seed() -> tuple[int, list[int]]:
    from events_service.companies.tables import Company, Contact
    from events_service.events.tables import Event
    from events_service.registrations.tables import Registration

    event_id = (await Event.insert(
        Event(kind="tech_talk", slug="bench-certificates", title="Cybersicurezza per le PMI: è l'ora di agire", starts_at=STARTS,
              ends_at=STARTS + timedelta(minutes=90), mode="online", capacity=ATTENDEES, seats_taken=ATTENDEES,
              online_url="https://meet.example.org/b", status="published")
    ).returning(Event.id))[0]["id"]
    companies = await insert_rows(Company, [Company(name=f"Società Müller & Čapek {n} Srl", vat_id=_vat(7000 + n), country="IT")
                                            for n in range(200)], Company.id)
    contacts = await insert_rows(Contact, [Contact(email=f"person{n}@bench.example", first_name=f"Łukasz {n}", last_name="Čapek",
                                                   company=companies[n % 200]) for n in range(ATTENDEES)], Contact.id)
    registrations = await insert_rows(Registration, [
        Registration(event=event_id, contact=contact, company=companies[n % 200], status="confirmed", attendance_mode="online",
                     token_nonce=f"nonce{n}", first_name=f"Łukasz {n}", last_name="Čapek", language=LANGUAGES[n % 3],
                     attended=True, minutes_attended=60 + n % 30, attendance_source="import")
        for n, contact in enumerate(contacts)
    ], Registration.id)
    return event_id, registrations


def library_only(facts: Any) -> bytes:
    """The same page with fpdf2 alone: fonts, texts (already in Italian), the QR code."""
    import segno
    from fpdf import FPDF

    from events_service.certificates.pdf import FONTS

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_y(42)
    lines = [("Attestato di partecipazione", 30, "B", 0), ("Si attesta che", 14, "", 12), (facts.name, 24, "B", 4),
             (f"di {facts.company}", 14, "", 2), ("ha partecipato all'evento", 14, "", 8), (facts.event, 18, "B", 3),
             (f"tenutosi {facts.date}", 14, "", 3), (f"Minuti di partecipazione: {facts.minutes}", 14, "", 3),
             (facts.programme, 12, "", 8)]
    for text, size, style, space in lines:
        pdf.set_y(pdf.get_y() + space)
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    matrix = list(segno.make_qr(facts.verify_url, error="m", mask=0).matrix)
    module = 34 / len(matrix)
    for y, row in enumerate(matrix):
        for x, value in enumerate(row):
            if value & 1:
                pdf.rect(18 + x * module, 150 + y * module, module, module, style="F")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_xy(18, 186)
    pdf.cell(text=f"Codice di verifica: {facts.code}")
    return bytes(pdf.output())


def library_zip(all_facts: list[Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for facts in all_facts:
            archive.writestr(f"certificate-{facts.registration_id}.pdf", library_only(facts), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


async def measure(db_url: str) -> list[list[object]]:
    from events_service.certificates import service
    from events_service.registrations.links import token_for

    with TemporaryDirectory() as folder:
        async with service_database(db_url, Path(folder)) as settings:
            event_id, registrations = await seed()
            token = token_for(settings, "manage", registrations[0], "nonce0")
            await service.certificate_pdf(token, settings)  # fonts and catalogs read once, as a served process has
            started = time.perf_counter()
            for _ in range(SINGLE_RUNS):
                await service.certificate_pdf(token, settings)
            one = (time.perf_counter() - started) / SINGLE_RUNS
            facts = (await service.event_certificates(event_id, settings))[0]
            started = time.perf_counter()
            for _ in range(SINGLE_RUNS):
                library_only(facts)
            one_baseline = (time.perf_counter() - started) / SINGLE_RUNS

            started = time.perf_counter()
            certificates = await service.event_certificates(event_id, settings)
            size = 0
            async for chunk in service.zip_stream(certificates, settings):
                size += len(chunk)
            whole = time.perf_counter() - started
            assert len(certificates) == ATTENDEES
            started = time.perf_counter()
            baseline_size = len(await asyncio.to_thread(library_zip, certificates))
            whole_baseline = time.perf_counter() - started
    return [
        ["one certificate (manage token → PDF)", one * 1000, 1 / one, 1 / one_baseline, one / one_baseline, ""],
        [f"ZIP of {ATTENDEES:,}", whole * 1000, ATTENDEES / whole, ATTENDEES / whole_baseline, whole / whole_baseline,
         f"{size / 1024 / 1024:.1f} MB (library: {baseline_size / 1024 / 1024:.1f} MB)"],
    ]


def main() -> None:
    arguments = engine_arguments(__doc__ or "")
    rows: list[list[object]] = []
    for engine in engines(arguments):
        with fresh_database(engine, arguments.pg) as db_url:
            rows += [[engine, *row] for row in asyncio.run(measure(db_url))]
    print_table(
        "Certificates of attendance (ratio: service time / fpdf2 alone writing the same page, same run)",
        ["engine", "what", "ms", "per s", "fpdf2 alone per s", "ratio", "size"],
        rows,
    )


if __name__ == "__main__":
    main()
