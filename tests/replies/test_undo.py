"""The undo link of a cancellation by a Decline reply (registrations/undo.py, issue 19 item 3),
against the real database on both engines and the real SMTP sink: the email says the reply
cancelled it and carries the link; the link gives the seat back only while it is free (the
public registration's seat rules), once, for this registration and this cancellation only,
until registration closes; the GET page never acts."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from events_service.app import create_app, running_service
from events_service.audit.tables import AuditEntry
from events_service.calendar.entries import invite_uid
from events_service.clock import now_utc
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations.links import make_token
from events_service.registrations.service import send_due_event_updates
from events_service.registrations.tables import Registration
from events_service.replies.decisions import IgnoreReason, ReplyAction
from events_service.replies.service import process_message
from events_service.settings import Settings
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription
from tests.calendar.conftest import Mail, Mailbox
from tests.conftest import token_headers
from tests.factories import published_event
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _register, _statuses
from tests.support.clients import client_at
from tests.support.smtp import SmtpSink
from tests.support.tampering import last_changed
from tests.web.support import post_form

CARLA = "carla.neri@azienda3.example"
UNDO_LINK = re.compile(r"http://events\.test/undo/(\S+)")


async def _invite_uid(registration_id: int) -> str:
    row = await Registration.select(Registration.event, Registration.token_nonce).where(Registration.id == registration_id).first()
    assert row is not None
    return invite_uid(row["event"], registration_id, row["token_nonce"], "events.test")


async def _decline(registration_id: int, email: str, settings: Settings, sequence: int = 0) -> None:
    raw = reply_email("outlook", reply_calendar(uid=await _invite_uid(registration_id), attendee=email, sequence=sequence), sender=email)
    (outcome,) = await process_message(raw, settings)
    assert outcome.decision.action == ReplyAction.CANCEL, outcome


def _undo_token(mail: Mail) -> str:
    found = UNDO_LINK.search(mail.text)
    assert found, mail.text
    return found.group(1)


async def _snapshot(event_id: int) -> dict[str, Any]:
    """Everything an undo writes: registrations, seats, mail, audit entries, webhooks."""
    registrations = await Registration.select(
        Registration.id, Registration.status, Registration.rsvp, Registration.holds_company_seat, Registration.sequence_offset
    ).where(Registration.event == event_id).order_by(Registration.id)
    seats = await Event.select(Event.seats_taken).where(Event.id == event_id).first()
    return {
        "registrations": registrations,
        "seats": seats,
        "outbox": await OutboxMessage.count(),
        "audit": await AuditEntry.count(),
        "webhooks": await WebhookDelivery.count(),
    }


async def _declined_with_link(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink, *, capacity: int = 2, **event: Any
) -> tuple[int, dict[str, Any], str, Mailbox]:
    """Anna (registered in German) declines in her calendar; returns the event id, her
    registration, the undo token from the email she received, and the mailbox."""
    created = await published_event(client, organiser, capacity=capacity, **event)
    anna = await _register(client, created["id"], ANNA, 1)
    await Registration.update({Registration.language: "de"}).where(Registration.id == anna["id"])
    mailbox = Mailbox(settings, sink)
    await mailbox.dispatch()
    await _decline(anna["id"], ANNA, settings)
    (notice,) = [mail for mail in await mailbox.dispatch() if mail.to == ANNA]
    assert notice.method == "CANCEL"
    return created["id"], anna, _undo_token(notice), mailbox


async def test_the_cancellation_email_says_the_reply_did_it_and_the_link_gives_the_seat_back(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    created = await published_event(client, organiser, capacity=2)
    anna = await _register(client, created["id"], ANNA, 1)
    await Registration.update({Registration.language: "de"}).where(Registration.id == anna["id"])
    mailbox = Mailbox(settings, sink)
    (confirmation,) = await mailbox.dispatch()
    first_sequence = int(confirmation.vevent["SEQUENCE"])

    await _decline(anna["id"], ANNA, settings)
    (notice,) = await mailbox.dispatch()
    # In the registration's language, saying the reply cancelled it, with the link.
    assert notice.subject.startswith("Ihre Antwort hat Ihre Anmeldung storniert")
    assert "in Ihrem Kalender abgelehnt" in notice.text
    token = _undo_token(notice)
    assert notice.method == "CANCEL" and int(notice.vevent["SEQUENCE"]) == first_sequence + 1

    offer = await client.get(f"/api/public/cancellations/{token}")
    assert offer.status_code == 200 and offer.json()["state"] == "available"
    undone = await client.post(f"/api/public/cancellations/{token}/undo")

    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "confirmed" and undone.json()["email"] == ANNA
    assert await _statuses(created["id"]) == {ANNA: ("confirmed", None)}
    assert (await Event.select(Event.seats_taken).where(Event.id == created["id"]).first())["seats_taken"] == 1
    # A new invite, same UID, SEQUENCE above the CANCEL's.
    (invite,) = await mailbox.dispatch()
    assert invite.to == ANNA and invite.method == "REQUEST"
    assert str(invite.vevent["UID"]) == str(confirmation.vevent["UID"])
    assert int(invite.vevent["SEQUENCE"]) == first_sequence + 2
    entry = await AuditEntry.select(AuditEntry.actor, AuditEntry.action, AuditEntry.changes).where(
        (AuditEntry.entity == "registration") & (AuditEntry.entity_id == anna["id"])
    ).order_by(AuditEntry.id, ascending=False).first()
    assert entry is not None and entry["actor"] == "registrant" and entry["action"] == "updated"
    assert "confirmed" in str(entry["changes"])


async def test_an_answer_to_the_invite_before_the_undo_is_stale_after_it(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, anna, token, _ = await _declined_with_link(client, organiser, settings, sink)
    assert (await client.post(f"/api/public/cancellations/{token}/undo")).status_code == 200

    # A second Decline of the old invite (SEQUENCE 0: another device of hers, late) changes nothing.
    raw = reply_email("gmail", reply_calendar(uid=await _invite_uid(anna["id"]), attendee=ANNA, client="gmail"), sender=ANNA)
    (outcome,) = await process_message(raw, settings)

    assert outcome.decision.reason == IgnoreReason.STALE_SEQUENCE
    assert await _statuses(event_id) == {ANNA: ("confirmed", None)}


async def test_seat_taken_by_the_first_waiting_person_is_a_409_and_nothing_changes(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    created = await published_event(client, organiser, capacity=1)
    anna = await _register(client, created["id"], ANNA, 1)
    await _register(client, created["id"], BRUNO, 2)
    mailbox = Mailbox(settings, sink)
    await mailbox.dispatch()
    await _decline(anna["id"], ANNA, settings)
    sent = {mail.to: mail for mail in await mailbox.dispatch()}
    token = _undo_token(sent[ANNA])
    assert sent[BRUNO].method == "REQUEST"  # promoted into the freed seat
    before = await _snapshot(created["id"])

    offer = await client.get(f"/api/public/cancellations/{token}")
    refused = await client.post(f"/api/public/cancellations/{token}/undo")

    assert offer.json()["state"] == "seat_taken"
    assert refused.status_code == 409 and refused.json()["code"] == "seat_taken", refused.text
    assert await _snapshot(created["id"]) == before
    assert await _statuses(created["id"]) == {ANNA: ("cancelled", "declined"), BRUNO: ("confirmed", None)}
    # The page says so and offers to register again (onto the waiting list).
    page = await post_form(client, f"/undo/{token}", {})
    assert page.status_code == 409 and 'id="undo-seat-taken"' in page.text
    assert f"/e/{created['slug']}/register" in page.text
    assert await _snapshot(created["id"]) == before


async def test_the_company_cap_applies_as_to_a_public_registration(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, anna, token, _ = await _declined_with_link(client, organiser, settings, sink, capacity=5, max_per_company=1)
    # A colleague of the same company takes the company's one seat meanwhile.
    colleague = await client.post(
        f"/api/public/events/{event_id}/registrations",
        json={"email": "dario.bassi@azienda1.example", "first_name": "Dario", "last_name": "Bassi",
              "company": {"vat_id": (await _company_vat(anna["id"]))}, "consent_privacy": True},
    )
    assert colleague.status_code == 201 and colleague.json()["status"] == "confirmed", colleague.text
    before = await _snapshot(event_id)

    refused = await client.post(f"/api/public/cancellations/{token}/undo")

    assert refused.status_code == 409 and refused.json()["code"] == "company_full", refused.text
    assert await _snapshot(event_id) == before


async def _company_vat(registration_id: int) -> str:
    row = await Registration.select(Registration.company.vat_id.as_alias("vat")).where(Registration.id == registration_id).first()
    assert row is not None
    return row["vat"]


async def test_used_link_does_nothing_the_second_time(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, _, token, mailbox = await _declined_with_link(client, organiser, settings, sink)
    assert (await client.post(f"/api/public/cancellations/{token}/undo")).status_code == 200
    assert len(await mailbox.dispatch()) == 1
    before = await _snapshot(event_id)

    again = await client.post(f"/api/public/cancellations/{token}/undo")

    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert await _snapshot(event_id) == before
    assert await mailbox.dispatch() == []
    assert (await client.get(f"/api/public/cancellations/{token}")).json()["state"] == "done"


async def test_a_link_from_an_earlier_cancellation_does_nothing_after_a_later_one(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, anna, first_token, mailbox = await _declined_with_link(client, organiser, settings, sink)
    assert (await client.post(f"/api/public/cancellations/{first_token}/undo")).status_code == 200
    (invite,) = await mailbox.dispatch()
    # She declines the new invite (its SEQUENCE), and gets a new link.
    await _decline(anna["id"], ANNA, settings, sequence=int(invite.vevent["SEQUENCE"]))
    (notice,) = await mailbox.dispatch()
    second_token = _undo_token(notice)
    assert second_token != first_token
    before = await _snapshot(event_id)

    replayed = await client.post(f"/api/public/cancellations/{first_token}/undo")

    assert replayed.status_code == 404
    assert await _snapshot(event_id) == before
    # Cancelled by her manage link afterwards: neither link undoes that.
    assert (await client.post(f"/api/public/cancellations/{second_token}/undo")).status_code == 200
    await client.post(f"/api/public/registrations/{anna['manage_token']}/cancel")
    before = await _snapshot(event_id)
    for token in (first_token, second_token):
        assert (await client.post(f"/api/public/cancellations/{token}/undo")).status_code == 404
    assert await _snapshot(event_id) == before


async def test_other_tampered_and_garbage_links_are_refused_and_change_nothing(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, anna, token, _ = await _declined_with_link(client, organiser, settings, sink, capacity=3)
    carla = await _register(client, event_id, CARLA, 3)
    registration_id, nonce, signature = token.split(".")
    before = await _snapshot(event_id)
    hostile = [
        # Another registration's id with this link's nonce and signature.
        f"{carla['id']}.{nonce}.{signature}",
        # Another registration's id, signed properly, with this link's nonce: not that registration's cancellation.
        make_token(settings.secret_key, "undo", carla["id"], nonce),
        # A link of another purpose: the manage token.
        anna["manage_token"],
        make_token(settings.secret_key, "manage", int(registration_id), nonce),
        # Tampered.
        f"{registration_id}.{nonce}.{last_changed(signature)}",
        f"{registration_id}.{last_changed(nonce)}.{signature}",
        # Garbage, long garbage, non-ASCII digits.
        "x" * 5000,
        "1." + "a" * 4000 + ".b",
        "١٢.abc.def",
        "%00",
    ]
    for bad in hostile:
        for method, path in (("GET", f"/api/public/cancellations/{bad}"), ("POST", f"/api/public/cancellations/{bad}/undo")):
            answer = await client.request(method, path)
            assert 400 <= answer.status_code < 500, (bad[:40], method, answer.status_code)
        page = await client.get(f"/undo/{bad}")
        assert 400 <= page.status_code < 500, (bad[:40], page.status_code)
    # The wrong method never acts.
    for method in ("PUT", "DELETE", "PATCH"):
        assert (await client.request(method, f"/api/public/cancellations/{token}/undo")).status_code == 405
    assert (await client.get(f"/api/public/cancellations/{token}/undo")).status_code == 405
    assert await _snapshot(event_id) == before
    assert await _statuses(event_id) == {ANNA: ("cancelled", "declined"), CARLA: ("confirmed", None)}


async def test_the_page_never_acts_on_get_and_its_button_does(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, _, token, mailbox = await _declined_with_link(client, organiser, settings, sink)
    before = await _snapshot(event_id)

    shown = await client.get(f"/undo/{token}")
    assert shown.status_code == 200 and 'id="undo-form"' in shown.text
    assert await _snapshot(event_id) == before
    # Without the form's CSRF token: refused.
    assert (await client.post(f"/undo/{token}")).status_code == 403
    assert await _snapshot(event_id) == before

    done = await post_form(client, f"/undo/{token}", {}, follow_redirects=True)

    assert done.status_code == 200 and 'id="undo-done"' in done.text
    assert await _statuses(event_id) == {ANNA: ("confirmed", None)}
    (invite,) = await mailbox.dispatch()
    assert invite.method == "REQUEST"


@pytest.mark.parametrize("case", ["registration_closed", "event_cancelled"])
async def test_the_link_ends_when_registration_closes_or_the_event_is_cancelled(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink, case: str
) -> None:
    event_id, _, token, _ = await _declined_with_link(client, organiser, settings, sink)
    if case == "registration_closed":
        await Event.update({Event.registration_closes_at: now_utc() - timedelta(minutes=1)}).where(Event.id == event_id)
    else:
        assert (await client.post(f"/api/events/{event_id}/cancel", headers=organiser)).status_code == 200
    before = await _snapshot(event_id)

    offer = await client.get(f"/api/public/cancellations/{token}")
    refused = await client.post(f"/api/public/cancellations/{token}/undo")

    expected = {"registration_closed": ("expired", "undo_expired"), "event_cancelled": ("event_cancelled", "event_cancelled")}[case]
    assert (offer.json()["state"], refused.json()["code"]) == expected
    assert refused.status_code == 409
    assert await _snapshot(event_id) == before


async def test_two_undos_racing_for_one_free_seat_one_wins(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    created = await published_event(client, organiser, capacity=2)
    people = [await _register(client, created["id"], email, number) for number, email in enumerate((ANNA, CARLA), start=1)]
    mailbox = Mailbox(settings, sink)
    await mailbox.dispatch()
    for person, email in zip(people, (ANNA, CARLA), strict=True):
        await _decline(person["id"], email, settings)
    tokens = {mail.to: _undo_token(mail) for mail in await mailbox.dispatch()}
    # Someone new takes one of the two freed seats: one is left for the two links.
    await _register(client, created["id"], BRUNO, 2)

    answers = await asyncio.gather(*(client.post(f"/api/public/cancellations/{tokens[email]}/undo") for email in (ANNA, CARLA)))

    assert sorted(answer.status_code for answer in answers) == [200, 409], [answer.text for answer in answers]
    statuses = await _statuses(created["id"])
    assert sorted(status for status, _ in statuses.values()) == ["cancelled", "confirmed", "confirmed"]
    assert (await Event.select(Event.seats_taken).where(Event.id == created["id"]).first())["seats_taken"] == 2
    assert len([mail for mail in await mailbox.dispatch() if mail.method == "REQUEST"]) == 2  # Bruno's and the winner's


async def test_the_same_link_posted_twice_at_once_restores_once(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    event_id, _, token, mailbox = await _declined_with_link(client, organiser, settings, sink, capacity=5)

    answers = await asyncio.gather(*(client.post(f"/api/public/cancellations/{token}/undo") for _ in range(4)))

    assert [answer.status_code for answer in answers] == [200] * 4
    assert (await Event.select(Event.seats_taken).where(Event.id == event_id).first())["seats_taken"] == 1
    assert len(await mailbox.dispatch()) == 1


async def test_after_an_undo_later_updates_and_the_feed_stay_above_the_new_invite(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    await WebhookSubscription.insert(
        WebhookSubscription(url="https://hooks.example.org/in", events="registration.restored", secret="whsec_" + "A" * 32)
    )
    event_id, anna, token, mailbox = await _declined_with_link(client, organiser, settings, sink)
    assert (await client.post(f"/api/public/cancellations/{token}/undo")).status_code == 200
    (invite,) = await mailbox.dispatch()
    restored_sequence = int(invite.vevent["SEQUENCE"])
    feed_link = re.search(r"http://events\.test(/calendar/personal/\S+\.ics)", invite.text)
    assert feed_link, invite.text

    # The event moves: the update's SEQUENCE is above the invite she has now, not the event's own.
    moved = now_utc() + timedelta(days=40)
    changed = await client.patch(
        f"/api/events/{event_id}", headers=organiser,
        json={"starts_at": moved.isoformat(), "ends_at": (moved + timedelta(hours=1)).isoformat()},
    )
    assert changed.status_code == 200, changed.text
    assert await send_due_event_updates(settings, now=now_utc() + timedelta(hours=1)) == 1
    (update,) = await mailbox.dispatch()
    event_sequence = (await Event.select(Event.sequence).where(Event.id == event_id).first())["sequence"]
    assert update.method == "REQUEST" and int(update.vevent["SEQUENCE"]) == event_sequence + 2 > restored_sequence
    feed = Calendar.from_ical((await client.get(feed_link.group(1))).content)
    (entry,) = feed.walk("VEVENT")
    assert int(entry["SEQUENCE"]) == int(update.vevent["SEQUENCE"])
    # Integrators hear of it.
    (delivery,) = await WebhookDelivery.select(WebhookDelivery.type, WebhookDelivery.body)
    assert delivery["type"] == "registration.restored"
    assert json.loads(delivery["body"])["data"] == {
        "registration_id": anna["id"], "event_id": event_id, "status": "confirmed", "restored_from": "reply_cancellation"
    }


async def test_the_page_speaks_the_registrations_language_unless_the_person_switches(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    # Anna's registration, and so the cancellation email with the link, is in German; her
    # browser asks for Italian.
    event_id, _, token, _ = await _declined_with_link(client, organiser, settings, sink, capacity=1)
    italian_browser = {"Accept-Language": "it-IT,it;q=0.9"}

    shown = await client.get(f"/undo/{token}", headers=italian_browser)
    assert shown.status_code == 200 and '<html lang="de">' in shown.text
    assert "Stornierung rückgängig machen" in shown.text and "Annulla la cancellazione" not in shown.text
    # The API says which language that is, for a program showing the offer.
    assert (await client.get(f"/api/public/cancellations/{token}")).json()["language"] == "de"

    # An explicit switch wins, and is kept (the cookie) over the registration's language.
    switched = await client.get(f"/undo/{token}", params={"lang": "en"}, headers=italian_browser)
    assert '<html lang="en">' in switched.text and "Undo the cancellation" in switched.text
    assert '<html lang="en">' in (await client.get(f"/undo/{token}", headers=italian_browser)).text
    client.cookies.delete("lang")

    # The refusal the button's POST shows is in her language too: her seat went to Bruno.
    await _register(client, event_id, BRUNO, 2)
    refused = await post_form(client, f"/undo/{token}", {}, headers=italian_browser)
    assert refused.status_code == 409 and '<html lang="de">' in refused.text
    assert "Leider ist Ihr Platz inzwischen an eine andere Person gegangen." in refused.text


async def test_the_undo_link_is_rate_limited_per_client_and_a_limited_request_changes_nothing(
    settings: Settings, sink: SmtpSink
) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=3)
    app = create_app(limited)
    async with running_service(limited):
        async with client_at(app, "203.0.113.21", headers={"Accept-Language": "en"}) as client:
            organiser = await token_headers(client)
            event_id, _, token, mailbox = await _declined_with_link(client, organiser, limited, sink)
            before = await _snapshot(event_id)
            # The API and the page count together: three reads use the minute up.
            for path in (f"/api/public/cancellations/{token}", f"/undo/{token}", f"/api/public/cancellations/{token}"):
                assert (await client.get(path)).status_code == 200, path

            refused = await client.post(f"/api/public/cancellations/{token}/undo")
            page = await client.post(f"/undo/{token}", data={"_csrf_token": client.cookies.get("csrftoken") or ""})

            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            body = refused.json()
            assert set(body) <= {"status_code", "detail", "code", "extra"} and body["status_code"] == 429 and body["detail"]
            assert page.status_code == 429 and "Too many attempts" in page.text and int(page.headers["retry-after"]) > 0
            assert await _snapshot(event_id) == before
            assert await _statuses(event_id) == {ANNA: ("cancelled", "declined")}
            assert await mailbox.dispatch() == []
            # Registering counts apart: this client may still register.
            assert (await _register(client, event_id, CARLA, 3))["status"] == "confirmed"

        # Another client is not limited by the first one's count: its undo works.
        async with client_at(app, "203.0.113.22") as other:
            undone = await other.post(f"/api/public/cancellations/{token}/undo")
            assert undone.status_code == 200, undone.text
        assert (await _statuses(event_id))[ANNA] == ("confirmed", None)
