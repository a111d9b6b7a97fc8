from pathlib import Path

import pytest

from events_service.app import running_service
from events_service.companies.importer import ImportFileError, import_companies
from events_service.companies.tables import Company
from events_service.settings import Settings
from tests.factories import partita_iva, swiss_uid


def _wrong_check_digit(vat: str) -> str:
    return vat[:-1] + str((int(vat[-1]) + 1) % 10)


def _excel_file(tmp_path: Path, lines: list[str]) -> Path:
    """What Italian Excel writes for "CSV UTF-8": a BOM, ';' separators, CRLF line ends."""
    path = tmp_path / "aziende.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    return path


async def test_realistic_excel_file(settings: Settings, tmp_path: Path) -> None:
    lecco, como, olona, sondrio, cantu, saronno = (partita_iva(n) for n in (11, 12, 13, 14, 15, 16))
    mendrisio = swiss_uid(21)
    path = _excel_file(
        tmp_path,
        [
            "Ragione sociale;P.IVA;Paese;Provincia;Comune;Settore;Dimensione;Note",  # 1
            f"Officine Meccaniche Resegone Srl;IT {lecco[2:7]} {lecco[7:]};IT;LC;Lecco;metalworking;piccola;",  # 2
            f'Seterie Lariane Srl;{como[2:]};Italia;CO;Como;textiles;media;"visita in sede',  # 3
            'referente: ufficio acquisti"',  # 4: the note goes on (Alt+Enter in Excel)
            f"Plastiche Olona Srl;{_wrong_check_digit(olona)};IT;VA;Castellanza;plastics;small;",  # 5
            f"  ;{sondrio};IT;SO;Sondrio;food;micro;",  # 6
            f"Micromeccanica Mendrisio SA;{mendrisio.replace('-', '').replace('.', '').lower()};CH;TI;Mendrisio;precision mechanics;Small;",  # 7
            f"Officine Resegone S.r.l.;{lecco[2:]};IT;LC;Lecco;metalworking;small;doppione",  # 8
            ";;;;;;;",  # 9: a blank row left by Excel
            f'"Mobilificio Canturino; Arredi Srl";{cantu};IT;CO;Cantù;furniture;micro;',  # 10
            f"Stampi Saronno Srl;{saronno};;VA;Saronno;plastics;;",  # 11: the country comes from the VAT id
        ],
    )
    calls: list[tuple[int, int]] = []
    async with running_service(settings):
        report = await import_companies(path, progress=lambda done, total: calls.append((done, total)))
        rows = await Company.select().order_by(Company.id)

    assert (report.created, report.skipped) == (5, 1)
    assert [line for line, _ in report.errors] == [5, 6]
    assert "partita IVA" in report.errors[0][1]
    assert "check digit" in report.errors[0][1]
    assert report.errors[1][1] == "the company name is empty"
    assert report.skipped_rows == [(8, f"skipped (exists: company {rows[0]['id']})")]
    assert report.ignored_columns == ["Note"]
    assert calls == [(done, 8) for done in range(1, 9)]

    assert [(r["name"], r["vat_id"], r["country"], r["region"], r["size_class"]) for r in rows] == [
        ("Officine Meccaniche Resegone Srl", lecco, "IT", "LC", "small"),
        ("Seterie Lariane Srl", como, "IT", "CO", "medium"),
        ("Micromeccanica Mendrisio SA", mendrisio, "CH", "TI", "small"),
        ("Mobilificio Canturino; Arredi Srl", cantu, "IT", "CO", "micro"),
        ("Stampi Saronno Srl", saronno, "IT", "VA", None),
    ]
    assert rows[3]["city"] == "Cantù"


async def test_lines_with_commas_and_english_headers(settings: Settings) -> None:
    lines = [
        "\ufeffCompany Name,VAT_ID,Country,Canton,City,Size",
        f"Engiadina Digital AG,{swiss_uid(3)},Schweiz,GR,St. Moritz,micro",
        f"Too Many Fields Srl,{partita_iva(4)},IT,VA,Varese,small,oops",
        f"Huge Srl,{partita_iva(5)},IT,VA,Varese,huge",
        f"Wrong Country Srl,{partita_iva(6)},CH,TI,Lugano,small",
    ]
    async with running_service(settings):
        report = await import_companies(lines)
        assert await Company.count() == 1
    assert report.created == 1
    assert report.skipped == 0
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert "header has 6 columns" in report.errors[0][1]
    assert "huge" in report.errors[1][1]
    assert "not Swiss" in report.errors[2][1]


async def test_missing_vat_column_raises_before_writing(settings: Settings, tmp_path: Path) -> None:
    path = _excel_file(
        tmp_path,
        ["Ragione sociale;Provincia;Comune", "Officine Meccaniche Resegone Srl;LC;Lecco"],
    )
    async with running_service(settings):
        with pytest.raises(ImportFileError, match="missing required column: vat_id"):
            await import_companies(path)
        assert await Company.count() == 0


async def test_unreadable_files_raise_import_file_error(settings: Settings, tmp_path: Path) -> None:
    windows_excel = tmp_path / "ansi.csv"
    windows_excel.write_bytes(f"Ragione sociale;P.IVA\nCittà Srl;{partita_iva(1)}\n".encode("cp1252"))
    async with running_service(settings):
        with pytest.raises(ImportFileError, match=r"not UTF-8 \(line 2\)"):
            await import_companies(windows_excel)
        with pytest.raises(ImportFileError, match="empty"):
            await import_companies([])
        with pytest.raises(ImportFileError, match="cannot read"):
            await import_companies(tmp_path / "missing.csv")
        with pytest.raises(ImportFileError, match="both mean vat_id"):
            await import_companies(["Name;VAT;Partita IVA"])
        assert await Company.count() == 0
