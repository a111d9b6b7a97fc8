"""Whom the rate limits count: the client's address as the server sees it, X-Forwarded-For
only from a trusted proxy (EVENTS_TRUSTED_PROXIES, passed to uvicorn by `serve`), and an IPv6
client by its /64."""

from __future__ import annotations

import dataclasses

import httpx

from events_service.app import create_app, running_service
from events_service.settings import Settings
from tests.serving import HTTP_TIMEOUT, served

# The limiter counts a request before its body is read: an empty body is refused (422), counted.
PATH = "/api/public/events/1/registrations"


async def _statuses(client: httpx.AsyncClient, base_url: str, forwarded_for: list[str]) -> list[int]:
    return [(await client.post(f"{base_url}{PATH}", json={}, headers={"X-Forwarded-For": value})).status_code for value in forwarded_for]


async def test_an_ipv6_client_is_counted_by_its_64(settings: Settings) -> None:
    limited = dataclasses.replace(settings, public_rate_limit_per_minute=2)
    app = create_app(limited)
    async with running_service(limited):

        async def post_from(address: str) -> int:
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://events.test") as client:
                return (await client.post(PATH, json={})).status_code

        same_64 = ["2001:db8:aa:1::1", "2001:db8:aa:1:ffff:ffff:ffff:fffe", "2001:db8:aa:1:1234::9"]
        assert [await post_from(address) for address in same_64] == [422, 422, 429]
        assert await post_from("2001:db8:aa:2::1") == 422  # the next /64 is someone else
        assert [await post_from("192.0.2.1"), await post_from("192.0.2.2")] == [422, 422]  # IPv4: one address each


async def test_a_forwarded_for_header_from_an_untrusted_peer_changes_nothing(settings: Settings) -> None:
    env = {"EVENTS_DB": settings.db_url, "EVENTS_VAR_DIR": str(settings.var_dir), "EVENTS_SECRET_KEY": settings.secret_key,
           "EVENTS_PUBLIC_RATE_LIMIT": "2"}
    with served(env) as base_url:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            assert await _statuses(client, base_url, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [422, 422, 429]


async def test_a_trusted_proxys_forwarded_for_names_the_client(settings: Settings) -> None:
    env = {"EVENTS_DB": settings.db_url, "EVENTS_VAR_DIR": str(settings.var_dir), "EVENTS_SECRET_KEY": settings.secret_key,
           "EVENTS_PUBLIC_RATE_LIMIT": "2", "EVENTS_TRUSTED_PROXIES": "127.0.0.2/31, ::1"}
    with served(env) as base_url:
        # the proxy: a peer at 127.0.0.2 (the server listens on 127.0.0.1)
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"), timeout=HTTP_TIMEOUT) as proxy:
            # each client behind the proxy has its own count
            assert await _statuses(proxy, base_url, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [422, 422, 422]
            # what a client wrote into the header itself, left of what the proxy added, is not believed
            spoofed = [f"198.51.100.{n}, 203.0.113.1" for n in range(3)]
            assert await _statuses(proxy, base_url, spoofed) == [422, 429, 429]
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as not_a_proxy:  # 127.0.0.1 is not in the list
            assert await _statuses(not_a_proxy, base_url, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == [422, 422, 429]
