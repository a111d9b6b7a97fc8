"""Who is changing things in this request: an organiser (signed in, console or API), an API
token, a registrant through their own link, or the system (the worker, the CLI): the default.

A context variable: the HTTP layer sets it once per request (organisers/auth.py for bearer
tokens, web/session.py for the console, the public routes for registrants); the request's
task, and everything it awaits, sees it; another request never does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["SYSTEM", "REGISTRANT", "acting_as", "current_actor", "set_actor", "organiser", "api_token"]

SYSTEM = "system"
REGISTRANT = "registrant"

_actor: ContextVar[str] = ContextVar("audit_actor", default=SYSTEM)


def organiser(organiser_id: int) -> str:
    return f"organiser:{organiser_id}"


def api_token(token_id: int) -> str:
    return f"api_token:{token_id}"


def current_actor() -> str:
    return _actor.get()


def set_actor(actor: str) -> None:
    _actor.set(actor)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """For code outside a request (the CLI, tests): who the changes inside are by."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
