"""CSV files organisers open in a spreadsheet.

The form is the one an Italian (or German, or Swiss) Excel opens by double click as columns:
a UTF-8 byte-order mark, so that accents survive (without it Excel reads the file as ANSI),
and `;` between fields, the list separator of those locales (Excel splits a CSV at the
locale's list separator and ignores quoting conventions of other locales). We chose `;` over
a `sep=;` first line: Excel honours `sep=` but then ignores the byte-order mark (accents
break), and every other reader (LibreOffice, pandas, Python's csv) takes that line for data.
Decimal numbers are written with a decimal comma, as those locales read them. The same files
open in LibreOffice and in Python with `csv.reader(..., delimiter=";")` after the BOM.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

#: What makes a spreadsheet read a cell as a formula: = + - @ (and their full-width forms,
#: which some spreadsheets fold to ASCII), or a tab or carriage return in front of them.
FORMULA_STARTS = "=+-@\t\r＝＋－＠"
#: Where a spreadsheet may start a new cell inside what we wrote as one: an Italian Excel
#: splits at ';', others at ',' or a tab, and a line break starts a new row.
CELL_BREAKS = ";,\t\r\n"
#: A separator (or the start of the text), then blanks or quotes a spreadsheet skips, then a
#: formula start: the apostrophe goes right after the separator, so that piece reads as text.
_FORMULA_PIECE = re.compile(rf"(^|[{re.escape(CELL_BREAKS)}])(?=[ \"']*[{re.escape(FORMULA_STARTS)}])")


def neutralised(text: str) -> str:
    """`text` with every piece a spreadsheet could take for a cell made unable to start a
    formula: `Rossi;=cmd|' /C calc'!A0` becomes `Rossi;'=cmd|' /C calc'!A0`."""
    return _FORMULA_PIECE.sub(r"\1'", text)


def _cell(value: Any) -> Any:
    """Registrants type names and company names, and an export must not run what they typed."""
    if isinstance(value, str):
        return neutralised(value)
    if isinstance(value, float) and not isinstance(value, bool):
        return repr(value).replace(".", ",")  # 0,5: the decimal comma of an Italian Excel
    return "" if value is None else value


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
DELIMITER = ";"


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Every data field quoted, so a separator inside a value stays inside it for any reader
    that honours quotes. The header is neutralised too: a question's label becomes a column
    title, and an organiser (or an organiser's API token) types it."""
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer, delimiter=DELIMITER).writerow([neutralised(str(title)) for title in header])
    csv.writer(buffer, delimiter=DELIMITER, quoting=csv.QUOTE_ALL).writerows([[_cell(value) for value in row] for row in rows])
    return buffer.getvalue()


def read_csv(text: str) -> list[list[str]]:
    """The rows of a file to_csv wrote (tests and tools read our exports back with it)."""
    return list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=DELIMITER))
