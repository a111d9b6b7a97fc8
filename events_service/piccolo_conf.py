"""Piccolo's configuration. `DB` is whichever engine db.engines holds now (EVENTS_DB unless the
app chose another at start-up): Piccolo reads it through engine_finder(), so it is looked up
on every read rather than fixed at import."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from events_service.db.engines import current_engine

APP_REGISTRY = AppRegistry(apps=["events_service.piccolo_app"])


def __getattr__(name: str) -> Engine:
    if name == "DB":
        return current_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
