"""Reading our exports back as a spreadsheet would: the CSV form (BOM, `;`) and XLSX."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from events_service.csv_export import BOM, read_csv


def csv_dicts(text: str) -> list[dict[str, str]]:
    """The rows of an exported CSV, keyed by its header (which must follow the BOM)."""
    assert text.startswith(BOM), "our CSV files start with a UTF-8 byte-order mark"
    header, *rows = read_csv(text)
    return [dict(zip(header, row, strict=True)) for row in rows]


def xlsx_sheets(content: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet of an XLSX file as rows of cell values (openpyxl's types: int, float,
    datetime, bool, str, None)."""
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def xlsx_dicts(content: bytes, sheet: str | None = None) -> list[dict[str, Any]]:
    sheets = xlsx_sheets(content)
    header, *rows = sheets[sheet] if sheet else next(iter(sheets.values()))
    return [dict(zip(header, row, strict=True)) for row in rows]
