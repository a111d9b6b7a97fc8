"""Compose outgoing emails: render the jinja2 templates and build the MIME message.

Two steps, no network and no database (the clock is read only for the Date header):

1. ``render_message(kind, language, context)`` -> :class:`RenderedMessage`
   (subject, plain text, HTML) from ``email_templates/<language>/<kind>.{subject,txt,html}.j2``.
2. ``build_email(sender=..., to=..., rendered=..., calendar=..., qr_png=...)`` ->
   :class:`email.message.EmailMessage` ready for ``aiosmtplib.SMTP.send_message`` or for
   writing to an ``.eml`` file (``msg.as_bytes()``).

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
``google_calendar_url``, ``outlook_calendar_url``, ``has_qr`` (bool: the HTML shows the
inline QR image, in-person/hybrid only; then ``build_email`` must get ``qr_png``).

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
thank_you          optional ``recording_url``, ``slides_url``, ``feedback_url``
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from events_service.mail.formatting import (
    format_duration_until,
    format_event_date,
    format_event_datetime,
    format_time_range,
    normalise_language,
)

__all__ = [
    "KINDS",
    "OPTIONAL_KEYS",
    "QR_CONTENT_ID",
    "REQUIRED_KEYS",
    "TEMPLATES_DIR",
    "MissingContextError",
    "RenderedMessage",
    "build_email",
    "get_environment",
    "qr_png",
    "render_message",
]

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "email_templates"

#: Content-ID of the inline QR image; the HTML refers to it as ``cid:<QR_CONTENT_ID>``.
QR_CONTENT_ID = "checkin-qr@events-service"

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
_COMMON_OPTIONAL = ("manage_url", "event_url", "google_calendar_url", "outlook_calendar_url")

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
    "thank_you": (*_COMMON_OPTIONAL, "recording_url", "slides_url", "feedback_url"),
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

_MULTIPART_FORBIDDEN_HEADERS = frozenset(
    {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
)
_METHOD_RE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)
_SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})


class MissingContextError(KeyError):
    """A key a template needs is missing from the context."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


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


