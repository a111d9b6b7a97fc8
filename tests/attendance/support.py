"""Shared set-up for the attendance tests: events moved to the day of the sample reports,
registrations made through the public API, reports uploaded as a browser would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from events_service.events.tables import Event
from events_service.organisers.tables import Organiser
from tests.factories import partita_iva, published_event, registration_payload, swiss_uid

DATA = Path(__file__).resolve().parent.parent / "data"
# The sample reports are of a Tech Talk on 2026-11-24, 17:00-18:30 Europe/Rome.
TALK_STARTS = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
TALK_ENDS = TALK_STARTS + timedelta(minutes=90)


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


async def move_event(event_id: int, starts: datetime, ends: datetime) -> None:
    """Put a published event where the test needs it in time (the API refuses to publish an
    event in the past, and registration closes when it starts)."""
    await Event.update({Event.starts_at: starts, Event.ends_at: ends, Event.registration_closes_at: None}).where(Event.id == event_id)


async def register(
    client: httpx.AsyncClient, event_id: int, email: str, first: str, last: str, company: str | int = 1, **extra: Any
) -> dict[str, Any]:
    vat = company if isinstance(company, str) else partita_iva(company)
    country = "CH" if vat.startswith("CHE") else "IT"
    payload = registration_payload(
        email, first_name=first, last_name=last, company={"vat_id": vat, "name": f"Company {vat}", "country": country}, **extra
    )
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=payload)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def checkin_code(client: httpx.AsyncClient, registration: dict[str, Any]) -> str:
    view = await client.get(f"/api/public/registrations/{registration['manage_token']}")
    assert view.status_code == 200, view.text
    code = view.json()["checkin_code"]
    assert code, view.json()
    return code


async def organiser_id(role: str = "organiser") -> int:
    row = await Organiser.select(Organiser.id).where(Organiser.role == role).first()
    return row["id"]


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: int, content: bytes, name: str = "report.csv", platform: str | None = None
) -> httpx.Response:
    data = {"platform": platform} if platform else {}
    return await client.post(
        f"/api/events/{event_id}/attendance-import", files={"file": (name, content, "text/csv")}, data=data, headers=headers
    )


async def talk(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A published online Tech Talk; move it to TALK_STARTS once people have registered."""
    return await published_event(client, headers, **overrides)


ZOOM_PEOPLE = [
    # email, first, last, company; the report's minutes are in tests/attendance/test_parsers.py
    ("anna.keller@keller-praezision.ch", "Anna", "Keller", swiss_uid(11)),  # 88
    ("niccolo.bernasconi@bernasconi-meccanica.ch", "Niccolò", "Bernasconi", swiss_uid(12)),  # 91
    ("Zoe.Mueller@Mueller-Textil.ch", "Zoë", "Müller", swiss_uid(13)),  # 66, address in other case
    ("marco.rossi@rossi-impianti.example", "Marco", "Rossi", partita_iva(14)),  # 55, guest: by name
    ("luca.bianchi@officine-bianchi.it", "Luca", "Bianchi", partita_iva(15)),  # 55
    ("elena.ferrari@ferrari-pack.example", "Elena", "Ferrari", partita_iva(16)),  # 87, "Ferrari, Elena", other address
    ("paolo.conti@conti-trasporti.it", "Paolo", "Conti", partita_iva(17)),  # not in the report
]


# ---------------------------------------------------------------- a small programme for reports

PROGRAMME_COMPANIES = {
    # key: name, vat, country, region, size class
    "Lariana": ("Meccanica Lariana Srl", partita_iva(101), "IT", "LC", "small"),
    "Ticino": ("Ticino Robotics SA", swiss_uid(102), "CH", "TI", "micro"),
    "Comasca": ("Tessitura Comasca Spa", partita_iva(103), "IT", "CO", "medium"),
    "Brianza": ("Brianza Digitale Srl", partita_iva(104), "IT", "MB", "small"),
}


