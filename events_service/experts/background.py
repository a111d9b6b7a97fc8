"""What the wiring (worker.py) hands lower layers for the experts domain: the hook that cancels
a person's meetings when their registration is cancelled (registrations/cancel_hooks.py)."""

from __future__ import annotations

from events_service.experts.service import cancel_meetings_of_registration
from events_service.registrations.cancel_hooks import CancelHook

__all__ = ["CANCEL_HOOKS"]

CANCEL_HOOKS: tuple[CancelHook, ...] = (cancel_meetings_of_registration,)
