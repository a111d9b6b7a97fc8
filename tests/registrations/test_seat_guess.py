"""A registration is written with the status the event row suggested and settled when its seat
is claimed (registrations/service.py, `_write_registration` and `_take_place`; seats.py). These tests
make the guess wrong in both directions and check that nothing of it survives."""

import json

import httpx
import msgspec
import pytest

from events_service.db import write_transaction
from events_service.events.queries import event_row
from events_service.events.records import AttendanceMode
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations import seats, service
from events_service.registrations.errors import RegistrationConflict
from events_service.registrations.schemas import CompanyRef, RegistrationCreate
from events_service.registrations.tables import CompanySeats, Registration
from events_service.settings import Settings
from tests.factories import partita_iva, published_event, registration_payload


async def _messages_of(registration_id: int) -> list[tuple[str, dict | None]]:
    rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.payload).where(OutboxMessage.registration_id == registration_id)
    return [(row["kind"], json.loads(row["payload"])) for row in rows]


async def test_a_colleague_past_the_last_seat_is_waitlisted_though_the_event_row_showed_a_seat(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    # The event row is read once per request: with one seat left it shows a seat to every colleague.
    event = await published_event(client, organiser, capacity=2, max_per_company=5)
    assert (await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("first.one@x.example", company_no=9))).status_code == 201
    colleagues = [{"email": "g.verdi@x.example", "first_name": "Giuseppe", "last_name": "Verdi"}]
    answer = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("boss.bianchi@x.example", colleagues=colleagues))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "confirmed"
    colleague = body["colleagues"][0]
    assert (colleague["status"], colleague["waitlist_position"]) == ("waitlisted", 1)

    row = await Registration.select().where(Registration.id == colleague["id"]).first()
    assert (row["status"], row["holds_company_seat"], row["confirmed_at"]) == ("waitlisted", False, None)
    assert await _messages_of(colleague["id"]) == [("waitlisted", {"waitlist_position": 1})]
    assert await _messages_of(body["id"]) == [("confirmed", {})]
    counters = await Event.select(Event.seats_taken).where(Event.id == event["id"]).first()
    assert counters["seats_taken"] == 2
    seats = await CompanySeats.select(CompanySeats.taken).where(CompanySeats.event == event["id"])
    assert sorted(seat["taken"] for seat in seats) == [1, 1]  # the waitlisted colleague holds no company seat


async def test_a_seat_freed_after_the_event_row_was_read_goes_to_the_registrant(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    # A cancellation between the read of the event row and the seat UPDATE: the row said full.
    event = await published_event(client, organiser, capacity=1, max_per_company=2)
    data = RegistrationCreate(
        email="late.comer@x.example",
        first_name="Late",
        last_name="Comer",
        company=CompanyRef(vat_id=partita_iva(3), name="Azienda 3 Srl", country="IT"),
        consent_privacy=True,
    )
    applicant = service._applicants(data)[0]
    async with write_transaction():
        vat = service._company_vat(data.company)
        read = await seats.event_for_update(event["id"], vat.normalised)
        company_id = await service._company_id(data.company, vat, read.known_company_id)
        written = await service._write_registration(msgspec.structs.replace(read, seats_taken=1), applicant, company_id, data, None, settings)
        assert written.guess == "waitlisted"
        created = await service._take_place(read, written, company_id, settings)

    assert (created.status, created.waitlist_position) == ("confirmed", None)
    row = await Registration.select().where(Registration.id == created.id).first()
    assert row["status"] == "confirmed"
    assert row["holds_company_seat"] is True
    assert row["confirmed_at"] is not None
    assert await _messages_of(created.id) == [("confirmed", {})]
    held = await CompanySeats.select(CompanySeats.taken).where((CompanySeats.event == event["id"]) & (CompanySeats.company == company_id)).first()
    assert held["taken"] == 1


async def test_a_promotion_at_an_event_no_longer_published_takes_no_seat_and_refuses_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    # A cancellation promotes under the event row's lock, after reading the event published; were
    # it not published, the promotion gives no seat: the cancellation itself is never refused
    # (no 409 for cancelling or erasing), while a registration still is.
    event = await published_event(client, organiser, capacity=5)
    assert (await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)).status_code == 200
    cancelled = await event_row(event["id"])
    async with write_transaction():
        assert await seats.take_seat_for_promotion(cancelled, AttendanceMode.IN_PERSON) is False
    with pytest.raises(RegistrationConflict):
        async with write_transaction():
            await seats.take_event_seat(cancelled, AttendanceMode.IN_PERSON)
    assert (await Event.select(Event.seats_taken).where(Event.id == event["id"]).first())["seats_taken"] == 0
