"""A company's size classes, in one place for the table (`choices=`) and the schemas."""

from __future__ import annotations

from enum import StrEnum


class SizeClass(StrEnum):
    """The EU's SME classes by head count (micro < 10, small < 50, medium < 250)."""

    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"
