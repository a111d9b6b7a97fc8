"""Which function renders an outbox intent of each kind, and which checks that a message
written earlier still holds: handed to the Dispatcher by the wiring.

Mail knows no domain. A domain that writes intents (kind + payload, the email made later)
names its kinds in a `MessageKind` each; the wiring (`events_service/worker.py`) gathers them
into one `MessageRenderers` for the Dispatcher. Kinds that share a renderer are rendered in
one call per batch, so a domain may load what a batch needs in a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from events_service.mail.mime import ComposedEmail
from events_service.settings import Settings

__all__ = ["MessageKind", "MessageRenderers", "OutdatedCheck", "Renderer"]

#: Builds the emails the given intents (outbox row ids) stand for: an email or the exception
#: that stopped it, per id (an id left out is reported as unknown to every renderer).
Renderer = Callable[[list[int], Settings], Awaitable[dict[int, EmailMessage | ComposedEmail | Exception]]]
#: Of the given outbox rows, those that have lost their point since they were written, each
#: with the reason: they are withdrawn, not sent (checked at every attempt).
OutdatedCheck = Callable[[list[int]], Awaitable[dict[int, str]]]


@dataclass(frozen=True)
class MessageKind:
    name: str
    render: Renderer
    #: None: a message of this kind holds for good once written.
    outdated: OutdatedCheck | None = None


class MessageRenderers:
    """The message kinds the Dispatcher can render, by name (each name once)."""

    def __init__(self, kinds: Iterable[MessageKind]) -> None:
        self._kinds: dict[str, MessageKind] = {}
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"message kind {kind.name!r} is registered twice")
            self._kinds[kind.name] = kind

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    async def render(self, intents: Sequence[tuple[int, str]], settings: Settings) -> dict[int, EmailMessage | ComposedEmail | Exception]:
        """The emails these (outbox id, kind) intents stand for; an unknown kind is an error
        for its row, not for the batch."""
        by_renderer: dict[Renderer, list[int]] = defaultdict(list)
        results: dict[int, EmailMessage | ComposedEmail | Exception] = {}
        for outbox_id, name in intents:
            kind = self._kinds.get(name)
            if kind is None:
                results[outbox_id] = ValueError(f"no renderer knows outbox intents of kind {name!r}")
            else:
                by_renderer[kind.render].append(outbox_id)
        for render, outbox_ids in by_renderer.items():
            results.update(await render(outbox_ids, settings))
        return results

    async def outdated(self, rows: Sequence[tuple[int, str]]) -> dict[int, str]:
        """Of these (outbox id, kind) rows, those whose kind's check says they no longer hold."""
        by_check: dict[OutdatedCheck, list[int]] = defaultdict(list)
        for outbox_id, name in rows:
            kind = self._kinds.get(name)
            if kind is not None and kind.outdated is not None:
                by_check[kind.outdated].append(outbox_id)
        reasons: dict[int, str] = {}
        for check, outbox_ids in by_check.items():
            reasons.update(await check(outbox_ids))
        return reasons
