"""Scaled out for real: two `serve` processes and a worker on PostgreSQL and Redis
(127.0.0.1:6379, a key prefix of this test's own). A client's limits are counted once across
both processes, and a console session opened on one is open on the other."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from events_service.settings import Settings
from tests.factories import published_event, registration_payload
from tests.serving import HTTP_TIMEOUT, organiser_headers, served, server_env
from tests.support.polling import eventually
from tests.web.support import console_login

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 4


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"events_test_{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[None]:
    worker = subprocess.Popen([sys.executable, "-m", "events_service.cli", "worker"], env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def _env(settings: Settings, var_dir: Path, prefix: str) -> dict[str, str]:
    return {**server_env(settings, var_dir), "EVENTS_REDIS_URL": REDIS_URL, "EVENTS_REDIS_PREFIX": prefix,
            "EVENTS_PUBLIC_RATE_LIMIT": str(LIMIT)}


async def test_two_processes_count_a_client_once_and_share_console_sessions(settings: Settings, tmp_path: Path, redis_prefix: str) -> None:
    if settings.is_sqlite:
        pytest.skip("several machines share PostgreSQL, not a SQLite file")
    env = _env(settings, tmp_path / "var", redis_prefix)
    # Each process its own var dir: sessions cannot be shared through files, only through Redis.
    env_b = {**env, "EVENTS_VAR_DIR": str(tmp_path / "var-b")}
    with worker_process(env), served(env) as url_a, served(env_b) as url_b:
        async with httpx.AsyncClient(base_url=url_a, timeout=HTTP_TIMEOUT) as a, httpx.AsyncClient(base_url=url_b, timeout=HTTP_TIMEOUT) as b:
            talk = await published_event(a, await organiser_headers(a, settings, "scaled"))
            answers = []
            for number in range(LIMIT + 2):
                http = (a, b)[number % 2]
                answer = await http.post(f"/api/public/events/{talk['id']}/registrations",
                                         json=registration_payload(f"person{number}@scaled.example", company_no=number + 1))
                answers.append(answer.status_code)
            assert answers == [201] * LIMIT + [429, 429]
            assert int((await b.post(f"/api/public/events/{talk['id']}/registrations",
                                     json=registration_payload("late@scaled.example", company_no=20))).headers["retry-after"]) >= 1

            email = await console_login(a)
            assert email
            b.cookies.update(a.cookies)
            assert (await b.get("/console", follow_redirects=False)).status_code == 200
            assert (await b.post("/console/logout", follow_redirects=False, data={"_csrf_token": a.cookies.get("csrftoken")})).status_code in (302, 303)
            assert (await a.get("/console", follow_redirects=False)).status_code in (302, 303)

            sign_ins = [
                (await (a, b)[number % 2].post("/api/auth/token", json={"email": f"guess{number}@scaled.example", "password": "x"})).status_code
                for number in range(11)
            ]
            # 10 a minute, the API's and the console's together: the organiser's sign-in and
            # the console sign-in above were the first two.
            assert sign_ins == [401] * 8 + [429] * 3

        # The worker sent the four confirmations (mail written as files under var/mail).
        mail_dir = tmp_path / "var" / "mail"
        eventually(lambda: len(list(mail_dir.glob("*.eml"))) >= LIMIT, timeout=30, what="the worker sent the confirmations")
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{redis_prefix}:*"))
    assert any(b"rate_limit" in key for key in keys)
