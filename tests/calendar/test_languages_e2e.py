"""A registration's language chooses its emails' catalog, end to end: register over HTTP, let
the real dispatcher send the outbox to a real SMTP server, read what the person gets. German is
a catalog only (events_service/locale/de), with the Swiss way of writing dates."""

from __future__ import annotations

import httpx

from tests.calendar.conftest import Mailbox
from tests.factories import published_event, registration_payload


async def test_a_registration_in_german_gets_german_emails(
    client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox
) -> None:
    talk = await published_event(client, organiser)
    answer = await client.post(
        f"/api/public/events/{talk['id']}/registrations",
        json=registration_payload("anna.muster@firma.example", 3, language="de"),
    )
    assert answer.status_code == 201, answer.text
    (mail,) = await mailbox.dispatch()
    assert mail.subject == f"Anmeldung bestätigt: {talk['title']}"
    text = mail.text.replace("\r\n", "\n")
    assert text.startswith("Anmeldung bestätigt\n\nGuten Tag Anna\n")
    assert "Ihre Anmeldung ist bestätigt." in text
    assert "Wann: " in text
    assert "Anmeldung verwalten: " in text
    assert "Freundliche Grüsse" in text
    assert "Dear" not in text

    cancelled = await client.post(f"/api/public/registrations/{answer.json()['manage_token']}/cancel")
    assert cancelled.status_code in (200, 204), cancelled.text
    (notice,) = await mailbox.dispatch()
    assert notice.subject == f"Anmeldung storniert: {talk['title']}"


async def test_the_other_languages_keep_their_words(
    client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox
) -> None:
    talk = await published_event(client, organiser)
    for email, language in (("ada.rossi@azienda1.example", "it"), ("ada.smith@azienda2.example", "en")):
        answer = await client.post(
            f"/api/public/events/{talk['id']}/registrations", json=registration_payload(email, 1 if language == "it" else 2, language=language)
        )
        assert answer.status_code == 201, answer.text
    subjects = sorted(mail.subject for mail in await mailbox.dispatch())
    assert subjects == [f"Iscrizione confermata: {talk['title']}", f"Registration confirmed: {talk['title']}"]
