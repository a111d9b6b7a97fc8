"""Read an uploaded spreadsheet into rows of text: CSV (UTF-8 with or without BOM, UTF-16 LE/BE
with or without BOM, Windows-1252 as an Italian or Swiss Excel writes it; comma, semicolon or
tab) or XLSX (the first sheet). Base layer: no domain, so every importer can use it (webinar
attendance reports, registration lists).

    rows = read_rows(data)                 # list[list[str]], one list per line
    text = decode_text(data)               # CSV bytes -> str, for a reader with its own tokeniser
    rows = xlsx_rows(data)                 # the first sheet of a workbook, cells as text

Hostile files get a `SpreadsheetError` (a ValueError) with a stable `code` and an English
message, never a MemoryError or a 500: an XLSX is a zip archive, so before the reader opens it
the archive's own directory is checked for sizes (a zip bomb declares gigabytes inside a few
kilobytes), and a sheet's cells are counted before they are turned into text.

XLSX is read with python-calamine (Rust's calamine): several times faster than openpyxl on a
5,000-row report, and its XML reader expands no entities, so a "billion laughs" sheet cannot
blow up in memory (openpyxl needs defusedxml for that).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from python_calamine import CalamineError, CalamineWorkbook

__all__ = [
    "MAX_CELLS",
    "MAX_UNZIPPED_BYTES",
    "SpreadsheetError",
    "csv_rows",
    "decode_text",
    "is_xlsx",
    "read_rows",
    "sniff_delimiter",
    "xlsx_rows",
]

#: What an uploaded workbook may unpack to. A 5,000-row report unpacks to about 3 MB.
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
#: A zip entry compressed better than this is a bomb, not a spreadsheet (real sheets: 5-20x).
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 2_000
#: Cells of one sheet turned into text; a 5,000-row, 24-column report has 120,000.
MAX_CELLS = 2_000_000

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
# Files people upload by mistake instead of the export.
_NOT_A_SPREADSHEET = {
    b"\xd0\xcf\x11\xe0": ("old_excel", "an old Excel workbook (.xls); save it as .xlsx or CSV"),
    b"%PDF": ("pdf", "a PDF document"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class SpreadsheetError(ValueError):
    """The bytes are not a spreadsheet we read. `code` is stable, for translated messages."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def is_xlsx(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


# ---------------------------------------------------------------- CSV


def decode_text(data: bytes) -> str:
    """CSV bytes as text, whatever encoding the exporting tool or Excel chose."""
    if not data.strip():
        raise SpreadsheetError("empty", "The file is empty.")
    for magic, (code, what) in _NOT_A_SPREADSHEET.items():
        if data.startswith(magic):
            raise SpreadsheetError(code, f"The file is {what}, not a CSV or XLSX file.")
    text = _decode(data)
    if not text.strip():
        raise SpreadsheetError("empty", "The file is empty.")
    sample = text[:8192]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise SpreadsheetError("binary", "The file does not contain text (it looks like binary data).")
    return text


def _decode(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        return _utf8_or_windows(data[3:])
    # Teams and Webex Control Hub export UTF-16 LE with a BOM; a re-save can make it BE.
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    # UTF-16 without BOM (some re-saves): every other byte of ASCII text is NUL.
    sample = data[:4096]
    half = len(sample) // 2
    if half and sample[1::2].count(0) > half * 0.4 and sample[0::2].count(0) < half * 0.05:
        return data.decode("utf-16-le", errors="replace")
    if half and sample[0::2].count(0) > half * 0.4 and sample[1::2].count(0) < half * 0.05:
        return data.decode("utf-16-be", errors="replace")
    return _utf8_or_windows(data)


def _utf8_or_windows(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's "CSV (delimitato dal separatore di elenco)" on Windows writes Windows-1252.
        return data.decode("cp1252", errors="replace")


_DELIMITERS = ("\t", ";", ",")


def sniff_delimiter(text: str) -> str:
    """The separator of the first non-empty line: the one it holds most of (ties: tab, then
    semicolon, as Italian Excel and Teams write them, then comma)."""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return max(_DELIMITERS, key=line.count)
    return ","


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows with the number of the physical line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for row in reader:
            yield previous_end + 1, row
            previous_end = reader.line_num
    except csv.Error as exc:
        raise SpreadsheetError("malformed_csv", f"The CSV is malformed near line {previous_end + 1}: {exc}") from exc


# ---------------------------------------------------------------- XLSX


def _check_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SpreadsheetError("bad_xlsx", "The file is a damaged or incomplete Excel workbook (.xlsx), or another zip archive.") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SpreadsheetError("xlsx_too_large", f"The workbook holds {len(entries)} parts; the limit is {MAX_ZIP_ENTRIES}.")
        unpacked = sum(entry.file_size for entry in entries)
        if unpacked > MAX_UNZIPPED_BYTES:
            raise SpreadsheetError(
                "xlsx_too_large",
                f"The workbook unpacks to {unpacked // (1024 * 1024)} MB; the limit is {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB.",
            )
        for entry in entries:
            if entry.file_size > 1024 * 1024 and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
                raise SpreadsheetError("xlsx_too_large", "The workbook is compressed beyond any real spreadsheet (a zip bomb?).")
        if "xl/workbook.xml" not in archive.namelist():
            raise SpreadsheetError("bad_xlsx", "The file is a zip archive but not an Excel workbook (.xlsx).")


def _cell_text(value: object) -> str:
    """A typed cell as the text a CSV export would hold: dates as ISO (unambiguous for the
    readers), whole numbers without ".0"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    return "" if value is None else str(value)


def xlsx_rows(data: bytes, *, max_cells: int = MAX_CELLS) -> list[list[str]]:
    """The first sheet of an XLSX workbook, every cell as text, trailing empty cells dropped."""
    _check_archive(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise SpreadsheetError("empty", "The workbook has no sheet.")
        sheet = workbook.get_sheet_by_index(0)
        if sheet.total_height * sheet.total_width > max_cells:
            raise SpreadsheetError("xlsx_too_large", f"The sheet has more than {max_cells:,} cells.")
        values = sheet.to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise SpreadsheetError("bad_xlsx", "The XLSX workbook cannot be read (damaged, or protected by a password).") from exc
    rows: list[list[str]] = []
    for raw in values:
        row = [_cell_text(value) for value in raw]
        while row and not row[-1]:
            row.pop()
        rows.append(row)
    if not any(rows):
        raise SpreadsheetError("empty", "The file is empty.")
    return rows


# ---------------------------------------------------------------- either


def read_rows(data: bytes) -> list[list[str]]:
    """CSV or XLSX bytes as rows of text, in file order."""
    if is_xlsx(data):
        return xlsx_rows(data)
    text = decode_text(data)
    return [row for _, row in csv_rows(text, sniff_delimiter(text))]
