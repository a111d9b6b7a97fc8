"""Races an attacker (or a busy morning) can start against a real server with two worker
processes: registrations racing the event's cancellation, cancellations racing it (each one
promoting the waitlist), and registrations racing a capacity cut. Each round starts them at
the same moment; the invariants hold after every round:

- a cancelled event has no live registration (none confirmed, none waitlisted), no seat
  counted, and no confirmation (with its join link) left to send;
- an event never has more confirmed registrations than seats, per pool (room and online).
"""

from __future__ import annotations

import asyncio
import collections
import random
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx

from events_service.app import running_service
from events_service.events.tables import Event
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from tests.factories import event_payload, registration_payload
from tests.serving import organiser_headers, served, server_env

ROUNDS = 30
#: Messages that would tell a person they have (or wait for) a seat, the join link included.
SEAT_MESSAGES = ["confirmed", "promoted", "waitlisted"]
VENUE = {"name": "Polo Territoriale di Lecco", "address": "Via Gaetano Previati 1/c", "city": "Lecco"}


async def _hybrid_event(http: httpx.AsyncClient, organiser: dict[str, str], title: str, seats: int) -> int:
    payload = event_payload(title=title, mode="hybrid", capacity=seats, online_capacity=seats, venue=VENUE)
    created = await http.post("/api/events", json=payload, headers=organiser)
    assert created.status_code == 201, created.text
    published = await http.post(f"/api/events/{created.json()['id']}/publish", headers=organiser)
    assert published.status_code == 200, published.text
    return created.json()["id"]


def _register(http: httpx.AsyncClient, event_id: int, who: str, n: int) -> Any:
    mode = "online" if n % 2 else "in_person"
    return http.post(
        f"/api/public/events/{event_id}/registrations",
        json=registration_payload(f"{who}{n}.race@company{n}.example", company_no=n, attendance_mode=mode),
    )


async def _after(seconds: float, request: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
    """Send `request` (not started until awaited) after `seconds`."""
    await asyncio.sleep(seconds)
    return await request


def _client(base_url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50, keepalive_expiry=2)
    return httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)


async def test_nothing_stays_live_on_an_event_cancelled_during_registrations_and_cancellations(settings: Settings, tmp_path: Path) -> None:
    """Each round: an event with 2 seats in the room and 2 online; every other round they are
    taken already (2 + 2 registered, 2 on the waitlist). Then, at once, 8 people register (for
    a seat or the waitlist), the first 2 registered (if any) cancel, each promoting someone,
    and the organiser cancels the event, after a random few milliseconds, so the cancellation
    lands at every stage of the others' transactions."""
    failures: list[str] = []
    with served(server_env(settings, tmp_path / "server-var"), workers=2) as base_url:
        async with _client(base_url) as http:
            organiser = await organiser_headers(http, settings, "race")
            for round_no in range(ROUNDS):
                event_id = await _hybrid_event(http, organiser, f"Race cancel {round_no}", seats=2)
                early = [await _register(http, event_id, f"early{round_no}-", n) for n in range(6 if round_no % 2 else 0)]
                assert [answer.json()["status"] for answer in early] == (["confirmed"] * 4 + ["waitlisted"] * 2 if early else [])
                leaving = [answer.json()["manage_token"] for answer in early[:2]]
                answers = await asyncio.gather(
                    *[_register(http, event_id, f"late{round_no}-", n) for n in range(8)],
                    *[http.post(f"/api/public/registrations/{token}/cancel") for token in leaving],
                    _after(random.uniform(0, 0.03), http.post(f"/api/events/{event_id}/cancel", headers=organiser)),
                )
                codes = collections.Counter(answer.status_code for answer in answers)
                if not set(codes) <= {200, 201, 409} or answers[-1].status_code != 200:
                    failures.append(f"round {round_no}: answers {dict(codes)}, the event's cancellation {answers[-1].status_code}")
                    continue
                async with running_service(settings):
                    problem = await _live_on_cancelled_event(event_id)
                if problem:
                    failures.append(f"round {round_no}: {problem}")
    assert not failures, f"{len(failures)} of {ROUNDS} rounds left something live on a cancelled event: {failures}"


async def _live_on_cancelled_event(event_id: int) -> str | None:
    event = await Event.select(Event.status, Event.seats_taken, Event.online_seats_taken).where(Event.id == event_id).first()
    assert event["status"] == "cancelled"
    live = await Registration.select(Registration.id, Registration.status).where(
        (Registration.event == event_id) & (Registration.status != "cancelled")
    )
    pending = await OutboxMessage.select(OutboxMessage.registration_id, OutboxMessage.kind).where(
        (OutboxMessage.event_id == event_id) & OutboxMessage.kind.is_in(SEAT_MESSAGES) & (OutboxMessage.status == "queued")
    )
    if live or pending or event["seats_taken"] or event["online_seats_taken"]:
        return f"live registrations {live}, seat messages still queued {pending}, seats counted {event}"
    return None


async def test_a_capacity_cut_racing_registrations_never_leaves_more_confirmed_than_seats(settings: Settings, tmp_path: Path) -> None:
    """Each round: an event with 10 seats in the room and 10 online, 1 + 1 taken; then, at once,
    12 people register and the organiser cuts both pools to 3 (after a random few milliseconds).
    The cut may be refused (409: more are confirmed by then), never leave more than it allows."""
    failures: list[str] = []
    outcomes: collections.Counter[int] = collections.Counter()
    with served(server_env(settings, tmp_path / "server-var"), workers=2) as base_url:
        async with _client(base_url) as http:
            organiser = await organiser_headers(http, settings, "race")
            for round_no in range(ROUNDS):
                event_id = await _hybrid_event(http, organiser, f"Race capacity {round_no}", seats=10)
                for n in range(2):
                    assert (await _register(http, event_id, f"early{round_no}-", n)).status_code == 201
                cut = {"capacity": 3, "online_capacity": 3}
                answers = await asyncio.gather(
                    *[_register(http, event_id, f"late{round_no}-", n) for n in range(12)],
                    _after(random.uniform(0, 0.03), http.patch(f"/api/events/{event_id}", json=cut, headers=organiser)),
                )
                codes = collections.Counter(answer.status_code for answer in answers[:-1])
                assert set(codes) == {201}, (round_no, codes, [a.text for a in answers if a.status_code >= 500][:2])
                assert answers[-1].status_code in (200, 409), answers[-1].text
                outcomes[answers[-1].status_code] += 1
                async with running_service(settings):
                    problem = await _more_confirmed_than_seats(event_id)
                if problem:
                    failures.append(f"round {round_no}: {problem}")
    assert not failures, f"{len(failures)} of {ROUNDS} rounds overbooked (cut answered {dict(outcomes)}): {failures}"


async def _more_confirmed_than_seats(event_id: int) -> str | None:
    event = await Event.select().where(Event.id == event_id).first()
    confirmed = collections.Counter(
        row["attendance_mode"]
        for row in await Registration.select(Registration.attendance_mode).where(
            (Registration.event == event_id) & (Registration.status == "confirmed")
        )
    )
    room, online = confirmed["in_person"], confirmed["online"]
    assert (room, online) == (event["seats_taken"], event["online_seats_taken"]), "the seat counters match the confirmed rows"
    if room > event["capacity"] or online > event["online_capacity"]:
        return f"{room} confirmed in the room for {event['capacity']} seats, {online} online for {event['online_capacity']}"
    return None
