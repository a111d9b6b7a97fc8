"""Email composition: templates, Babel formatting, MIME structure and a real SMTP round trip."""

from __future__ import annotations

import email
import email.policy
import html
import io
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib
import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from icalendar import Calendar, Event, vCalAddress
from PIL import Image

from events_service.mail.compose import (
    KINDS,
    MissingContextError,
    get_environment,
    render_message,
)
from events_service.mail.formatting import (
    format_duration_until,
    format_event_datetime,
    format_time_range,
)
from events_service.mail.mime import QR_CONTENT_ID, RenderedMessage, build_email
from events_service.qr import qr_png

WINTER_START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
HOSTILE_TITLE = "<script>alert(1)</script> \"&' Caffè ☕\r\nBcc: evil@example.com"
HOSTILE_FIRST_NAME = "Zoë-Łucja 🎉 <b>bold</b>"


def make_context(**overrides: Any) -> dict[str, Any]:
    event = {
        "title": "Intelligenza artificiale per le PMI",
        "kind": "tech_day",
        "mode": "hybrid",
        "starts_at": WINTER_START,
        "ends_at": WINTER_START + timedelta(hours=1, minutes=30),
        "timezone": "Europe/Rome",
        "venue_name": "NOI Techpark",
        "venue_address": "Via Alessandro Volta 13",
        "venue_city": "Bolzano",
        "online_url": "https://meet.example.com/j/123?pwd=s3cret",
        "description": "Una giornata di lavoro.",
    }
    event.update(overrides.pop("event", {}))
    context: dict[str, Any] = {
        "event": event,
        "person": {"first_name": "Niccolò", "last_name": "Rossi", "email": "n.rossi@example.com"},
        "language": "ignored",
        "programme_name": "InnoPMI Interreg",
        "manage_url": "https://events.example.com/r/manage/tok123",
        "event_url": "https://events.example.com/e/ai-pmi",
        "google_calendar_url": "https://calendar.google.com/calendar/render?action=TEMPLATE&text=x",
        "outlook_calendar_url": "https://outlook.live.com/calendar/0/deeplink/compose?subject=x",
        "has_qr": False,
        "waitlist_position": 7,
        "changes": ["Nuovo orario: 17:30–19:00", "Nuova sede: Aula Magna"],
        "minutes_until": 24 * 60,
        "recording_url": "https://video.example.com/rec/42",
        "slides_url": "https://files.example.com/slides/42.pdf",
        "feedback_url": "https://survey.example.com/42",
        "cancellation_reason": "Sciopero dei trasporti",
        "broadcast_subject": "Informazioni sul parcheggio",
        "broadcast_body": "Buongiorno,\nil parcheggio è in via Volta.\n\nA presto",
    }
    context.update(overrides)
    return context


def make_calendar(
    method: str = "REQUEST", summary: str = "Intelligenza artificiale, PMI; test"
) -> bytes:
    event = Event.new(
        uid="reg-42-event-7@events.example.com",
        sequence=2 if method == "CANCEL" else 0,
        summary=summary,
        start=WINTER_START,
        end=WINTER_START + timedelta(hours=1),
        location="NOI Techpark, Bolzano",
        organizer=vCalAddress.new("events@example.com", cn="Eventi"),
        attendees=[vCalAddress.new("n.rossi@example.com", cn="Niccolò Rossi")],
    )
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    return Calendar.new(prodid="-//test//events//", method=method, subcomponents=[event]).to_ical()


def reparse(message: email.message.EmailMessage) -> email.message.EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def find_part(message: email.message.Message, content_type: str) -> email.message.Message:
    parts = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(parts) == 1, f"expected one {content_type}, found {len(parts)}"
    return parts[0]


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind: str, language: str) -> None:
    rendered = render_message(kind, language, make_context())

    assert isinstance(rendered, RenderedMessage)
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert rendered.subject == rendered.subject.strip()
    expected_in_subject = (
        "Informazioni sul parcheggio"
        if kind == "broadcast"
        else "Intelligenza artificiale per le PMI"
    )
    assert expected_in_subject in rendered.subject
    assert "Intelligenza artificiale per le PMI" in rendered.text
    assert "Intelligenza artificiale per le PMI" in rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in rendered.html
    own, other = (
        ("Messaggio inviato automaticamente", "This automatic message")
        if language == "it"
        else ("This automatic message", "Messaggio inviato automaticamente")
    )
    for body in (rendered.text, rendered.html):
        assert own in body
        assert other not in body
    assert rendered.text.endswith("\n")
    assert "\n\n\n" not in rendered.text


