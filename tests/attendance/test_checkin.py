"""QR check-in at the door of a Tech Day, and walk-ins."""

import asyncio

import httpx

from events_service.companies.tables import Company, Contact
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from tests.attendance.support import checkin_code, organiser_id, register
from tests.conftest import token_headers
from tests.factories import partita_iva, published_event
from tests.support.tampering import last_changed


async def _checkin(client: httpx.AsyncClient, headers: dict[str, str], event_id: int, code: str) -> httpx.Response:
    return await client.post(f"/api/events/{event_id}/checkins", json={"code": code}, headers=headers)


async def _registration(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


async def test_checkin_marks_attended_once_and_a_second_scan_says_so(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli", company=1)
    code = await checkin_code(client, ada)

    first = await _checkin(client, organiser, day["id"], code)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["already_checked_in"] is False
    assert (body["registration_id"], body["first_name"], body["last_name"]) == (ada["id"], "Ada", "Galli")
    assert body["company"] == "Company " + partita_iva(1)
    assert body["checked_in_by"] == await organiser_id()
    row = await _registration(ada["id"])
    assert row["attended"] is True
    assert row["attendance_source"] == "checkin"
    assert row["checked_in_by"] == await organiser_id()
    assert row["checked_in_at"] is not None

    again = await _checkin(client, organiser, day["id"], code)
    assert again.status_code == 200
    assert again.json()["already_checked_in"] is True
    assert again.json()["checked_in_at"] == body["checked_in_at"]
    assert (await _registration(ada["id"]))["checked_in_at"] == row["checked_in_at"]


async def test_manage_token_works_as_a_code_too(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    bruno = await register(client, day["id"], "bruno.neri@neri-srl.example", "Bruno", "Neri")
    answer = await _checkin(client, organiser, day["id"], "  " + bruno["manage_token"] + "\n")
    assert answer.status_code == 200, answer.text
    assert answer.json()["already_checked_in"] is False


async def test_checkin_staff_may_scan_but_not_import_or_report(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli")
    door = await token_headers(client, "checkin")
    answer = await _checkin(client, door, day["id"], await checkin_code(client, ada))
    assert answer.status_code == 200, answer.text
    assert answer.json()["checked_in_by"] == await organiser_id("checkin")
    assert (await client.get("/api/reports/summary", headers=door)).status_code == 403
    walk_in = {"email": "x.y@z.example", "first_name": "X", "last_name": "Y", "company": {"vat_id": partita_iva(2), "name": "Z"}}
    assert (await client.post(f"/api/events/{day['id']}/walk-ins", json=walk_in, headers=door)).status_code == 403
    assert (await client.post(f"/api/events/{day['id']}/checkins", json={"code": "x"})).status_code == 401


async def test_unknown_forged_or_foreign_codes_are_refused(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    other_day = await published_event(client, organiser, tech_day=True, title="Tech Day Lugano")
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli")
    code = await checkin_code(client, ada)
    registration_id, nonce, signature = code.split(".")
    forged = [
        "not-a-code",
        f"{registration_id}.{nonce}.{last_changed(signature)}",  # tampered signature
        f"{int(registration_id) + 1}.{nonce}.{signature}",  # someone else's id
        "",
    ]
    for bad in forged[:3]:
        answer = await _checkin(client, organiser, day["id"], bad)
        assert answer.status_code == 404, (bad, answer.text)
        assert answer.json()["detail"]
    assert (await _checkin(client, organiser, day["id"], "")).status_code == 422

    foreign = await _checkin(client, organiser, other_day["id"], code)
    assert foreign.status_code == 409
    assert "another event" in foreign.json()["detail"]
    assert (await _checkin(client, organiser, 999999, code)).status_code == 404
    assert (await _registration(ada["id"]))["checked_in_at"] is None


async def test_cancelled_and_waitlisted_registrations_cannot_check_in(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True, capacity=1)
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli", company=1)
    bruno = await register(client, day["id"], "bruno.neri@neri-srl.example", "Bruno", "Neri", company=2)
    assert bruno["status"] == "waitlisted"
    ada_code = await checkin_code(client, ada)
    await client.post(f"/api/public/registrations/{ada['manage_token']}/cancel")

    cancelled = await _checkin(client, organiser, day["id"], ada_code)
    assert cancelled.status_code == 409
    assert "cancelled by the registrant" in cancelled.json()["detail"]
    # Ada's seat went to Bruno: now confirmed, he may come in with his manage link.
    assert (await _checkin(client, organiser, day["id"], bruno["manage_token"])).status_code == 200

    carla = await register(client, day["id"], "carla.verdi@verdi.example", "Carla", "Verdi", company=3)
    assert carla["status"] == "waitlisted"
    waiting = await _checkin(client, organiser, day["id"], carla["manage_token"])
    assert waiting.status_code == 409
    assert "waitlist" in waiting.json()["detail"]
    assert (await _registration(carla["id"]))["attended"] is False


async def test_the_same_code_scanned_at_two_doors_at_once_checks_in_once(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli")
    code = await checkin_code(client, ada)
    door = await token_headers(client, "checkin")
    answers = await asyncio.gather(*[_checkin(client, organiser if n % 2 else door, day["id"], code) for n in range(6)])
    assert [a.status_code for a in answers] == [200] * 6
    assert sorted(a.json()["already_checked_in"] for a in answers) == [False] + [True] * 5
    assert len({a.json()["checked_in_at"] for a in answers}) == 1
    first = next(a.json() for a in answers if not a.json()["already_checked_in"])
    assert all(a.json()["checked_in_by"] == first["checked_in_by"] for a in answers)


async def test_walk_in_is_recorded_even_when_the_day_is_full(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True, capacity=1)
    await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli", company=1)
    mails_before = await OutboxMessage.count()
    payload = {
        "email": "Dario.Fo@Teatro-Srl.example",
        "first_name": "Dario",
        "last_name": "Fo",
        "company": {"vat_id": partita_iva(9), "name": "Teatro Srl", "country": "IT"},
    }
    answer = await client.post(f"/api/events/{day['id']}/walk-ins", json=payload, headers=organiser)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["outcome"] == "created"
    assert body["checkin"]["walk_in"] is True
    assert body["checkin"]["already_checked_in"] is False
    row = await _registration(body["checkin"]["registration_id"])
    assert (row["status"], row["walk_in"], row["attended"], row["attendance_mode"]) == ("confirmed", True, True, "in_person")
    assert row["checked_in_by"] == await organiser_id()
    contact = await Contact.select().where(Contact.id == row["contact"]).first()
    assert contact["email"] == "dario.fo@teatro-srl.example"
    company = await Company.select().where(Company.id == row["company"]).first()
    assert (company["name"], company["vat_id"]) == ("Teatro Srl", partita_iva(9))
    # Physically present: recorded above capacity, and the seat count says so.
    assert (await Event.select(Event.seats_taken).where(Event.id == day["id"]).first())["seats_taken"] == 2
    stats = (await client.get(f"/api/events/{day['id']}/stats", headers=organiser)).json()
    assert (stats["confirmed"], stats["attended"], stats["seats_left"]) == (2, 1, 0)
    assert await OutboxMessage.count() == mails_before  # no email: they are here

    again = await client.post(f"/api/events/{day['id']}/walk-ins", json=payload, headers=organiser)
    assert again.status_code == 200
    assert again.json()["outcome"] == "registered"
    assert again.json()["checkin"]["already_checked_in"] is True
    assert await Registration.count() == 2


async def test_walk_in_of_registered_or_waitlisted_people(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True, capacity=1)
    ada = await register(client, day["id"], "ada.galli@galli-srl.example", "Ada", "Galli", company=1)
    bruno = await register(client, day["id"], "bruno.neri@neri-srl.example", "Bruno", "Neri", company=2)
    company = {"vat_id": partita_iva(1)}
    registered = await client.post(
        f"/api/events/{day['id']}/walk-ins",
        json={"email": "ada.galli@galli-srl.example", "first_name": "Ada", "last_name": "Galli", "company": company},
        headers=organiser,
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["outcome"] == "registered"
    assert registered.json()["checkin"]["registration_id"] == ada["id"]

    admitted = await client.post(
        f"/api/events/{day['id']}/walk-ins",
        json={"email": "bruno.neri@neri-srl.example", "first_name": "Bruno", "last_name": "Neri", "company": {"vat_id": partita_iva(2)}},
        headers=organiser,
    )
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["outcome"] == "admitted"
    row = await _registration(bruno["id"])
    assert (row["status"], row["attended"], row["walk_in"]) == ("confirmed", True, False)
    assert await Registration.count() == 2


async def test_walk_in_refusals_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    webinar = await published_event(client, organiser)
    day = await published_event(client, organiser, tech_day=True)
    vat = partita_iva(4)
    person = {"email": "x.y@z.example", "first_name": "X", "last_name": "Y", "company": {"vat_id": vat, "name": "Z Srl"}}
    online = await client.post(f"/api/events/{webinar['id']}/walk-ins", json=person, headers=organiser)
    assert online.status_code == 409
    assert "online" in online.json()["detail"]
    bad_vat = {**person, "company": {"vat_id": vat[:-1] + str((int(vat[-1]) + 1) % 10), "name": "Z Srl"}}
    assert (await client.post(f"/api/events/{day['id']}/walk-ins", json=bad_vat, headers=organiser)).status_code == 422
    new_company_without_name = {**person, "company": {"vat_id": vat}}
    assert (await client.post(f"/api/events/{day['id']}/walk-ins", json=new_company_without_name, headers=organiser)).status_code == 422
    bad_email = {**person, "email": "not-an-email"}
    assert (await client.post(f"/api/events/{day['id']}/walk-ins", json=bad_email, headers=organiser)).status_code == 422
    assert (await client.post("/api/events/999999/walk-ins", json=person, headers=organiser)).status_code == 404
    assert (await Registration.count(), await Contact.count(), await Company.count()) == (0, 0, 0)


async def test_the_same_walk_in_entered_at_two_desks_at_once_is_one_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True, capacity=5)
    payload = {"email": "dario.fo@teatro.example", "first_name": "Dario", "last_name": "Fo",
               "company": {"vat_id": partita_iva(9), "name": "Teatro Srl", "country": "IT"}}
    answers = await asyncio.gather(*[client.post(f"/api/events/{day['id']}/walk-ins", json=payload, headers=organiser) for _ in range(4)])
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
    assert sorted(a.json()["outcome"] for a in answers) == ["created", "registered", "registered", "registered"]
    assert (await Registration.count(), await Contact.count(), await Company.count()) == (1, 1, 1)
    assert (await Event.select(Event.seats_taken).where(Event.id == day["id"]).first())["seats_taken"] == 1
