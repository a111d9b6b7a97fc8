"""Certificates of attendance on both engines: the PDF read back (pypdf) in the registration's
language, the refusals with their reasons, the public verification of a genuine, an unknown and
a tampered code (and across a key rotation), an event's ZIP, and the thank-you email's link."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pypdf import PdfReader

from events_service.app import create_app, running_service
from events_service.mail.tables import OutboxMessage
from events_service.registrations.links import certificate_code
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    load,
    move_event,
    register,
    upload,
)
from tests.conftest import TEST_SECRET, token_headers
from tests.factories import partita_iva, published_event, registration_payload
from tests.mailparse import text_body
from tests.support.tampering import last_changed

LANGUAGE_OF = {"niccolo": "it", "zoe.mueller": "de", "anna": "en"}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def code_in(text: str) -> str:
    found = re.search(r":\s*(\d+-[A-Z2-7]{16})", text)
    assert found, text
    return found.group(1)


async def _webinar(client: httpx.AsyncClient, organiser: dict[str, str]) -> dict[str, Any]:
    """The sample Zoom webinar (90 minutes), threshold 70 % (63 minutes): Niccolò about 90, Zoë 66,
    Anna 88 and Elena 87 earn a certificate; Marco and Luca (55) are below; Paolo is not in
    the report."""
    event = await published_event(client, organiser, title="Cybersicurezza: è l'ora delle PMI", capacity=20)
    people = {}
    for email, first, last, company in ZOOM_PEOPLE:
        key = next((k for k in LANGUAGE_OF if email.lower().startswith(k)), email.split(".")[0].lower())
        people[key] = await register(client, event["id"], email, first, last, company, language=LANGUAGE_OF.get(key, "it"))
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    threshold = await client.patch(f"/api/events/{event['id']}/follow-up", json={"attendance_threshold_percent": 70}, headers=organiser)
    assert threshold.status_code == 200, threshold.text
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).status_code == 200
    return {"event": event, "people": people}


async def _minutes(registration: dict[str, Any]) -> int:
    """What attendance computed from the report (its rule, not this test's, says how many)."""
    row = await Registration.select(Registration.minutes_attended).where(Registration.id == registration["id"]).first()
    assert row["minutes_attended"] > 0
    return row["minutes_attended"]


async def _certificate(client: httpx.AsyncClient, registration: dict[str, Any]) -> httpx.Response:
    return await client.get(f"/api/public/registrations/{registration['manage_token']}/certificate.pdf")


async def test_certificates_in_the_registrations_language_with_minutes_and_code(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    webinar = await _webinar(client, organiser)
    people = webinar["people"]

    italian = await _certificate(client, people["niccolo"])
    assert italian.status_code == 200, italian.text
    assert italian.headers["content-type"] == "application/pdf"
    assert italian.content.startswith(b"%PDF-")
    text = pdf_text(italian.content)
    assert "Attestato di partecipazione" in text
    assert "Niccolò Bernasconi" in text
    assert "Cybersicurezza: è l'ora delle PMI" in text
    assert f"Minuti di partecipazione: {await _minutes(people['niccolo'])}" in text
    assert "martedì 24 novembre 2026" in text

    german = pdf_text((await _certificate(client, people["zoe.mueller"])).content)
    assert "Teilnahmebescheinigung" in german
    assert "Zoë Müller" in german
    assert f"Teilgenommene Minuten: {await _minutes(people['zoe.mueller'])}" in german
    assert "Dienstag, 24. November 2026" in german

    english = pdf_text((await _certificate(client, people["anna"])).content)
    assert "Certificate of attendance" in english
    assert f"Minutes attended: {await _minutes(people['anna'])}" in english

    # The code printed is the one the page checks; the QR carries the page's address.
    code = code_in(text)
    assert f"http://events.test/certificates/{code}" in text
    assert code.startswith(f"{people['niccolo']['id']}-")


async def test_below_the_threshold_or_absent_gets_409_with_the_reason(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    people = (await _webinar(client, organiser))["people"]
    below = await _certificate(client, people["marco"])
    assert below.status_code == 409
    assert below.json()["code"] == "below_threshold"
    assert below.json()["extra"] == {"minutes": 55, "minutes_needed": 63, "threshold_percent": 70}
    assert "55 minutes" in below.json()["detail"]
    absent = await _certificate(client, people["paolo"])
    assert absent.status_code == 409
    assert absent.json()["code"] == "not_attended"


async def test_no_certificate_before_the_event_ends_or_after_cancelling(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, tech_day=True, title="Tech Day Lugano")
    came = await register(client, event["id"], "ada.galli@x.example", "Ada", "Galli", partita_iva(31))
    checked = await client.post(f"/api/events/{event['id']}/checkins", json={"code": came["manage_token"]}, headers=organiser)
    assert checked.status_code == 200
    early = await _certificate(client, came)
    assert early.status_code == 409
    assert early.json()["code"] == "event_not_over"
    zip_early = await client.get(f"/api/events/{event['id']}/certificates.zip", headers=organiser)
    assert zip_early.status_code == 409
    assert zip_early.json()["code"] == "event_not_over"

    gone = await register(client, event["id"], "bruno.neri@x.example", "Bruno", "Neri", partita_iva(32))
    await client.post(f"/api/events/{event['id']}/checkins", json={"code": gone["manage_token"]}, headers=organiser)
    assert (await client.post(f"/api/public/registrations/{gone['manage_token']}/cancel")).status_code == 200
    past = datetime.now(UTC) - timedelta(days=2)
    await move_event(event["id"], past, past + timedelta(hours=6))
    cancelled = await _certificate(client, gone)
    assert cancelled.status_code == 409
    assert cancelled.json()["code"] == "cancelled"


async def test_checked_in_at_the_door_prints_presence_and_accented_names(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, tech_day=True, title="Tech Day Zürich", language="en")
    payload = registration_payload(
        "lukasz.capek@capek.example", first_name="Łukasz", last_name="Čapek", language="de",
        company={"vat_id": partita_iva(41), "name": "Čapek & Söhne GmbH", "country": "IT"},
    )
    created = await client.post(f"/api/public/events/{event['id']}/registrations", json=payload)
    assert created.status_code == 201, created.text
    checked = await client.post(f"/api/events/{event['id']}/checkins", json={"code": created.json()["manage_token"]}, headers=organiser)
    assert checked.status_code == 200
    past = datetime.now(UTC) - timedelta(days=1)
    await move_event(event["id"], past, past + timedelta(hours=6))

    answer = await _certificate(client, created.json())
    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content)
    assert "Łukasz Čapek" in text
    assert "von Čapek & Söhne GmbH" in text
    assert "Persönlich anwesend (am Eingang erfasst)" in text
    assert "Teilgenommene Minuten" not in text  # a check-in says who came, not for how long

    check = await client.get(f"/certificates/{code_in(text)}", headers={"Accept": "application/json"})
    assert check.status_code == 200
    assert check.json()["minutes"] is None
    assert check.json()["company"] == "Čapek & Söhne GmbH"


async def test_verification_genuine_unknown_and_tampered(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    people = (await _webinar(client, organiser))["people"]
    code = code_in(pdf_text((await _certificate(client, people["niccolo"])).content))

    genuine = await client.get(f"/certificates/{code}", headers={"Accept": "application/json"})
    assert genuine.status_code == 200, genuine.text
    assert genuine.json() == {
        "valid": True, "name": "Niccolò Bernasconi", "company": f"Company {ZOOM_PEOPLE[1][3]}",
        "event": "Cybersicurezza: è l'ora delle PMI", "date": "2026-11-24", "minutes": await _minutes(people["niccolo"]),
    }
    page = await client.get(f"/certificates/{code}", headers={"Accept-Language": "it", "Accept": "text/html"})
    assert page.status_code == 200
    assert "Questo attestato è autentico." in page.text
    assert "Niccolò Bernasconi" in page.text
    assert "niccolo.bernasconi" not in page.text.lower()  # never the address
    assert (await client.get(f"/certificates/{code.lower()}", headers={"Accept": "application/json"})).status_code == 200  # typed in lower case

    number, signature = code.split("-")
    other = people["anna"]["id"]
    tampered = [
        f"{other}-{signature}",  # Niccolò's signature on Anna's number
        f"{number}-{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{number}-{signature}X",
        "999999-AAAAAAAAAAAAAAAA",
        "not-a-code",
        "٣-AAAAAAAAAAAAAAAA",
        f"{number}.{signature}",
    ]
    for bad in tampered:
        refused = await client.get(f"/certificates/{bad}", headers={"Accept": "application/json"})
        assert refused.status_code == 404, bad
        assert refused.json() == {"status_code": 404, "detail": "no certificate has this code"}
    html = await client.get(f"/certificates/{tampered[0]}", headers={"Accept-Language": "en"})
    assert html.status_code == 404
    assert "No certificate has this verification code." in html.text
    assert "Bernasconi" not in html.text

    # Below the threshold: a code made for it (the HMAC is right) still proves nothing.
    signed = certificate_code(Settings(secret_key=TEST_SECRET), people["marco"]["id"])
    assert (await client.get(f"/certificates/{signed}", headers={"Accept": "application/json"})).status_code == 404


async def test_codes_verify_across_a_key_rotation(settings: Settings, client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    people = (await _webinar(client, organiser))["people"]
    code = code_in(pdf_text((await _certificate(client, people["elena"])).content))
    new_key = "n" * 48
    rotated = replace(settings, secret_key=new_key, secret_key_fallbacks=(settings.secret_key,))
    dropped = replace(settings, secret_key=new_key, secret_key_fallbacks=())
    for later, expected in ((rotated, 200), (dropped, 404)):
        app = create_app(later)
        async with running_service(later), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://events.test") as other:
            answer = await other.get(f"/certificates/{code}", headers={"Accept": "application/json"})
            assert answer.status_code == expected
            if expected == 200:  # a new PDF is signed with the new key only
                assert code_in(pdf_text((await _certificate(other, people["elena"])).content)) != code


async def test_other_tokens_and_hostile_paths_reveal_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    people = (await _webinar(client, organiser))["people"]
    token = people["niccolo"]["manage_token"]
    number, nonce, signature = token.split(".")
    forged = [
        f"{people['anna']['id']}.{nonce}.{signature}",  # another person's id with this signature
        f"{number}.{nonce}.{last_changed(signature)}",
        "x" * 300,
        "1.2.3",
    ]
    for bad in forged:
        answer = await client.get(f"/api/public/registrations/{bad}/certificate.pdf")
        assert answer.status_code == 404, bad
        assert "Bernasconi" not in answer.text
    # The genuine token still opens the certificate: the refusals above were about the tokens.
    assert (await client.get(f"/api/public/registrations/{token}/certificate.pdf")).status_code == 200


async def test_event_zip_holds_one_pdf_per_attended_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    webinar = await _webinar(client, organiser)
    event_id = webinar["event"]["id"]
    answer = await client.get(f"/api/events/{event_id}/certificates.zip", headers=organiser)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    names = archive.namelist()
    attended = await Registration.select(Registration.id).where((Registration.event == event_id) & Registration.attended.eq(True))
    assert len(names) == len(attended) == 4  # Anna, Niccolò, Zoë, Elena; Marco and Luca are below 63 minutes
    texts = {name: pdf_text(archive.read(name)) for name in names}
    niccolo = f"Minuti di partecipazione: {await _minutes(webinar['people']['niccolo'])}"
    assert any("Niccolò Bernasconi" in text and niccolo in text for text in texts.values())
    assert any("Zoë Müller" in text and "Teilnahmebescheinigung" in text for text in texts.values())
    assert not any("Marco Rossi" in text or "Paolo Conti" in text for text in texts.values())
    assert all(name.startswith("certificate-") and name.endswith(".pdf") and name.isascii() for name in names)


async def test_event_zip_is_for_organisers_only(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id = (await _webinar(client, organiser))["event"]["id"]
    assert (await client.get(f"/api/events/{event_id}/certificates.zip")).status_code == 401
    checkin = await token_headers(client, "checkin")
    assert (await client.get(f"/api/events/{event_id}/certificates.zip", headers=checkin)).status_code == 403
    assert (await client.get("/api/events/999999/certificates.zip", headers=organiser)).status_code == 404
    assert (await client.get("/api/events/99999999999/certificates.zip", headers=organiser)).status_code == 422
    nobody = await published_event(client, organiser, title="Nobody came")
    past = datetime.now(UTC) - timedelta(days=1)
    await move_event(nobody["id"], past, past + timedelta(hours=1))
    empty = await client.get(f"/api/events/{nobody['id']}/certificates.zip", headers=organiser)
    assert empty.status_code == 409
    assert empty.json()["code"] == "no_certificates"


async def test_thank_you_email_links_the_certificate(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    webinar = await _webinar(client, organiser)
    finalised = await client.post(f"/api/events/{webinar['event']['id']}/finalise-attendance", headers=organiser)
    assert finalised.status_code == 200, finalised.text
    niccolo = webinar["people"]["niccolo"]
    thanks = await OutboxMessage.select().where(OutboxMessage.idempotency_key == f"thank_you:{niccolo['id']}").first()
    body = text_body(thanks["message"])
    assert "Il tuo attestato di partecipazione è pronto (PDF)." in body
    link = re.search(r"http://events\.test(/api/public/registrations/\S+/certificate\.pdf)", body)
    assert link, body
    pdf = await client.get(link.group(1))
    assert pdf.status_code == 200
    assert "Niccolò Bernasconi" in pdf_text(pdf.content)
    missed = await OutboxMessage.select().where(OutboxMessage.kind == "missed_you").first()
    assert "certificate.pdf" not in text_body(missed["message"])


async def test_erased_person_has_no_certificate_to_verify(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    people = (await _webinar(client, organiser))["people"]
    code = code_in(pdf_text((await _certificate(client, people["anna"])).content))
    admin = await token_headers(client, "admin")
    erased = await client.post("/api/contacts/erase", json={"email": "anna.keller@keller-praezision.ch"}, headers=admin)
    assert erased.status_code == 200, erased.text
    assert (await client.get(f"/certificates/{code}", headers={"Accept": "application/json"})).status_code == 404
    assert (await _certificate(client, people["anna"])).status_code == 404  # erasure replaced the link
