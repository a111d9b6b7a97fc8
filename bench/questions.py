"""The registration rush with 3 registration questions answered against the rush without
questions, in the same run and on the same engine (ratio).

    python -m bench.questions [--pg postgresql://postgres@127.0.0.1:5432/test]

Same set-up as bench.registration_rush (2 uvicorn workers, 50 concurrent clients, 1,000
requests, an event with half as many seats as requests and 5 a company); the only difference
is the event's 3 questions (a choice, a multi-choice, a text) and the answers in each request.
What a question costs a registration: reading the event's questions (one query), checking the
answers, and one UPDATE storing them.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.common import fresh_database, print_table, rows_per_engine, service_database
from bench.registration_rush import REQUESTS, WORKERS, _cpu, _env, drive
from tests.factories import event_payload, registration_payload
from tests.serving import served

QUESTIONS = [
    {"label": {"it": "Esigenze alimentari", "en": "Dietary needs"}, "kind": "choice", "required": True,
     "options": [{"value": "none", "label": {"it": "Nessuna", "en": "None"}}, {"value": "veg", "label": {"it": "Vegetariana", "en": "Vegetarian"}}]},
    {"label": {"it": "Cosa vuoi imparare", "en": "What do you want to learn"}, "kind": "multi",
     "options": [{"value": "ai", "label": {"it": "IA", "en": "AI"}}, {"value": "iot", "label": {"it": "IoT", "en": "IoT"}}]},
    {"label": {"it": "Ruolo", "en": "Job title"}, "kind": "text"},
]


async def rush(db_url: str, var_dir: Path, with_questions: bool, webhook_url: str | None = None) -> tuple[Any, dict[int, int]]:
    """The rush on a fresh database; with `webhook_url`, one subscription to registration.created
    sends there (bench.webhooks: each registration then also writes its delivery to the outbox)."""
    from events_service.organisers.service import create_organiser

    async with service_database(db_url, var_dir):
        await create_organiser("bench@programme.example", "Bench", "bench-password", "admin" if webhook_url else "organiser")
    env = _env(db_url, var_dir) | ({"EVENTS_WEBHOOK_PRIVATE_ADDRESSES": "1"} if webhook_url else {})  # a receiver on 127.0.0.1
    with served(env, workers=WORKERS) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            token = (await http.post("/api/auth/token", json={"email": "bench@programme.example", "password": "bench-password"})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            if webhook_url:
                subscribed = await http.post("/api/webhooks", json={"url": webhook_url, "events": ["registration.created"]}, headers=headers)
                assert subscribed.status_code == 201, subscribed.text
            event = (await http.post("/api/events", json=event_payload(title="Rush", capacity=REQUESTS // 2, max_per_company=5), headers=headers)).json()
            ids = []
            if with_questions:
                for question in QUESTIONS:
                    ids.append((await http.post(f"/api/events/{event['id']}/questions", json=question, headers=headers)).json()["id"])
            await http.post(f"/api/events/{event['id']}/publish", headers=headers)
        payloads = []
        for n in range(REQUESTS):
            payload = registration_payload(f"p{n}.q@c{n % 300}.example", company_no=n % 300)
            if ids:
                payload["answers"] = {str(ids[0]): "veg" if n % 2 else "none", str(ids[1]): ["ai", "iot"][: 1 + n % 2], str(ids[2]): f"Engineer {n}"}
            payloads.append(payload)
        return await drive(base_url, f"/api/public/events/{event['id']}/registrations", payloads)


async def run_engine(engine: str, pg_url: str | None) -> list[list[object]]:
    rows: list[list[object]] = []
    with TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        timings = {}
        for with_questions in (False, True):
            with fresh_database(engine, pg_url) as db_url:
                timings[with_questions] = await rush(db_url, Path(folder), with_questions)
        base = timings[False][0]
        for with_questions, (timing, statuses) in timings.items():
            outcome = " ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
            rows.append([engine, "3 questions answered" if with_questions else "no questions (baseline)", timing.per_second, timing.p50,
                         timing.percentile(0.99), _cpu(timing), f"{timing.per_second / base.per_second:.2f}", outcome])
    return rows


def main() -> None:
    rows = rows_per_engine(__doc__ or "", run_engine)
    print_table(
        f"Registration rush with questions: {REQUESTS} requests, 50 concurrent clients, {WORKERS} worker processes "
        "(ratio: against the rush without questions, same engine, same run)",
        ["engine", "event", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "ratio", "answers"],
        rows,
    )


if __name__ == "__main__":
    main()
