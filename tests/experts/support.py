"""A Tech Day with an expert and confirmed registrants, built through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from events_service.mail.transport import SmtpTransport
from events_service.settings import Settings
from events_service.worker import new_dispatcher
from tests.factories import published_event, registration_payload
from tests.support.clients import running_app_client
from tests.support.smtp import SmtpSink


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The suite's client, with room for the many registrations a race needs (the public rate
    limit is per client address, and every test request comes from one)."""
    async with running_app_client(replace(settings, public_rate_limit_per_minute=100_000)) as test_client:
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


@dataclass(frozen=True)
class BookedMeeting:
    """A Tech Day where a confirmed registrant booked the expert's first slot."""

    day: dict[str, Any]
    expert: dict[str, Any]
    slots: list[dict[str, Any]]
    token: str  # the registrant's manage token
    meeting: dict[str, Any]  # the booking as the API answered it


async def booked_meeting(client: httpx.AsyncClient, organiser: dict[str, str], email: str,
                         topic: str = "cobots") -> BookedMeeting:
    day = await tech_day(client, organiser)
    elena = await expert(client, organiser)
    cut = await slots(client, organiser, day, elena["id"])
    token = await registrant(client, day["id"], email, 1)
    booked = await client.post(f"/api/public/registrations/{token}/meetings", json={"slot_id": cut[0]["id"], "topic": topic})
    assert booked.status_code == 201, booked.text
    return BookedMeeting(day, elena, cut, token, booked.json())


async def deliver(settings: Settings, sink: SmtpSink, at: datetime | None = None) -> None:
    """Send everything the outbox holds due (now, or at `at`) to the sink, as the worker would."""
    transport = SmtpTransport.from_url(sink.url())
    clock = {} if at is None else {"now": lambda: at}
    try:
        await new_dispatcher(settings, transport, "test-worker", **clock).drain(batch_size=20)
    finally:
        await transport.close()
