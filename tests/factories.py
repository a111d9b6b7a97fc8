"""Valid test data: VAT ids with correct check digits, event payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stdnum import luhn
from stdnum.ch import uid


def partita_iva(n: int) -> str:
    """A valid Italian partita IVA: 7-digit number, office code 001, Luhn check digit."""
    digits = f"{n % 9_999_999 + 1:07d}001"
    return "IT" + digits + luhn.calc_check_digit(digits)


def swiss_uid(n: int) -> str:
    body = f"{(n % 90_000_000) + 10_000_000:08d}"
    return uid.format("CHE" + body + uid.calc_check_digit(body))


def future(days: int = 30, hour: int = 16) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def event_payload(**overrides: Any) -> dict[str, Any]:
    starts = overrides.pop("starts", future())
    payload: dict[str, Any] = {
        "kind": "tech_talk",
        "title": "Industrial IoT for small manufacturers",
        "description": "How SMEs connect machines without a big IT team.",
        "language": "it",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=90)).isoformat(),
        "timezone": "Europe/Rome",
        "mode": "online",
        "capacity": 100,
        "online_url": "https://meet.example.org/j/123456",
        "speakers": [{"name": "Giulia Ferrari", "email": "giulia.ferrari@polimi.example", "bio": "IoT researcher"}],
        "topics": ["iot", "manufacturing"],
    }
    payload.update(overrides)
    return payload


def tech_day_payload(**overrides: Any) -> dict[str, Any]:
    starts = overrides.pop("starts", future(days=45, hour=7))
    payload = event_payload(
        starts=starts,
        kind="tech_day",
        title="Tech Day Lecco: automation and AI",
        mode="in_person",
        capacity=80,
        online_url=None,
        ends_at=(starts + timedelta(hours=8)).isoformat(),
        venue={"name": "Polo Territoriale di Lecco", "address": "Via Gaetano Previati 1/c", "city": "Lecco"},
        speakers=[
            {"name": "Marco Rossi", "email": "marco.rossi@supsi.example"},
            {"name": "Anna Bianchi"},
        ],
        agenda=[
            {"title": "Welcome", "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=30)).isoformat()},
            {
                "title": "Cobots on the shop floor",
                "starts_at": (starts + timedelta(minutes=30)).isoformat(),
                "ends_at": (starts + timedelta(minutes=120)).isoformat(),
                "speaker": "Marco Rossi",
            },
        ],
    )
    payload.update(overrides)
    return payload


async def published_event(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    payload = tech_day_payload(**overrides) if overrides.pop("tech_day", False) else event_payload(**overrides)
    created = await client.post("/api/events", json=payload, headers=headers)
    assert created.status_code == 201, created.text
    published = await client.post(f"/api/events/{created.json()['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return published.json()


def registration_payload(email: str, company_no: int = 1, **overrides: Any) -> dict[str, Any]:
    first, _, last = email.partition("@")[0].partition(".")
    payload: dict[str, Any] = {
        "email": email,
        "first_name": first.capitalize() or "Ada",
        "last_name": last.capitalize() or "Lovelace",
        "company": {"vat_id": partita_iva(company_no), "name": f"Azienda {company_no} Srl", "country": "IT"},
        "consent_privacy": True,
    }
    payload.update(overrides)
    return payload
