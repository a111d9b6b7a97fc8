"""Compose outgoing emails: render the jinja2 templates of one message (no network, no database).

``render_message(kind, language, context)`` -> :class:`~events_service.mail.mime.RenderedMessage`
(subject, plain text, HTML) from ``events_service/email_templates/<kind>.{subject,txt,html}.j2``,
one set of templates whose words come from the language's gettext catalog (i18n.py).
``mail/mime.py`` then makes the bytes (``build_email``), with the invite and the QR code.

Context (one shape for every kind)
==================================
Common keys, required for every kind:

``event``
    Mapping (or object with attributes) with
    ``title`` (str), ``kind`` (``"tech_talk"`` | ``"tech_day"``; Enums allowed),
    ``mode`` (``"online"`` | ``"in_person"`` | ``"hybrid"``; Enums allowed),
    ``starts_at`` / ``ends_at`` (timezone-aware datetimes, normally UTC - naive ones raise),
    ``timezone`` (IANA name, e.g. ``"Europe/Rome"``).
    Optional (default ``None``): ``venue_name``, ``venue_address``, ``venue_city``,
    ``online_url``, ``description``.
    ``online_url`` is the join link: the ``confirmed``, ``promoted``, ``reminder`` and
    ``event_updated`` templates print it whenever it is set, so pass it **only** for
    confirmed registrants (``None`` for waitlisted people). Other kinds never print it.
``person``
    Mapping (or object) with ``first_name``, ``last_name``, ``email``.
``programme_name``
    str, shown in the header and footer.

Common keys, optional (default ``None`` / ``False``), used when present:
``manage_url`` (signed manage/cancel link), ``event_url`` (public event page),
``google_calendar_url``, ``outlook_calendar_url``, ``feed_url`` (the person's own calendar
feed: only in emails to the person's own address), ``has_qr`` (bool: the HTML shows the
inline QR image, in-person/hybrid only; then ``build_email`` must get ``qr_png``, see qr.py).

``language`` is set from the ``language`` argument (any value in the context is replaced);
``qr_cid`` is set to :data:`QR_CONTENT_ID`.

Per kind (``REQUIRED_KEYS`` / ``OPTIONAL_KEYS`` hold the same lists):

=================  =============================================================
kind               extra keys
=================  =============================================================
confirmed          required ``manage_url``; uses ``google_calendar_url``,
                   ``outlook_calendar_url``, ``has_qr``, ``event.online_url``
waitlisted         required ``manage_url``, ``waitlist_position`` (int, 1-based)
promoted           required ``manage_url``; like ``confirmed``
cancelled          uses ``event_url`` (to register again); ``manage_url`` not shown
event_updated      required ``changes`` (list[str], human-readable lines, already
                   translated); uses ``manage_url``, calendar URLs, ``online_url``
event_cancelled    optional ``cancellation_reason`` (str)
reminder           required ``minutes_until`` (int or timedelta until the start);
                   uses ``manage_url``, ``has_qr``, ``event.online_url``
thank_you          optional ``recording_url``, ``slides_url``, ``feedback_url``,
                   ``certificate_url`` (the certificate of attendance, PDF)
missed_you         optional ``recording_url``, ``slides_url``
broadcast          required ``broadcast_subject`` (the subject, verbatim but single-line),
                   ``broadcast_body`` (plain text from the organiser; HTML-escaped,
                   newlines become ``<br>``); uses ``manage_url``
=================  =============================================================

Every other key is passed through to the templates untouched.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from events_service.i18n import install_gettext
from events_service.mail.formatting import (
    format_duration_until,
    format_event_date,
    format_event_datetime,
    format_time_range,
    normalise_language,
)
from events_service.mail.mime import QR_CONTENT_ID, RenderedMessage, single_line

__all__ = [
    "KINDS",
    "OPTIONAL_KEYS",
    "REQUIRED_KEYS",
    "TEMPLATES_DIR",
    "MissingContextError",
    "get_environment",
    "render_message",
]

#: Inside the package (package data in pyproject.toml), so an installed wheel finds them too.
TEMPLATES_DIR = files("events_service") / "email_templates"

KINDS: tuple[str, ...] = (
    "confirmed",
    "waitlisted",
    "promoted",
    "cancelled",
    "event_updated",
    "event_cancelled",
    "reminder",
    "thank_you",
    "missed_you",
    "broadcast",
)

_COMMON_REQUIRED = ("event", "person", "programme_name")
_COMMON_OPTIONAL = ("manage_url", "event_url", "google_calendar_url", "outlook_calendar_url", "feed_url")

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "confirmed": (*_COMMON_REQUIRED, "manage_url"),
    "waitlisted": (*_COMMON_REQUIRED, "manage_url", "waitlist_position"),
    "promoted": (*_COMMON_REQUIRED, "manage_url"),
    "cancelled": _COMMON_REQUIRED,
    "event_updated": (*_COMMON_REQUIRED, "changes"),
    "event_cancelled": _COMMON_REQUIRED,
    "reminder": (*_COMMON_REQUIRED, "minutes_until"),
    "thank_you": _COMMON_REQUIRED,
    "missed_you": _COMMON_REQUIRED,
    "broadcast": (*_COMMON_REQUIRED, "broadcast_subject", "broadcast_body"),
}

#: Keys that default to ``None`` when absent (``has_qr`` defaults to ``False``).
OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "confirmed": _COMMON_OPTIONAL,
    "waitlisted": _COMMON_OPTIONAL,
    "promoted": _COMMON_OPTIONAL,
    "cancelled": _COMMON_OPTIONAL,
    "event_updated": _COMMON_OPTIONAL,
    "event_cancelled": (*_COMMON_OPTIONAL, "cancellation_reason"),
    "reminder": _COMMON_OPTIONAL,
    "thank_you": (*_COMMON_OPTIONAL, "recording_url", "slides_url", "feedback_url", "certificate_url"),
    "missed_you": (*_COMMON_OPTIONAL, "recording_url", "slides_url"),
    "broadcast": _COMMON_OPTIONAL,
}

_EVENT_REQUIRED = ("title", "kind", "mode", "starts_at", "ends_at", "timezone")
_EVENT_OPTIONAL = (
    "venue_name",
    "venue_address",
    "venue_city",
    "online_url",
    "description",
)
_PERSON_FIELDS = ("first_name", "last_name", "email")

_SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})


class MissingContextError(KeyError):
    """A key a template needs is missing from the context."""


# --------------------------------------------------------------------------- jinja2


def _nl2br(value: Any) -> Markup:
    """Escape ``value`` and turn its line breaks into ``<br>`` (for organiser text)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return Markup("<br>\n").join(escape(line) for line in text.split("\n"))


