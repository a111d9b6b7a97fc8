"""HTTP clients to an app built in the test (its own settings), as a given client address."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar


def client_at(app: Litestar, address: str, **kwargs: Any) -> httpx.AsyncClient:
    """A client the app sees coming from `address`: rate limits count per client address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://events.test", **kwargs)
