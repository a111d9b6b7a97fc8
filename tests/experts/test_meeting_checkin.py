"""A meeting's code is a QR in the registrant's invite (read back from the email received at a
real SMTP sink); check-in staff scan it at POST /api/events/{id}/checkins and the meeting is
held, once, even for two scans at the same moment. Another event's door, a cancel link, a
forged code or a cancelled meeting change nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io

import httpx
import zxingcpp
from PIL import Image

from events_service.settings import Settings
from tests.conftest import token_headers
from tests.experts.support import (
    booked_meeting,
    client,
    deliver,
    tech_day,
)
from tests.mailparse import calendar_of
from tests.support.smtp import SmtpSink
from tests.support.tampering import last_changed

__all__ = ["client"]


def _meeting_qr_codes(sink: SmtpSink, address: str) -> list[str]:
    """Every QR code read back from the meeting invites (not the event's) that reached `address`."""
    codes = []
    for item in sink.handler.received:
        if address not in item.recipients:
            continue
        message = email.message_from_bytes(item.raw, policy=email.policy.default)
        calendar = calendar_of(item.raw)
        if calendar is None or not str(calendar.walk("VEVENT")[0]["UID"]).startswith("meeting-"):
            continue  # the registration's own emails carry the person's check-in QR
        for part in message.walk():
            if part.get_content_type() == "image/png":
                image = Image.open(io.BytesIO(part.get_payload(decode=True)))
                codes.extend(code.text for code in zxingcpp.read_barcodes(image))
    return codes


async def _booked_meeting(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink,
                          email_address: str = "luca.verdi@verdi-meccanica.example") -> tuple[dict, dict, str]:
    booked = await booked_meeting(client, organiser, email_address)
    await deliver(settings, sink)
    codes = _meeting_qr_codes(sink, email_address)
    assert len(codes) == 1, codes
    assert _meeting_qr_codes(sink, "elena.conti@experts.example") == []  # the expert's copy carries no code
    return booked.day, booked.meeting, codes[0]


async def _status(client: httpx.AsyncClient, token: str) -> str:
    meetings = (await client.get(f"/api/public/registrations/{token}/meetings")).json()
    return meetings[0]["status"] if meetings else "gone"


async def test_staff_scan_the_meetings_qr_and_it_is_held_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    day, meeting, code = await _booked_meeting(client, organiser, settings, sink)
    door = await token_headers(client, "checkin")
    first, second = await asyncio.gather(*(
        client.post(f"/api/events/{day['id']}/checkins", json={"code": code}, headers=door) for _ in range(2)))
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    answers = sorted((first.json(), second.json()), key=lambda a: a["already_checked_in"])
    assert [a["already_checked_in"] for a in answers] == [False, True]
    assert {a["meeting_id"] for a in answers} == {meeting["id"]}
    assert answers[0]["checked_in_at"] == answers[1]["checked_in_at"]  # the first scan's time
    assert answers[0]["first_name"] and answers[0]["event_id"] == day["id"]
    held = await client.patch(f"/api/meetings/{meeting['id']}", json={"status": "held"}, headers=door)
    assert held.status_code == 200 and held.json()["status"] == "held"
    # A held meeting is not cancelled by its link any more.
    assert (await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")).status_code == 409


async def test_foreign_forged_and_cancelled_codes_change_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    day, meeting, code = await _booked_meeting(client, organiser, settings, sink)
    other_day = await tech_day(client, organiser, title="Tech Day Lugano")
    door = await token_headers(client, "checkin")
    foreign = await client.post(f"/api/events/{other_day['id']}/checkins", json={"code": code}, headers=door)
    assert foreign.status_code == 404, foreign.text
    assert "luca" not in foreign.text.lower() and "cobots" not in foreign.text
    meeting_id, nonce, signature = code.split(".")
    for bad in (meeting["manage_token"], f"{meeting_id}.{nonce}.{last_changed(signature)}", f"{int(meeting_id) + 1}.{nonce}.{signature}"):
        refused = await client.post(f"/api/events/{day['id']}/checkins", json={"code": bad}, headers=door)
        assert refused.status_code == 404, (bad, refused.text)
    assert (await client.post(f"/api/events/{day['id']}/checkins", json={"code": code})).status_code == 401
    listed = (await client.get(f"/api/events/{day['id']}/expert-slots", headers=organiser)).json()
    assert any(s["id"] == meeting["slot"]["id"] and s["booked"] for s in listed), listed
    assert (await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")).status_code == 200
    cancelled = await client.post(f"/api/events/{day['id']}/checkins", json={"code": code}, headers=door)
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "meeting_cancelled", cancelled.text
    again = await client.patch(f"/api/meetings/{meeting['id']}", json={"status": "missed"}, headers=door)
    assert again.status_code == 409
