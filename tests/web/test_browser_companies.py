"""The console's companies section and the certificate check in a real browser (Playwright
driving Debian's Chromium) against a served process, on SQLite and PostgreSQL; screenshots
into docs/screenshots/ from the SQLite run."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from events_service.app import running_service
from events_service.companies.tables import Company
from events_service.settings import Settings
from tests import serving
from tests.attendance.support import move_event
from tests.factories import partita_iva, published_event, registration_payload, swiss_uid
from tests.support.browser import BROWSER_MARKS, chromium_page
from tests.web.test_browser import shot

with suppress(ImportError):  # without Playwright, BROWSER_MARKS skip the module, saying why
    from playwright.async_api import Page, expect

pytestmark = BROWSER_MARKS

IMPORT_CSV = (
    "Ragione sociale;Partita IVA;Provincia;Dimensione\r\n"
    f"Tessitura Comasca Spa;{partita_iva(601)};CO;media\r\n"
    f"Officine Lariane Srl;{partita_iva(600)};LC;piccola\r\n"
    "Cifra Sbagliata Srl;IT00743110158;MI;\r\n"
    f"Brianza Digitale Srl;{partita_iva(602)};MB;enorme\r\n"
)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with chromium_page() as opened:
        yield opened


async def _programme(http: httpx.AsyncClient, settings: Settings, headers: dict[str, str]) -> dict[str, str]:
    """Two companies, a Tech Day that is over with Łukasz checked in: his certificate."""
    await http.post("/api/companies", json={"name": "Officine Lariane Srl", "vat_id": partita_iva(600), "country": "IT",
                                            "region": "LC", "size_class": "small"}, headers=headers)
    await http.post("/api/companies", json={"name": "Ticino Robotics SA", "vat_id": swiss_uid(603), "country": "CH",
                                            "region": "TI", "size_class": "micro"}, headers=headers)
    event = await published_event(http, headers, tech_day=True, title="Tech Day Lecco: automation and AI")
    payload = registration_payload("lukasz.capek@lariane.example", first_name="Łukasz", last_name="Čapek", language="en",
                                   company={"vat_id": partita_iva(600)})
    registration = (await http.post(f"/api/public/events/{event['id']}/registrations", json=payload)).json()
    assert (await http.post(f"/api/events/{event['id']}/checkins", json={"code": registration["manage_token"]}, headers=headers)).status_code == 200
    ended = datetime.now(UTC) - timedelta(days=2)
    async with running_service(settings):
        await move_event(event["id"], ended, ended + timedelta(hours=7))
    pdf = await http.get(f"/api/public/registrations/{registration['manage_token']}/certificate.pdf")
    assert pdf.status_code == 200, pdf.text
    code = re.search(r"(\d+-[A-Z2-7]{16})", PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text())
    assert code
    return {"code": code.group(1)}


async def test_companies_section_and_certificate_check_in_the_browser(settings: Settings, tmp_path: Path, page: Page) -> None:
    with serving.served(serving.server_env(settings, tmp_path / "var")) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            headers = await serving.organiser_headers(http, settings, "olga")
            facts = await _programme(http, settings, headers)

        await page.goto(f"{base_url}/console/login")
        await page.get_by_label("Email").fill("olga.organiser@programme.example")
        await page.get_by_label("Password").fill("olga-password")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Companies").click()
        await page.get_by_label("Name or VAT id").fill("lariane")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("#companies tbody tr")).to_have_count(1)
        await expect(page.locator("#companies")).to_contain_text("Officine Lariane Srl")
        await shot(page, settings, "console-companies")

        await page.get_by_role("link", name="Officine Lariane Srl").click()
        await expect(page.locator("#people")).to_contain_text("Łukasz Čapek")
        await expect(page.locator("#events")).to_contain_text("Tech Day Lecco: automation and AI")
        await expect(page.locator("#certificates")).to_contain_text("in person")
        await shot(page, settings, "console-company")
        async with page.expect_download() as download_info:
            await page.locator("#certificates").get_by_role("link", name="PDF").click()
        download = await download_info.value
        text = PdfReader(await download.path()).pages[0].extract_text()
        assert "Łukasz Čapek" in text
        assert "Certificate of attendance" in text

        await page.goto(f"{base_url}/console/companies/import")
        upload = tmp_path / "aziende.csv"
        upload.write_bytes(IMPORT_CSV.encode("utf-8-sig"))
        await page.get_by_label("File of companies (CSV or XLSX)").set_input_files(str(upload))
        await page.get_by_role("button", name="Preview").click()
        await expect(page.locator("#import-result")).to_contain_text("nothing has been written yet")
        await expect(page.locator("#import-rows tbody tr")).to_have_count(4)
        await expect(page.locator("#import-rows tbody tr.outcome-error")).to_have_count(2)
        await expect(page.locator("#created")).to_have_text("1")
        await shot(page, settings, "console-companies-import")
        async with running_service(settings):
            assert await Company.count() == 2  # the preview wrote nothing
        await page.get_by_label("File of companies (CSV or XLSX)").set_input_files(str(upload))
        await page.get_by_role("button", name="Import", exact=True).click()
        await expect(page.locator("#import-result")).to_contain_text("aziende.csv imported.")
        await expect(page.locator("#created")).to_have_text("1")
        async with running_service(settings):
            assert await Company.count() == 3

        await page.goto(f"{base_url}/certificates/{facts['code']}?lang=it")
        await expect(page.locator("#verdict")).to_have_text("Questo attestato è autentico.")
        await expect(page.locator("#name")).to_have_text("Łukasz Čapek")
        await shot(page, settings, "certificate-check")
        tampered = facts["code"][:-1] + ("A" if facts["code"][-1] != "A" else "B")
        answer = await page.goto(f"{base_url}/certificates/{tampered}?lang=en")
        assert answer is not None
        assert answer.status == 404
        await expect(page.locator("#verdict")).to_contain_text("No certificate has this verification code.")
