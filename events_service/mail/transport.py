"""Where outgoing mail goes: an SMTP server (EVENTS_SMTP_URL) or .eml files under var/mail/.

A transport only moves bytes; the dispatcher decides what a failure means for the outbox row.
Every failure is raised as one of two errors:

- :class:`TemporaryFailure` - try again later: 4xx replies, timeouts, refused or dropped
  connections, and any failure before the server saw this message (connect, EHLO, AUTH).
- :class:`PermanentFailure` - this message will never go through: 5xx replies to MAIL,
  RCPT or DATA, an address the client cannot even encode.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import hashlib
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from events_service.settings import Settings, redacted_url

__all__ = [
    "DeliveryFailure",
    "FileTransport",
    "PermanentFailure",
    "SmtpConfig",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "classify",
    "eml_name",
    "remove_mail_files",
    "transport_from_settings",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECTIONS = 4
# A server drops idle clients after a while (often 60-300 s) without our noticing until the
# next write fails; a connection idle this long is replaced before use instead.
MAX_IDLE_SECONDS = 30.0


class DeliveryFailure(Exception):
    """A message was not delivered; `reason` is what the outbox records as last_error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth retrying later. `connect` is True when no connection to the server could be
    made at all: the server is down, not this message at fault."""

    def __init__(self, reason: str, *, connect: bool = False) -> None:
        super().__init__(reason)
        self.connect = connect


class PermanentFailure(DeliveryFailure):
    """The server refused this message for good (5xx)."""


class Transport(Protocol):
    #: How many messages may be in flight at once (one per pooled connection).
    concurrency: int
    #: No send() call lasts longer than this; leases on outbox rows must be longer.
    max_send_seconds: float

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        """Deliver `raw` (a complete RFC 5322 message) or raise a DeliveryFailure."""

    async def close(self) -> None:
        """Release connections; the transport may be used again afterwards."""


# --------------------------------------------------------------------------- classification


def _reply_failure(code: int, text: str, where: str) -> DeliveryFailure:
    reason = f"{code} {text}".strip() + f" (at {where})"
    if 500 <= code < 600:
        return PermanentFailure(reason)
    # 4xx, and the codes aiosmtplib invents for garbled replies (-1): try again later.
    return TemporaryFailure(reason)


def classify(error: BaseException) -> DeliveryFailure:
    """Turn whatever aiosmtplib (or the network) raised into a Temporary/PermanentFailure."""
    if isinstance(error, DeliveryFailure):
        return error
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refusals = error.recipients
        if len(refusals) == 1:
            return _reply_failure(refusals[0].code, refusals[0].message, f"RCPT {refusals[0].recipient}")
        codes = [refusal.code for refusal in refusals]
        text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
        # Retry while any recipient might still accept: a 4xx means "not now".
        if any(not 500 <= code < 600 for code in codes):
            return TemporaryFailure(f"recipient refused: {text} (at RCPT)")
        return PermanentFailure(f"recipient refused: {text} (at RCPT)")
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return _reply_failure(error.code, error.message, "RCPT")
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return _reply_failure(error.code, error.message, "MAIL FROM")
    if isinstance(error, aiosmtplib.SMTPDataError):
        return _reply_failure(error.code, error.message, "DATA")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _reply_failure(error.code, error.message, "SMTP")
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return PermanentFailure(f"not supported by the server: {error.message}")
    if isinstance(error, TimeoutError):  # SMTPTimeoutError and our own deadline alike
        return TemporaryFailure(f"timed out: {error}" if str(error) else "timed out")
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return TemporaryFailure(f"connection lost: {error.message}")
    if isinstance(error, aiosmtplib.SMTPConnectError):
        return TemporaryFailure(f"cannot connect: {error.message}", connect=True)
    if isinstance(error, OSError):
        return TemporaryFailure(f"network error: {error}")
    if isinstance(error, aiosmtplib.SMTPException):
        return TemporaryFailure(f"SMTP error: {error.message}")
    if isinstance(error, ValueError):  # aiosmtplib's address check: no server would take it
        return PermanentFailure(f"invalid address: {error}")
    raise TypeError(f"not a delivery error: {error!r}") from error


# --------------------------------------------------------------------------- SMTP


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"EVENTS_SMTP_URL: {name}={value!r} must be 1 or 0")


@dataclass(frozen=True)
class SmtpConfig:
    """EVENTS_SMTP_URL, parsed.

    ``smtp://user:pass@host:587?starttls=1`` - STARTTLS required;
    ``smtps://user:pass@host:465`` - TLS from the first byte;
    ``smtp://host:25`` - STARTTLS when the server offers it (aiosmtplib's default),
    ``?starttls=0`` never. Also ``timeout=<seconds>`` (default 10),
    ``connections=<n>`` (pool size, default 4) and ``validate_certs=0``.
    """

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = DEFAULT_TIMEOUT
    connections: int = DEFAULT_CONNECTIONS
    validate_certs: bool = True

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"EVENTS_SMTP_URL must start with smtp:// or smtps://, not {redacted_url(url)!r}")
        if not parts.hostname:
            raise ValueError("EVENTS_SMTP_URL has no host name")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "timeout", "connections", "validate_certs"}
        if unknown:
            raise ValueError(f"EVENTS_SMTP_URL: unknown options {sorted(unknown)}")
        use_tls = parts.scheme == "smtps"
        start_tls = _flag("starttls", query["starttls"]) if "starttls" in query else None
        if use_tls and start_tls:
            raise ValueError("EVENTS_SMTP_URL: smtps:// is TLS already; drop starttls=1")
        default_port = 465 if use_tls else 587 if start_tls else 25
        connections = int(query.get("connections", DEFAULT_CONNECTIONS))
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        if connections < 1 or timeout <= 0:
            raise ValueError("EVENTS_SMTP_URL: connections and timeout must be positive")
        return cls(
            hostname=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
            timeout=timeout,
            connections=connections,
            validate_certs=_flag("validate_certs", query.get("validate_certs", "1")),
        )


@dataclass
class _Connection:
    smtp: aiosmtplib.SMTP
    last_used: float


class SmtpTransport:
    """A small pool of reused SMTP connections (``connections``, default 4; 1 keeps strictly
    one), each (re)connected lazily: after a drop aiosmtplib reports ``is_connected`` False,
    and a connection that failed mid-command is thrown away rather than trusted again.

    One send() - taking a connection, connecting if needed, MAIL/RCPT/DATA - never lasts
    longer than ``timeout`` seconds in total (``max_send_seconds``).
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.concurrency = config.connections
        self.max_send_seconds = config.timeout
        self._slots = asyncio.Semaphore(config.connections)
        self._idle: list[_Connection] = []

    @classmethod
    def from_url(cls, url: str, **overrides: object) -> SmtpTransport:
        config = SmtpConfig.from_url(url)
        if overrides:
            config = dataclasses.replace(config, **overrides)  # type: ignore[arg-type]
        return cls(config)

    def _client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(
            hostname=c.hostname,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.use_tls,
            start_tls=c.start_tls,
            validate_certs=c.validate_certs,
            timeout=c.timeout,
        )

    async def _connected(self, connection: _Connection | None) -> _Connection:
        if connection is not None:
            idle_for = time.monotonic() - connection.last_used
            if connection.smtp.is_connected and idle_for < MAX_IDLE_SECONDS:
                return connection
            connection.smtp.close()
        smtp = self._client()
        try:
            await smtp.connect()
        except BaseException:
            smtp.close()
            raise
        return _Connection(smtp, time.monotonic())

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        async with self._slots:
            connection = self._idle.pop() if self._idle else None
            connected = False
            try:
                async with asyncio.timeout(self.config.timeout):
                    connection = await self._connected(connection)
                    connected = True
                    await connection.smtp.sendmail(sender, recipients, raw)
            except BaseException as error:
                connection = self._discard_if_broken(connection if connected else None, error)
                if not isinstance(error, Exception):
                    raise
                failure = classify(error)
                if isinstance(error, TimeoutError) and not isinstance(error, aiosmtplib.SMTPException):
                    # Our own deadline on the whole send (aiosmtplib's are per reply).
                    failure = TemporaryFailure(f"no answer within {self.config.timeout:g} s")
                if not connected:
                    # Nothing of this message reached the server: the server (or our
                    # credentials) failed, not the message - whatever the reply code.
                    reason = failure.reason
                    if not reason.startswith("cannot connect"):
                        reason = f"cannot connect: {reason}"
                    failure = TemporaryFailure(reason, connect=True)
                raise failure from error
            finally:
                if connection is not None:
                    connection.last_used = time.monotonic()
                    self._idle.append(connection)

    async def probe(self) -> str:
        """Connect, greet (and STARTTLS and log in, as sending would), then quit: what
        `events-service check` asks of the server. Returns the server's greeting line."""
        smtp = self._client()
        try:
            async with asyncio.timeout(self.config.timeout):
                greeting = await smtp.connect()
                await smtp.quit()
        finally:
            smtp.close()
        return greeting.message.splitlines()[0] if greeting.message else str(greeting.code)

    @staticmethod
    def _discard_if_broken(connection: _Connection | None, error: BaseException) -> _Connection | None:
        """A refusal (4xx/5xx reply) leaves the session usable - aiosmtplib sent RSET; after a
        timeout, a drop or a cancellation we cannot know where the dialogue stands."""
        if connection is None:
            return None
        refused = isinstance(error, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused)
        closing = getattr(error, "code", None) == 421  # "service not available, closing channel"
        if refused and not closing and connection.smtp.is_connected:
            return connection
        connection.smtp.close()
        return None

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            if connection.smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                    await connection.smtp.quit(timeout=2)
            connection.smtp.close()


