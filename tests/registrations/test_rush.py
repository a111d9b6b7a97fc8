"""The rush: hundreds of people register in the same minute against a real server with two
worker processes; nothing is overbooked, nobody who got a 201 is lost, the waitlist is fair."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path

import httpx

from events_service.app import running_service
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.factories import event_payload, registration_payload
from tests.serving import organiser_headers, served, server_env

PEOPLE = 300
COMPANIES = 40
CAPACITY = 50
PER_COMPANY = 3
CANCELLATIONS = 20


async def test_rush_of_registrations_then_cancellations(settings: Settings, tmp_path: Path) -> None:
    with served(server_env(settings, tmp_path / "server-var"), workers=2) as base_url:
        # Idle connections expire on the client before uvicorn closes them (after 5 s, httpx's own
        # default): a connection reused just as the server closes it fails with ReadError.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=2)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
            organiser = await organiser_headers(http, settings, "rush")
            event = (await http.post("/api/events", json=event_payload(capacity=CAPACITY, max_per_company=PER_COMPANY), headers=organiser)).json()
            assert (await http.post(f"/api/events/{event['id']}/publish", headers=organiser)).status_code == 200

            path = f"/api/public/events/{event['id']}/registrations"
            answers = await asyncio.gather(
                *[http.post(path, json=registration_payload(f"person{n}.rush@company{n % COMPANIES}.example", company_no=n % COMPANIES))
                  for n in range(PEOPLE)]
            )
            codes = collections.Counter(answer.status_code for answer in answers)
            assert set(codes) <= {201, 409}, codes
            refusals = [answer.json()["detail"] for answer in answers if answer.status_code == 409]
            assert all("seats one company may take" in detail for detail in refusals), refusals[:3]

            created = {answer.json()["id"]: answer.json() for answer in answers if answer.status_code == 201}
            async with running_service(settings):
                rows = await Registration.select().where(Registration.event == event["id"])
            assert {row["id"] for row in rows} == set(created), "every 201 is persisted, nothing else is"
            confirmed = [row for row in rows if row["status"] == "confirmed"]
            assert len(confirmed) == CAPACITY
            per_company = collections.Counter(row["company"] for row in confirmed)
            assert max(per_company.values()) <= PER_COMPANY
            async with running_service(settings):
                await _assert_rows_counters_and_messages_agree(event["id"], created, rows)

            listing = (await http.get(f"/api/events/{event['id']}/registrations", params={"status": "waitlisted"}, headers=organiser)).json()
            assert [row["id"] for row in listing] == sorted(row["id"] for row in listing)
            assert [row["waitlist_position"] for row in listing] == list(range(1, len(listing) + 1))
            for row in listing:
                assert created[row["id"]]["status"] == "waitlisted"

            to_cancel = [created[row["id"]]["manage_token"] for row in confirmed[:CANCELLATIONS]]
            cancellations = await asyncio.gather(*[http.post(f"/api/public/registrations/{token}/cancel") for token in to_cancel])
            assert {answer.status_code for answer in cancellations} == {200}

            stats = (await http.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
            async with running_service(settings):
                after = await Registration.select().where(Registration.event == event["id"])
                promotions = await OutboxMessage.count().where(OutboxMessage.kind == "promoted")
            confirmed_after = [row for row in after if row["status"] == "confirmed"]
            assert len(confirmed_after) == CAPACITY == stats["confirmed"]
            assert promotions == CANCELLATIONS
            assert stats["cancelled"] == CANCELLATIONS
            assert max(collections.Counter(row["company"] for row in confirmed_after).values()) <= PER_COMPANY


async def _assert_rows_counters_and_messages_agree(event_id: int, created: dict[int, dict], rows: list[dict]) -> None:
    """Each registration was written with a guessed status and settled when it claimed its seat
    (registrations/service.py): under a rush many guesses are wrong, and none may show."""
    from events_service.events.tables import Event
    from events_service.registrations.tables import CompanySeats

    messages = collections.defaultdict(list)
    for message in await OutboxMessage.select(OutboxMessage.registration_id, OutboxMessage.kind).where(OutboxMessage.event_id == event_id):
        messages[message["registration_id"]].append(message["kind"])
    for row in rows:
        assert row["status"] == created[row["id"]]["status"], row["id"]
        assert messages[row["id"]] == [row["status"]], (row["id"], messages[row["id"]])
        assert row["holds_company_seat"] is (row["status"] == "confirmed")
        assert (row["confirmed_at"] is not None) is (row["status"] == "confirmed")
    confirmed = [row for row in rows if row["status"] == "confirmed"]
    counters = await Event.select(Event.seats_taken).where(Event.id == event_id).first()
    assert counters["seats_taken"] == len(confirmed)
    seats = {row["company"]: row["taken"] for row in await CompanySeats.select().where(CompanySeats.event == event_id)}
    held = collections.Counter(row["company"] for row in confirmed)
    assert {company: taken for company, taken in seats.items() if taken} == dict(held)
