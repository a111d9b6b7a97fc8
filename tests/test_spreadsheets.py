"""events_service.spreadsheets: CSV in the encodings Excel and the platforms write, XLSX, and
the hostile files (zip bombs, binary, damaged workbooks) that must give a clear error."""

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from events_service.spreadsheets import (
    MAX_UNZIPPED_BYTES,
    SpreadsheetError,
    decode_text,
    read_rows,
    sniff_delimiter,
    xlsx_rows,
)

ROWS = [["Nome", "E-mail", "Città"], ["Niccolò Fà", "nf@esempio.it", "Lecco"]]


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("encoded", "how"),
    [
        ("\ufeffNome;E-mail;Città\r\nNiccolò Fà;nf@esempio.it;Lecco\r\n".encode(), "utf-8 BOM, semicolons"),
        ("Nome,E-mail,Città\nNiccolò Fà,nf@esempio.it,Lecco\n".encode(), "utf-8, commas"),
        ("Nome;E-mail;Città\r\nNiccolò Fà;nf@esempio.it;Lecco\r\n".encode("cp1252"), "Windows-1252"),
        (b"\xff\xfe" + "Nome\tE-mail\tCittà\r\nNiccolò Fà\tnf@esempio.it\tLecco\r\n".encode("utf-16-le"), "UTF-16 LE BOM, tabs"),
        (b"\xfe\xff" + "Nome\tE-mail\tCittà\r\nNiccolò Fà\tnf@esempio.it\tLecco\r\n".encode("utf-16-be"), "UTF-16 BE BOM, tabs"),
    ],
)
def test_csv_in_every_encoding_reads_the_same_rows(encoded: bytes, how: str) -> None:
    assert read_rows(encoded) == ROWS, how


def test_xlsx_cells_read_as_the_text_a_csv_would_hold() -> None:
    data = workbook([["Nome", "Ora di ingresso", "Durata (minuti)", "Vuota"], ["Zoë", datetime(2025, 9, 19, 13, 58, 39), 45, None]])
    assert xlsx_rows(data) == [["Nome", "Ora di ingresso", "Durata (minuti)", "Vuota"], ["Zoë", "2025-09-19 13:58:39", "45"]]
    assert read_rows(data) == xlsx_rows(data)


def test_sniffing_prefers_the_separator_of_the_first_line() -> None:
    assert sniff_delimiter("\n\na;b;c,d\n") == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("a,b\n") == ","


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        # 80 MB of zeros compress to ~80 KB
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNZIPPED_BYTES + 16 * 1024 * 1024))
    data = archive.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(data)
    assert refused.value.code == "xlsx_too_large"


def test_a_highly_compressed_entry_under_the_total_limit_is_refused_too() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"<" * (20 * 1024 * 1024))
    with pytest.raises(SpreadsheetError) as refused:
        xlsx_rows(archive.getvalue())
    assert refused.value.code == "xlsx_too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"PK\x03\x04" + b"\x00" * 200, "bad_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old_excel"),
        (b"%PDF-1.7\n", "pdf"),
        (bytes(range(256)) * 40, "binary"),
    ],
)
def test_what_is_no_spreadsheet_gets_a_coded_error(data: bytes, code: str) -> None:
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(data)
    assert refused.value.code == code


def test_a_zip_that_is_no_workbook_is_named_as_such() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as other:
        other.writestr("notes.txt", "hello")
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(archive.getvalue())
    assert refused.value.code == "bad_xlsx"


def test_decode_text_keeps_accents_of_a_windows_file() -> None:
    assert decode_text("Perché;Città".encode("cp1252")) == "Perché;Città"
