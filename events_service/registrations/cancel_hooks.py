"""What else goes when a registration is cancelled, for domains above this one.

A registration is cancelled in one place (service.cancel_in_transaction), whoever asks: its
person, an organiser, the event's cancellation, an erasure. Domains above registrations (the
experts' meetings) cannot be imported from here (an import only points down): the wiring hands
their hooks in (worker.py), and each runs inside the cancelling transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from events_service.settings import Settings

__all__ = ["CancelHook", "add_cancel_hook", "run_cancel_hooks"]

#: Called with the cancelled registration's id, inside the cancelling write transaction.
CancelHook = Callable[[int, Settings], Awaitable[object]]

_HOOKS: list[CancelHook] = []


def add_cancel_hook(hook: CancelHook) -> None:
    """Register once (idempotent: the wiring may be imported by several entry points)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


async def run_cancel_hooks(registration_id: int, settings: Settings) -> None:
    for hook in _HOOKS:
        await hook(registration_id, settings)
