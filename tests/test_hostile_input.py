"""Hole 8 of issue 12, from the attacker's side: hostile input gets a clear 4xx and writes
nothing, never a 500 (huge ids and offsets, non-ASCII digits, years 1 and 9999, control
characters, an address whose mail could never be built)."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from events_service.broadcasts.tables import EventMessage
from events_service.companies.tables import Company, Contact
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.organisers.tables import ApiToken
from events_service.questions.tables import Question
from events_service.registrations.tables import Registration
from events_service.surveys.tables import SurveyResponse
from tests.conftest import token_headers
from tests.factories import event_payload, partita_iva, published_event, registration_payload

#: Just past PostgreSQL's integer, just past 64 bits, and far past both.
HUGE = [2**31, 2**63, 10**30]


async def _rows() -> tuple[int, ...]:
    return (await Event.count(), await Registration.count(), await Company.count(), await Contact.count(), await OutboxMessage.count())


def _clear_4xx(answer: httpx.Response, what: Any) -> None:
    assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])


@pytest.mark.parametrize("number", HUGE)
async def test_a_huge_id_or_offset_is_a_clear_4xx(client: httpx.AsyncClient, organiser: dict[str, str], number: int) -> None:
    await published_event(client, organiser)
    before = await _rows()
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"/api/public/events/{number}/registrations", {"json": registration_payload("a.b@x.example")}),
        ("GET", f"/api/public/events/{number}", {}),
        ("GET", f"/events/{number}.ics", {}),
        ("GET", f"/e/{number}", {}),
        ("GET", f"/api/events/{number}", {"headers": organiser}),
        ("PATCH", f"/api/events/{number}", {"headers": organiser, "json": {"title": "x"}}),
        ("POST", f"/api/events/{number}/publish", {"headers": organiser}),
        ("POST", f"/api/events/{number}/cancel", {"headers": organiser}),
        ("GET", f"/api/events/{number}/registrations", {"headers": organiser}),
        ("GET", f"/api/events/{number}/registrations.csv", {"headers": organiser}),
        ("GET", f"/api/events/{number}/stats", {"headers": organiser}),
        ("GET", f"/api/events/{number}/follow-up", {"headers": organiser}),
        ("POST", f"/api/events/{number}/checkins", {"headers": organiser, "json": {"code": "x"}}),
        ("POST", f"/api/events/{number}/finalise-attendance", {"headers": organiser}),
        ("POST", f"/api/registrations/{number}/cancel", {"headers": organiser}),
        ("GET", f"/api/companies/{number}", {"headers": organiser}),
        ("PATCH", f"/api/companies/{number}", {"headers": organiser, "json": {"name": "x"}}),
        ("GET", f"/api/companies/{number}/engagement", {"headers": organiser}),
        ("POST", f"/api/outbox/{number}/retry", {"headers": organiser}),
        ("GET", f"/api/companies?offset={number}", {"headers": organiser}),
        ("GET", f"/api/outbox?offset={number}", {"headers": organiser}),
    ]
    for method, url, options in requests:
        _clear_4xx(await client.request(method, url, **options), (method, url))
    assert await _rows() == before


@pytest.mark.parametrize("text", ["²", "¹²", "1²", "٣"])
async def test_a_non_ascii_digit_in_a_slug_or_session_cookie_is_no_500(client: httpx.AsyncClient, organiser: dict[str, str], text: str) -> None:
    event = await published_event(client, organiser)
    for url in (f"/api/public/events/{text}", f"/events/{text}.ics", f"/e/{text}", f"/e/{text}/register"):
        assert (await client.get(url)).status_code == 404, url
    # '٣' is an Arabic-Indic 3: not an id either (int() would read it as one)
    assert (await client.get(f"/api/public/events/{'٣' * len(str(event['id']))}")).status_code == 404
    # A session cookie as a browser sends it: bytes, here Latin-1 '²'.
    cookie = f"events_session={text}.1.x".encode("utf-8" if text == "٣" else "latin-1")
    console = await client.get("/console/", headers={"Cookie": cookie})
    assert console.status_code == 303
    assert console.headers["location"].startswith("/console/login")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:00+00:00", "1999-12-31T12:00:00+00:00"])
async def test_a_date_outside_the_sane_window_is_422(client: httpx.AsyncClient, organiser: dict[str, str], moment: str) -> None:
    event = await published_event(client, organiser)
    before = await _rows()
    for payload in (event_payload(starts_at=moment, ends_at=moment), event_payload(registration_closes_at=moment)):
        answer = await client.post("/api/events", json=payload, headers=organiser)
        assert answer.status_code == 422, answer.text
        assert "year" in answer.json()["detail"]
    patched = await client.patch(f"/api/events/{event['id']}", json={"starts_at": moment}, headers=organiser)
    assert patched.status_code == 422, patched.text
    day = moment[:10]
    for report in ("companies.csv", "summary", "summary.csv"):
        answer = await client.get(f"/api/reports/{report}", params={"from": day, "to": day}, headers=organiser)
        assert answer.status_code == 422, (report, answer.text)
    assert await _rows() == before


@pytest.mark.parametrize("bad", ["a\x00b", "line\nbreak", "tab\there", "bell\x07", "c1\x85", "end\n"])
async def test_control_characters_in_names_are_422_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str], bad: str) -> None:
    event = await published_event(client, organiser)
    before = await _rows()
    attempts = [
        client.post("/api/events", json=event_payload(title=bad), headers=organiser),
        client.post("/api/events", json=event_payload(venue={"name": bad, "address": "Via Roma 1", "city": "Como"}), headers=organiser),
        client.post("/api/events", json=event_payload(speakers=[{"name": bad}]), headers=organiser),
        client.post("/api/events", json=event_payload(online_url=f"https://meet.example/{bad}"), headers=organiser),
        client.post("/api/companies", json={"name": bad, "vat_id": partita_iva(7), "country": "IT"}, headers=organiser),
        client.post("/api/public/events/{}/registrations".format(event["id"]), json=registration_payload("a.b@x.example", first_name=bad)),
        client.post("/api/public/events/{}/registrations".format(event["id"]), json=registration_payload(
            "c.d@x.example", company={"vat_id": partita_iva(8), "name": bad, "country": "IT"})),
        client.post("/api/public/events/{}/registrations".format(event["id"]), json=registration_payload(
            "e.f@x.example", company={"vat_id": partita_iva(9), "country": "IT\n"})),
    ]
    for number, attempt in enumerate(attempts):
        answer = await attempt
        assert answer.status_code == 422, (number, answer.text)
    for url in ("/api/companies", f"/api/events/{event['id']}/registrations"):
        _clear_4xx(await client.get(url, params={"q": bad}, headers=organiser), url)
    _clear_4xx(await client.get(f"/e/{quote(bad)}"), "slug")
    _clear_4xx(await client.get("/api/public/events", params={"topic": bad}), "topic")
    assert await _rows() == before


async def test_a_description_keeps_its_lines_but_not_a_nul(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    kept = await client.post("/api/events", json=event_payload(description="Agenda:\r\n\t- one\n- two"), headers=organiser)
    assert kept.status_code == 201, kept.text
    assert kept.json()["description"] == "Agenda:\r\n\t- one\n- two"
    refused = await client.post("/api/events", json=event_payload(description="a\x00b"), headers=organiser)
    assert refused.status_code == 422


async def test_an_address_whose_mail_cannot_be_built_is_refused_at_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    before = await _rows()
    for address in ("jösé@example.com", "名前@example.jp"):
        answer = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload(address))
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_email"
    assert await _rows() == before
    # An internationalised domain is fine: kept in the ASCII form every message can carry.
    idna = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("ada@bücher.example"))
    assert idna.status_code == 201, idna.text
    assert idna.json()["email"] == "ada@xn--bcher-kva.example"


#: JSON nested deeper than msgspec's decoder recurses (it raised RecursionError: a 500).
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


async def test_deeply_nested_json_is_a_400_on_every_json_endpoint(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    admin = await token_headers(client, "admin")
    before = await _rows(), await Question.count(), await ApiToken.count(), await SurveyResponse.count()
    requests = [
        ("/api/public/surveys/1.x.y", {}),
        (f"/api/public/events/{event['id']}/registrations", {}),
        (f"/api/events/{event['id']}/messages/preview", organiser),
        (f"/api/events/{event['id']}/messages", organiser),
        (f"/api/events/{event['id']}/questions", organiser),
        ("/api/tokens", admin),
        ("/api/events", organiser),
        ("/api/auth/token", {}),
    ]
    for url, headers in requests:
        answer = await client.post(url, content=DEEP_JSON, headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 400, (url, answer.status_code, answer.text[:200])
        assert "nests too deeply" in answer.json()["detail"]
    assert (await _rows(), await Question.count(), await ApiToken.count(), await SurveyResponse.count()) == before


async def _api_token(client: httpx.AsyncClient, admin: dict[str, str], role: str) -> tuple[int, dict[str, str]]:
    made = await client.post("/api/tokens", json={"name": f"{role} robot", "role": role}, headers=admin)
    assert made.status_code == 201, made.text
    return made.json()["id"], {"Authorization": f"Bearer {made.json()['token']}"}


async def test_the_endpoints_added_in_round_two_refuse_callers_without_the_role(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """No bearer, a JWT or API token of the check-in role, a revoked API token, an unknown one:
    401/403 everywhere, no registrant's address in the answer, and nothing written."""
    event = await published_event(client, organiser)
    registered = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("mara.neri@x.example"))
    assert registered.status_code == 201, registered.text
    question = await client.post(f"/api/events/{event['id']}/questions", headers=organiser,
                                 json={"label": {"it": "Note", "en": "Notes"}, "kind": "text", "stage": "survey"})
    assert question.status_code == 201, question.text
    admin = await token_headers(client, "admin")
    _, api_checkin = await _api_token(client, admin, "checkin")
    revoked_id, revoked = await _api_token(client, admin, "organiser")
    assert (await client.delete(f"/api/tokens/{revoked_id}", headers=admin)).status_code == 204
    callers = {
        "nobody": {},
        "check-in JWT": await token_headers(client, "checkin"),
        "check-in API token": api_checkin,
        "revoked API token": revoked,
        "unknown API token": {"Authorization": "Bearer evt_" + "A" * 43},
        "organiser JWT as API token": {"Authorization": "Bearer evt_" + organiser["Authorization"].split()[1]},
    }
    eid, qid = event["id"], question.json()["id"]
    message = {"subject": "Aula cambiata", "body": "Ci vediamo in aula 2.", "audience": "confirmed"}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        *(("GET", f"/api/reports/{report}", {"params": {"from": "2026-01-01", "to": "2027-12-31"}}) for report in (
            "companies.csv", "companies.xlsx", "summary", "summary.csv", "summary.xlsx", "indicators", "indicators.csv",
            "indicators.xlsx", "indicators/evidence", "indicators/evidence.csv", "indicators/evidence.xlsx")),
        ("GET", f"/api/events/{eid}/certificates.zip", {}),
        ("GET", f"/api/events/{eid}/registrations.xlsx", {}),
        ("GET", f"/api/events/{eid}/registrations", {}),
        ("GET", f"/api/events/{eid}/messages", {}),
        ("GET", f"/api/events/{eid}/messages/recipients", {"params": {"audience": "confirmed"}}),
        ("POST", f"/api/events/{eid}/messages", {"json": message}),
        ("POST", f"/api/events/{eid}/messages/preview", {"json": message}),
        ("GET", f"/api/events/{eid}/questions", {}),
        ("POST", f"/api/events/{eid}/questions", {"json": {"label": {"it": "x"}, "kind": "text", "stage": "survey"}}),
        ("PATCH", f"/api/events/{eid}/questions/{qid}", {"json": {"required": True}}),
        ("DELETE", f"/api/events/{eid}/questions/{qid}", {}),
        ("GET", f"/api/events/{eid}/survey", {}),
        ("POST", f"/api/events/{eid}/registrations-import", {"files": {"file": ("r.csv", b"email\nx@y.example\n", "text/csv")}}),
        ("POST", f"/api/events/{eid}/attendance-pull", {}),
        ("GET", "/api/tokens", {}),
        ("POST", "/api/tokens", {"json": {"name": "escalate", "role": "admin"}}),
        ("DELETE", f"/api/tokens/{revoked_id}", {}),
        ("GET", "/api/companies", {"params": {"updated_since": "2026-01-01T00:00:00Z"}}),
    ]
    before = await _rows(), await Question.count(), await ApiToken.count(), await EventMessage.count()
    for name, headers in callers.items():
        for method, url, options in requests:
            answer = await client.request(method, url, headers=headers, **options)
            assert answer.status_code in (401, 403), (name, method, url, answer.status_code, answer.text[:200])
            assert "mara" not in answer.text.lower(), (name, url)
    assert (await _rows(), await Question.count(), await ApiToken.count(), await EventMessage.count()) == before


