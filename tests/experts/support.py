"""A Tech Day with an expert and confirmed registrants, built through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from events_service.app import create_app, running_service
from events_service.settings import Settings
from tests.factories import published_event, registration_payload


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The suite's client, with room for the many registrations a race needs (the public rate
    limit is per client address, and every test request comes from one)."""
    roomy = replace(settings, public_rate_limit_per_minute=100_000)
    app = create_app(roomy)
    transport = httpx.ASGITransport(app=app)
    async with running_service(roomy), httpx.AsyncClient(transport=transport, base_url="http://events.test") as test_client:
        yield test_client


async def tech_day(client: httpx.AsyncClient, organiser: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return await published_event(client, organiser, tech_day=True, **overrides)


async def expert(client: httpx.AsyncClient, organiser: dict[str, str], name: str = "Elena Conti", **extra: Any) -> dict[str, Any]:
    payload = {"name": name, "email": f"{name.lower().replace(' ', '.')}@experts.example", "bio": "Automation for SMEs",
               "topics": ["automation", "energy"], "languages": ["it", "en"], **extra}
    created = await client.post("/api/experts", json=payload, headers=organiser)
    assert created.status_code == 201, created.text
    return created.json()


async def slots(client: httpx.AsyncClient, organiser: dict[str, str], event: dict[str, Any], expert_id: int, *,
                offset_minutes: int = 60, count: int = 3, minutes: int = 20) -> list[dict[str, Any]]:
    starts = datetime.fromisoformat(event["starts_at"]) + timedelta(minutes=offset_minutes)
    answer = await client.post(f"/api/events/{event['id']}/expert-slots", headers=organiser, json={
        "expert_id": expert_id, "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=minutes * count)).isoformat(),
        "minutes": minutes,
    })
    assert answer.status_code == 201, answer.text
    return answer.json()


async def registrant(client: httpx.AsyncClient, event_id: int, email: str, company_no: int) -> str:
    """A confirmed registrant's manage token."""
    answer = await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, company_no=company_no))
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "confirmed", answer.text
    return answer.json()["manage_token"]
