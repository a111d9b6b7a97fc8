"""Compose outgoing emails: render the jinja2 templates and build the MIME message.

Two steps, no network and no database (the clock is read only for the Date header):

1. ``render_message(kind, language, context)`` -> :class:`RenderedMessage`
   (subject, plain text, HTML) from ``events_service/email_templates/<language>/<kind>.{subject,txt,html}.j2``.
2. ``build_email(sender=..., to=..., rendered=..., calendar=..., qr_png=...)`` ->
   :class:`ComposedEmail`: the finished bytes for ``aiosmtplib.SMTP.sendmail`` or for
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
``google_calendar_url``, ``outlook_calendar_url``, ``feed_url`` (the person's own calendar
feed: only in emails to the person's own address), ``has_qr`` (bool: the HTML shows the
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

import base64
import binascii
import enum
import re
import secrets
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from functools import lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import zxingcpp
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
    "ComposedEmail",
    "get_environment",
    "qr_png",
    "render_message",
]

#: Inside the package (package data in pyproject.toml), so an installed wheel finds them too.
TEMPLATES_DIR = files("events_service") / "email_templates"

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
#
# The MIME document is written directly as bytes. The stdlib's EmailMessage builds the same
# tree, but its header registry and content manager cost about 5 ms a message, more than the
# SMTP exchange itself: with thousands of reminders due at one moment that is the difference
# between the last one leaving on time or minutes late. What is written here is deliberately
# plain (7bit, quoted-printable, base64, RFC 2047 headers via email.header/email.utils), and
# tests/mail/test_compose.py parses every shape with the stdlib parser.


def qr_png(data: str, scale: int = 6) -> bytes:
    """A PNG QR code (error correction M, 4-module quiet zone) for ``data``.

    zxing-cpp (C++) encodes and scales it in well under a millisecond; segno, pure Python,
    took about 15 ms, most of the time an in-person reminder took to make.
    """
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = symbol.to_image(scale=scale, add_quiet_zones=True)  # 8-bit grey, 0 = dark
    # Level 1: the image is mostly runs of one value, and higher levels cost 4x the time.
    height, width = image.shape
    pixels = bytes(memoryview(image))
    scanlines = b"".join(b"\x00" + pixels[row * width : (row + 1) * width] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"".join(
        (_PNG_SIGNATURE, _png_chunk(b"IHDR", header), _png_chunk(b"IDAT", zlib.compress(scanlines, 1)), _png_chunk(b"IEND", b""))
    )


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


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


@dataclass(frozen=True)
class ComposedEmail:
    """A finished message: its bytes (CRLF, 7-bit) and its top-level headers, decoded.

    Reads like an ``EmailMessage`` where the outbox and the transports need it:
    ``message["Subject"]``, ``as_bytes()``, ``as_string()``.
    """

    raw: bytes
    headers: tuple[tuple[str, str], ...]

    def __getitem__(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def as_bytes(self, policy: Any = None) -> bytes:
        return self.raw

    def as_string(self, policy: Any = None) -> str:
        return self.raw.decode("ascii")


_CRLF = b"\r\n"
_MAX_7BIT_LINE = 998


def _header_line(name: str, value: str) -> bytes:
    """``Name: value``, RFC 2047-encoded when not ASCII, folded below 78 characters."""
    line = f"{name}: {value}"
    if line.isascii() and len(line) <= 78 and "=?" not in value:
        return line.encode("ascii") + _CRLF  # most headers: nothing to encode or fold
    # A literal "=?" would be read as an encoded word: encode the whole value instead.
    charset = "us-ascii" if value.isascii() and "=?" not in value else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + _CRLF


def _address(value: str, what: str) -> str:
    """One address, its display name quoted or RFC 2047-encoded as needed."""
    addresses = getaddresses([_no_newlines(what, value.strip())])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        raise ValueError(f"{what} must be exactly one address, not {value!r}")
    name, address = addresses[0]
    return formataddr((_single_line(name), address), charset="utf-8")


def _to_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", _CRLF)


def _text_part(content: str, subtype: str) -> bytes:
    """7bit when ASCII with short lines, quoted-printable otherwise (no reliance on 8BITMIME)."""
    lines = content.replace("\r\n", "\n").split("\n")
    if content.isascii() and all(len(line) <= _MAX_7BIT_LINE for line in lines):
        body, encoding = "\r\n".join(lines).encode("ascii"), "7bit"
    else:
        body = _to_crlf(binascii.b2a_qp("\n".join(lines).encode("utf-8"), istext=True))
        encoding = "quoted-printable"
    if not body.endswith(_CRLF):
        body += _CRLF
    head = (
        f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n"
    ).encode("ascii")
    return head + _CRLF + body


def _binary_part(content_type: str, data: bytes, *, disposition: str | None = None, content_id: str | None = None) -> bytes:
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
    if disposition:
        head += f"Content-Disposition: {disposition}\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    return head.encode("ascii") + _CRLF + _to_crlf(base64.encodebytes(data))


def _multipart(subtype: str, parts: list[bytes], params: str = "") -> bytes:
    # "=_" cannot occur in quoted-printable or base64 output, and the rest is random.
    boundary = f"=_{secrets.token_hex(16)}"
    out = [f"Content-Type: multipart/{subtype}; boundary=\"{boundary}\"{params}\r\n\r\n".encode("ascii")]
    for part in parts:
        out.append(f"--{boundary}\r\n".encode("ascii"))
        # The CRLF before a delimiter belongs to the delimiter (RFC 2046), not to the part.
        out.append(part)
        out.append(_CRLF)
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(out)


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
) -> ComposedEmail:
    """Build the MIME message (CRLF everywhere, 7-bit).

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
    if calendar is None and calendar_method is not None:
        raise ValueError("calendar_method given without a calendar")

    html_part = _text_part(rendered.html, "html")
    if qr_png is not None:
        image = _binary_part(
            "image/png",
            qr_png,
            disposition='inline; filename="qr-code.png"',
            content_id=f"<{QR_CONTENT_ID}>",
        )
        html_part = _multipart("related", [html_part, image], '; type="text/html"')
    alternatives = [_text_part(rendered.text, "plain"), html_part]
    if calendar is not None:
        method = _calendar_method(calendar, calendar_method)
        alternatives.append(_binary_part(f'text/calendar; charset="utf-8"; method={method}', calendar))
        attachment = _binary_part(
            'application/ics; name="invite.ics"', calendar, disposition='attachment; filename="invite.ics"'
        )
        body = _multipart("mixed", [_multipart("alternative", alternatives), attachment])
    else:
        body = _multipart("alternative", alternatives)

    top: dict[str, tuple[str, str]] = {}

    def put(name: str, value: str) -> None:
        top[name.lower()] = (name, value)

    put("Date", format_datetime(datetime.now(UTC)))
    put("Message-ID", make_msgid(domain=message_id_domain))
    put("From", formataddr((_single_line(sender_name or ""), _no_newlines("sender", sender.strip())), charset="utf-8"))
    put("To", _address(to, "to"))
    put("Subject", _single_line(rendered.subject))
    put("Auto-Submitted", "auto-generated")
    put("X-Auto-Response-Suppress", "OOF, AutoReply")
    for name, value in (headers or {}).items():
        if name.strip().lower() in _MULTIPART_FORBIDDEN_HEADERS:
            raise ValueError(f"header {name!r} is set by build_email")
        _no_newlines(f"header {name}", name)
        put(name.strip(), _no_newlines(f"header {name}", str(value)))
    put("MIME-Version", "1.0")

    # From and To come out of formataddr already encoded (RFC 2047 names, quoted specials).
    encoded = {"from", "to"}
    head = b"".join(
        f"{name}: {value}\r\n".encode("ascii") if key in encoded else _header_line(name, value)
        for key, (name, value) in top.items()
    )
    return ComposedEmail(raw=head + body, headers=tuple(top.values()))
