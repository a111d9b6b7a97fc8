"""Where state that every process must share lives: per-client rate limits and the console's
sessions.

With EVENTS_REDIS_URL set, both are Litestar RedisStores under EVENTS_REDIS_PREFIX (one Redis,
any number of `serve` processes and machines: a client's limit is counted once, a session
opened on one machine is open on all). Without it: rate limits in each process's memory (with
N processes a client can make up to N x a limit), sessions in files under EVENTS_VAR_DIR
(web/session.py), shared by the processes of one machine.
"""

from __future__ import annotations

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from events_service.settings import Settings

#: The store name Litestar's RateLimitConfig uses by default (rate_limit.py counts there too).
RATE_LIMIT_STORE = "rate_limit"


def redis_store(settings: Settings, namespace: str) -> NamespacedStore | None:
    """A RedisStore for `namespace` under the service's prefix; None without EVENTS_REDIS_URL."""
    if not settings.redis_url:
        return None
    return RedisStore.with_client(url=settings.redis_url, namespace=f"{settings.redis_prefix}:{namespace}")


def rate_limit_store(settings: Settings) -> Store:
    return redis_store(settings, RATE_LIMIT_STORE) or MemoryStore()