async def small_programme(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Three events in November-December (a Tech Day on the 20th with check-ins, the sample
    Tech Talk on the 24th with a report, and a Tech Talk still to come) and one in October.

    company  people                      Tech Day 20/11      Talk 24/11          future Talk   October talk
    Lariana  ada.lariana, bea.lariana    ada checked in      ada 60', bea no-show
    Ticino   carlo.ticino                                    carlo 50'           carlo
    Comasca  dino, ezio, fede, gino      ezio in; fede, gino no-shows; dino cancelled (talk)  ezio
    Brianza  ivo.brianza                                                                       ivo attended
    """
    companies = {}
    for key, (name, vat, country, region, size) in PROGRAMME_COMPANIES.items():
        created = await client.post(
            "/api/companies", json={"name": name, "vat_id": vat, "country": country, "region": region, "size_class": size}, headers=headers
        )
        assert created.status_code == 201, created.text
        companies[key] = created.json()
    day = await published_event(client, headers, tech_day=True, title="Tech Day Lecco")
    talk_24 = await published_event(client, headers, title="AI generativa per le PMI")
    future = await published_event(client, headers, title="Robotica collaborativa")
    october = await published_event(client, headers, title="Cloud per PMI")

    def person(email: str, company: str) -> tuple[str, str, str, str]:
        first, last = email.split("@")[0].split(".")
        return email, first.capitalize(), last.capitalize(), companies[company]["vat_id"]

    regs: dict[tuple[str, str], dict[str, Any]] = {}
    plan = [
        (day, "ada.lariana@lariana.example", "Lariana"),
        (day, "ezio.comasca@comasca.example", "Comasca"),
        (day, "fede.comasca@comasca.example", "Comasca"),
        (day, "gino.comasca@comasca.example", "Comasca"),
        (talk_24, "ada.lariana@lariana.example", "Lariana"),
        (talk_24, "bea.lariana@lariana.example", "Lariana"),
        (talk_24, "carlo.ticino@ticino.example", "Ticino"),
        (talk_24, "dino.comasca@comasca.example", "Comasca"),
        (future, "carlo.ticino@ticino.example", "Ticino"),
        (future, "ezio.comasca@comasca.example", "Comasca"),
        (october, "ivo.brianza@brianza.example", "Brianza"),
    ]
    for event, email, company in plan:
        regs[(event["title"], email.split(".")[0])] = await register(client, event["id"], *person(email, company))
    await client.post(f"/api/public/registrations/{regs[('AI generativa per le PMI', 'dino')]['manage_token']}/cancel")
    for who in ("ada", "ezio"):
        code = await checkin_code(client, regs[("Tech Day Lecco", who)])
        assert (await client.post(f"/api/events/{day['id']}/checkins", json={"code": code}, headers=headers)).status_code == 200
    october_code = regs[("Cloud per PMI", "ivo")]["manage_token"]
    await move_event(day["id"], datetime(2026, 11, 20, 8, 0, tzinfo=UTC), datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    await move_event(talk_24["id"], TALK_STARTS, TALK_ENDS)
    await move_event(october["id"], datetime(2026, 10, 1, 15, 0, tzinfo=UTC), datetime(2026, 10, 1, 16, 0, tzinfo=UTC))
    report = (
        b"Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest\r\n"
        b"Ada Lariana,ada.lariana@lariana.example,11/24/2026 05:00:00 PM,11/24/2026 06:00:00 PM,60,No\r\n"
        b"Carlo Ticino,carlo.ticino@ticino.example,11/24/2026 05:00:00 PM,11/24/2026 05:50:00 PM,50,No\r\n"
    )
    assert (await upload(client, headers, talk_24["id"], report)).json()["attended"] == 2
    ivo = "Display Name,Attendee Email,Join Time,Leave Time\r\nIvo Brianza,ivo.brianza@brianza.example,2026-10-01 17:00:00,2026-10-01 18:00:00\r\n"
    assert (await upload(client, headers, october["id"], ivo.encode())).json()["attended"] == 1
    return {
        "companies": companies,
        "events": {"day": day, "talk": talk_24, "future": future, "october": october},
        "registrations": regs,
        "october_code": october_code,
        # The period: November to the future talk's day.
        "from": "2026-11-01",
        "to": future["starts_at"][:10],
    }
