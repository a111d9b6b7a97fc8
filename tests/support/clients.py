"""HTTP clients to an app built in the test (its own settings), as a given client address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

from events_service.app import create_app, running_service
from events_service.settings import Settings


def client_at(app: Litestar, address: str, **kwargs: Any) -> httpx.AsyncClient:
    """A client the app sees coming from `address`: rate limits count per client address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://events.test", **kwargs)


@asynccontextmanager
async def running_app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service as it starts (database opened, migrations run) with these settings, and a
    client to its app in this process."""
    async with running_service(settings):
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as http:
            yield http
