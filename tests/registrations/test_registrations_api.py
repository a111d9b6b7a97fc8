import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from events_service.companies.tables import Company, Contact
from events_service.csv_export import read_csv
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import CompanySeats, Registration
from events_service.settings import Settings
from tests.factories import partita_iva, published_event, registration_payload
from tests.mailparse import calendar_method, rendered
from tests.support.tampering import last_changed


async def _register(client: httpx.AsyncClient, event_id: int, email: str, **overrides: object) -> httpx.Response:
    return await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, **overrides))


async def _counts() -> tuple[int, int, int, int]:
    return (await Registration.count(), await Contact.count(), await Company.count(), await OutboxMessage.count())


async def test_register_creates_company_contact_and_confirmation(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event = await published_event(client, organiser)
    answer = await _register(client, event["id"], "Mario.Rossi@Lariana.example", consent_marketing=True)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "confirmed"
    assert body["email"] == "mario.rossi@lariana.example"
    assert body["manage_url"] == f"http://events.test/registrations/{body['manage_token']}"
    contact = await Contact.select().first()
    assert contact["email"] == "mario.rossi@lariana.example"
    assert contact["consent_privacy_at"] is not None
    assert contact["consent_marketing_at"] is not None
    company = await Company.select().first()
    assert company["vat_id"] == partita_iva(1)
    assert company["name"] == "Azienda 1 Srl"
    assert contact["company"] == company["id"]
    outbox = await OutboxMessage.select().where(OutboxMessage.registration_id == body["id"])
    assert [row["kind"] for row in outbox] == ["confirmed"]
    assert calendar_method(await rendered(outbox[0], settings)) == "REQUEST"


async def test_known_company_needs_only_its_vat_id_and_new_company_needs_a_name(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    assert (await _register(client, event["id"], "a.one@x.example")).status_code == 201
    by_vat = await _register(client, event["id"], "b.two@x.example", company={"vat_id": partita_iva(1)[2:]})
    assert by_vat.status_code == 201
    assert await Company.count() == 1
    nameless = await _register(client, event["id"], "c.three@x.example", company={"vat_id": partita_iva(5), "country": "IT"})
    assert nameless.status_code == 422
    assert "name" in nameless.json()["detail"]
    assert nameless.json()["code"] == "company_name_needed"


async def test_full_event_waitlists_in_order_and_cancellation_promotes_first(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event = await published_event(client, organiser, capacity=2)
    answers = [await _register(client, event["id"], f"p{n}.person@x.example", company_no=n) for n in range(5)]
    assert [a.json()["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a.json()["waitlist_position"] for a in answers[2:]] == [1, 2, 3]

    waiting = await client.get(f"/api/public/registrations/{answers[2].json()['manage_token']}")
    assert waiting.json()["status"] == "waitlisted"
    assert waiting.json()["online_url"] is None

    cancelled = await client.post(f"/api/public/registrations/{answers[0].json()['manage_token']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    promoted = await client.get(f"/api/public/registrations/{answers[2].json()['manage_token']}")
    assert promoted.json()["status"] == "confirmed"
    assert promoted.json()["online_url"] == "https://meet.example.org/j/123456"
    still_waiting = await client.get(f"/api/public/registrations/{answers[3].json()['manage_token']}")
    assert still_waiting.json()["waitlist_position"] == 1

    again = await client.post(f"/api/public/registrations/{answers[0].json()['manage_token']}/cancel")
    assert again.status_code == 200
    assert (await Event.select(Event.seats_taken).where(Event.id == event["id"]).first())["seats_taken"] == 2
    kinds = {(row["registration_id"], row["kind"]) for row in await OutboxMessage.select()}
    assert (answers[0].json()["id"], "cancelled") in kinds
    assert (answers[2].json()["id"], "promoted") in kinds
    cancel_mail = await OutboxMessage.select().where(OutboxMessage.kind == "cancelled").first()
    assert calendar_method(await rendered(cancel_mail, settings)) == "CANCEL"


async def test_company_cap_refuses_the_next_colleague_and_writes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=10, max_per_company=2)
    for n in range(2):
        assert (await _register(client, event["id"], f"c{n}.colleague@x.example", company_no=7)).status_code == 201
    before = await _counts()
    third = await _register(client, event["id"], "c2.colleague@x.example", company_no=7)
    assert third.status_code == 409
    assert "2 seats" in third.json()["detail"]
    assert third.json()["code"] == "company_full"
    assert await _counts() == before
    other_company = await _register(client, event["id"], "d.other@x.example", company_no=8)
    assert other_company.json()["status"] == "confirmed"
    seats = await CompanySeats.select().order_by(CompanySeats.company)
    assert [row["taken"] for row in seats] == [2, 1]


async def test_company_cap_is_respected_when_promoting(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=1, max_per_company=1)
    first = await _register(client, event["id"], "a.first@x.example", company_no=1)
    b = await _register(client, event["id"], "b.second@x.example", company_no=2)
    c = await _register(client, event["id"], "c.third@x.example", company_no=2)
    d = await _register(client, event["id"], "d.fourth@x.example", company_no=3)
    assert [x.json()["status"] for x in (b, c, d)] == ["waitlisted"] * 3  # company 2 holds no seat yet

    await client.post(f"/api/public/registrations/{first.json()['manage_token']}/cancel")
    await client.patch(f"/api/events/{event['id']}", json={"capacity": 3}, headers=organiser)
    statuses = {r["email"]: r["status"] for r in (await client.get(f"/api/events/{event['id']}/registrations", headers=organiser)).json()}
    assert statuses == {
        "a.first@x.example": "cancelled",
        "b.second@x.example": "confirmed",
        "c.third@x.example": "waitlisted",  # company 2 holds its one seat: skipped, not dropped
        "d.fourth@x.example": "confirmed",
    }
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert stats["seats_left"] == 1


async def test_waitlisting_a_colleague_of_a_company_at_its_cap_is_refused(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=1, max_per_company=1)
    assert (await _register(client, event["id"], "a.first@x.example", company_no=1)).json()["status"] == "confirmed"
    refused = await _register(client, event["id"], "a.colleague@x.example", company_no=1)
    assert refused.status_code == 409
    assert "1 seats" in refused.json()["detail"]


async def test_hybrid_event_has_separate_pools(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, tech_day=True, mode="hybrid", capacity=1, online_capacity=2, online_url="https://meet.example.org/day")
    room = await _register(client, event["id"], "r.one@x.example", attendance_mode="in_person")
    room_full = await _register(client, event["id"], "r.two@x.example", attendance_mode="in_person", company_no=2)
    online = [await _register(client, event["id"], f"o{n}.online@x.example", attendance_mode="online", company_no=3 + n) for n in range(3)]
    assert room.json()["status"] == "confirmed"
    assert room_full.json()["status"] == "waitlisted"
    assert [a.json()["status"] for a in online] == ["confirmed", "confirmed", "waitlisted"]
    assert online[2].json()["waitlist_position"] == 1
    room_view = await client.get(f"/api/public/registrations/{room.json()['manage_token']}")
    assert room_view.json()["online_url"] is None
    assert room_view.json()["checkin_code"]
    online_view = await client.get(f"/api/public/registrations/{online[0].json()['manage_token']}")
    assert online_view.json()["online_url"] == "https://meet.example.org/day"
    assert online_view.json()["checkin_code"] is None
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert stats["seats_left"] == 0
    assert stats["online_seats_left"] == 0
    assert stats["waitlisted"] == 2


async def test_colleagues_get_their_own_registrations_all_or_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    colleagues = [{"email": "g.verdi@x.example", "first_name": "Giuseppe", "last_name": "Verdi"},
                  {"email": "l.neri@x.example", "first_name": "Lucia", "last_name": "Neri", "language": "en"}]
    answer = await _register(client, event["id"], "boss.bianchi@x.example", colleagues=colleagues)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [c["email"] for c in body["colleagues"]] == ["g.verdi@x.example", "l.neri@x.example"]
    tokens = {body["manage_token"], *(c["manage_token"] for c in body["colleagues"])}
    assert len(tokens) == 3
    rows = await Registration.select().order_by(Registration.id)
    assert [row["registered_by"] for row in rows] == [None, body["id"], body["id"]]
    assert len({row["company"] for row in rows}) == 1

    before = await _counts()
    clash = await _register(client, event["id"], "new.person@x.example", colleagues=[{"email": "G.Verdi@x.example", "first_name": "G", "last_name": "V"}])
    assert clash.status_code == 409
    assert await _counts() == before


async def test_event_state_and_duplicates(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    assert (await _register(client, event["id"], "same.person@x.example")).status_code == 201
    duplicate = await _register(client, event["id"], "SAME.Person@X.example")
    assert duplicate.status_code == 409
    assert "already" in duplicate.json()["detail"]
    assert duplicate.json()["code"] == "already_registered"

    draft = (await client.post("/api/events", json={**{k: v for k, v in event.items() if k in ("kind", "title", "starts_at", "ends_at", "mode", "capacity", "online_url")}}, headers=organiser)).json()
    assert (await _register(client, draft["id"], "x.y@x.example")).status_code == 404
    assert (await _register(client, 999999, "x.y@x.example")).status_code == 404

    closing = await published_event(client, organiser, title="Closing soon")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert (await client.patch(f"/api/events/{closing['id']}", json={"registration_closes_at": past}, headers=organiser)).status_code == 200
    closed = await _register(client, closing["id"], "late.comer@x.example")
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]

    await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    cancelled = await _register(client, event["id"], "after.cancel@x.example")
    assert cancelled.status_code == 409
    assert "cancelled" in cancelled.json()["detail"]


async def test_a_duplicate_takes_no_seat_and_a_cancelled_registration_makes_way(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=1, max_per_company=1)
    first = await _register(client, event["id"], "a.first@x.example", company_no=1)
    assert first.json()["status"] == "confirmed"
    before = await _counts()
    duplicate = await _register(client, event["id"], "a.first@x.example", company_no=1)
    assert duplicate.status_code == 409
    assert "already" in duplicate.json()["detail"]  # not the company cap
    assert await _counts() == before
    assert (await Event.select(Event.seats_taken).where(Event.id == event["id"]).first())["seats_taken"] == 1
    assert [row["taken"] for row in await CompanySeats.select()] == [1]

    waiting = await _register(client, event["id"], "b.second@x.example", company_no=2)
    assert waiting.json()["status"] == "waitlisted"
    await client.post(f"/api/public/registrations/{first.json()['manage_token']}/cancel")
    back = await _register(client, event["id"], "a.first@x.example", company_no=1)
    assert back.status_code == 201, back.text
    assert back.json()["status"] == "waitlisted"
    assert back.json()["waitlist_position"] == 1  # at the back
    assert back.json()["id"] > waiting.json()["id"]
    rows = await Registration.select(Registration.id, Registration.status).where(Registration.event == event["id"]).order_by(Registration.id)
    assert [(row["id"], row["status"]) for row in rows] == [(waiting.json()["id"], "confirmed"), (back.json()["id"], "waitlisted")]
    old_link = await client.get(f"/api/public/registrations/{first.json()['manage_token']}")
    assert old_link.status_code == 404


async def test_bad_input_is_422_and_writes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    vat = partita_iva(3)
    bad_vat = vat[:-1] + str((int(vat[-1]) + 1) % 10)
    cases = {
        "no consent": registration_payload("a.b@x.example", consent_privacy=False),
        "consent missing": {k: v for k, v in registration_payload("a.b@x.example").items() if k != "consent_privacy"},
        "bad email": registration_payload("not-an-email"),
        "bad vat": registration_payload("a.b@x.example", company={"vat_id": bad_vat, "name": "X", "country": "IT"}),
        "blank name": registration_payload("a.b@x.example", first_name="   "),
        "wrong mode": registration_payload("a.b@x.example", attendance_mode="in_person"),
        "unknown field": registration_payload("a.b@x.example", shoe_size=44),
        "bad colleague email": registration_payload("a.b@x.example", colleagues=[{"email": "nope", "first_name": "A", "last_name": "B"}]),
        "same email twice": registration_payload("a.b@x.example", colleagues=[{"email": "A.B@x.example", "first_name": "A", "last_name": "B"}]),
        "too many colleagues": registration_payload("a.b@x.example", colleagues=[{"email": f"c{n}@x.example", "first_name": "A", "last_name": "B"} for n in range(11)]),
    }
    for reason, payload in cases.items():
        answer = await client.post(f"/api/public/events/{event['id']}/registrations", json=payload)
        assert answer.status_code == 422, (reason, answer.status_code, answer.text)
        assert answer.json()["detail"], reason
        # the stable codes the web pages map to their own translated messages
        expected_code = {"no consent": "consent_required", "bad email": "invalid_email", "bad vat": "invalid_vat_id"}.get(reason)
        if expected_code:
            assert answer.json()["code"] == expected_code, reason
    assert await _counts() == (0, 0, 0, 0)


async def test_manage_token_is_scoped_and_tamper_proof(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    token = (await _register(client, event["id"], "t.holder@x.example")).json()["manage_token"]
    view = await client.get(f"/api/public/registrations/{token}")
    assert view.status_code == 200
    assert view.json()["email"] == "t.holder@x.example"
    registration_id, nonce, signature = token.split(".")
    forged = [
        f"{int(registration_id) + 1}.{nonce}.{signature}",
        f"{registration_id}.{nonce}x.{signature}",
        f"{registration_id}.{nonce}.{last_changed(signature)}",
        view.json()["checkin_code"] or f"{registration_id}.{nonce}",
        "garbage",
    ]
    for bad in forged:
        assert (await client.get(f"/api/public/registrations/{bad}")).status_code == 404, bad
        assert (await client.post(f"/api/public/registrations/{bad}/cancel")).status_code == 404, bad
    assert (await Registration.select(Registration.status).first())["status"] == "confirmed"


async def test_organiser_views_list_csv_stats_and_cancel(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=2)
    ids = [(await _register(client, event["id"], f"v{n}.viewer@x.example", company_no=n)).json()["id"] for n in range(3)]
    listing = await client.get(f"/api/events/{event['id']}/registrations", headers=organiser)
    assert listing.status_code == 200
    first = listing.json()[0]
    assert set(first) >= {"id", "email", "first_name", "last_name", "company", "status", "created_at", "attended", "minutes_attended"}
    assert first["company"]["vat_id"] == partita_iva(0)
    waitlisted = await client.get(f"/api/events/{event['id']}/registrations", params={"status": "waitlisted"}, headers=organiser)
    assert [r["id"] for r in waitlisted.json()] == [ids[2]]
    assert waitlisted.json()[0]["waitlist_position"] == 1
    searched = await client.get(f"/api/events/{event['id']}/registrations", params={"q": "V1.VIEWER"}, headers=organiser)
    assert [r["id"] for r in searched.json()] == [ids[1]]

    csv_answer = await client.get(f"/api/events/{event['id']}/registrations.csv", headers=organiser)
    assert csv_answer.headers["content-type"].startswith("text/csv")
    lines = csv_answer.text.strip().splitlines()
    assert lines[0].startswith("\ufeffid;status")
    assert len(lines) == 4

    cancelled = await client.post(f"/api/registrations/{ids[0]}/cancel", headers=organiser)
    assert cancelled.status_code == 200
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert stats == {"capacity": 2, "online_capacity": None, "confirmed": 2, "waitlisted": 0, "cancelled": 1,
                     "attended": 0, "no_show": 0, "companies": 2, "seats_left": 0, "online_seats_left": None,
                     "rsvp_accepted": 0, "rsvp_tentative": 0, "rsvp_declined": 0}
    assert (await client.post("/api/registrations/99999/cancel", headers=organiser)).status_code == 404
    assert (await client.get(f"/api/events/{event['id']}/registrations")).status_code == 401


async def test_capacity_changes_promote_or_are_refused(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=1)
    for n in range(3):
        await _register(client, event["id"], f"w{n}.wait@x.example", company_no=n)
    shrink = await client.patch(f"/api/events/{event['id']}", json={"capacity": 0}, headers=organiser)
    assert shrink.status_code == 409
    grow = await client.patch(f"/api/events/{event['id']}", json={"capacity": 2}, headers=organiser)
    assert grow.status_code == 200
    stats = (await client.get(f"/api/events/{event['id']}/stats", headers=organiser)).json()
    assert stats["confirmed"] == 2
    assert stats["waitlisted"] == 1


async def test_cancelling_the_event_cancels_every_registration(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event = await published_event(client, organiser, capacity=1)
    await _register(client, event["id"], "k.one@x.example", company_no=1)
    await _register(client, event["id"], "k.two@x.example", company_no=2)
    await client.post(f"/api/events/{event['id']}/cancel", headers=organiser)
    statuses = {row["status"] for row in await Registration.select(Registration.status)}
    assert statuses == {"cancelled"}
    notices = await OutboxMessage.select().where(OutboxMessage.kind == "event_cancelled").order_by(OutboxMessage.registration_id)
    assert len(notices) == 2
    assert calendar_method(await rendered(notices[0], settings)) == "CANCEL"  # was confirmed: the entry goes
    assert calendar_method(await rendered(notices[1], settings)) is None  # was waiting: nothing in a calendar


async def test_concurrent_registrations_never_overbook(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=5, max_per_company=2)
    answers = await asyncio.gather(*[_register(client, event["id"], f"r{n}.rush@x.example", company_no=n % 4) for n in range(30)])
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 409}, codes
    confirmed = await Registration.select(Registration.company).where(Registration.status == "confirmed")
    assert len(confirmed) == 5
    per_company: dict[int, int] = {}
    for row in confirmed:
        per_company[row["company"]] = per_company.get(row["company"], 0) + 1
    assert max(per_company.values()) <= 2
    assert (await Event.select(Event.seats_taken).where(Event.id == event["id"]).first())["seats_taken"] == 5
    created = [a.json()["id"] for a in answers if a.status_code == 201]
    assert await Registration.count() == len(created)


async def test_csv_export_does_not_let_a_typed_formula_run(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    await _register(client, event["id"], "f.formula@x.example", first_name='=HYPERLINK("http://evil.example","x")', last_name="+1")
    exported = await client.get(f"/api/events/{event['id']}/registrations.csv", headers=organiser)
    row = read_csv(exported.text)[1]
    assert row[5] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[6] == "'+1"


async def test_marketing_consent_is_recorded_by_the_persons_first_own_registration_only(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    events = [await published_event(client, organiser, title=f"Talk {n}") for n in range(4)]

    async def marketing_consent_at() -> object:
        return (await Contact.select(Contact.consent_marketing_at).where(Contact.email == "ada.neri@x.example").first())["consent_marketing_at"]

    assert (await _register(client, events[0]["id"], "ada.neri@x.example", consent_marketing=True)).status_code == 201
    given = await marketing_consent_at()
    assert given is not None
    colleague = {"email": "ada.neri@x.example", "first_name": "Ada", "last_name": "Neri"}
    by_colleague = await _register(client, events[1]["id"], "boss.x@x.example", consent_marketing=False, colleagues=[colleague])
    assert by_colleague.status_code == 201
    assert await marketing_consent_at() == given  # a colleague's answer is not hers
    assert (await _register(client, events[2]["id"], "ada.neri@x.example")).status_code == 201
    assert await marketing_consent_at() == given  # not asked: kept
    # Anyone who knows the address can register it: a registration changes no stored consent.
    assert (await _register(client, events[3]["id"], "ada.neri@x.example", consent_marketing=False)).status_code == 201
    assert await marketing_consent_at() == given