@pytest.mark.parametrize(
    ("kind", "language", "expected_text"),
    [
        ("waitlisted", "it", "posizione 7"),
        ("waitlisted", "en", "position 7"),
        ("event_updated", "it", "- Nuova sede: Aula Magna"),
        ("event_updated", "en", "- Nuovo orario: 17:30–19:00"),
        ("reminder", "it", "inizia tra 1 giorno"),
        ("reminder", "en", "starts in 1 day"),
        ("thank_you", "it", "Registrazione: https://video.example.com/rec/42"),
        ("thank_you", "en", "Slides: https://files.example.com/slides/42.pdf"),
        ("missed_you", "en", "Recording: https://video.example.com/rec/42"),
        ("event_cancelled", "it", "Motivo: Sciopero dei trasporti"),
        ("confirmed", "it", "Quando: martedì 24 novembre 2026, 17:00–18:30 CET"),
        ("confirmed", "en", "When: Tuesday, 24 November 2026, 17:00–18:30 CET"),
        ("confirmed", "en", "Google Calendar: https://calendar.google.com/"),
        ("promoted", "it", "Outlook: https://outlook.live.com/"),
        ("cancelled", "en", "https://events.example.com/e/ai-pmi"),
        ("broadcast", "it", "il parcheggio è in via Volta."),
    ],
)
def test_kind_specific_content(kind: str, language: str, expected_text: str) -> None:
    rendered = render_message(kind, language, make_context())
    assert expected_text in rendered.text


def test_reminder_subject_and_short_delays() -> None:
    one_hour = render_message("reminder", "it", make_context(minutes_until=60))
    assert one_hour.subject == "Promemoria: Intelligenza artificiale per le PMI inizia tra 1 ora"
    half_hour = render_message("reminder", "en", make_context(minutes_until=timedelta(minutes=30)))
    assert half_hour.subject == "Reminder: Intelligenza artificiale per le PMI starts in 30 minutes"


def test_join_link_only_where_allowed() -> None:
    join = "https://meet.example.com/j/123?pwd=s3cret"
    for kind in ("confirmed", "promoted", "reminder", "event_updated"):
        rendered = render_message(kind, "en", make_context())
        assert join in rendered.text, kind
        assert html.escape(join) in rendered.html, kind
    for kind in (
        "waitlisted",
        "cancelled",
        "event_cancelled",
        "thank_you",
        "missed_you",
        "broadcast",
    ):
        rendered = render_message(kind, "it", make_context())
        assert "meet.example.com" not in rendered.text, kind
        assert "meet.example.com" not in rendered.html, kind
    in_person = make_context(event={"mode": "in_person"})
    assert "meet.example.com" not in render_message("confirmed", "it", in_person).text


def test_online_event_says_online_and_omits_venue() -> None:
    rendered = render_message(
        "confirmed", "it", make_context(event={"mode": "online", "kind": "tech_talk"})
    )
    assert "Dove: online" in rendered.text
    assert "NOI Techpark" not in rendered.text
    assert "Tech Talk: Intelligenza artificiale per le PMI" in rendered.text


def test_unknown_language_falls_back_to_english() -> None:
    rendered = render_message("confirmed", "fr", make_context())  # German is a catalog now
    assert rendered.subject == "Registration confirmed: Intelligenza artificiale per le PMI"
    assert render_message("confirmed", "it-CH", make_context()).subject.startswith(
        "Iscrizione confermata: "
    )


def test_unknown_kind_and_missing_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown message kind"):
        render_message("newsletter", "it", make_context())
    context = make_context()
    del context["waitlist_position"]
    with pytest.raises(MissingContextError, match="waitlist_position"):
        render_message("waitlisted", "it", context)
    context = make_context()
    del context["event"]["timezone"]
    with pytest.raises(MissingContextError, match="event.timezone"):
        render_message("confirmed", "en", context)


