"""The meeting's invites arrive at a real SMTP server and parse back (own UID, stable; SEQUENCE
rising on a move; CANCEL on cancel); held meetings count in the funder's indicators."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from events_service.settings import Settings
from tests.experts.support import (
    booked_meeting,
    client,
    deliver,
    expert,
    registrant,
    slots,
    tech_day,
)
from tests.mailparse import calendar_of
from tests.support.smtp import SmtpSink

__all__ = ["client"]


def _invites(sink: SmtpSink, address: str) -> list[tuple[str, str, int, str]]:
    found = []
    for item in sink.handler.received:
        if address in item.recipients:
            calendar = calendar_of(item.raw)
            assert calendar is not None
            event = calendar.walk("VEVENT")[0]
            if not str(event["UID"]).startswith("meeting-"):
                continue  # the registrant's invite to the event itself
            found.append((str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), str(event.get("STATUS"))))
    # By SEQUENCE, not arrival: the dispatcher sends a batch over several connections at once, so
    # mail may arrive out of order, as it may from any mail server; calendars order by SEQUENCE.
    return sorted(found, key=lambda invite: invite[2])


async def test_both_sides_get_a_request_then_a_cancel_with_the_same_uid(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    booked = await booked_meeting(client, organiser, "luca.verdi@verdi-meccanica.example")
    day, cut, meeting = booked.day, booked.slots, booked.meeting
    later = datetime.fromisoformat(cut[2]["ends_at"]) + timedelta(minutes=30)
    moved = await client.post(f"/api/events/{day['id']}/expert-slots/{cut[0]['id']}/move", headers=organiser,
                              json={"starts_at": later.isoformat()})
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["starts_at"]) == later
    onto_another = await client.post(f"/api/events/{day['id']}/expert-slots/{cut[0]['id']}/move", headers=organiser,
                                     json={"starts_at": cut[1]["starts_at"]})
    assert onto_another.status_code == 409 and onto_another.json()["code"] == "slots_overlap"
    assert (await client.post(f"/api/public/meetings/{meeting['manage_token']}/cancel")).status_code == 200
    await deliver(settings, sink)
    for address in ("luca.verdi@verdi-meccanica.example", "elena.conti@experts.example"):
        invites = _invites(sink, address)
        assert [(method, sequence, status) for method, _, sequence, status in invites] == [
            ("REQUEST", 0, "CONFIRMED"), ("REQUEST", 1, "CONFIRMED"), ("CANCEL", 2, "CANCELLED")], invites
        assert len({uid for _, uid, _, _ in invites}) == 1
        assert invites[0][1].endswith("@events.test")
    # The two sides' invites share the meeting's UID; it is not the event's.
    luca, elena_invites = _invites(sink, "luca.verdi@verdi-meccanica.example"), _invites(sink, "elena.conti@experts.example")
    assert luca[0][1] == elena_invites[0][1]


async def test_held_meetings_count_in_the_funder_indicators(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    tokens = [await registrant(client, day["id"], f"p{n}@company{n}.example", n) for n in (1, 2)]
    meetings = [(await client.post(f"/api/public/registrations/{t}/meetings", json={"slot_id": s["id"]})).json()
                for t, s in zip(tokens, cut, strict=False)]
    assert (await client.patch(f"/api/meetings/{meetings[0]['id']}", headers=organiser, json={"status": "held"})).status_code == 200
    assert (await client.patch(f"/api/meetings/{meetings[1]['id']}", headers=organiser, json={"status": "missed"})).status_code == 200
    day_date = day["starts_at"][:10]
    period = {"from": day_date, "to": day_date}
    figures = await client.get("/api/reports/indicators", params=period, headers=organiser)
    assert figures.status_code == 200, figures.text
    assert figures.json()["expert_meetings"] == 1
    evidence = await client.get("/api/reports/indicators/evidence", params={**period, "figure": "expert_meetings"}, headers=organiser)
    rows = evidence.json()["expert_meetings"]
    assert [(row["meeting_id"], row["company"]) for row in rows] == [(meetings[0]["id"], "Azienda 1 Srl")]
    before = await client.get("/api/reports/indicators", params={"from": "2020-01-01", "to": "2020-12-31"}, headers=organiser)
    assert before.json()["expert_meetings"] == 0
