"""A real `events-service serve` in a subprocess, for tests that need the HTTP server as
users run it (several worker processes, one database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from events_service.app import running_service
from events_service.organisers.service import create_organiser
from events_service.settings import Settings
from tests.support.polling import eventually

#: The HTTP client's timeout for requests to a served process (httpx's default is 5 s). A
#: request that takes a few ms alone can wait seconds for a CPU on a loaded 2-core CI machine;
#: a server that hangs still fails the test, after this long.
HTTP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PortTaken(AssertionError):
    """The server could not listen: another process took the port `free_port` found free."""


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            failure = PortTaken if "address already in use" in output.lower() else AssertionError
            raise failure(f"serve exited with {process.returncode}:\n{output}")
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    eventually(answers, timeout=seconds, interval=0.2, what=f"{url} did not answer")


#: `events-service` as this checkout runs it.
CHECKOUT_CLI = (sys.executable, "-m", "events_service.cli")

#: Starts tried when the port found free was taken before the server could listen on it: other
#: test sessions on the machine pick free ports too, and the server needs a second or two to
#: bind after `free_port` let go of the port.
PORT_ATTEMPTS = 3


@contextmanager
def served(
    env: dict[str, str],
    workers: int = 1,
    seconds: float = 60,
    app_factory: str | None = None,
    ready_path: str = "/schema/openapi.json",
    *,
    cli: Sequence[str] = CHECKOUT_CLI,
    cwd: Path | None = None,
    inherit_environment: bool = True,
) -> Iterator[str]:
    """Yields the base URL of a running server (`cli serve`, or uvicorn serving `app_factory`);
    stops it afterwards. Without `inherit_environment` the server sees `env` only."""
    environment = {**os.environ, **env} if inherit_environment else env
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        process, log = _start(_command(port, workers, app_factory, cli), environment, cwd)
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(f"{base_url}{ready_path}", process, log, seconds)
            break
        except PortTaken:
            _stop(process, log)
            if attempt == PORT_ATTEMPTS:
                raise
        except BaseException:
            _stop(process, log)
            raise
    try:
        yield base_url
    finally:
        _stop(process, log)


def _command(port: int, workers: int, app_factory: str | None, cli: Sequence[str]) -> list[str]:
    if app_factory:
        return [sys.executable, "-m", "uvicorn", app_factory, "--factory", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return [*cli, "serve", "--port", str(port), "--workers", str(workers), "--no-worker"]


def _start(command: list[str], environment: dict[str, str], cwd: Path | None) -> tuple[subprocess.Popen[bytes], Path]:
    # The server's output goes to a file: a pipe nobody reads fills up after ~64 KiB of access
    # log lines, and then the server stops in the middle of a request.
    log = Path(tempfile.mkstemp(prefix="events-serve-", suffix=".log")[1])
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=environment, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
    return process, log


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.unlink(missing_ok=True)


def server_env(settings: Settings, var_dir: Path) -> dict[str, str]:
    """The environment of a served process on the test's database and key, with the
    per-client limit out of the way (tests that drive a rush from one address)."""
    return {
        "EVENTS_DB": settings.db_url,
        "EVENTS_VAR_DIR": str(var_dir),
        "EVENTS_SECRET_KEY": settings.secret_key,
        "EVENTS_BASE_URL": settings.base_url,
        "EVENTS_PUBLIC_RATE_LIMIT": "100000",
    }


async def organiser_headers(http: httpx.AsyncClient, settings: Settings, name: str) -> dict[str, str]:
    """An organiser made in the test's database, signed in on the served process."""
    email, password = f"{name}.organiser@programme.example", f"{name}-password"
    async with running_service(settings):
        await create_organiser(email, name.capitalize(), password, "organiser")
    answer = await http.post("/api/auth/token", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