def test_naive_event_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_message(
            "confirmed", "it", make_context(event={"starts_at": datetime(2026, 11, 24, 17)})
        )


def test_optional_keys_may_be_omitted() -> None:
    minimal = {
        "event": make_context()["event"],
        "person": {"first_name": "", "last_name": "", "email": "x@example.com"},
        "programme_name": "InnoPMI",
    }
    rendered = render_message("thank_you", "it", minimal)
    assert "Gentile partecipante," in rendered.text
    assert "Registrazione" not in rendered.text
    rendered = render_message("event_cancelled", "en", minimal)
    assert "Reason:" not in rendered.text


def test_autoescape_only_for_html_templates() -> None:
    env = get_environment()
    assert env.autoescape("it/confirmed.html.j2") is True
    assert env.autoescape("it/_layout.html.j2") is True
    assert env.autoescape("it/confirmed.txt.j2") is False
    assert env.autoescape("en/confirmed.subject.j2") is False


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_input_is_escaped_in_html_and_verbatim_in_text(kind: str) -> None:
    context = make_context(
        event={"title": HOSTILE_TITLE, "venue_name": "<img src=x onerror=alert(2)>"},
        person={"first_name": HOSTILE_FIRST_NAME, "last_name": "O'Brien", "email": "z@example.com"},
        changes=['<b>Sede</b> & "orario"'],
        broadcast_subject="Avviso <b>importante</b>\r\nBcc: evil@example.com",
        broadcast_body='<script>alert(3)</script>\nRiga 2 & "3"',
    )
    rendered = render_message(kind, "it", context)

    assert "<script>" not in rendered.html
    assert "<b>bold</b>" not in rendered.html
    assert "<img src=x" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&#34;&amp;&#39;" in rendered.html
    assert "Caffè ☕" in rendered.html
    assert "<script>alert(1)</script> \"&' Caffè ☕" in rendered.text
    if kind != "broadcast":
        assert "Zoë-Łucja 🎉 <b>bold</b>" in rendered.text
        assert "Zoë-Łucja 🎉 &lt;b&gt;bold&lt;/b&gt;" in rendered.html
    assert "\r" not in rendered.subject
    assert "\n" not in rendered.subject
    if kind == "broadcast":
        assert rendered.subject == "Avviso <b>importante</b> Bcc: evil@example.com"
        assert (
            "&lt;script&gt;alert(3)&lt;/script&gt;<br>\nRiga 2 &amp; &#34;3&#34;" in rendered.html
        )
        assert '<script>alert(3)</script>\nRiga 2 & "3"' in rendered.text
    else:
        assert "Caffè ☕ Bcc: evil@example.com" in rendered.subject
    if kind == "event_updated":
        assert "&lt;b&gt;Sede&lt;/b&gt; &amp; &#34;orario&#34;" in rendered.html
        assert '- <b>Sede</b> & "orario"' in rendered.text


def test_hostile_title_cannot_add_a_header() -> None:
    rendered = render_message("confirmed", "en", make_context(event={"title": HOSTILE_TITLE}))
    message = build_email(
        sender="events@example.com",
        sender_name="Eventi\r\nBcc: evil2@example.com",
        to="z@example.com",
        rendered=rendered,
    )
    raw = message.as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in header_block.split(b"\r\n"))
    parsed = reparse(message)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == (
        "Registration confirmed: <script>alert(1)</script> \"&' Caffè ☕ Bcc: evil@example.com"
    )
    assert parsed["From"].addresses[0].addr_spec == "events@example.com"


def test_build_email_flattens_a_hand_made_multiline_subject() -> None:
    rendered = RenderedMessage(
        subject="Hello\r\nBcc: evil@example.com\u2028X-Evil: 1", text="Hi\n", html="<p>Hi</p>\n"
    )
    message = build_email(
        sender="events@example.com", sender_name="Eventi", to="a@example.com", rendered=rendered
    )
    parsed = reparse(message)
    assert parsed["Subject"] == "Hello Bcc: evil@example.com X-Evil: 1"
    assert parsed["Bcc"] is None
    assert parsed["X-Evil"] is None


