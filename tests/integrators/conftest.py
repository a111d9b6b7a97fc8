"""Integrators' tests deliver webhooks to a receiver on 127.0.0.1: allowed here only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from events_service.settings import Settings
from tests.support.webhooks import WebhookReceiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, webhook_private_addresses=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()
