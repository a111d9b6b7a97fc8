"""The same message request sent many times at the same moment (a client retrying while the
first try is still running) against a real server with two worker processes: one message,
each recipient's email queued once; different keys make different messages."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx

from events_service.app import running_service
from events_service.broadcasts.tables import EventMessage
from events_service.mail.tables import OutboxMessage
from events_service.settings import Settings
from tests.factories import event_payload, registration_payload
from tests.serving import organiser_headers, served, server_env

REPEATS = 12
PEOPLE = 6


async def test_concurrent_repeats_with_one_key_queue_each_recipient_once(settings: Settings, tmp_path: Path) -> None:
    with served(server_env(settings, tmp_path / "server-var"), workers=2) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            organiser = await organiser_headers(http, settings, "messages")
            created = await http.post("/api/events", json=event_payload(capacity=50), headers=organiser)
            event_id = created.json()["id"]
            assert (await http.post(f"/api/events/{event_id}/publish", headers=organiser)).status_code == 200
            for n in range(PEOPLE):
                answer = await http.post(
                    f"/api/public/events/{event_id}/registrations", json=registration_payload(f"p{n}.race@firm{n}.example", company_no=n)
                )
                assert answer.status_code == 201, answer.text
            message = {"subject": "Room change", "body": "Aula Magna.", "audience": "confirmed"}

            def send(key: str) -> asyncio.Future[httpx.Response]:
                headers = {**organiser, "Idempotency-Key": key}
                return asyncio.ensure_future(http.post(f"/api/events/{event_id}/messages", json=message, headers=headers))

            same = await asyncio.gather(*[send("one-key") for _ in range(REPEATS)])
            different = await asyncio.gather(*[send(f"key-{n}") for n in range(3)])

    assert [answer.status_code for answer in same + different] == [202] * (REPEATS + 3), [a.text for a in same + different]
    assert sorted(answer.json()["queued"] for answer in same) == [0] * (REPEATS - 1) + [PEOPLE]
    assert len({answer.json()["id"] for answer in same}) == 1
    assert sum(answer.json()["replayed"] for answer in same) == REPEATS - 1
    async with running_service(settings):
        assert await EventMessage.count() == 4
        rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.payload).where(OutboxMessage.kind == "broadcast")
    per_message = Counter(str(row["payload"]) for row in rows)
    assert sorted(per_message.values()) == [PEOPLE] * 4
    per_person_and_message = Counter((row["to_address"], str(row["payload"])) for row in rows)
    assert set(per_person_and_message.values()) == {1}
