"""mail/mime.py writes MIME by hand (for speed, see its docstring): the standard library's
parser must read every part back exactly as it went in, in every shape the service sends."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar, Event, vCalAddress

from events_service.mail.mime import QR_CONTENT_ID, RenderedMessage, build_email
from events_service.qr import qr_png

START = datetime(2026, 11, 24, 16, tzinfo=UTC)
TEXT = "Ciao Zoë,\n\nla tua iscrizione è confermata – a presto.\n" + "x" * 1200 + "\n"
HTML_QR = f'<p>Ciao Zoë,</p>\n<p><img src="cid:{QR_CONTENT_ID}" alt="QR"></p>\n'
HTML_PLAIN = "<p>Ciao Zoë,</p>\n<p>àèìòù</p>\n"


def _calendar() -> bytes:
    event = Event.new(uid="42@events.example.com", sequence=1, summary="Intelligenza artificiale per le PMI",
                      start=START, end=START + timedelta(hours=1), location="NOI Techpark, Bolzano",
                      organizer=vCalAddress.new("events@example.com", cn="Eventi"),
                      attendees=[vCalAddress.new("z@example.com", cn="Zoë O'Brien")])
    return Calendar.new(prodid="-//test//", method="REQUEST", subcomponents=[event]).to_ical()


def _parts(message: email.message.EmailMessage) -> dict[str, list[email.message.EmailMessage]]:
    found: dict[str, list[email.message.EmailMessage]] = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


@pytest.mark.parametrize(("with_calendar", "with_qr"), [(False, False), (False, True), (True, False), (True, True)])
def test_every_part_reads_back_exactly(with_calendar: bool, with_qr: bool) -> None:
    calendar = _calendar() if with_calendar else None
    png = qr_png("123456.3fa9c0d1e2b4.x1EhRpvak1z1ZOX8b88KkqTk") if with_qr else None
    rendered = RenderedMessage("Iscrizione confermata: Perché l'IA – Südtirol", TEXT, HTML_QR if with_qr else HTML_PLAIN)
    message = build_email(sender="events@example.com", sender_name="Programma PMI – Südtirol", to="Zoë O'Brien <z@example.com>",
                          rendered=rendered, calendar=calendar, qr_png=png, message_id_domain="events.example.com")

    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    parts = _parts(parsed)

    assert parsed.defects == []
    assert all(part.defects == [] for part in parsed.walk())
    assert parsed["Subject"] == rendered.subject
    assert parsed["To"].addresses[0].display_name == "Zoë O'Brien"
    assert parsed["From"].addresses[0].display_name == "Programma PMI – Südtirol"
    assert parts["text/plain"][0].get_content() == TEXT.replace("\n", "\r\n")
    assert parts["text/html"][0].get_content() == rendered.html.replace("\n", "\r\n")
    if with_qr:
        assert parts["image/png"][0].get_payload(decode=True) == png
    else:
        assert "image/png" not in parts
    if with_calendar:
        assert parts["text/calendar"][0].get_payload(decode=True) == calendar
        assert parts["application/ics"][0].get_payload(decode=True) == calendar
    else:
        assert "text/calendar" not in parts
