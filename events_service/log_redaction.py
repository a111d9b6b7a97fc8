"""Secrets in request paths stay out of the logs.

A manage link, a personal calendar feed, a check-in code or a certificate code is the only key
to what it opens, and it travels in the path: uvicorn's access log (and Litestar's log of an
uncaught exception) would keep every one of them in plain text, readable by whoever reads the
logs, long after the person erased their data. `install()` puts a filter on the loggers that
print request paths; it rewrites the record's arguments (uvicorn's AccessFormatter unpacks them
itself) so the line shows `…` where the token was.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

#: Path segments after these prefixes are secrets (a digits-only segment is an id, kept).
_SECRET_SEGMENT = re.compile(
    r"(?P<prefix>/(?:registrations|r|calendar/personal|certificates|surveys|meetings|checkins?)/)"
    r"(?!\d+(?:[/?#\s\"'.]|$))"
    r"(?P<secret>[^/?#\s\"']+?)"
    r"(?P<ext>\.(?:ics|pdf|json|png|svg))?"
    r"(?=[/?#\s\"']|$)"
)
#: Query parameters whose value is a secret.
_SECRET_PARAMETER = re.compile(r"(?P<name>[?&](?:token|code|feed|key|manage_token|checkin_code)=)[^&#\s\"']+", re.IGNORECASE)
#: A signed token anywhere (`<id>.<nonce>.<signature>`, registrations/links.py).
_SIGNED_TOKEN = re.compile(r"\b\d{1,12}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_=-]{16,}")

REDACTED = "…"
#: uvicorn's access log, uvicorn's server log, and Litestar's (uncaught exceptions with the path).
LOGGERS = ("uvicorn.access", "uvicorn.error", "litestar")


def redact(text: str) -> str:
    """`text` with every token-bearing path segment, secret query value and signed token
    replaced by `…`."""
    text = _SECRET_SEGMENT.sub(lambda m: f"{m['prefix']}{REDACTED}{m['ext'] or ''}", text)
    text = _SECRET_PARAMETER.sub(lambda m: f"{m['name']}{REDACTED}", text)
    return _SIGNED_TOKEN.sub(REDACTED, text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Redacts the message and its string arguments in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


def install(logger_names: tuple[str, ...] = LOGGERS) -> None:
    """Put the filter on each logger once (idempotent: create_app runs once per process, tests
    call it many times). A logger's filters see the records logged on it, which is where
    uvicorn and Litestar log; logging.config.dictConfig keeps filters added this way."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
            logger.addFilter(RedactTokens())
