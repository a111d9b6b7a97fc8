"""The registry of message kinds the Dispatcher renders with (mail/renderers.py)."""

from __future__ import annotations

import pytest

from events_service.mail.renderers import MessageKind, MessageRenderers
from events_service.settings import Settings
from events_service.worker import MESSAGE_RENDERERS

SETTINGS = Settings(secret_key="x" * 32)


async def test_kinds_sharing_a_renderer_are_rendered_in_one_call() -> None:
    calls: list[list[int]] = []

    async def render(outbox_ids: list[int], settings: Settings) -> dict[int, object]:
        calls.append(outbox_ids)
        return {outbox_id: ValueError(f"rendered {outbox_id}") for outbox_id in outbox_ids}

    renderers = MessageRenderers([MessageKind("a", render), MessageKind("b", render)])
    results = await renderers.render([(1, "a"), (2, "b"), (3, "a")], SETTINGS)
    assert calls == [[1, 2, 3]]
    assert sorted(results) == [1, 2, 3]


async def test_an_unknown_kind_fails_its_own_row_only() -> None:
    async def render(outbox_ids: list[int], settings: Settings) -> dict[int, object]:
        return {outbox_id: ValueError("rendered") for outbox_id in outbox_ids}

    results = await MessageRenderers([MessageKind("a", render)]).render([(1, "a"), (2, "mystery")], SETTINGS)
    assert str(results[1]) == "rendered"
    assert "mystery" in str(results[2])


async def test_only_kinds_with_a_check_are_checked() -> None:
    async def render(outbox_ids: list[int], settings: Settings) -> dict[int, object]:
        return {}

    async def outdated(outbox_ids: list[int]) -> dict[int, str]:
        return dict.fromkeys(outbox_ids, "gone")

    renderers = MessageRenderers([MessageKind("checked", render, outdated), MessageKind("lasting", render)])
    assert await renderers.outdated([(1, "checked"), (2, "lasting"), (3, "unknown")]) == {1: "gone"}


def test_a_kind_is_registered_once() -> None:
    async def render(outbox_ids: list[int], settings: Settings) -> dict[int, object]:
        return {}

    with pytest.raises(ValueError, match="twice"):
        MessageRenderers([MessageKind("a", render), MessageKind("a", render)])


def test_the_wiring_renders_every_intent_the_domains_write() -> None:
    """registrations' own kinds, the reminder (reminders/background.py), the broadcast (broadcasts/)."""
    registrations = {"confirmed", "waitlisted", "promoted", "cancelled", "event_updated", "event_cancelled"}
    assert set(MESSAGE_RENDERERS.names) == registrations | {"reminder", "broadcast"}
