"""Wait for something to happen by asking until it has, instead of sleeping a guessed time.

`check` returns something truthy once the awaited thing happened; that value is handed back.
An AssertionError raised by `check` (e.g. "the process is still alive") fails at once: waiting
longer cannot help. Past `timeout`, an AssertionError names what did not happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

Describe = str | Callable[[], str]


def _failure(what: Describe, timeout: float) -> AssertionError:
    text = what() if callable(what) else what
    return AssertionError(f"not within {timeout} s: {text}" if text else f"not within {timeout} s")


def eventually(check: Callable[[], T], *, timeout: float, interval: float = 0.05, what: Describe = "") -> T:
    """Call `check` every `interval` seconds until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise _failure(what, timeout)
        time.sleep(interval)


# ASYNC109: `timeout` bounds the polling, as in `eventually`; the checks themselves stay cancellable.
async def eventually_async(
    check: Callable[[], Awaitable[T]], *, timeout: float, interval: float = 0.05, what: Describe = ""  # noqa: ASYNC109
) -> T:
    """`eventually` for a coroutine check, sleeping without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise _failure(what, timeout)
        await asyncio.sleep(interval)
