"""Every setting of the service, read from the environment in one place."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB_URL = "sqlite:///var/events.sqlite3"


def database_url_from_env(env: Mapping[str, str] = os.environ) -> str:
    return env.get("EVENTS_DB") or DEFAULT_DB_URL


def default_timezone_from(env: Mapping[str, str] = os.environ) -> str:
    """EVENTS_DEFAULT_TIMEZONE (Europe/Rome unless set): a new event's zone when none is given,
    the zone of report days and of attendance-export times written without one. A name that is
    not an IANA zone stops the start-up."""
    name = env.get("EVENTS_DEFAULT_TIMEZONE") or "Europe/Rome"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"EVENTS_DEFAULT_TIMEZONE: {name!r} is not an IANA timezone (e.g. Europe/Zurich)") from None
    return name


#: Read once at import, not in Settings: table and schema defaults need it before any Settings exist.
DEFAULT_TIMEZONE = default_timezone_from()


def host_of(base_url: str) -> str:
    """The host name of a base URL: the domain of Message-IDs and calendar UIDs."""
    return urlsplit(base_url).hostname or "localhost"


def redacted_url(url: str) -> str:
    """`url` fit to print or log: a password in it becomes `***`
    (`postgresql://user:***@host/db`); anything else is kept, so the reader still sees which
    server and database is meant."""
    parts = urlsplit(url)
    # libpq also takes the password as a query parameter (?password=…).
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret (and sqlite:///path keeps its three slashes)
    return parts._replace(netloc=netloc, query=query).geturl()


def trusted_proxies_from(value: str) -> tuple[str, ...]:
    """EVENTS_TRUSTED_PROXIES: comma-separated addresses or networks (`10.0.0.0/8`, `::1`);
    a typo fails at start-up rather than trusting the wrong peers."""
    proxies = tuple(item.strip() for item in value.split(",") if item.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"EVENTS_TRUSTED_PROXIES: {proxy!r} is not an address or a network") from None
    return proxies


#: A shorter key can be guessed offline from one signed link (HMAC-SHA256 wants 256 bits).
MIN_SECRET_KEY_LENGTH = 32


def secret_keys_from(env: Mapping[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """EVENTS_SECRET_KEY (None when unset) and EVENTS_SECRET_KEY_FALLBACKS (comma-separated
    former keys, accepted when checking a signature, never used to sign), each at least
    MIN_SECRET_KEY_LENGTH characters: a short key stops the start-up with the reason."""
    key = env.get("EVENTS_SECRET_KEY") or None
    fallbacks = tuple(item.strip() for item in env.get("EVENTS_SECRET_KEY_FALLBACKS", "").split(",") if item.strip())
    for name, value in [("EVENTS_SECRET_KEY", key), *(("EVENTS_SECRET_KEY_FALLBACKS", item) for item in fallbacks)]:
        if value is not None and len(value) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"{name} must be at least {MIN_SECRET_KEY_LENGTH} characters long (one is {len(value)}); "
                'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
    return key, fallbacks


def _load_or_create_secret(var_dir: Path) -> str:
    """A generated key survives restarts, so signed links in sent emails keep working."""
    path = var_dir / "secret"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    # Former secret keys: links signed with them still open (a key rotation keeps emailed
    # links working); nothing new is signed with them.
    secret_key_fallbacks: tuple[str, ...] = ()
    mail_from: str = "events@localhost"
    programme_name: str = "SME Innovation Programme"
    var_dir: Path = Path("var")
    db_pool_size: int = 10
    access_token_hours: int = 12
    public_rate_limit_per_minute: int = 60
    # What anonymous requests (public registration, cancelling by link) may make us send:
    # emails to one address, and emails about one event, per hour (registrations/mail_quota.py).
    mail_quota_per_recipient_per_hour: int = 5
    mail_quota_per_event_per_hour: int = 1000
    # Peers whose X-Forwarded-For is believed (addresses or networks); nobody's by default.
    trusted_proxies: tuple[str, ...] = ()
    run_worker: bool = True

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def host(self) -> str:
        return host_of(self.base_url)

    @property
    def verification_keys(self) -> tuple[str, ...]:
        """The keys a signature may have been made with: the current one first."""
        return (self.secret_key, *self.secret_key_fallbacks)

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> Settings:
        var_dir = Path(env.get("EVENTS_VAR_DIR", "var"))
        values: dict[str, object] = {
            "db_url": database_url_from_env(env),
            "smtp_url": env.get("EVENTS_SMTP_URL") or None,
            "base_url": env.get("EVENTS_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            "mail_from": env.get("EVENTS_MAIL_FROM", "events@localhost"),
            "programme_name": env.get("EVENTS_PROGRAMME_NAME", "SME Innovation Programme"),
            "var_dir": var_dir,
            "db_pool_size": int(env.get("EVENTS_DB_POOL_SIZE", "10")),
            "public_rate_limit_per_minute": int(env.get("EVENTS_PUBLIC_RATE_LIMIT", "60")),
            "mail_quota_per_recipient_per_hour": int(env.get("EVENTS_MAIL_QUOTA_PER_RECIPIENT", "5")),
            "mail_quota_per_event_per_hour": int(env.get("EVENTS_MAIL_QUOTA_PER_EVENT", "1000")),
            "trusted_proxies": trusted_proxies_from(env.get("EVENTS_TRUSTED_PROXIES", "")),
            "run_worker": env.get("EVENTS_RUN_WORKER", "1") not in ("0", "false", "no"),
        }
        key, values["secret_key_fallbacks"] = secret_keys_from(env)
        values.update(overrides)
        if not values.get("secret_key"):
            values["secret_key"] = key or _load_or_create_secret(Path(str(values["var_dir"])))
        return cls(**values)  # type: ignore[arg-type]