def test_unsafe_link_schemes_are_neutralised() -> None:
    rendered = render_message(
        "thank_you", "en", make_context(recording_url="javascript:alert(document.cookie)")
    )
    assert "javascript:" not in rendered.html
    assert 'href="#"' in rendered.html


def test_build_email_rejects_line_breaks_in_addresses_and_headers() -> None:
    rendered = render_message("cancelled", "it", make_context())
    with pytest.raises(ValueError):
        build_email(
            sender="events@example.com",
            sender_name="Eventi",
            to="a@example.com\r\nBcc: evil@example.com",
            rendered=rendered,
        )
    with pytest.raises(ValueError):
        build_email(
            sender="events@example.com\r\nBcc: evil@example.com",
            sender_name="Eventi",
            to="a@example.com",
            rendered=rendered,
        )
    with pytest.raises(ValueError):
        build_email(
            sender="events@example.com",
            sender_name="Eventi",
            to="a@example.com",
            rendered=rendered,
            headers={"X-Tag": "a\nBcc: evil@example.com"},
        )
    with pytest.raises(ValueError):
        build_email(
            sender="events@example.com",
            sender_name="Eventi",
            to="a@example.com",
            rendered=rendered,
            headers={"Content-Type": "text/plain"},
        )


# --------------------------------------------------------------------------- formatting


def test_italian_winter_date_matches_exactly() -> None:
    assert (
        format_event_datetime(WINTER_START, "Europe/Rome", "it")
        == "martedì 24 novembre 2026, 17:00 CET"
    )
    assert (
        format_event_datetime(WINTER_START, "Europe/Rome", "en")
        == "Tuesday, 24 November 2026, 17:00 CET"
    )


def test_summer_date_uses_cest() -> None:
    summer = datetime(2026, 7, 14, 15, 30, tzinfo=UTC)
    assert (
        format_event_datetime(summer, "Europe/Rome", "it") == "martedì 14 luglio 2026, 17:30 CEST"
    )
    assert (
        format_event_datetime(summer, "Europe/Zurich", "en") == "Tuesday, 14 July 2026, 17:30 CEST"
    )


def test_numeric_zone_abbreviations_fall_back_to_gmt_offset() -> None:
    assert format_event_datetime(WINTER_START, "America/Sao_Paulo", "en").endswith(
        "13:00 GMT-03:00"
    )


def test_time_ranges() -> None:
    end = WINTER_START + timedelta(hours=1, minutes=30)
    assert format_time_range(WINTER_START, end, "Europe/Rome", "it") == (
        "martedì 24 novembre 2026, 17:00–18:30 CET"
    )
    two_days = WINTER_START + timedelta(days=1)
    assert format_time_range(WINTER_START, two_days, "Europe/Rome", "en") == (
        "Tuesday, 24 November 2026, 17:00 CET – Wednesday, 25 November 2026, 17:00 CET"
    )


def test_durations() -> None:
    assert format_duration_until(timedelta(days=1), "it") == "1 giorno"
    assert format_duration_until(timedelta(hours=1), "it") == "1 ora"
    assert format_duration_until(timedelta(days=1), "en", add_direction=True) == "in 1 day"
    assert format_duration_until(timedelta(hours=2), "it", add_direction=True) == "tra 2 ore"
    assert format_duration_until(15, "en") == "15 minutes"
    assert format_duration_until(timedelta(seconds=-5), "en") == "1 minute"


# --------------------------------------------------------------------------- MIME


def build_invite(method: str = "REQUEST", with_qr: bool = True) -> tuple[bytes, Any]:
    calendar = make_calendar(method)
    kind = "event_cancelled" if method == "CANCEL" else "confirmed"
    rendered = render_message(kind, "it", make_context(has_qr=with_qr and kind == "confirmed"))
    message = build_email(
        sender="events@example.com",
        sender_name='Programma "Innovazione", PMI – Südtirol',
        to="n.rossi@example.com",
        rendered=rendered,
        calendar=calendar,
        qr_png=qr_png("https://events.example.com/checkin/tok")
        if with_qr and kind == "confirmed"
        else None,
        message_id_domain="events.example.com",
    )
    return calendar, message