def _safe_url(value: Any) -> str:
    """Only http(s)/mailto URLs go into an ``href``; anything else becomes ``#``."""
    url = str(value or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "#"
    return url if scheme in _SAFE_URL_SCHEMES else "#"


def _duration(value: Any, language: str, add_direction: bool = False) -> str:
    if isinstance(value, timedelta):
        return format_duration_until(value, language, add_direction=add_direction)
    return format_duration_until(int(value), language, add_direction=add_direction)


@lru_cache(maxsize=1)
def get_environment() -> Environment:
    """The one jinja2 Environment over ``email_templates/`` (built on first use)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    install_gettext(env, "language")  # {% trans %} and _() speak the context's `language`
    env.filters.update(
        event_datetime=format_event_datetime,
        event_date=format_event_date,
        time_range=format_time_range,
        duration=_duration,
        nl2br=_nl2br,
        safe_url=_safe_url,
    )
    return env


# --------------------------------------------------------------------------- render


def _get(obj: Any, name: str, default: Any = ...) -> Any:
    if isinstance(obj, Mapping):
        if name in obj:
            return obj[name]
    elif hasattr(obj, name):
        return getattr(obj, name)
    if default is ...:
        raise MissingContextError(name)
    return default


def _token(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")


def _event_view(event: Any) -> dict[str, Any]:
    view: dict[str, Any] = dict(event) if isinstance(event, Mapping) else {}
    try:
        for key in _EVENT_REQUIRED:
            view[key] = _get(event, key)
    except MissingContextError as exc:
        raise MissingContextError(f"event.{exc.args[0]}") from None
    for key in _EVENT_OPTIONAL:
        view[key] = _get(event, key, None)
    view["kind"] = _token(view["kind"])
    view["mode"] = _token(view["mode"])
    for key in ("starts_at", "ends_at"):
        value = view[key]
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"event.{key} must be a timezone-aware datetime")
    return view


def _person_view(person: Any) -> dict[str, Any]:
    view: dict[str, Any] = dict(person) if isinstance(person, Mapping) else {}
    for key in _PERSON_FIELDS:
        view[key] = _get(person, key, None) or ""
    return view


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(value: str) -> str:
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_message(kind: str, language: str, context: Mapping[str, Any]) -> RenderedMessage:
    """Render the subject, plain-text and HTML bodies of one message.

    ``language`` is one of LANGUAGES (anything else -> ``"en"``). The context keys
    each kind needs are listed in this module's docstring. Raises ``ValueError`` for an
    unknown kind and :class:`MissingContextError` (a ``KeyError``) for a missing key.
    The subject is a single stripped line: CR/LF in a title cannot add a header.
    """
    if kind not in REQUIRED_KEYS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {KINDS}")
    lang = normalise_language(language)
    missing = [key for key in REQUIRED_KEYS[kind] if key not in context]
    if missing:
        raise MissingContextError(f"{kind}: missing context keys {missing}")

    ctx: dict[str, Any] = {key: None for key in OPTIONAL_KEYS[kind]}
    ctx["has_qr"] = False
    ctx.update(context)
    ctx["has_qr"] = bool(ctx["has_qr"])
    ctx["language"] = lang
    ctx["qr_cid"] = QR_CONTENT_ID
    ctx["kind"] = kind
    ctx["event"] = _event_view(context["event"])
    ctx["person"] = _person_view(context["person"])
    if kind == "event_updated":
        ctx["changes"] = [str(line) for line in ctx["changes"]]

    env = get_environment()
    subject = env.get_template(f"{kind}.subject.j2").render(ctx)
    text = env.get_template(f"{kind}.txt.j2").render(ctx)
    html = env.get_template(f"{kind}.html.j2").render(ctx)
    return RenderedMessage(
        subject=single_line(subject),
        text=_tidy_text(text),
        html=html.strip() + "\n",
    )
