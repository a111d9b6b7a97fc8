"""The webinar platforms whose reports (and APIs) attendance is read from: one StrEnum for
the table (`choices=`), the parsers and the schemas."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    ZOOM = "zoom"
    TEAMS = "teams"
    WEBEX = "webex"