def test_invite_mime_tree() -> None:
    calendar, message = build_invite()
    parsed = reparse(message)
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "text/calendar",
        "application/ics",
    ]
    cal_part = find_part(parsed, "text/calendar")
    assert cal_part.get_param("method") == "REQUEST"
    assert b"METHOD:REQUEST\r\n" in calendar
    assert cal_part.get_content_charset() == "utf-8"
    assert cal_part.get_content_disposition() is None

    attachment = find_part(parsed, "application/ics")
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar


def test_calendar_crlf_survives_serialisation() -> None:
    calendar, message = build_invite()
    assert b"\r\n" in calendar
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    payload = find_part(parsed, "text/calendar").get_payload(decode=True)
    assert payload == calendar
    assert payload.count(b"\r\n") == calendar.count(b"\n")  # no bare LF anywhere
    assert b"\n" not in payload.replace(b"\r\n", b"")


def test_cancel_method_parameter_matches_calendar() -> None:
    calendar, message = build_invite("CANCEL", with_qr=False)
    parsed = reparse(message)
    assert b"METHOD:CANCEL\r\n" in calendar
    assert find_part(parsed, "text/calendar").get_param("method") == "CANCEL"
    assert not [p for p in parsed.walk() if p.get_content_type() == "image/png"]


def test_method_mismatch_and_missing_method_are_rejected() -> None:
    rendered = render_message("confirmed", "en", make_context())
    with pytest.raises(ValueError, match="differs"):
        build_email(
            sender="events@example.com",
            sender_name="Eventi",
            to="a@example.com",
            rendered=rendered,
            calendar=make_calendar("REQUEST"),
            calendar_method="PUBLISH",
        )
    no_method = make_calendar("REQUEST").replace(b"METHOD:REQUEST\r\n", b"")
    with pytest.raises(ValueError, match="no METHOD"):
        build_email(
            sender="events@example.com",
            sender_name="Eventi",
            to="a@example.com",
            rendered=rendered,
            calendar=no_method,
        )


def test_qr_image_is_inline_and_referenced_by_html() -> None:
    _, message = build_invite()
    parsed = reparse(message)
    image = find_part(parsed, "image/png")
    content_id = image["Content-ID"]
    assert content_id == f"<{QR_CONTENT_ID}>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    related = find_part(parsed, "multipart/related")
    assert related.get_param("type") == "text/html"
    html_body = find_part(parsed, "text/html").get_content()
    assert f'src="cid:{content_id.strip("<>")}"' in html_body
    assert "cid:" not in find_part(parsed, "text/plain").get_content()


def test_qr_and_html_must_agree() -> None:
    with_qr = render_message("confirmed", "it", make_context(has_qr=True))
    without_qr = render_message("confirmed", "it", make_context(has_qr=False))
    png = qr_png("https://events.example.com/checkin/tok")
    with pytest.raises(ValueError, match="qr_png is not given"):
        build_email(sender="e@example.com", sender_name="E", to="a@example.com", rendered=with_qr)
    with pytest.raises(ValueError, match="does not show it"):
        build_email(
            sender="e@example.com",
            sender_name="E",
            to="a@example.com",
            rendered=without_qr,
            qr_png=png,
        )


def test_qr_png_scales() -> None:
    small, large = (
        qr_png("https://events.example.com/checkin/tok", scale=2),
        qr_png("https://events.example.com/checkin/tok", scale=8),
    )
    assert small.startswith(b"\x89PNG")
    assert large.startswith(b"\x89PNG")
    width = int.from_bytes(small[16:20], "big")
    assert int.from_bytes(large[16:20], "big") == width * 4


@pytest.mark.parametrize("scale", [2, 6])
def test_qr_png_reads_back_as_the_checkin_token(scale: int) -> None:
    token = "123456.3fa9c0d1e2b4.x1EhRpvak1z1ZOX8b88KkqTk"
    image = Image.open(io.BytesIO(qr_png(token, scale=scale)))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [token]


