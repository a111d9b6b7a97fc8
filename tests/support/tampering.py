"""Forged tokens for tests that must be refused: a real token with one character changed."""

from __future__ import annotations


def last_changed(text: str) -> str:
    """`text` with its last character replaced by a different one. A fixed ending (`[:-1] + "x"`,
    `[:-2] + "xx"`) leaves a random token unchanged whenever it already ends so: 1 run in 64
    (or 4,096), and then the "forged" token is the genuine one and the test fails by chance."""
    return text[:-1] + ("x" if text[-1] != "x" else "y")