def _xlsx_bomb() -> bytes:
    """A 100 kB workbook whose sheet unpacks to 100 MB (an XML comment of one letter)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c t="inlineStr"><is><t>email</t></is></c></row>' + "<!-- " + "A" * 100_000_000 + " --></sheetData></worksheet>")
    return buf.getvalue()


async def test_upload_tricks_on_the_registration_import_are_4xx_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    url = f"/api/events/{event['id']}/registrations-import"
    header = b"email;nome;cognome;partita iva\r\n"
    cases: dict[str, dict[str, Any]] = {
        "zip bomb": {"files": {"file": ("list.xlsx", _xlsx_bomb())}, "data": {"consent_confirmed": "true"}},
        "two files": {"files": [("file", ("a.csv", header)), ("file", ("b.csv", header))], "data": {"consent_confirmed": "true"}},
        "consent twice": {"files": {"file": ("a.csv", header)}, "data": {"consent_confirmed": ["true", "false"]}},
        "path in the name": {"files": {"file": ("../../etc/passwd", b"email\r\n")}, "data": {"consent_confirmed": "true"}},
        "no file": {"data": {"consent_confirmed": "true"}},
        "NUL as dry_run": {"files": {"file": ("a.csv", header)}, "data": {"consent_confirmed": "true", "dry_run": "\x00"}},
        "JSON instead of a form": {"json": {"file": "email\nx@y.example", "consent_confirmed": True}},
    }
    before = await _rows()
    for name, options in cases.items():
        _clear_4xx(await client.post(url, headers=organiser, **options), name)
    assert await _rows() == before
