"""Import a list of registrations: read the file (spreadsheets.py), map its columns
(columns.py), and register each row with registrations.service.register, the rules of a
public registration (capacity and waitlist, company cap, duplicates, closed events).

All rows run in one write transaction, each inside a savepoint: a refused row is rolled back
to its savepoint and reported with its line, the next row sees the seats the earlier ones took.
A dry run rolls the whole transaction back at the end, so it reports exactly what a real
import would do and writes nothing. The event's row is held for the import's length: public
registrations of that event wait for it (an import of 2,000 rows takes seconds)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec

from events_service.db import run_sql, write_transaction
from events_service.errors import DomainError
from events_service.events.queries import event_row
from events_service.mail.outbox import cancel_pending
from events_service.registration_import.columns import column_map
from events_service.registration_import.errors import ImportTooLarge, InvalidImport
from events_service.registration_import.schemas import ImportResult, RowError
from events_service.registrations.schemas import RegistrationCreate
from events_service.registrations.service import register
from events_service.settings import Settings
from events_service.spreadsheets import SpreadsheetError, read_rows

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 2000
#: The status messages a quiet import (send_confirmations false) withdraws in its transaction.
_STATUS_MESSAGES = ("confirmed", "waitlisted")


class _DryRun(Exception):  # noqa: N818 - a signal, not a fault
    """Raised at the end of a dry run to roll its transaction back."""


def _rows(data: bytes) -> list[list[str]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB", code="import_too_large")
    try:
        rows = read_rows(data)
    except SpreadsheetError as error:
        raise InvalidImport(str(error), code=f"import_{error.code}") from None
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise InvalidImport(f"at most {MAX_IMPORT_ROWS} rows in one import", code="import_too_many_rows")
    return rows


def _cell(row: list[str], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    return row[index].strip() if index is not None and index < len(row) else ""


def _payload(row: list[str], columns: dict[str, int]) -> dict[str, Any]:
    company: dict[str, Any] = {"vat_id": _cell(row, columns, "vat_id")}
    if name := _cell(row, columns, "company_name"):
        company["name"] = name
    if country := _cell(row, columns, "country"):
        company["country"] = country.upper()
    payload: dict[str, Any] = {
        "email": _cell(row, columns, "email"),
        "first_name": _cell(row, columns, "first_name"),
        "last_name": _cell(row, columns, "last_name"),
        "company": company,
        "consent_privacy": True,  # the organiser confirmed it for the list (RegistrationUpload)
    }
    if language := _cell(row, columns, "language").lower()[:2]:
        payload["language"] = language
    mode = _cell(row, columns, "attendance_mode").lower().replace(" ", "_").replace("-", "_")
    if mode:
        payload["attendance_mode"] = {"in_presenza": "in_person", "presenza": "in_person", "remoto": "online"}.get(mode, mode)
    return payload


async def import_registrations(
    event_id: int, data: bytes, settings: Settings, *, dry_run: bool, send_confirmations: bool, consent_confirmed: bool
) -> ImportResult:
    if not consent_confirmed:
        raise InvalidImport("confirm that the people on the list agreed to the privacy notice (consent_confirmed)",
                            code="consent_required")
    await event_row(event_id)  # 404 before reading the file
    rows = _rows(data)
    columns = column_map(rows[0])
    lines = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    result = ImportResult(rows=len(lines), created=0, skipped=0, errors=[], dry_run=dry_run,
                          columns={field: rows[0][index] for field, index in columns.items()})
    statuses: Counter[str] = Counter()
    try:
        async with write_transaction():
            for number, row in lines:
                await _import_row(event_id, number, row, columns, settings, send_confirmations, result, statuses)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    result.confirmed, result.waitlisted = statuses["confirmed"], statuses["waitlisted"]
    return result


async def _import_row(
    event_id: int, number: int, row: list[str], columns: dict[str, int], settings: Settings, send_confirmations: bool,
    result: ImportResult, statuses: Counter[str],
) -> None:
    """One row in a savepoint of the import's transaction: kept when registered, undone when refused."""
    await run_sql("SAVEPOINT import_row")
    try:
        created = await register(event_id, msgspec.convert(_payload(row, columns), RegistrationCreate), settings)
        if not send_confirmations:
            await cancel_pending(created.id, _STATUS_MESSAGES)
    except (DomainError, msgspec.ValidationError) as error:
        await run_sql("ROLLBACK TO SAVEPOINT import_row")
        code = getattr(error, "code", None)
        if code == "already_registered":
            result.skipped += 1
        else:
            result.errors.append(RowError(line=number, reason=getattr(error, "detail", str(error)), code=code))
        return
    except BaseException:
        await run_sql("ROLLBACK TO SAVEPOINT import_row")
        raise
    await run_sql("RELEASE SAVEPOINT import_row")
    result.created += 1
    statuses[created.status] += 1
