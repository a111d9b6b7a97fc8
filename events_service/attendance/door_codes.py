"""Codes of other domains checked at the door by the same endpoint (POST /api/events/{id}/checkins).

A meeting with an Innovation Expert carries a code of its own (a QR in its invite): scanning it
marks the meeting held. The experts domain sits beside this one and cannot be imported from
here (nor this from there): the wiring (worker.py) hands its reader in, as with cancel hooks.
A reader answers None for a code that is not its own, so the registration's codes go first and
each reader is asked in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from events_service.settings import Settings

__all__ = ["DoorCodeReader", "HeldAtDoor", "add_door_code_reader", "read_door_code"]


class HeldAtDoor(Protocol):
    """What a reader reports for its code (structural: the experts domain's own record fits)."""

    @property
    def registration_id(self) -> int: ...
    @property
    def meeting_id(self) -> int: ...
    @property
    def already_held(self) -> bool: ...
    @property
    def held_at(self) -> datetime: ...


#: Called with (event id, the scanned code, settings). None: not this reader's code. A code of
#: the reader's kind that belongs to another event raises the reader's own NotFound (404).
DoorCodeReader = Callable[[int, str, Settings], Awaitable[HeldAtDoor | None]]

_READERS: list[DoorCodeReader] = []


def add_door_code_reader(reader: DoorCodeReader) -> None:
    """Register once (idempotent: the wiring may be imported by several entry points)."""
    if reader not in _READERS:
        _READERS.append(reader)


async def read_door_code(event_id: int, code: str, settings: Settings) -> HeldAtDoor | None:
    for reader in _READERS:
        found = await reader(event_id, code, settings)
        if found is not None:
            return found
    return None