def _single_line(value: str) -> str:
    """Collapse every kind of whitespace, CR/LF and Unicode line separators included."""
    return " ".join(value.split())


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(value: str) -> str:
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_message(kind: str, language: str, context: Mapping[str, Any]) -> RenderedMessage:
    """Render the subject, plain-text and HTML bodies of one message.

    ``language`` is ``"it"`` or ``"en"`` (anything else -> ``"en"``). The context keys
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
    subject = env.get_template(f"{lang}/{kind}.subject.j2").render(ctx)
    text = env.get_template(f"{lang}/{kind}.txt.j2").render(ctx)
    html = env.get_template(f"{lang}/{kind}.html.j2").render(ctx)
    return RenderedMessage(
        subject=_single_line(subject),
        text=_tidy_text(text),
        html=html.strip() + "\n",
    )


# --------------------------------------------------------------------------- MIME


def qr_png(data: str, scale: int = 6) -> bytes:
    """A PNG QR code (error correction M, 4-module quiet zone) for ``data``."""
    buffer = BytesIO()
    segno.make_qr(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _no_newlines(name: str, value: str) -> str:
    if len(value.splitlines()) > 1 or "\r" in value or "\n" in value:
        raise ValueError(f"{name} must not contain line breaks")
    return value


def _calendar_method(calendar: bytes, calendar_method: str | None) -> str:
    found = _METHOD_RE.search(calendar)
    inner = found.group(1).decode("ascii").upper() if found else None
    if calendar_method is not None:
        method = calendar_method.strip().upper()
        if inner is not None and inner != method:
            raise ValueError(
                f"calendar_method {method!r} differs from the calendar's METHOD:{inner}"
            )
        return method
    if inner is None:
        raise ValueError("the calendar has no METHOD property and calendar_method is not given")
    return inner


def _text_cte(content: str) -> str | None:
    """Quoted-printable for non-ASCII bodies: 7-bit safe without relying on 8BITMIME."""
    return None if content.isascii() else "quoted-printable"


def _multipart(subtype: str, parts: list[MIMEPart], **params: str) -> MIMEPart:
    container = MIMEPart(policy=SMTP)
    container["Content-Type"] = f"multipart/{subtype}"
    for name, value in params.items():
        container.set_param(name, value)
    for part in parts:
        container.attach(part)
    return container


def _adopt(message: EmailMessage, container: MIMEPart) -> None:
    """Make ``message`` (which holds only non-MIME headers) the multipart ``container``."""
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = container["Content-Type"]
    message.set_payload(container.get_payload())


def build_email(
    *,
    sender: str,
    sender_name: str,
    to: str,
    rendered: RenderedMessage,
    calendar: bytes | None = None,
    calendar_method: str | None = None,
    qr_png: bytes | None = None,
    message_id_domain: str = "localhost",
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build the MIME message (``email.policy.SMTP``: CRLF everywhere).

    With ``calendar`` (iCalendar bytes with ``METHOD:``)::

        multipart/mixed
          multipart/alternative
            text/plain
            text/html | multipart/related [text/html, image/png (Content-ID)]
            text/calendar; method=<METHOD>; charset=utf-8   (base64: bytes kept exactly)
          application/ics  attachment "invite.ics"

    Without ``calendar``: the ``multipart/alternative`` above is the whole message.
    ``calendar_method`` defaults to the calendar's ``METHOD`` and must equal it (RFC 6047).
    ``qr_png`` becomes an inline image with ``Content-ID: <QR_CONTENT_ID>``; the rendered
    HTML must reference it (``has_qr=True`` in the context) and vice versa.
    ``headers`` adds or replaces headers (e.g. ``Message-ID``, ``Reply-To``,
    ``List-Unsubscribe``); MIME structure headers cannot be set this way.
    """
    references_qr = f"cid:{QR_CONTENT_ID}" in rendered.html
    if qr_png is not None and not references_qr:
        raise ValueError("qr_png given but the HTML does not show it (render with has_qr=True)")
    if qr_png is None and references_qr:
        raise ValueError("the HTML shows the QR code (has_qr=True) but qr_png is not given")

    text_part = MIMEPart(policy=SMTP)
    text_part.set_content(rendered.text, subtype="plain", cte=_text_cte(rendered.text))
    html_part = MIMEPart(policy=SMTP)
    html_part.set_content(rendered.html, subtype="html", cte=_text_cte(rendered.html))
    if qr_png is not None:
        image = MIMEPart(policy=SMTP)
        image.set_content(
            qr_png,
            maintype="image",
            subtype="png",
            disposition="inline",
            filename="qr-code.png",
            cid=f"<{QR_CONTENT_ID}>",
        )
        html_part = _multipart("related", [html_part, image], type="text/html")

    alternatives = [text_part, html_part]
    if calendar is not None:
        method = _calendar_method(calendar, calendar_method)
        cal_part = MIMEPart(policy=SMTP)
        cal_part.set_content(
            calendar,
            maintype="text",
            subtype="calendar",
            cte="base64",
            params={"method": method, "charset": "utf-8"},
        )
        alternatives.append(cal_part)
        attachment = MIMEPart(policy=SMTP)
        attachment.set_content(
            calendar,
            maintype="application",
            subtype="ics",
            cte="base64",
            disposition="attachment",
            filename="invite.ics",
        )
        body = _multipart("mixed", [_multipart("alternative", alternatives), attachment])
    elif calendar_method is not None:
        raise ValueError("calendar_method given without a calendar")
    else:
        body = _multipart("alternative", alternatives)

    message = EmailMessage(policy=SMTP)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    message["From"] = Address(
        display_name=_single_line(sender_name or ""),
        addr_spec=_no_newlines("sender", sender.strip()),
    )
    message["To"] = _no_newlines("to", to.strip())
    message["Subject"] = _single_line(rendered.subject)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    for name, value in (headers or {}).items():
        if name.strip().lower() in _MULTIPART_FORBIDDEN_HEADERS:
            raise ValueError(f"header {name!r} is set by build_email")
        _no_newlines(f"header {name}", name)
        del message[name]
        message[name] = _no_newlines(f"header {name}", str(value))
    _adopt(message, body)
    return message
