"""Attendance changes in the audit log (issue 16 item 7): one entry per registration whose
minutes or attended flag changed, per import, by whoever caused it, written with the change.

The report is tests/data/zoom_participants.csv: 13 rows, 7 people, 6 of them registered
(ZOOM_EXPECTED in test_import.py); Paolo Conti registered and is not in it.
"""

from __future__ import annotations

from typing import Any

import httpx

from events_service.audit.tables import AuditEntry
from events_service.registrations.tables import Registration
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    load,
    move_event,
    organiser_id,
    register,
    talk,
    upload,
)
from tests.attendance.test_import import ZOOM_EXPECTED
from tests.web.support import console_login


async def _zoom_talk(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[dict[str, Any], dict[str, int]]:
    event = await talk(client, organiser, title="AI generativa per le PMI")
    ids = {email.lower(): (await register(client, event["id"], email, first, last, company))["id"] for email, first, last, company in ZOOM_PEOPLE}
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    return event, ids


async def _attendance_entries(registration_ids: list[int]) -> list[dict[str, Any]]:
    return await (
        AuditEntry.select()
        .where(AuditEntry.entity_id.is_in(registration_ids) & (AuditEntry.entity == "registration") & (AuditEntry.action == "updated"))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )


async def test_an_import_logs_each_changed_registration_once_by_the_organiser(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, ids = await _zoom_talk(client, organiser)
    answer = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    assert answer.status_code == 200, answer.text

    entries = await _attendance_entries(list(ids.values()))
    by_registration = {entry["entity_id"]: entry for entry in entries}
    assert len(entries) == len(by_registration) == 6  # one per person whose attendance changed, not one per row (13)
    uploader = f"organiser:{await organiser_id()}"
    assert {entry["actor"] for entry in entries} == {uploader}
    for email, (attended, minutes, source) in ZOOM_EXPECTED.items():
        if not attended:
            assert ids[email] not in by_registration  # Paolo: still 0 minutes, nothing to log
            continue
        assert by_registration[ids[email]]["changes"] == {
            "minutes_attended": [0, minutes],
            "attended": [False, True],
            "attendance_source": [None, source],
        }, email


async def test_a_reimport_that_changes_nothing_writes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).status_code == 200
    before = await AuditEntry.count()
    again = await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    assert again.status_code == 200, again.text
    assert again.json()["intervals_added"] == 0
    assert await AuditEntry.count() == before


async def test_a_new_threshold_logs_who_lost_their_attendance(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, ids = await _zoom_talk(client, organiser)
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).status_code == 200
    first = await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id, ascending=False).first()
    # 70% of 90 minutes is 63: Marco and Luca (55 each) no longer count; their minutes stay.
    patched = await client.patch(f"/api/events/{event['id']}/follow-up", json={"attendance_threshold_percent": 70}, headers=organiser)
    assert patched.status_code == 200, patched.text
    entries = await AuditEntry.select().where(AuditEntry.id > first["id"]).output(load_json=True)
    assert [(entry["entity"], entry["entity_id"], entry["changes"]) for entry in entries if entry["entity"] == "event"] == [
        ("event", event["id"], {"attendance_threshold_percent": [50, 70]})
    ]
    assert {entry["entity_id"]: entry["changes"] for entry in entries if entry["entity"] == "registration"} == {
        ids["marco.rossi@rossi-impianti.example"]: {"attended": [True, False]},
        ids["luca.bianchi@officine-bianchi.it"]: {"attended": [True, False]},
    }
    attended = await Registration.select(Registration.id).where(Registration.attended.eq(True) & (Registration.event == event["id"]))
    assert len(attended) == 4


async def test_the_console_shows_the_minutes_on_the_registrations_page(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, _ = await _zoom_talk(client, organiser)
    assert (await upload(client, organiser, event["id"], load("zoom_participants.csv"))).status_code == 200
    uploader = await organiser_id()
    await console_login(client)
    page = await client.get(f"/console/events/{event['id']}/registrations", headers={"accept-language": "en"})
    assert page.status_code == 200
    history = page.text[page.text.index('id="history-title"') :]
    assert '<span class="muted">Minutes attended</span>: 0 → 88' in history  # Anna Keller (the field in words: web/labels.py)
    assert history.count(f"<td>organiser:{uploader}</td>") == 6
