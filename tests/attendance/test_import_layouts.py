"""Importing every report layout through the API onto one event, on SQLite and PostgreSQL:
the same registrations end with the same minutes whatever the platform, language, encoding or
file type; the event's window decides what counts; a file that is no report changes nothing
and says why in the organiser's language.

The event: 2025-09-04 18:00-19:30 Europe/Rome (16:00-17:30 UTC), 90 minutes, threshold 50%
(45 minutes). Minutes by hand in tests/attendance/test_report_layouts.py; the host's 101 are cut
to the event's 90.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from events_service.attendance.service import MAX_REPORT_BYTES
from events_service.attendance.tables import AttendanceInterval
from events_service.registrations.tables import Registration
from tests.attendance.support import load, move_event, register, talk, upload
from tests.factories import partita_iva, swiss_uid

STARTS = datetime(2025, 9, 4, 16, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(minutes=90)

CAST = [
    ("zoe.mueller@mueller-textil.ch", "Zoë", "Müller", swiss_uid(11)),
    ("niccolo.bernasconi@bernasconi-meccanica.ch", "Niccolò", "Bernasconi", swiss_uid(12)),
    ("chiara.dangelo@dangelo-meccanica.it", "Chiara", "D'Angelo", partita_iva(23)),  # plain apostrophe; the report has ’
    ("luca.bianchi@officine-bianchi.it", "Luca", "Bianchi", partita_iva(24)),
    ("anna.keller@keller-praezision.ch", "Anna", "Keller", swiss_uid(13)),  # registered, absent (came the week before)
]
EXPECTED = {
    "zoe.mueller@mueller-textil.ch": (True, 89),
    "niccolo.bernasconi@bernasconi-meccanica.ch": (True, 83),
    "chiara.dangelo@dangelo-meccanica.it": (True, 75),  # guest without e-mail: by name
    "luca.bianchi@officine-bianchi.it": (False, 30),
    "anna.keller@keller-praezision.ch": (False, 0),
}
HOST = {"name": "Giulia Ferri", "email": "giulia.ferri@innovazione-pmi.it", "minutes": 90, "host": True}
ROOM = {"name": "Sala riunioni Lecco", "email": None, "minutes": 50, "host": False}


async def _meeting(client: httpx.AsyncClient, organiser: dict[str, str]) -> int:
    event = await talk(client, organiser, title="Cybersecurity per le PMI")
    for email, first, last, company in CAST:
        await register(client, event["id"], email, first, last, company)
    await move_event(event["id"], STARTS, ENDS)
    return event["id"]


async def _attendance(event_id: int) -> dict[str, tuple[bool, int]]:
    rows = await Registration.select(
        Registration.contact.email.as_alias("email"), Registration.attended, Registration.minutes_attended
    ).where(Registration.event == event_id)
    return {row["email"]: (row["attended"], row["minutes_attended"]) for row in rows}


LAYOUTS = [
    ("zoom_it_current_month_first.csv", {"waiting_room": 1, "zero_length": 1}),
    ("zoom_it_current_day_first.csv", {"waiting_room": 1, "zero_length": 1}),
    ("zoom_en_current.csv", {"waiting_room": 1, "zero_length": 1}),
    ("zoom_it_two_block.csv", {"waiting_room": 1, "zero_length": 1}),
    ("zoom_de_participants.csv", {"zero_length": 1}),
    ("teams_en_utf16le.csv", {}),
    ("teams_de_utf16be.csv", {}),
    ("teams_it_utf16le.csv", {}),
    ("webex_attendees_utf16le.tsv", {}),
    ("webex_attendees_utf8.csv", {}),
]


@pytest.mark.parametrize(("name", "dropped"), LAYOUTS, ids=[name for name, _ in LAYOUTS])
async def test_every_layout_gives_the_same_attendance(
    client: httpx.AsyncClient, organiser: dict[str, str], name: str, dropped: dict[str, int]
) -> None:
    event_id = await _meeting(client, organiser)
    answer = await upload(client, organiser, event_id, load(name), name)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["matched"], body["attended"], body["errors"]) == (4, 3, [])
    unmatched = sorted(body["unmatched"], key=lambda person: person["name"])
    # the host is recognised where the layout marks it (Zoom's "(Host)", Teams' Organizer)
    assert [{**person, "host": False} for person in unmatched] == [{**HOST, "host": False}, ROOM]
    assert {item["reason"]: item["rows"] for item in body["left_out"]} == dropped
    assert await _attendance(event_id) == EXPECTED
    again = (await upload(client, organiser, event_id, load(name), name)).json()
    assert again["intervals_added"] == 0
    assert await _attendance(event_id) == EXPECTED


async def test_the_zoom_host_is_flagged(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id = await _meeting(client, organiser)
    body = (await upload(client, organiser, event_id, load("zoom_it_current_day_first.csv"))).json()
    assert HOST in body["unmatched"]


async def test_the_webinar_report_leaves_out_staff_and_absentees(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id = await _meeting(client, organiser)
    body = (await upload(client, organiser, event_id, load("zoom_webinar_en.csv"), "webinar.csv")).json()
    assert (body["platform"], body["matched"], body["attended"]) == ("zoom", 4, 3)
    assert body["unmatched"] == [ROOM]
    assert {item["reason"]: item["rows"] for item in body["left_out"]} == {"staff": 2, "not_attended": 1}
    assert await _attendance(event_id) == EXPECTED


async def test_a_recurring_meeting_counts_only_the_event_day(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """The file holds 28 August and 4 September: Anna came only on the 28th, and the host's and
    Zoë's earlier session add nothing; the answer says how many rows it left out, and why."""
    event_id = await _meeting(client, organiser)
    answer = await upload(client, organiser, event_id, load("zoom_it_recurring_two_days.csv"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rows"] == 12
    assert {item["reason"]: (item["rows"], item["days"]) for item in body["left_out"]} == {
        "waiting_room": (1, []),
        "zero_length": (1, []),
        "outside_event": (3, ["2025-08-28"]),
    }
    assert await _attendance(event_id) == EXPECTED
    assert sorted(body["unmatched"], key=lambda person: person["name"]) == [HOST, ROOM]
    stored = await AttendanceInterval.select(AttendanceInterval.joined_at).where(AttendanceInterval.event == event_id)
    assert all(STARTS <= _utc(row["joined_at"]) <= ENDS for row in stored)


def _utc(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_xlsx_report_imports_like_its_csv(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id = await _meeting(client, organiser)
    rows = [line.split("\t") for line in load("teams_it_utf16le.csv").decode("utf-16").splitlines()]
    answer = await client.post(
        f"/api/events/{event_id}/attendance-import",
        files={"file": ("report.xlsx", _workbook(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},  # type: ignore[arg-type]
        headers=organiser,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["platform"], answer.json()["matched"]) == ("teams", 4)
    assert await _attendance(event_id) == EXPECTED


def _zip_bomb() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/workbook.xml", "<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b" " * (200 * 1024 * 1024))
    return archive.getvalue()


HOSTILE = [
    ("binary", bytes(range(256)) * 64, 422, "report_binary"),
    ("zip bomb", _zip_bomb(), 422, "report_xlsx_too_large"),
    ("damaged xlsx", b"PK\x03\x04" + bytes(range(256)) * 8, 422, "report_bad_xlsx"),
    ("UTF-16 BOM then garbage", b"\xff\xfe" + bytes(range(1, 256)) * 16, 422, None),
    ("Latin-1 letter, no table", "Spett.le ditta, è allegata la fattura.\n".encode("latin-1"), 422, "report_columns_not_found"),
    ("old Excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), 422, "report_old_excel"),
    ("huge", b"Name,Email,Join time,Leave time\n" + b"x,y@z.it,09/04/2025 06:00:00 PM,09/04/2025 07:00:00 PM\n" * (MAX_REPORT_BYTES // 50), 413, None),
]


@pytest.mark.parametrize(("what", "content", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_files_are_refused_and_write_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], what: str, content: bytes, status: int, code: str | None
) -> None:
    event_id = await _meeting(client, organiser)
    before = await _attendance(event_id)
    answer = await upload(client, organiser, event_id, content, "report.xlsx")
    assert answer.status_code == status, (what, answer.text)
    body = answer.json()
    assert body["status_code"] == status
    assert body["detail"]
    if code:
        assert body["code"] == code
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event_id) == 0
    assert await _attendance(event_id) == before


NOT_A_REPORT = b"Nome,Cognome,Azienda\nAda,Galli,Galli Srl\n"


@pytest.mark.parametrize(
    ("accept", "words"),
    [
        ("it-CH,it;q=0.9", "Nessuna tabella delle presenze"),
        ("de-CH, de;q=0.9, en;q=0.5", "Keine Anwesenheitstabelle"),
        ("en-GB", "No attendance table"),
        ("fr-FR", "No attendance table"),  # a language the service does not speak: English
    ],
)
async def test_nothing_fits_names_the_columns_in_the_organisers_language(
    client: httpx.AsyncClient, organiser: dict[str, str], accept: str, words: str
) -> None:
    event_id = await _meeting(client, organiser)
    answer = await client.post(
        f"/api/events/{event_id}/attendance-import",
        files={"file": ("iscritti.csv", NOT_A_REPORT, "text/csv")},
        headers={**organiser, "Accept-Language": accept},
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "report_columns_not_found"
    assert body["extra"]["found"] == ["Nome", "Cognome", "Azienda"]
    assert any("Ora di ingresso" in wanted for wanted in body["extra"]["looked_for"])
    assert words in body["detail"]
    assert "Nome, Cognome, Azienda" in body["detail"]
    assert "Ora di ingresso" in body["detail"]
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event_id) == 0


async def test_only_editors_import(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event_id = await _meeting(client, organiser)
    anonymous = await client.post(
        f"/api/events/{event_id}/attendance-import", files={"file": ("r.csv", load("zoom_en_current.csv"), "text/csv")}
    )
    assert anonymous.status_code == 401
    assert await AttendanceInterval.count().where(AttendanceInterval.event == event_id) == 0