# --------------------------------------------------------------------------- files


class FileTransport:
    """Writes each message as ``<directory>/<sha256 of the message>.eml``: the embedded default
    when EVENTS_SMTP_URL is unset. Written to a temporary file, flushed to disk, then renamed,
    so a reader never sees half a message; a message sent twice lands in the same file."""

    concurrency = 1
    max_send_seconds = 10.0

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        try:
            await asyncio.to_thread(self._write, raw)
        except OSError as error:
            raise TemporaryFailure(f"cannot write to {self.directory}: {error}") from error

    def _write(self, raw: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / eml_name(raw)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return target

    async def close(self) -> None:
        return None


def eml_name(raw: bytes) -> str:
    """The file name FileTransport gives a message: the same bytes, the same file."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}.eml"


def _searchable_text(raw: bytes) -> str:
    """What a reader of a mail file could learn, lower-cased: the raw bytes, and every header
    and MIME part decoded (RFC 2047 words, quoted-printable, base64 attachments such as the
    invite.ics), with folded lines joined again (iCalendar folds at 75 octets, in the middle of
    an address if it likes)."""
    pieces = [raw.decode("utf-8", "replace")]
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            pieces += [str(value) for value in part.values()]
            if not part.is_multipart():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    pieces.append(payload.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - a file we cannot parse is still searched as raw text
        log.warning("a mail file could not be parsed; searched as raw text only")
    text = "\n".join(pieces)
    for fold in ("\r\n ", "\r\n\t", "\n ", "\n\t", "=\r\n", "=\n"):
        text = text.replace(fold, "")
    return text.lower()


def _address_pattern(address: str) -> re.Pattern[str]:
    """`address` as a whole address: not the tail of a longer one (`linda.ada@x.example`
    holds `ada@x.example`), nor the head of one in a longer domain."""
    return re.compile(rf"(?<![a-z0-9.!#$%&'*+/=?^_`{{|}}~-]){re.escape(address.lower())}(?![a-z0-9-]|\.[a-z0-9])")


def remove_mail_files(directory: Path, *, names: set[str], addresses: list[str], tokens: list[str]) -> int:
    """Delete the mail files written for someone (a person whose data is erased): those
    named in `names` (see `eml_name`), and any whose decoded text holds one of `addresses` or
    `tokens` (the secrets of links sent to them), case-insensitively. Left-over temporary files
    of an interrupted write count too. Returns how many were deleted."""
    if not directory.is_dir():
        return 0
    patterns = [_address_pattern(address) for address in addresses if address]
    secrets = [token.lower() for token in tokens if token]

    def mentions(text: str) -> bool:
        return any(secret in text for secret in secrets) or any(pattern.search(text) for pattern in patterns)

    removed = 0
    for path in directory.iterdir():
        if not path.is_file() or not (path.suffix == ".eml" or path.name.endswith(".tmp")):
            continue
        try:
            if path.name not in names and not mentions(_searchable_text(path.read_bytes())):
                continue
            path.unlink()
        except FileNotFoundError:
            continue  # gone meanwhile
        removed += 1
    return removed


def transport_from_settings(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport.from_url(settings.smtp_url)
    return FileTransport(settings.mail_dir)
