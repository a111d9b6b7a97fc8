"""Import companies from a CSV file, as the programme's partners keep them in Excel.

Every row goes through `create_company`, so the VAT rules are the ones the API applies. Rows are
written one by one: a bad row is reported with its line number and never undoes a good one.

The console uploads CSV or XLSX (`import_company_upload`): a dry run reads every row through
the same checks, looks the VAT ids up, and writes nothing; it says for each row what an import
would do (create, skip: the VAT id is known, or an error with its reason).
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec

from events_service.companies.schemas import CompanyCreate
from events_service.companies.service import (
    DuplicateCompany,
    InvalidCompany,
    checked_vat_id,
    create_company,
    ids_of_vat_ids,
)
from events_service.spreadsheets import SpreadsheetError, read_rows

Progress = Callable[[int, int], None]
Values = dict[str, str]

REQUIRED_FIELDS = ("name", "vat_id")

# Header spellings, compared after _header_key(): lower case, no accents, punctuation as spaces.
# "regione" is left out on purpose: in Italy it names Lombardia, not the province we store.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "company name", "ragione sociale", "denominazione"),
    "vat_id": ("vat id", "vat", "vat number", "partita iva", "p iva", "piva", "uid"),
    "country": ("country", "paese", "nazione"),
    "region": ("region", "provincia", "prov", "canton", "cantone"),
    "city": ("city", "comune", "citta", "localita"),
    "sector": ("sector", "settore"),
    "size_class": ("size class", "size", "dimensione", "classe dimensionale"),
}

COUNTRY_NAMES = {
    "italia": "IT", "italy": "IT", "italie": "IT", "italien": "IT",
    "svizzera": "CH", "switzerland": "CH", "schweiz": "CH", "suisse": "CH", "svizra": "CH",
}

SIZE_CLASSES = {
    "micro": "micro", "microimpresa": "micro",
    "small": "small", "piccola": "small", "piccola impresa": "small",
    "medium": "medium", "media": "medium", "media impresa": "medium",
    "large": "large", "grande": "large", "grande impresa": "large",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, no header, a required column missing);
    raised before any row is written."""


class RowError(Exception):
    """One row cannot become a company; the message is the reason shown next to its line."""


#: An upload from the console: a partner's list of a few thousand companies is well under both.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_ROWS = 5_000


@dataclass(frozen=True)
class RowOutcome:
    """What an import did, or a dry run would do, with one row."""

    line: int
    name: str
    vat_id: str  # normalised when it is valid, else as typed
    outcome: Literal["create", "skip", "error"]
    reason: str = ""


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # (line, "skipped (exists: company N)") for each row whose VAT id is known already.
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    # Header cells that matched no field: shown so a misspelt optional column is not lost silently.
    ignored_columns: list[str] = field(default_factory=list)
    # Every row's outcome, in file order (the console's preview and result table).
    rows: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False


@dataclass(frozen=True)
class _Row:
    line: int  # physical line where the record starts; the header is line 1
    values: Values
    problem: str | None = None  # a defect found while parsing, reported as the row's error


@dataclass(frozen=True)
class _Table:
    rows: list[_Row]
    ignored_columns: list[str]


# ---------------------------------------------------------------- reading the file


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")  # -sig drops the BOM Excel writes for "CSV UTF-8"
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportFileError(
            f"{source} is not UTF-8 (line {line}); in Excel save it as 'CSV UTF-8'"
        ) from None


async def _lines_of_file(path: str | os.PathLike[str]) -> Iterator[str]:
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as error:
        raise ImportFileError(f"cannot read {os.fspath(path)}: {error.strerror or error}") from None
    # newline="" splits on \n, \r\n and \r alone, and keeps them: csv needs them inside quotes.
    return iter(io.StringIO(_decode(data, os.fspath(path)), newline=""))


def _header_key(cell: str) -> str:
    text = unicodedata.normalize("NFKD", cell.replace("\ufeff", "")).lower()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


_FIELD_OF_KEY = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}


