"""What the worker does for messages to registrants (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.broadcasts.messages import cancelled_recipients, render_broadcasts
from events_service.broadcasts.service import KIND
from events_service.mail.renderers import MessageKind

__all__ = ["MESSAGE_KINDS"]

MESSAGE_KINDS: tuple[MessageKind, ...] = (MessageKind(KIND, render=render_broadcasts, outdated=cancelled_recipients),)
