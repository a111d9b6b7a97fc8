"""Piccolo's configuration: the engine is chosen by EVENTS_DB (see settings.py)."""

from piccolo.conf.apps import AppRegistry

from events_service.db import engine_from_url
from events_service.settings import database_url_from_env

DB = engine_from_url(database_url_from_env())

APP_REGISTRY = AppRegistry(apps=["events_service.piccolo_app"])