def _delimiter(header_line: str) -> str:
    """Italian Excel separates with ';' (the comma is the decimal mark), others with ','."""
    counts = {candidate: header_line.count(candidate) for candidate in (";", ",", "\t")}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _column_fields(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Map column index → field name; refuse a file that lacks a required column."""
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        name = _FIELD_OF_KEY.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in columns.values():
            first = header[next(i for i, n in columns.items() if n == name)]
            raise ImportFileError(f"columns '{first.strip()}' and '{cell.strip()}' both mean {name}")
        columns[index] = name
    missing = [name for name in REQUIRED_FIELDS if name not in columns.values()]
    if missing:
        wanted = "; ".join(f"{name} (one of: {', '.join(FIELD_ALIASES[name])})" for name in missing)
        found = ", ".join(cell.strip() for cell in header if cell.strip()) or "nothing"
        raise ImportFileError(f"missing required column: {wanted}; the header has: {found}")
    return columns, ignored


def _row(line: int, cells: list[str], columns: dict[int, str], header_width: int) -> _Row:
    values = {name: cells[index].strip() if index < len(cells) else "" for index, name in columns.items()}
    # Empty cells past the header are fine (Excel leaves trailing separators behind); a value
    # there usually means an unquoted separator inside a name shifted the row.
    extra = [cell for cell in cells[header_width:] if cell.strip()]
    problem = None
    if extra:
        problem = (
            f"{len(cells)} values but the header has {header_width} columns ({extra[0]!r} is extra): "
            "does a value containing the separator need quotes?"
        )
    return _Row(line, values, problem)


def _split_sep_hint(first: str | None, source: Iterator[str]) -> tuple[str | None, str | None, int]:
    """Excel may write a "sep=;" line before the header: honour it, and count it as a line."""
    hint = (first or "").lstrip("\ufeff").strip()
    if len(hint) == 5 and hint.lower().startswith("sep="):
        return next(source, None), hint[-1], 1
    return first, None, 0


def _parse(lines: Iterable[str]) -> _Table:
    source = iter(lines)
    first, delimiter, skipped_lines = _split_sep_hint(next(source, None), source)
    if first is None or not first.strip("\ufeff \t\r\n"):
        raise ImportFileError("the file is empty or its first line is blank: it must be the header")
    first = first.lstrip("\ufeff")  # a BOM left by a caller that passed lines
    reader = csv.reader(itertools.chain([first], source), delimiter=delimiter or _delimiter(first))
    try:
        header = next(reader)
        columns, ignored = _column_fields(header)
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):  # blank rows (";;;;" from Excel) are no data
                rows.append(_row(start + skipped_lines, cells, columns, len(header)))
            start = reader.line_num + 1  # a quoted value may span lines: the next record starts here
    except csv.Error as error:
        raise ImportFileError(f"line {reader.line_num + skipped_lines}: {error}") from None
    return _Table(rows, ignored)


# ---------------------------------------------------------------- one row


def _country(raw: str) -> str | None:
    if not raw:
        return None
    code = COUNTRY_NAMES.get(_header_key(raw), raw.strip().upper())
    if len(code) != 2 or not code.isalpha():
        raise RowError(f"unknown country '{raw}': write an ISO code such as IT or CH")
    return code


def _size_class(raw: str) -> str | None:
    if not raw:
        return None
    size = SIZE_CLASSES.get(_header_key(raw))
    if size is None:
        raise RowError(f"size class '{raw}' is not one of micro, small, medium, large")
    return size


def company_data(values: Values) -> CompanyCreate:
    """A CSV row as the API's CompanyCreate; raises RowError with the reason it cannot be one."""
    if not values.get("name"):
        raise RowError("the company name is empty")
    if not values.get("vat_id"):
        raise RowError("the VAT id is empty")
    try:
        # Without a country the VAT id tells it (CHE… is Swiss, IT… or 11 digits Italian).
        country = _country(values.get("country", "")) or checked_vat_id(values["vat_id"], None).country
    except InvalidCompany as error:
        raise RowError(error.detail) from None
    data = {
        "name": values["name"],
        "vat_id": values["vat_id"],
        "country": country,
        "region": values.get("region") or None,
        "city": values.get("city") or None,
        "sector": values.get("sector") or None,
        "size_class": _size_class(values.get("size_class", "")),
    }
    try:
        return msgspec.convert(data, CompanyCreate)
    except msgspec.ValidationError as error:
        raise RowError(str(error).replace("`$.", "`")) from None


def _outcome(report: ImportReport, row: _Row, outcome: Literal["create", "skip", "error"], reason: str = "", vat_id: str | None = None) -> None:
    report.rows.append(RowOutcome(row.line, row.values.get("name", ""), vat_id or row.values.get("vat_id", ""), outcome, reason))
    if outcome == "create":
        report.created += 1
    elif outcome == "skip":
        report.skipped += 1
        report.skipped_rows.append((row.line, f"skipped ({reason})"))
    else:
        report.errors.append((row.line, reason))


async def _import_row(row: _Row, report: ImportReport) -> None:
    try:
        if row.problem:
            raise RowError(row.problem)
        created = await create_company(company_data(row.values))
    except DuplicateCompany as error:
        # Never overwrite: the record in the database may have been corrected by hand.
        _outcome(report, row, "skip", f"exists: company {(error.extra or {}).get('company_id')}")
    except InvalidCompany as error:
        _outcome(report, row, "error", error.detail)
    except RowError as error:
        _outcome(report, row, "error", str(error))
    else:
        _outcome(report, row, "create", vat_id=created.vat_id)


async def _preview(table: _Table, report: ImportReport) -> None:
    """What an import would do with each row, writing nothing: the same checks, and the VAT
    ids looked up in one query (and against the rows above, as the import would meet them)."""
    checked: list[tuple[_Row, str | None, str]] = []  # row, normalised VAT id or None, error
    for row in table.rows:
        try:
            if row.problem:
                raise RowError(row.problem)
            data = company_data(row.values)
            checked.append((row, checked_vat_id(data.vat_id, data.country).normalised, ""))
        except InvalidCompany as error:
            checked.append((row, None, error.detail))
        except RowError as error:
            checked.append((row, None, str(error)))
    known = await ids_of_vat_ids([vat for _, vat, _ in checked if vat])
    first_line: dict[str, int] = {}
    for row, vat, problem in checked:
        if vat is None:
            _outcome(report, row, "error", problem)
        elif vat in known:
            _outcome(report, row, "skip", f"exists: company {known[vat]}", vat)
        elif vat in first_line:
            _outcome(report, row, "skip", f"same VAT id as line {first_line[vat]}", vat)
        else:
            first_line[vat] = row.line
            _outcome(report, row, "create", vat_id=vat)


def _upload_table(data: bytes) -> _Table:
    """A CSV or XLSX upload as rows under its header; a file past the limits is refused whole."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        rows = read_rows(data)
    except SpreadsheetError as error:
        raise ImportFileError(str(error)) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFileError("the file is empty or its first line is blank: it must be the header")
    if len(rows) - 1 > MAX_UPLOAD_ROWS:
        raise ImportFileError(f"the file has {len(rows) - 1} rows; at most {MAX_UPLOAD_ROWS} are imported at once: split it")
    header = rows[0]
    columns, ignored = _column_fields(header)
    # Line numbers as a spreadsheet shows them: the header is row 1.
    body = [_row(number, cells, columns, len(header)) for number, cells in enumerate(rows[1:], start=2) if any(c.strip() for c in cells)]
    return _Table(body, ignored)


# ---------------------------------------------------------------- the import


async def import_companies(
    path_or_lines: str | os.PathLike[str] | Iterable[str],
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV of companies: a path (str or PathLike) or lines of text (e.g. an open file).

    Raises ImportFileError before writing anything when the file cannot be read or lacks a
    required column; otherwise each row is created, skipped (VAT id known) or reported as an
    error with its line number. `progress(done, total)` is called after every data row.
    """
    if isinstance(path_or_lines, str | os.PathLike):
        lines: Iterable[str] = await _lines_of_file(path_or_lines)
    else:
        lines = path_or_lines
    table = _parse(lines)
    report = ImportReport(ignored_columns=table.ignored_columns)
    for done, row in enumerate(table.rows, start=1):
        await _import_row(row, report)
        if progress is not None:
            progress(done, len(table.rows))
    return report


async def import_company_upload(data: bytes, *, dry_run: bool) -> ImportReport:
    """A CSV or XLSX file uploaded in the console: previewed (`dry_run`: nothing is written) or
    imported row by row as `import_companies` does. ImportFileError before any row when the
    file as a whole cannot be used (too big, too many rows, unreadable, a required column missing)."""
    table = await asyncio.to_thread(_upload_table, data)
    report = ImportReport(ignored_columns=table.ignored_columns, dry_run=dry_run)
    if dry_run:
        await _preview(table, report)
    else:
        for row in table.rows:
            await _import_row(row, report)
    return report
