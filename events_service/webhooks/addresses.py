"""Where a webhook may be sent (SSRF): http or https only, to a host whose every address is
public, unless EVENTS_WEBHOOK_PRIVATE_ADDRESSES allows loopback, private and link-local ones
(a receiver on the organisers' own network, or the tests' receiver on 127.0.0.1).

Checked when a subscription is made (a clear 422) and again for every batch of attempts
(once per subscription, delivery.py), since a name can point elsewhere later. Redirects are never followed (delivery.py), so a receiver
cannot bounce a delivery to an inner address either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["refusal"]

_SCHEMES = ("http", "https")


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def refusal(url: str, *, private_allowed: bool) -> str | None:
    """Why `url` may not receive webhooks, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"the URL is malformed: {error}"
    if parts.scheme not in _SCHEMES:
        return "the URL must start with http:// or https://"
    host = parts.hostname
    if not host:
        return "the URL names no host"
    if private_allowed:
        return None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            return f"the host {host} cannot be resolved"
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses or any(_forbidden(address) for address in addresses):
        return f"the host {host} is a loopback, private or otherwise internal address"
    return None
