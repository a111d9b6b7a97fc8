"""Importing Zoom, Teams and Webex participant reports onto an event's registrations.

The event is the samples' Tech Talk: 2026-11-24 17:00-18:30 Europe/Rome (90 minutes), so the
default threshold of 50% is 45 minutes. Each participant's minutes are worked out by hand in
tests/attendance/test_parsers.py.
"""

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from events_service.attendance.tables import AttendanceInterval
from events_service.events.tables import Event
from events_service.registrations.tables import Registration
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    checkin_code,
    load,
    move_event,
    register,
    talk,
    upload,
)
from tests.factories import partita_iva, published_event, swiss_uid


async def _attendance(event_id: int) -> dict[str, tuple[bool, int, str | None]]:
    rows = await Registration.select(
        Registration.contact.email.as_alias("email"), Registration.attended, Registration.minutes_attended, Registration.attendance_source
    ).where(Registration.event == event_id)
    return {row["email"]: (row["attended"], row["minutes_attended"], row["attendance_source"]) for row in rows}


async def _zoom_talk(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    event = await talk(client, organiser, title="AI generativa per le PMI")
    people = {email.lower(): await register(client, event["id"], email, first, last, company) for email, first, last, company in ZOOM_PEOPLE}
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    return event, people


ZOOM_EXPECTED = {
    "anna.keller@keller-praezision.ch": (True, 88, "import"),
    "niccolo.bernasconi@bernasconi-meccanica.ch": (True, 90, "import"),  # 91 in the report, 1 of them after the end
    "zoe.mueller@mueller-textil.ch": (True, 66, "import"),
    "marco.rossi@rossi-impianti.example": (True, 55, "import"),
    "luca.bianchi@officine-bianchi.it": (True, 55, "import"),
    "elena.ferrari@ferrari-pack.example": (True, 87, "import"),
    "paolo.conti@conti-trasporti.it": (False, 0, None),
}


async def test_zoom_meeting_report_matches_by_email_then_by_name(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    answer = await upload(client, organiser, event["id"], load("zoom_participants.csv"), "participants_81234567890.csv")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["platform"] == "zoom"
    assert (body["rows"], body["participants"], body["matched"], body["attended"]) == (13, 7, 6, 6)
    # The host did not register: listed for the organiser, never dropped; her 99 minutes are cut
    # to the event's 90 (only minutes inside the event's window count).
    assert body["unmatched"] == [{"name": "Giulia Ferri", "email": "giulia.ferri@innovazione-pmi.it", "minutes": 90, "host": False}]
    assert body["errors"] == []
    assert body["threshold_percent"] == 50
    # Every interval but Anna's waiting room: 13 rows - 1
    assert body["intervals_added"] == 12 == await AttendanceInterval.count()
    assert await _attendance(event["id"]) == ZOOM_EXPECTED
    guest = await AttendanceInterval.select().where(AttendanceInterval.participant_key == "name:marco rossi")
    assert len(guest) == 2
    assert all(row["registration"] is not None and row["email"] is None for row in guest)
    unmatched = await AttendanceInterval.select().where(AttendanceInterval.registration.is_null())
    assert [row["participant_key"] for row in unmatched] == ["giulia.ferri@innovazione-pmi.it"]


async def test_reimporting_the_same_report_changes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    first = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    intervals = await AttendanceInterval.select().order_by(AttendanceInterval.id)
    registrations = await Registration.select().order_by(Registration.id)

    again = await upload(client, organiser, event["id"], load("zoom_participants.csv"), platform="zoom")
    assert again.status_code == 200, again.text
    assert again.json()["intervals_added"] == 0
    assert {k: v for k, v in again.json().items() if k != "intervals_added"} == {
        k: v for k, v in first.json().items() if k != "intervals_added"
    }
    assert await AttendanceInterval.select().order_by(AttendanceInterval.id) == intervals
    assert await Registration.select().order_by(Registration.id) == registrations



async def test_the_same_report_uploaded_twice_at_once_is_stored_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    answers = await asyncio.gather(*[upload(client, organiser, event["id"], load("zoom_participants.csv")) for _ in range(3)])
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert sorted(a.json()["intervals_added"] for a in answers) == [0, 0, 12]
    assert await AttendanceInterval.count() == 12
    assert await _attendance(event["id"]) == ZOOM_EXPECTED

async def test_a_second_report_adds_only_what_was_missing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    # The breakout room's report: Paolo (absent from the main report), one of Luca's sessions
    # again, and Luca's last 20 minutes, which touch his 17:25-18:00 session.
    second = (
        b"Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest\r\n"
        b"Paolo Conti,paolo.conti@conti-trasporti.it,11/24/2026 05:05:00 PM,11/24/2026 06:05:00 PM,60,No\r\n"
        b"Luca Bianchi,luca.bianchi@officine-bianchi.it,11/24/2026 05:25:00 PM,11/24/2026 06:00:00 PM,35,No\r\n"
        b"Luca Bianchi,luca.bianchi@officine-bianchi.it,11/24/2026 06:00:00 PM,11/24/2026 06:20:00 PM,20,No\r\n"
    )
    answer = await upload(client, organiser, event["id"], second, "breakout.csv")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows"], body["matched"], body["unmatched"], body["intervals_added"], body["attended"]) == (3, 2, [], 2, 7)
    assert await AttendanceInterval.count() == 14
    expected = {
        **ZOOM_EXPECTED,
        "paolo.conti@conti-trasporti.it": (True, 60, "import"),
        # 17:00-17:20 and 17:25-18:20: 20 + 55
        "luca.bianchi@officine-bianchi.it": (True, 75, "import"),
    }
    assert await _attendance(event["id"]) == expected


async def test_threshold_decides_and_can_be_changed_afterwards(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    # 70% of 90 minutes = 63: Marco and Luca (55) no longer count; Zoë (66) still does.
    patched = await client.patch(f"/api/events/{event['id']}/follow-up", json={"attendance_threshold_percent": 70}, headers=organiser)
    assert patched.status_code == 200, patched.text
    assert patched.json()["attendance_threshold_percent"] == 70
    attendance = await _attendance(event["id"])
    assert {email for email, (attended, _, _) in attendance.items() if attended} == {
        "anna.keller@keller-praezision.ch",
        "niccolo.bernasconi@bernasconi-meccanica.ch",
        "zoe.mueller@mueller-textil.ch",
        "elena.ferrari@ferrari-pack.example",
    }
    assert attendance["luca.bianchi@officine-bianchi.it"] == (False, 55, "import")  # minutes stay
    again = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    assert (again.json()["attended"], again.json()["threshold_percent"]) == (4, 70)
    bad = await client.patch(f"/api/events/{event['id']}/follow-up", json={"attendance_threshold_percent": 101}, headers=organiser)
    assert bad.status_code == 422


async def test_zoom_webinar_report_skips_hosts_panelists_and_absentees(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await talk(client, organiser, title="Cybersecurity per PMI manifatturiere")
    for email, first, last, company in [
        ("chiara.colombo@colombo-arredi.it", "Chiara", "Colombo", partita_iva(21)),  # 90
        ("ulrich.brunner@brunner-holz.ch", "Ulrich", "Brunner", swiss_uid(25)),  # 67, shown as "Ueli Brunner"
        ("francoise.rochat@rochat-sa.ch", "Françoise", "Rochat", swiss_uid(23)),  # 90
        ("paolo.conti@conti-trasporti.it", "Paolo", "Conti", partita_iva(24)),  # registered, "Attended = No"
    ]:
        await register(client, event["id"], email, first, last, company)
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    answer = await upload(client, organiser, event["id"], load("zoom_webinar_attendees.csv"), "attendee_report.csv", "auto")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["platform"], body["rows"], body["matched"], body["attended"]) == ("zoom", 6, 3, 3)
    assert body["unmatched"] == [{"name": "Sala riunioni Fontana", "email": None, "minutes": 50, "host": False}]
    assert await _attendance(event["id"]) == {
        "chiara.colombo@colombo-arredi.it": (True, 90, "import"),
        "ulrich.brunner@brunner-holz.ch": (True, 67, "import"),
        "francoise.rochat@rochat-sa.ch": (True, 90, "import"),
        "paolo.conti@conti-trasporti.it": (False, 0, None),
    }


async def test_webex_report_names_keep_their_accents_and_ties_are_left_alone(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await talk(client, organiser, title="Digital marketing per le PMI")
    for email, first, last, company in [
        ("beatrice.fontana@fontana-vini.it", "Beatrice", "Fontana", partita_iva(31)),  # 88
        ("matteo.lombardi@lombardi-edilizia.it", "Matteo", "Lombardi", partita_iva(32)),  # 60, report in capitals
        ("a.villa@villa-serramenti.example", "Andrea", "Villa", partita_iva(33)),  # guest, by name: exactly 45
        ("l.dubois@dubois.example", "Loic", "Dubois", swiss_uid(34)),  # report says "Loïc": not the same name
    ]:
        await register(client, event["id"], email, first, last, company)
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    answer = await upload(client, organiser, event["id"], load("webex_attendees.csv"), "attendees.csv", "webex")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["platform"], body["rows"], body["matched"], body["attended"]) == ("webex", 7, 3, 3)
    assert body["unmatched"] == [
        {"name": "Giulia Ferri", "email": "giulia.ferri@innovazione-pmi.it", "minutes": 90, "host": True},  # 94, cut to the event
        {"name": "Loïc Dubois", "email": "loic.dubois@dubois-ingenierie.ch", "minutes": 60, "host": False},
    ]
    assert await _attendance(event["id"]) == {
        "beatrice.fontana@fontana-vini.it": (True, 88, "import"),
        "matteo.lombardi@lombardi-edilizia.it": (True, 60, "import"),
        "a.villa@villa-serramenti.example": (True, 45, "import"),  # 45 of 90 is 50%: counts
        "l.dubois@dubois.example": (False, 0, None),
    }

    # Two registrants named Andrea Villa: the guest row could be either, so it is neither.
    tie = await talk(client, organiser, title="Digital marketing, replica")
    await register(client, tie["id"], "a.villa@villa-serramenti.example", "Andrea", "Villa", partita_iva(33))
    await register(client, tie["id"], "andrea.villa@villa-trasporti.example", "Andrea", "Villa", partita_iva(35))
    await move_event(tie["id"], TALK_STARTS, TALK_ENDS)
    body = (await upload(client, organiser, tie["id"], load("webex_attendees.csv"))).json()
    assert body["matched"] == 0
    assert body["attended"] == 0
    assert {"name": "Andrea Villa", "email": None, "minutes": 45, "host": False} in body["unmatched"]


async def test_teams_report_for_the_remote_half_of_a_hybrid_day(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(
        client, organiser, tech_day=True, mode="hybrid", online_capacity=50, online_url="https://teams.example/l/meetup", agenda=[],
        title="Tech Day Ticino: Industria 4.0",
    )
    online = {"attendance_mode": "online"}
    await register(client, day["id"], "juerg.schaefer@schaefer-automation.ch", "Jürg", "Schäfer", swiss_uid(41), **online)  # 86
    await register(client, day["id"], "e.favre@favre-horlogerie.example", "Élodie", "Favre", swiss_uid(42), **online)  # 75, by name
    tommaso = await register(client, day["id"], "tommaso.greco@greco-srl.example", "Tommaso", "Greco", partita_iva(43), **online)  # 30
    marta = await register(client, day["id"], "marta.galli@galli-srl.example", "Marta", "Galli", partita_iva(44))  # in the room
    # Tommaso came to the room for the afternoon after 30 minutes online; Marta only in the room.
    for person in (tommaso, marta):
        code = person["manage_token"] if person is tommaso else await checkin_code(client, person)
        assert (await client.post(f"/api/events/{day['id']}/checkins", json={"code": code}, headers=organiser)).status_code == 200
    await move_event(day["id"], TALK_STARTS, TALK_ENDS)

    answer = await upload(client, organiser, day["id"], load("teams_attendance.csv"), "meetingAttendanceReport.csv")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["platform"], body["rows"], body["matched"], body["attended"]) == ("teams", 7, 3, 4)
    assert body["unmatched"] == [
        {"name": "Federica Moretti", "email": "federica.moretti@innovazione-pmi.it", "minutes": 90, "host": True},  # 92, cut to the event
        {"name": "Silvia Ricci", "email": "silvia.ricci@ricci-logistica.it", "minutes": 86, "host": False},
    ]
    assert await _attendance(day["id"]) == {
        "juerg.schaefer@schaefer-automation.ch": (True, 86, "import"),
        "e.favre@favre-horlogerie.example": (True, 75, "import"),
        "tommaso.greco@greco-srl.example": (True, 30, "checkin,import"),  # below 45 minutes, but he came
        "marta.galli@galli-srl.example": (True, 0, "checkin"),
    }


async def test_bad_uploads_are_refused_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    pdf = await upload(client, organiser, event["id"], b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.pdf")
    assert pdf.status_code == 422
    assert "PDF" in pdf.json()["detail"]
    empty = await upload(client, organiser, event["id"], b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    no_table = await upload(client, organiser, event["id"], b"name,city\nAda,Como\n")
    assert no_table.status_code == 422
    assert "No attendance table" in no_table.json()["detail"]
    unreadable = await upload(
        client, organiser, event["id"], b"Name,User Email,Join time,Leave time\nAda,ada@x.example,yesterday,today\n"
    )
    assert unreadable.status_code == 422
    assert "line 2" in unreadable.json()["detail"]
    platform = await upload(client, organiser, event["id"], load("zoom_participants.csv"), platform="skype")
    assert platform.status_code in (400, 422)
    assert platform.json()["detail"]
    missing = await client.post(f"/api/events/{event['id']}/attendance-import", data={"platform": "zoom"}, files={}, headers=organiser)
    assert missing.status_code in (400, 415, 422), missing.text
    too_big = await upload(client, organiser, event["id"], b"x" * (10 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert "10 MB" in too_big.json()["detail"]
    far_too_big = await upload(client, organiser, event["id"], b"x" * (12 * 1024 * 1024))
    assert far_too_big.status_code == 413

    # The right file for the wrong event: nobody was there that day.
    await move_event(event["id"], TALK_STARTS + timedelta(days=30), TALK_ENDS + timedelta(days=30))
    wrong_day = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    assert wrong_day.status_code == 422
    assert "another event" in wrong_day.json()["detail"]

    draft = (await client.post("/api/events", json={k: event[k] for k in ("kind", "title", "starts_at", "ends_at", "mode", "capacity", "online_url")}, headers=organiser)).json()
    assert (await upload(client, organiser, draft["id"], load("zoom_participants.csv"))).status_code == 409
    assert (await upload(client, organiser, 999999, load("zoom_participants.csv"))).status_code == 404
    assert await AttendanceInterval.count() == 0
    assert all(not attended for attended, _, _ in (await _attendance(event["id"])).values())
    assert (await Event.select(Event.follow_up_sent_at).where(Event.id == event["id"]).first())["follow_up_sent_at"] is None
