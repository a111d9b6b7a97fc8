"""The console's company import (CSV or XLSX bytes) on SQLite and PostgreSQL: two imports of
the same file at once create each company once (the VAT id's unique index decides, the loser's
row is reported as already known), and a dry run beside a real import writes nothing itself."""

from __future__ import annotations

import asyncio

from events_service.app import running_service
from events_service.companies.importer import import_company_upload
from events_service.companies.tables import Company
from events_service.settings import Settings
from tests.factories import partita_iva

ROWS = 40


def _file() -> bytes:
    lines = ["name;vat_id;region"] + [f"Azienda {n} Srl;{partita_iva(800 + n)};CO" for n in range(ROWS)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def test_two_imports_at_once_create_each_company_once(settings: Settings) -> None:
    async with running_service(settings):
        first, second, preview = await asyncio.gather(
            import_company_upload(_file(), dry_run=False),
            import_company_upload(_file(), dry_run=False),
            import_company_upload(_file(), dry_run=True),
        )
        assert await Company.count() == ROWS
        assert first.created + second.created == ROWS
        assert first.skipped + second.skipped == ROWS
        assert first.errors == []
        assert second.errors == []
        # The preview saw some rows as new and some as known, but wrote none of them itself.
        assert preview.created + preview.skipped == ROWS
        assert {row.outcome for row in preview.rows} <= {"create", "skip"}
        again = await import_company_upload(_file(), dry_run=True)
        assert (again.created, again.skipped) == (0, ROWS)
