"""Invites end to end: register over HTTP, let the real dispatcher send the outbox to a real
SMTP server (aiosmtpd), and read back what a mail client would get.

Checks the MIME tree (RFC 6047), the iTIP rules (RFC 5546) of REQUEST and CANCEL, and that the
UID stays and SEQUENCE rises over a registration's life: invite, debounced update, cancellation,
promotion from the waitlist, cancellation of the event.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from events_service.mail.formatting import format_time_range
from events_service.mail.mime import QR_CONTENT_ID
from events_service.registrations.service import UPDATE_SETTLE_TIME, send_due_event_updates
from events_service.settings import Settings
from tests.calendar.conftest import Mail, Mailbox
from tests.calendar.test_calendar_routes import feed_link
from tests.factories import future, published_event, registration_payload

ORGANIZER = "mailto:events@programme.example"
PROGRAMME = "SME Innovation Programme"
JOIN_URL = "https://meet.example.org/j/123456"
VENUE = "Polo Territoriale di Lecco, Via Gaetano Previati 1/c, Lecco"
UTC_TIME = re.compile(rb"^\d{8}T\d{6}Z$")


async def register(client: httpx.AsyncClient, event_id: int, email: str, company_no: int, **extra: Any) -> dict[str, Any]:
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no, **extra))
    assert answer.status_code == 201, answer.text
    return answer.json()


def by_recipient(mails: list[Mail]) -> dict[str, list[Mail]]:
    grouped: dict[str, list[Mail]] = defaultdict(list)
    for mail in mails:
        grouped[mail.to].append(mail)
    return dict(grouped)


def unfolded_lines(calendar: bytes) -> list[bytes]:
    return calendar.replace(b"\r\n ", b"").split(b"\r\n")


def property_lines(calendar: bytes, name: str) -> list[bytes]:
    prefix = name.encode()
    return [line for line in unfolded_lines(calendar) if re.match(rb"^" + prefix + rb"[:;]", line)]


def check_mime(mail: Mail, method: str, *, qr: bool = False) -> None:
    """multipart/mixed -> [multipart/alternative -> [text/plain, text/html (or related with
    the QR code), text/calendar; method=...], application/ics invite.ics]."""
    message = mail.message
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    if qr:
        assert html.get_content_type() == "multipart/related"
        page, image = html.get_payload()
        assert page.get_content_type() == "text/html"
        assert f"cid:{QR_CONTENT_ID}" in page.get_content()
        assert image.get_content_type() == "image/png"
        assert image["Content-ID"] == f"<{QR_CONTENT_ID}>"
    else:
        assert html.get_content_type() == "text/html"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == method == mail.method  # RFC 6047: the same method
    assert calendar.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    data = calendar.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == data
    # CRLF survived the trip: every line of the calendar ends in CRLF, none is longer than 75 octets.
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def check_itip(mail: Mail, method: str, *, email: str, name: str, sequence: int) -> Any:
    """What RFC 5546 asks of a REQUEST or CANCEL with one attendee; returns the VEVENT."""
    data = mail.calendar_bytes
    assert data is not None
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == method
    assert [component.name for component in calendar.subcomponents] == ["VEVENT"]  # times in UTC: no VTIMEZONE
    event = calendar.subcomponents[0]
    organizer = event["ORGANIZER"]
    assert str(organizer) == ORGANIZER
    assert organizer.params["CN"] == PROGRAMME
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list), "exactly one ATTENDEE"
    assert str(attendee) == f"mailto:{email}"
    assert attendee.params["CN"] == name
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    # A REQUEST asks for Accept/Decline (replies/ reads the answers); a CANCEL asks for nothing.
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == ("TRUE" if method == "REQUEST" else "FALSE")
    for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
        assert required in event, required
    for name_ in ("DTSTAMP", "DTSTART", "DTEND"):
        (line,) = property_lines(data, name_)
        assert UTC_TIME.match(line.split(b":", 1)[1]), line  # no TZID, no floating time
    assert int(event["SEQUENCE"]) == sequence
    alarms = event.walk("VALARM")
    if method == "REQUEST":
        assert str(event["STATUS"]) == "CONFIRMED"
        (alarm,) = alarms
        assert str(alarm["ACTION"]) == "DISPLAY"
        (trigger,) = property_lines(alarm.to_ical(), "TRIGGER")
        assert trigger.endswith(b":-PT15M")
    else:
        assert str(event["STATUS"]) == "CANCELLED"
        assert alarms == []
    return event


def utc(event: Any, name: str) -> datetime:
    return event.decoded(name).astimezone(UTC)


async def test_invite_update_cancellation_and_promotion_over_smtp(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, mailbox: Mailbox
) -> None:
    event = await published_event(client, organiser, capacity=2)
    people = {
        "anna": await register(client, event["id"], "anna.rossi@azienda1.example", 1),
        "bruno": await register(client, event["id"], "bruno.verdi@azienda2.example", 2),
        "carla": await register(client, event["id"], "carla.neri@azienda3.example", 3),
    }
    assert [person["status"] for person in people.values()] == ["confirmed", "confirmed", "waitlisted"]
    names = {"anna": "Anna Rossi", "bruno": "Bruno Verdi", "carla": "Carla Neri"}
    email = {key: person["email"] for key, person in people.items()}

    # 1. The invites: REQUEST for the confirmed, no calendar for the waitlisted.
    inbox = by_recipient(await mailbox.dispatch())
    assert sorted(inbox) == sorted(email.values())
    assert all(len(mails) == 1 for mails in inbox.values())
    assert inbox[email["carla"]][0].calendar_bytes is None
    uids: dict[str, str] = {}
    feed_links: dict[str, str] = {}
    for key in ("anna", "bruno"):
        mail = inbox[email[key]][0]
        check_mime(mail, "REQUEST")
        invite = check_itip(mail, "REQUEST", email=email[key], name=names[key], sequence=0)
        assert str(invite["SUMMARY"]) == event["title"]
        assert utc(invite, "DTSTART") == datetime.fromisoformat(event["starts_at"])
        assert utc(invite, "DTEND") == datetime.fromisoformat(event["ends_at"])
        assert f"Link per collegarsi: {JOIN_URL}" in str(invite["DESCRIPTION"])  # an Italian registrant
        assert str(invite["LOCATION"]) == JOIN_URL
        assert str(invite["URL"]) == people[key]["manage_url"]
        uids[key] = str(invite["UID"])
        feed_links[key] = feed_link(mail.text)
    assert uids["anna"] != uids["bruno"]
    assert all(uid.startswith(f"event-{event['id']}-registration-") and uid.endswith("@events.test") for uid in uids.values())

    # 2. Two changes of time within the settle window: one update per confirmed person.
    path = f"/api/events/{event['id']}"
    for days in (31, 32):
        starts = future(days=days, hour=14)
        moved = await client.patch(path, json={"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}, headers=organiser)
        assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 2
    assert await send_due_event_updates(settings) == 0  # still settling
    assert await mailbox.dispatch() == []
    settled = datetime.now(UTC) + UPDATE_SETTLE_TIME + timedelta(minutes=1)
    assert await send_due_event_updates(settings, now=settled) == 2
    assert await send_due_event_updates(settings, now=settled + timedelta(hours=1)) == 0

    updates = await mailbox.dispatch()
    assert sorted(mail.to for mail in updates) == sorted([email["anna"], email["bruno"]])
    when = format_time_range(starts, starts + timedelta(hours=2), "Europe/Rome", "it")
    for mail in updates:
        key = "anna" if mail.to == email["anna"] else "bruno"
        check_mime(mail, "REQUEST")
        update = check_itip(mail, "REQUEST", email=email[key], name=names[key], sequence=2)
        assert str(update["UID"]) == uids[key]
        assert utc(update, "DTSTART") == starts
        assert utc(update, "DTEND") == starts + timedelta(hours=2)
        assert f"Nuovo orario: {when}" in mail.text
        assert str(update["LOCATION"]) == JOIN_URL

    # 3. Anna cancels: CANCEL with her UID and a higher SEQUENCE; Carla moves up with a REQUEST.
    cancelled = await client.post(f"/api/public/registrations/{people['anna']['manage_token']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    inbox = by_recipient(await mailbox.dispatch())
    assert sorted(inbox) == sorted([email["anna"], email["carla"]])
    (withdrawn,) = inbox[email["anna"]]
    check_mime(withdrawn, "CANCEL")
    notice = check_itip(withdrawn, "CANCEL", email=email["anna"], name=names["anna"], sequence=3)
    assert str(notice["UID"]) == uids["anna"]
    assert JOIN_URL not in withdrawn.calendar_bytes.decode()  # no longer hers to see

    (promotion,) = inbox[email["carla"]]
    check_mime(promotion, "REQUEST")
    promoted = check_itip(promotion, "REQUEST", email=email["carla"], name=names["carla"], sequence=2)
    uids["carla"] = str(promoted["UID"])
    assert uids["carla"] not in (uids["anna"], uids["bruno"])
    assert str(promoted["LOCATION"]) == JOIN_URL
    assert utc(promoted, "DTSTART") == starts

    # 4. The event is cancelled: everyone still registered gets a CANCEL above all their REQUESTs.
    ended = await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    assert ended.status_code == 200
    assert ended.json()["sequence"] == 3
    inbox = by_recipient(await mailbox.dispatch())
    assert sorted(inbox) == sorted([email["bruno"], email["carla"]])  # Anna had cancelled already
    for key in ("bruno", "carla"):
        (mail,) = inbox[email[key]]
        check_mime(mail, "CANCEL")
        notice = check_itip(mail, "CANCEL", email=email[key], name=names[key], sequence=3)
        assert str(notice["UID"]) == uids[key]
        assert int(notice["SEQUENCE"]) > 2  # every REQUEST they had: 0 and 2 (Bruno), 2 (Carla)

    # Their own calendar feeds say the same: same UID, cancelled, the CANCEL's SEQUENCE.
    calendar = Calendar.from_ical((await client.get(feed_links["bruno"].removeprefix("http://events.test"))).content)
    (entry,) = calendar.walk("VEVENT")
    assert (str(entry["UID"]), str(entry["STATUS"]), int(entry["SEQUENCE"])) == (uids["bruno"], "CANCELLED", 3)


async def test_promotion_by_more_seats_sends_a_request(client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox) -> None:
    event = await published_event(client, organiser, capacity=0)
    waiting = await register(client, event["id"], "dario.blu@azienda4.example", 4)
    assert waiting["status"] == "waitlisted"
    (notice,) = await mailbox.dispatch()
    assert notice.calendar_bytes is None

    grown = await client.patch(f"/api/events/{event['id']}", json={"capacity": 5}, headers=organiser)
    assert grown.status_code == 200
    assert grown.json()["sequence"] == 0
    (mail,) = await mailbox.dispatch()
    check_mime(mail, "REQUEST")
    invite = check_itip(mail, "REQUEST", email=waiting["email"], name="Dario Blu", sequence=0)
    assert str(invite["LOCATION"]) == JOIN_URL
    assert str(invite["URL"]) == waiting["manage_url"]


async def test_tech_day_invites_carry_venue_agenda_and_qr_code(
    client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox
) -> None:
    day = await published_event(client, organiser, tech_day=True)
    guest = await register(client, day["id"], "elena.gialli@azienda5.example", 5)
    (mail,) = await mailbox.dispatch()
    check_mime(mail, "REQUEST", qr=True)
    invite = check_itip(mail, "REQUEST", email=guest["email"], name="Elena Gialli", sequence=0)
    assert str(invite["LOCATION"]) == VENUE
    description = str(invite["DESCRIPTION"])
    assert "Programma (Europe/Rome):" in description
    assert "Welcome" in description
    assert "Cobots on the shop floor (Marco Rossi)" in description
    assert "Link per collegarsi" not in description
    assert "meet.example.org" not in mail.calendar_bytes.decode()


async def test_hybrid_event_shows_the_link_only_to_online_attendees(
    client: httpx.AsyncClient, organiser: dict[str, str], mailbox: Mailbox
) -> None:
    event = await published_event(
        client,
        organiser,
        mode="hybrid",
        capacity=10,
        online_capacity=10,
        venue={"name": "Polo Territoriale di Lecco", "address": "Via Gaetano Previati 1/c", "city": "Lecco"},
    )
    remote = await register(client, event["id"], "fabio.viola@azienda6.example", 6, attendance_mode="online")
    on_site = await register(client, event["id"], "gina.rosa@azienda7.example", 7, attendance_mode="in_person")
    inbox = by_recipient(await mailbox.dispatch())

    (online_mail,) = inbox[remote["email"]]
    check_mime(online_mail, "REQUEST")
    online = check_itip(online_mail, "REQUEST", email=remote["email"], name="Fabio Viola", sequence=0)
    assert str(online["LOCATION"]) == JOIN_URL
    assert JOIN_URL in str(online["DESCRIPTION"])

    (room_mail,) = inbox[on_site["email"]]
    check_mime(room_mail, "REQUEST", qr=True)
    room = check_itip(room_mail, "REQUEST", email=on_site["email"], name="Gina Rosa", sequence=0)
    assert str(room["LOCATION"]) == VENUE
    assert "meet.example.org" not in room_mail.calendar_bytes.decode()


# Titles and names refuse line breaks at the door (422, tests/test_hostile_input.py); what they
# may hold still tries to pass for iCalendar syntax. The description keeps its CRLF.
HOSTILE_TITLE = 'Talk: AI; ML, "quotes" \\ back;ATTENDEE:mailto:evil@x 🎉'
HOSTILE_FIRST = 'Zoë "Z"; O\'Brien,ATTENDEE:mailto:evil@x'
HOSTILE_LAST = "Rossi 🚀"


def hostile_description() -> str:
    core = 'Intro; with, commas "and" quotes\r\nATTENDEE:mailto:evil@x\r\nEND:VEVENT\r\nBEGIN:VEVENT\n🎉 àèìòù 漢字 \\n '
    text = (core * 40)[:1_990] + "\u2028end\tTAB"
    text = (text + "z" * 2_000)[:2_000]
    assert len(text) == 2_000
    return text


async def test_hostile_text_round_trips_and_adds_no_property(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, mailbox: Mailbox
) -> None:
    description = hostile_description()
    event = await published_event(client, organiser, title=HOSTILE_TITLE, description=description)
    person = await register(client, event["id"], "hana.nero@azienda8.example", 8, first_name=HOSTILE_FIRST, last_name=HOSTILE_LAST)

    (mail,) = await mailbox.dispatch()
    check_mime(mail, "REQUEST")
    cn = " ".join(f"{HOSTILE_FIRST} {HOSTILE_LAST}".replace('"', "").split())
    invite = check_itip(mail, "REQUEST", email=person["email"], name=cn, sequence=0)
    # iCalendar has one newline: CRLF comes back as LF; nothing else changes.
    assert str(invite["SUMMARY"]) == HOSTILE_TITLE.replace("\r\n", "\n")
    assert str(invite["DESCRIPTION"]).startswith(description.replace("\r\n", "\n") + "\n\nLink per collegarsi: ")
    data = mail.calendar_bytes
    for name, count in [("BEGIN", 3), ("END", 3), ("ATTENDEE", 1), ("ORGANIZER", 1), ("SUMMARY", 1), ("DESCRIPTION", 2), ("UID", 1)]:
        assert len(property_lines(data, name)) == count, (name, property_lines(data, name))  # VCALENDAR, VEVENT, VALARM
    assert not any(line.upper().startswith(b"ATTENDEE:MAILTO:EVIL") for line in unfolded_lines(data))

    # The subject is one line; no header was smuggled in.
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject
    assert "🎉" in mail.subject
    assert "ATTENDEE" not in [key.upper() for key in mail.message]

    # The same text in the public download and feed: one property each, no join link.
    for path in (f"/events/{event['id']}.ics", "/calendar/events.ics"):
        body = (await client.get(path)).content
        (vevent,) = Calendar.from_ical(body).walk("VEVENT")
        assert str(vevent["SUMMARY"]) == HOSTILE_TITLE.replace("\r\n", "\n")
        assert len(property_lines(body, "SUMMARY")) == 1
        assert property_lines(body, "ATTENDEE") == []
        assert b"meet.example.org" not in body
