"""Which language a page speaks, and dates and times as that language writes them. The
words themselves are gettext catalogs (events_service/i18n.py, events_service/locale/)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from events_service.languages import DEFAULT_LANGUAGE, LANGUAGES

LANG_COOKIE = "lang"


def choose_language(
    query_lang: str | None, cookie_lang: str | None, accept_language: str | None, link_lang: str | None = None
) -> str:
    """?lang= wins, then the cookie (set only by a ?lang= switch: the person's own choice), then
    `link_lang`, the language of the email whose link opened the page (the person read it in
    that language), then the browser's Accept-Language; Italian by default."""
    for candidate in (query_lang, cookie_lang, link_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    weighted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        piece, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, piece.strip().lower()[:2]))
    for _, code in sorted(weighted, key=lambda item: -item[0]):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def when(value: datetime | None, timezone: str, lang: str, fmt: str = "EEEE d MMMM y, HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=ZoneInfo(timezone), locale=lang)


def clock(value: datetime, timezone: str, lang: str) -> str:
    return format_time(value, "HH:mm", tzinfo=ZoneInfo(timezone), locale=lang)