def test_long_lines_and_foreign_headers_survive_the_wire() -> None:
    long_word = "x" * 2500
    rendered = RenderedMessage(
        subject="Perché l'intelligenza artificiale cambierà la manutenzione " * 4,
        text=f"Ciao Zoë,\n\n{long_word}\nfine riga con spazio \n",
        html=f"<p>{long_word}</p>\n<p>àèìòù – ü</p>\n",
    )
    message = build_email(
        sender="e@example.com",
        sender_name="Südtirol – PMI",
        to="Zoë O'Brien <z@example.com>",
        rendered=rendered,
        headers={"Reply-To": "aiuto@example.com"},
    )
    raw = message.as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = reparse(message)
    assert parsed["Subject"] == rendered.subject.strip()
    assert message["Subject"] == rendered.subject.strip()
    assert parsed["From"].addresses[0].display_name == "Südtirol – PMI"
    assert parsed["To"].addresses[0].display_name == "Zoë O'Brien"
    assert parsed["Reply-To"] == "aiuto@example.com"
    assert find_part(parsed, "text/plain").get_content() == rendered.text.replace("\n", "\r\n")
    assert find_part(parsed, "text/html").get_content() == rendered.html.replace("\n", "\r\n")
    assert parsed.defects == []
    assert all(part.defects == [] for part in parsed.walk())


def test_message_without_calendar_is_alternative() -> None:
    rendered = render_message("thank_you", "en", make_context())
    parsed = reparse(
        build_email(
            sender="e@example.com", sender_name="Eventi", to="a@example.com", rendered=rendered
        )
    )
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    # on the wire every line ends in CRLF
    assert find_part(parsed, "text/plain").get_content() == rendered.text.replace("\n", "\r\n")
    assert find_part(parsed, "text/html").get_content() == rendered.html.replace("\n", "\r\n")


def test_headers() -> None:
    _, message = build_invite()
    parsed = reparse(message)
    sender = parsed["From"].addresses[0]
    assert sender.display_name == 'Programma "Innovazione", PMI – Südtirol'
    assert sender.addr_spec == "events@example.com"
    assert parsed["To"].addresses[0].addr_spec == "n.rossi@example.com"
    assert parsed["Subject"] == "Iscrizione confermata: Intelligenza artificiale per le PMI"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@events.example.com>")
    assert parsed["Date"].datetime.tzinfo is not None
    assert message.as_bytes().isascii()  # every header and body is 7-bit safe here

    rendered = render_message("cancelled", "en", make_context())
    custom = build_email(
        sender="e@example.com",
        sender_name="Eventi",
        to="Zoë O'Brien <z@example.com>",
        rendered=rendered,
        headers={"Message-ID": "<outbox-17@events.example.com>", "Reply-To": "help@example.com"},
    )
    parsed = reparse(custom)
    assert parsed["Message-ID"] == "<outbox-17@events.example.com>"
    assert len(parsed.get_all("Message-ID")) == 1
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["To"].addresses[0].display_name == "Zoë O'Brien"


# --------------------------------------------------------------------------- real SMTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CollectingHandler:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.mark.asyncio
async def test_send_through_real_smtp_server(smtp_server) -> None:
    controller, handler = smtp_server
    calendar, message = build_invite()

    errors, response = await aiosmtplib.send(
        message.as_bytes(),
        sender="events@example.com",
        recipients=["n.rossi@example.com"],
        hostname=controller.hostname,
        port=controller.port,
        start_tls=False,
        timeout=10,
    )

    assert errors == {}
    assert "accepted" in response
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "events@example.com"
    assert envelope.rcpt_tos == ["n.rossi@example.com"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Iscrizione confermata: Intelligenza artificiale per le PMI"
    assert received["From"].addresses[0].display_name == 'Programma "Innovazione", PMI – Südtirol'
    assert find_part(received, "text/calendar").get_param("method") == "REQUEST"
    assert find_part(received, "text/calendar").get_payload(decode=True) == calendar
    assert "martedì 24 novembre 2026" in find_part(received, "text/plain").get_content()
    assert find_part(received, "image/png")["Content-ID"] == f"<{QR_CONTENT_ID}>"
