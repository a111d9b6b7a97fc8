"""The console's companies section through the app (no browser), on SQLite and PostgreSQL:
search by name or VAT id, a company's page with its people, events, minutes and certificates,
and the CSV/XLSX import with its preview (a dry run writes nothing) and per-row errors."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from events_service.companies import importer
from events_service.companies.tables import Company
from tests.attendance.support import move_event, register
from tests.factories import partita_iva, published_event, swiss_uid
from tests.web.support import console_login, csrf_token, post_form

GOOD_CSV = (
    "Ragione sociale;Partita IVA;Provincia;Dimensione;Note\r\n"
    f"Officine Lariane Srl;{partita_iva(201)};LC;piccola;ok\r\n"
    f"Ticino Robotics SA;{swiss_uid(202)};TI;micro;\r\n"
    "Bad Check Digit Srl;IT00743110158;MI;;\r\n"
    f"Doppia Srl;{partita_iva(201)};CO;;\r\n"
    f";{partita_iva(203)};CO;;\r\n"
    f"Already Here Spa;{partita_iva(204)};BG;grande;\r\n"
    f"Size Unknown Srl;{partita_iva(205)};BG;enorme;\r\n"
)


@pytest.fixture(autouse=True)
def english_browser(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"


async def _company(client: httpx.AsyncClient, headers: dict[str, str], name: str, vat: str, country: str = "IT") -> dict:
    created = await client.post("/api/companies", json={"name": name, "vat_id": vat, "country": country}, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


def _rows(html: str) -> list[list[str]]:
    """The import table's rows as their cells' text."""
    body = re.search(r'<table class="data" id="import-rows">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, html
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


async def _upload(client: httpx.AsyncClient, content: bytes, name: str, action: str) -> httpx.Response:
    await client.get("/console/companies/import")
    return await client.post("/console/companies/import", data={"_csrf_token": csrf_token(client), "action": action},
                             files={"file": (name, content, "text/csv")})


async def test_search_by_name_or_vat_id(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    lariana = await _company(client, organiser, "Officine Lariane Srl", "IT 00743110157")
    await _company(client, organiser, "Ticino Robotics SA", swiss_uid(7), "CH")
    await console_login(client)
    by_name = await client.get("/console/companies", params={"q": "lariane"})
    assert by_name.status_code == 200
    assert "Officine Lariane Srl" in by_name.text
    assert "Ticino Robotics" not in by_name.text
    by_vat = await client.get("/console/companies", params={"q": "0074311"})
    assert f'href="/console/companies/{lariana["id"]}"' in by_vat.text
    assert "Ticino Robotics" not in by_vat.text
    everyone = await client.get("/console/companies")
    assert "Companies found: 2" in everyone.text
    nobody = await client.get("/console/companies", params={"q": "<script>x</script>"})
    assert nobody.status_code == 200
    assert "No company matches." in nobody.text
    assert "<script>x</script>" not in nobody.text


async def test_checkin_staff_and_strangers_see_no_companies(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/companies")).status_code == 303  # no session: to the sign-in
    await console_login(client, "checkin")
    for path in ("/console/companies", "/console/companies/1", "/console/companies/import"):
        assert (await client.get(path)).status_code == 403, path


async def test_company_page_shows_people_events_minutes_and_certificates(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    vat = partita_iva(301)
    past = await published_event(client, organiser, tech_day=True, title="Tech Day Lecco")
    ada = await register(client, past["id"], "ada.galli@galli.example", "Ada", "Galli", vat)
    await register(client, past["id"], "bruno.galli@galli.example", "Bruno", "Galli", vat)
    assert (await client.post(f"/api/events/{past['id']}/checkins", json={"code": ada["manage_token"]}, headers=organiser)).status_code == 200
    other = await register(client, past["id"], "carla.neri@neri.example", "Carla", "Neri", partita_iva(302))
    await client.post(f"/api/events/{past['id']}/checkins", json={"code": other["manage_token"]}, headers=organiser)
    ended = datetime.now(UTC) - timedelta(days=3)
    await move_event(past["id"], ended, ended + timedelta(hours=6))
    company_id = (await Company.select(Company.id).where(Company.vat_id == vat).first())["id"]

    await console_login(client)
    page = await client.get(f"/console/companies/{company_id}")
    assert page.status_code == 200
    assert "Ada Galli" in page.text
    assert "Bruno Galli" in page.text
    assert "ada.galli@galli.example" in page.text
    assert "Carla Neri" not in page.text  # another company's person
    assert "Tech Day Lecco" in page.text
    assert re.search(r'id="events-attended">1<', page.text)
    link = f"/console/companies/{company_id}/certificates/{ada['id']}"
    assert f'href="{link}"' in page.text
    assert f"/certificates/{other['id']}\"" not in page.text
    pdf = await client.get(link)
    assert pdf.status_code == 200
    assert "Ada Galli" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    # Another company's certificate is not reachable through this company's page.
    assert (await client.get(f"/console/companies/{company_id}/certificates/{other['id']}")).status_code == 404
    assert (await client.get("/console/companies/999999")).status_code == 404


async def test_csv_preview_writes_nothing_then_import_keeps_good_rows(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    await _company(client, organiser, "Already Here Spa", partita_iva(204))
    await console_login(client)
    before = await Company.count()

    preview = await _upload(client, GOOD_CSV.encode("utf-8-sig"), "aziende.csv", "preview")
    assert preview.status_code == 200, preview.text
    assert "nothing has been written yet" in preview.text
    assert await Company.count() == before
    rows = _rows(preview.text)
    outcomes = {row[0]: (row[3], row[4]) for row in rows}
    assert outcomes["2"] == ("new", "")
    assert outcomes["3"] == ("new", "")
    assert outcomes["4"][0] == "error"
    assert "check digit" in outcomes["4"][1].lower() or "invalid" in outcomes["4"][1].lower()
    assert outcomes["5"] == ("already known", "same VAT id as line 2")
    assert outcomes["6"] == ("error", "the company name is empty")
    assert outcomes["7"][0] == "already known"
    assert outcomes["7"][1].startswith("exists: company ")
    assert outcomes["8"][0] == "error"
    assert "enorme" in outcomes["8"][1]
    assert re.search(r'id="created">2<', preview.text)
    assert "Columns not used: Note" in preview.text

    imported = await _upload(client, GOOD_CSV.encode("utf-8-sig"), "aziende.csv", "import")
    assert imported.status_code == 200
    assert re.search(r'id="created">2<', imported.text)
    assert await Company.count() == before + 2
    lariane = await Company.select().where(Company.vat_id == partita_iva(201)).first()
    assert (lariane["name"], lariane["region"], lariane["size_class"]) == ("Officine Lariane Srl", "LC", "small")
    assert [row[3] for row in _rows(imported.text)] == [row[3] for row in rows]  # the preview told the truth


async def test_xlsx_import(client: httpx.AsyncClient) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "vat_id", "country", "region", "size_class"])
    sheet.append(["Brianza Digitale Srl", partita_iva(401), "IT", "MB", "small"])
    sheet.append(["Zürcher Präzision AG", swiss_uid(402), "CH", "ZH", "medium"])
    sheet.append(["Wrong", "12345", "IT", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    await console_login(client)
    answer = await _upload(client, buffer.getvalue(), "companies.xlsx", "import")
    assert answer.status_code == 200, answer.text
    assert [row[3] for row in _rows(answer.text)] == ["new", "new", "error"]
    names = {row["name"] for row in await Company.select(Company.name)}
    assert names == {"Brianza Digitale Srl", "Zürcher Präzision AG"}


async def test_hostile_imports_are_refused_whole_and_write_nothing(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await console_login(client)
    header = "name,vat_id\r\n"
    too_many = header + "".join(f"Company {n},{partita_iva(1000 + n)}\r\n" for n in range(importer.MAX_UPLOAD_ROWS + 1))
    cases = {
        "too many rows": (too_many.encode(), 422, "at most"),
        "no VAT column": (b"name,city\r\nA,B\r\n", 422, "missing required column"),
        "a PDF": (b"%PDF-1.7\n" + b"x" * 100, 422, "PDF"),
        "empty": (b"", 422, ""),
        "a zip that is no workbook": (b"PK\x03\x04" + b"\x00" * 200, 422, ""),
    }
    for what, (content, status, words) in cases.items():
        answer = await _upload(client, content, "x.csv", "import")
        assert answer.status_code == status, what
        assert words in answer.text, what
    huge = await _upload(client, b"name,vat_id\r\n" + b"A" * (importer.MAX_UPLOAD_BYTES + 512 * 1024), "huge.csv", "import")
    assert huge.status_code == 413
    no_file = await post_form(client, "/console/companies/import", {"action": "import"})
    assert no_file.status_code == 422
    no_token = await client.post("/console/companies/import", data={"action": "import"},
                                 files={"file": ("x.csv", f"name,vat_id\r\nA,{partita_iva(9)}\r\n".encode(), "text/csv")})
    assert no_token.status_code == 403
    assert await Company.count() == 0


async def test_console_downloads_an_events_certificates(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, tech_day=True, title="Tech Day Como")
    came = await register(client, event["id"], "dora.verdi@verdi.example", "Dora", "Verdi", partita_iva(501))
    await register(client, event["id"], "ennio.verdi@verdi.example", "Ennio", "Verdi", partita_iva(501))
    assert (await client.post(f"/api/events/{event['id']}/checkins", json={"code": came["manage_token"]}, headers=organiser)).status_code == 200
    await console_login(client)
    listed = await client.get("/console/events")
    assert f'href="/console/events/{event["id"]}/certificates.zip"' in listed.text
    early = await client.get(f"/console/events/{event['id']}/certificates.zip")
    assert early.status_code == 409
    assert "not over yet" in early.text
    ended = datetime.now(UTC) - timedelta(days=1)
    await move_event(event["id"], ended, ended + timedelta(hours=6))
    answer = await client.get(f"/console/events/{event['id']}/certificates.zip")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert len(archive.namelist()) == 1
    assert "Dora Verdi" in PdfReader(io.BytesIO(archive.read(archive.namelist()[0]))).pages[0].extract_text()
    client.cookies.clear()
    await console_login(client, "checkin")
    assert (await client.get(f"/console/events/{event['id']}/certificates.zip")).status_code == 403
