"""Recording the results of outbox work (emails, webhook deliveries) in shared commits.

A dispatcher sends several items at once and writes each result back; a commit per result
cost more than the sending itself (mail over SMTP, webhooks over HTTP on PostgreSQL). A
`GroupCommit` takes results as they come and writes them in a task of its own: results
arriving while a commit is under way share the next one, so a result is written about one
commit after its send ended, never held back until a whole batch is done (a batch's leases
would otherwise have to cover its slowest member).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["GroupCommit", "write_with_retries"]

log = logging.getLogger(__name__)

Result = TypeVar("Result")

#: Writes results in one transaction; returns the ids of the rows it wrote (a row another
#: worker has taken over meanwhile is not written).
Write = Callable[[list[Result]], Awaitable[set[int]]]


async def write_with_retries(write: Write[Result], results: list[Result], what: str, attempts: int = 3) -> set[int]:
    """`write(results)`, again after a short pause when it fails: a result not written means
    the item is sent again once its lease ends."""
    for attempt in range(1, attempts + 1):
        try:
            return await write(results)
        except Exception:
            if attempt == attempts:
                raise
            log.warning("recording %s failed; retrying", what, exc_info=True)
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


class GroupCommit(Generic[Result]):
    """Records results in a task of its own (`run`): a commit waits up to `linger` seconds
    for more results (at most `most` in all, the results that can be unrecorded at once), and
    results arriving while a commit is under way share the next one. `recorded(result,
    written)` is called once each result is committed (written False: another worker had
    taken the row over); `row_id(result)` names the row a result is for."""

    def __init__(
        self,
        write: Write[Result],
        recorded: Callable[[Result, bool], None],
        *,
        row_id: Callable[[Result], int],
        most: int,
        linger: float = 0.005,
    ) -> None:
        self._write = write
        self._recorded = recorded
        self._row_id = row_id
        self._most = most
        self._linger = linger
        self._queue: asyncio.Queue[Result | None] = asyncio.Queue()

    def submit(self, result: Result) -> None:
        self._queue.put_nowait(result)

    def close(self) -> None:
        """No more results: run() returns once the ones submitted are written."""
        self._queue.put_nowait(None)

    async def beside(self, sender: Callable[[], Awaitable[None]], copies: int) -> None:
        """Run `copies` of `sender` (each submits its results) with the recorder beside them;
        returns once they have ended and every result submitted is written."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.run())
            try:
                async with asyncio.TaskGroup() as senders:
                    for _ in range(copies):
                        senders.create_task(sender())
            finally:
                self.close()

    async def run(self) -> None:
        closing = False
        while not closing:
            items = await self._next_group()
            closing = None in items
            group = [item for item in items if item is not None]
            if group:
                written = await self._write(group)
                for result in group:
                    self._recorded(result, self._row_id(result) in written)

    async def _next_group(self) -> list[Result | None]:
        """The next result (waiting for it), then whatever else arrives within `linger`."""
        items = [await self._queue.get()]
        deadline = asyncio.get_running_loop().time() + self._linger
        while None not in items and len(items) < self._most:
            if self._queue.empty():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        items.append(await self._queue.get())
                continue
            items.append(self._queue.get_nowait())
        return items
