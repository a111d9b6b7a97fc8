"""Every setting of the service, read from the environment in one place."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB_URL = "sqlite:///var/events.sqlite3"


def database_url_from_env(env: Mapping[str, str] = os.environ) -> str:
    return env.get("EVENTS_DB") or DEFAULT_DB_URL


#: The programme's zone (Ticino and Grigioni share Italy's): EVENTS_DEFAULT_TIMEZONE unless set,
#: and the event table's column default.
PROGRAMME_TIMEZONE = "Europe/Rome"


def default_timezone_from(env: Mapping[str, str] = os.environ) -> str:
    """EVENTS_DEFAULT_TIMEZONE (PROGRAMME_TIMEZONE unless set): a new event's zone when none is
    given, the zone of report days and of attendance-export times written without one. A name
    that is not an IANA zone stops the start-up."""
    name = env.get("EVENTS_DEFAULT_TIMEZONE") or PROGRAMME_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"EVENTS_DEFAULT_TIMEZONE: {name!r} is not an IANA timezone (e.g. Europe/Zurich)") from None
    return name


#: Read once at import, not in Settings: table and schema defaults need it before any Settings exist.
DEFAULT_TIMEZONE = default_timezone_from()


def country_code(text: str) -> str:
    """An ISO 3166 alpha-2 code (IT, CH), upper-cased."""
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("is not a two-letter ISO country code (IT, CH, …)")
    return code


def programme_country_from(env: Mapping[str, str] = os.environ) -> str:
    """EVENTS_PROGRAMME_COUNTRY (IT unless set): the country of a venue given without one, and
    of the venues of events held before venues had a country."""
    try:
        return country_code(env.get("EVENTS_PROGRAMME_COUNTRY") or "IT")
    except ValueError as error:
        raise ValueError(f"EVENTS_PROGRAMME_COUNTRY: {error}") from None


#: Read once at import like DEFAULT_TIMEZONE: the events domain fills a venue's country with it.
PROGRAMME_COUNTRY = programme_country_from()


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


def existing_file(text: str) -> Path | None:
    """A file the service reads (a certificate's template or logo); empty: none."""
    if not text.strip():
        return None
    if not Path(text.strip()).is_file():
        raise ValueError("is not a file")
    return Path(text.strip())


def optional_line(text: str) -> str | None:
    if any(ord(char) < 32 for char in text):
        raise ValueError("must be one line of text")
    return text.strip() or None


#: A shorter key can be guessed offline from one signed link (HMAC-SHA256 wants 256 bits).
MIN_SECRET_KEY_LENGTH = 32


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


# ---------------------------------------------------------------- checked at start
# Every EVENTS_* variable is one line of SETTINGS below: its name, the Settings field it fills,
# the parser that checks it, its default and an example. A bad value stops the process at
# start-up with all three (SettingsError), never a late, unclear failure. Adding a setting:
# a field on Settings and one Setting(...) line; a parser raises ValueError("the problem").


class SettingsError(ValueError):
    """One or more EVENTS_* values cannot be used; the message names each variable, what is
    wrong with its value and an example of a good one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def positive_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("is not a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    """0 switches the thing off (a retention period of 0: keep forever)."""
    value = positive_int(text) if text.strip() not in ("0", "") else 0
    return value


def flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0")


def one_line(text: str) -> str:
    if not text.strip() or any(ord(char) < 32 for char in text):
        raise ValueError("must be one line of text, not empty")
    return text


def database_url(text: str) -> str:
    scheme = urlsplit(text).scheme
    if scheme == "sqlite" and text.startswith("sqlite:///"):
        return text
    if scheme in ("postgresql", "postgres"):
        return text
    raise ValueError("is not a supported database URL (sqlite:///path or postgresql://…)")


def smtp_url(text: str) -> str | None:
    """Only its form here; `events-service check` connects (mail/transport.py reads the options)."""
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("must be smtp://host[:port] or smtps://host[:port]")
    return text


def base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must start with http:// or https:// and name a host")
    return text.rstrip("/")


_ADDRESS = re.compile(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")


def mail_address(text: str) -> str:
    """A bare address (it is the envelope sender and the invite's ORGANIZER): `localhost` as
    the domain is allowed, so the embedded default works with nothing configured."""
    if not _ADDRESS.match(text.strip()) or ".." in text:
        raise ValueError("is not an email address")
    return text.strip()


def secret_key(text: str) -> str | None:
    if not text:
        return None
    if len(text) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters long (it has {len(text)})")
    return text


def secret_key_list(text: str) -> tuple[str, ...]:
    keys = tuple(item.strip() for item in text.split(",") if item.strip())
    for key in keys:
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters long each (one is {len(key)})")
    return keys


def address_list(text: str) -> tuple[str, ...]:
    try:
        return trusted_proxies_from(text)
    except ValueError as error:
        raise ValueError(str(error).partition(": ")[2]) from None


def timezone_name(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA timezone") from None
    return text


def redis_url(text: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ValueError("must be redis://host[:port][/db], rediss://… or unix:///path")
    return text


def imap_url(text: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ValueError("must be imaps://user:password@host[:port]/FOLDER (imap://… without TLS)")
    return text


def log_format(text: str) -> str:
    if text not in ("text", "json"):
        raise ValueError("must be text or json")
    return text


def metrics_token(text: str) -> str | None:
    if not text:
        return None
    if len(text) < 16 or any(char.isspace() for char in text):
        raise ValueError("must be at least 16 characters, without spaces")
    return text


def key_prefix(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_:.-]{1,64}", text):
        raise ValueError("must be 1-64 letters, digits or _:.-")
    return text


def credential(text: str) -> str | None:
    """An API credential (an id, a secret): unset when empty; never spaces or control characters."""
    if not text.strip():
        return None
    if any(ord(char) <= 32 for char in text.strip()):
        raise ValueError("must not contain spaces or control characters")
    return text.strip()


def authserv_id(text: str) -> str | None:
    """The name our receiving mail server writes first in Authentication-Results (RFC 8601
    2.5, usually its host name): unset when empty."""
    value = text.strip().lower()
    if not value:
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
        raise ValueError("must be a host name such as mx.programme.example (letters, digits, dots, dashes)")
    return value


def api_url(text: str) -> str:
    return base_url(text)


@dataclass(frozen=True)
class PlatformApi:
    """Credentials and addresses of one webinar platform's API, from which the attendance of
    an event's online meeting is pulled (attendance/pull.py). The secret is kept out of repr(),
    so printing or logging it never shows the secret."""

    name: str  # "Zoom", "Microsoft Graph": how errors name the platform
    account: str  # Zoom's account id; Graph's tenant id
    client_id: str
    client_secret: str = field(repr=False)
    api_url: str  # https://api.zoom.us/v2, https://graph.microsoft.com/v1.0
    token_url: str  # where a client-credentials token is asked for
    timeout_seconds: float = 20.0
    # A 429's Retry-After is honoured up to this long per wait, three times per call at most.
    max_retry_wait_seconds: float = 30.0


ZOOM_API_URL = "https://api.zoom.us/v2"
ZOOM_OAUTH_URL = "https://zoom.us"
GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
GRAPH_LOGIN_URL = "https://login.microsoftonline.com"
#: (platform, its three credential fields, their variables): all three set, or none.
PLATFORM_CREDENTIALS = (
    ("Zoom", ("zoom_account_id", "zoom_client_id", "zoom_client_secret"),
     ("EVENTS_ZOOM_ACCOUNT_ID", "EVENTS_ZOOM_CLIENT_ID", "EVENTS_ZOOM_CLIENT_SECRET")),
    ("Microsoft Graph", ("graph_tenant_id", "graph_client_id", "graph_client_secret"),
     ("EVENTS_GRAPH_TENANT_ID", "EVENTS_GRAPH_CLIENT_ID", "EVENTS_GRAPH_CLIENT_SECRET")),
)


def _half_configured_platforms(values: Mapping[str, object]) -> list[str]:
    problems = []
    for name, names, variables in PLATFORM_CREDENTIALS:
        missing = [variable for field_name, variable in zip(names, variables, strict=True) if not values.get(field_name)]
        if 0 < len(missing) < len(names):
            problems.append(f"{missing[0]} is missing: {name} needs all of {', '.join(variables)} or none (example: {missing[0]}=<from the app's page>)")
    return problems


@dataclass(frozen=True)
class Setting:
    """One EVENTS_* variable: the Settings field it fills, how its text is checked and
    turned into the value (ValueError("the problem") when it cannot be), its default (None:
    the field's own) and an example for the error message."""

    variable: str
    field: str
    parse: Callable[[str], object]
    default: str | None
    example: str

    def value_in(self, env: Mapping[str, str]) -> object:
        text = env.get(self.variable)
        if text is None or (text == "" and self.default is not None):
            text = self.default
        return None if text is None else self.parse(text)


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
    default_timezone: str = "Europe/Rome"
    programme_country: str = "IT"
    # Operations (issue 17): logs, metrics, readiness, shared stores, retention.
    log_format: str = "text"
    metrics_enabled: bool = True
    metrics_token: str | None = None
    # Seconds the service's figures on /metrics may be old: read at most once per this long
    # per process (operations/metrics.py FiguresCache); 0 reads them at every scrape.
    metrics_max_age_s: int = 15
    redis_url: str | None = None
    redis_prefix: str = "events_service"
    ready_max_heartbeat_age_s: int = 180
    ready_max_mail_delay_s: int = 900
    retention_mail_body_days: int = 90
    retention_inactive_months: int = 36
    # Certificates of attendance (certificates/): the layout file (None: the shipped
    # template.toml), a logo (PNG or JPEG) and the name printed under the signature line.
    certificate_template: Path | None = None
    certificate_logo: Path | None = None
    certificate_signatory: str | None = None
    # Webinar platforms' APIs to pull attendance from (attendance/pull.py): a platform is
    # configured when its three credentials are set. Secrets stay out of repr().
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = field(default=None, repr=False)
    zoom_api_url: str = ZOOM_API_URL
    zoom_oauth_url: str = ZOOM_OAUTH_URL
    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: str | None = field(default=None, repr=False)
    graph_api_url: str = GRAPH_API_URL
    graph_login_url: str = GRAPH_LOGIN_URL
    platform_timeout_s: int = 20
    platform_max_retry_wait_s: int = 30
    # Replies to invites (replies/): the mailbox invites name as ORGANIZER (None: mail_from).
    reply_address: str | None = None
    # The reply mailbox the worker reads (replies/mailbox.py); None: answers are not read.
    imap_url: str | None = field(default=None, repr=False)
    # Only the Authentication-Results header this server wrote is believed (None: the topmost).
    reply_authserv_id: str | None = None

    @property
    def zoom_api(self) -> PlatformApi | None:
        if not (self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret):
            return None
        return PlatformApi(
            name="Zoom", account=self.zoom_account_id, client_id=self.zoom_client_id, client_secret=self.zoom_client_secret,
            api_url=self.zoom_api_url.rstrip("/"), token_url=f"{self.zoom_oauth_url.rstrip('/')}/oauth/token",
            timeout_seconds=self.platform_timeout_s, max_retry_wait_seconds=self.platform_max_retry_wait_s,
        )

    @property
    def graph_api(self) -> PlatformApi | None:
        if not (self.graph_tenant_id and self.graph_client_id and self.graph_client_secret):
            return None
        return PlatformApi(
            name="Microsoft Graph", account=self.graph_tenant_id, client_id=self.graph_client_id, client_secret=self.graph_client_secret,
            api_url=self.graph_api_url.rstrip("/"), token_url=f"{self.graph_login_url.rstrip('/')}/{self.graph_tenant_id}/oauth2/v2.0/token",
            timeout_seconds=self.platform_timeout_s, max_retry_wait_seconds=self.platform_max_retry_wait_s,
        )
    # Webhooks (issue 16): may a subscription's URL name a loopback, private or link-local
    # address? Off: a webhook must not become a way to reach the service's own network.
    webhook_private_addresses: bool = False

    @property
    def organizer_address(self) -> str:
        """Where Accept/Decline answers to our invites go: the mailbox replies/ reads."""
        return self.reply_address or self.mail_from

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
        """The settings of `env`, every variable checked (SettingsError names each bad one)."""
        values: dict[str, object] = {}
        problems: list[str] = []
        for setting in SETTINGS:
            try:
                value = setting.value_in(env)
            except ValueError as error:
                shown = env.get(setting.variable, "")
                shown = "…" if "SECRET" in setting.variable or "TOKEN" in setting.variable else redacted_url(shown)
                problems.append(f"{setting.variable} {error}: {shown!r} (example: {setting.variable}={setting.example})")
                continue
            if value is not None:
                values[setting.field] = value
        problems += _half_configured_platforms(values)
        if problems:
            raise SettingsError(problems)
        values.update(overrides)
        if not values.get("secret_key"):
            values["secret_key"] = _load_or_create_secret(Path(str(values.get("var_dir", "var"))))
        return cls(**values)  # type: ignore[arg-type]


#: Every EVENTS_* variable, checked at start (see "checked at start" above). README's
#: Configuration table says what each means.
SETTINGS: tuple[Setting, ...] = (
    Setting("EVENTS_DB", "db_url", database_url, DEFAULT_DB_URL, "postgresql://events:secret@db.internal:5432/events"),
    Setting("EVENTS_SMTP_URL", "smtp_url", smtp_url, None, "smtp://mailer:secret@smtp.internal:587?starttls=1"),
    Setting("EVENTS_BASE_URL", "base_url", base_url, "http://127.0.0.1:8000", "https://events.example.org"),
    Setting("EVENTS_SECRET_KEY", "secret_key", secret_key, None, '$(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'),
    Setting("EVENTS_SECRET_KEY_FALLBACKS", "secret_key_fallbacks", secret_key_list, None, "<former key>,<older key>"),
    Setting("EVENTS_MAIL_FROM", "mail_from", mail_address, "events@localhost", "events@programme.example"),
    Setting("EVENTS_PROGRAMME_NAME", "programme_name", one_line, "SME Innovation Programme", "Interreg SME Innovation"),
    Setting("EVENTS_VAR_DIR", "var_dir", lambda text: Path(one_line(text)), "var", "/var/lib/events-service"),
    Setting("EVENTS_DB_POOL_SIZE", "db_pool_size", positive_int, "10", "10"),
    Setting("EVENTS_PUBLIC_RATE_LIMIT", "public_rate_limit_per_minute", positive_int, "60", "60"),
    Setting("EVENTS_MAIL_QUOTA_PER_RECIPIENT", "mail_quota_per_recipient_per_hour", positive_int, "5", "5"),
    Setting("EVENTS_MAIL_QUOTA_PER_EVENT", "mail_quota_per_event_per_hour", positive_int, "1000", "1000"),
    Setting("EVENTS_TRUSTED_PROXIES", "trusted_proxies", address_list, "", "10.0.0.0/8,::1"),
    Setting("EVENTS_RUN_WORKER", "run_worker", flag, "1", "0"),
    Setting("EVENTS_DEFAULT_TIMEZONE", "default_timezone", timezone_name, "Europe/Rome", "Europe/Zurich"),
    Setting("EVENTS_PROGRAMME_COUNTRY", "programme_country", country_code, "IT", "CH"),
    Setting("EVENTS_LOG_FORMAT", "log_format", log_format, "text", "json"),
    Setting("EVENTS_METRICS", "metrics_enabled", flag, "1", "0"),
    Setting("EVENTS_METRICS_TOKEN", "metrics_token", metrics_token, None, "<a long random string>"),
    Setting("EVENTS_METRICS_MAX_AGE", "metrics_max_age_s", non_negative_int, "15", "15"),
    Setting("EVENTS_REDIS_URL", "redis_url", redis_url, None, "redis://127.0.0.1:6379/0"),
    Setting("EVENTS_REDIS_PREFIX", "redis_prefix", key_prefix, "events_service", "events_prod"),
    Setting("EVENTS_READY_MAX_HEARTBEAT_AGE", "ready_max_heartbeat_age_s", positive_int, "180", "180"),
    Setting("EVENTS_READY_MAX_MAIL_DELAY", "ready_max_mail_delay_s", positive_int, "900", "900"),
    Setting("EVENTS_RETENTION_MAIL_BODY_DAYS", "retention_mail_body_days", non_negative_int, "90", "90"),
    Setting("EVENTS_RETENTION_INACTIVE_MONTHS", "retention_inactive_months", non_negative_int, "36", "36"),
    Setting("EVENTS_CERTIFICATE_TEMPLATE", "certificate_template", existing_file, None, "/etc/events-service/certificate.toml"),
    Setting("EVENTS_CERTIFICATE_LOGO", "certificate_logo", existing_file, None, "/etc/events-service/logo.png"),
    Setting("EVENTS_CERTIFICATE_SIGNATORY", "certificate_signatory", optional_line, None, "Dott.ssa Giulia Ferrari, programme director"),
    Setting("EVENTS_ZOOM_ACCOUNT_ID", "zoom_account_id", credential, None, "<Account ID of the Server-to-Server OAuth app>"),
    Setting("EVENTS_ZOOM_CLIENT_ID", "zoom_client_id", credential, None, "<Client ID of the app>"),
    Setting("EVENTS_ZOOM_CLIENT_SECRET", "zoom_client_secret", credential, None, "<Client secret of the app>"),
    Setting("EVENTS_ZOOM_API_URL", "zoom_api_url", api_url, ZOOM_API_URL, ZOOM_API_URL),
    Setting("EVENTS_ZOOM_OAUTH_URL", "zoom_oauth_url", api_url, ZOOM_OAUTH_URL, ZOOM_OAUTH_URL),
    Setting("EVENTS_GRAPH_TENANT_ID", "graph_tenant_id", credential, None, "<Directory (tenant) ID>"),
    Setting("EVENTS_GRAPH_CLIENT_ID", "graph_client_id", credential, None, "<Application (client) ID>"),
    Setting("EVENTS_GRAPH_CLIENT_SECRET", "graph_client_secret", credential, None, "<client secret value>"),
    Setting("EVENTS_GRAPH_API_URL", "graph_api_url", api_url, GRAPH_API_URL, GRAPH_API_URL),
    Setting("EVENTS_GRAPH_LOGIN_URL", "graph_login_url", api_url, GRAPH_LOGIN_URL, GRAPH_LOGIN_URL),
    Setting("EVENTS_PLATFORM_TIMEOUT", "platform_timeout_s", positive_int, "20", "20"),
    Setting("EVENTS_PLATFORM_MAX_RETRY_WAIT", "platform_max_retry_wait_s", positive_int, "30", "30"),
    Setting("EVENTS_REPLY_ADDRESS", "reply_address", mail_address, None, "rsvp@programme.example"),
    Setting("EVENTS_WEBHOOK_PRIVATE_ADDRESSES", "webhook_private_addresses", flag, "0", "1"),
    Setting("EVENTS_IMAP_URL", "imap_url", imap_url, None, "imaps://rsvp:secret@imap.programme.example:993/INBOX"),
    Setting("EVENTS_REPLY_AUTHSERV_ID", "reply_authserv_id", authserv_id, None, "mx.programme.example"),
)


def _every_field_has_a_setting() -> None:
    """A Settings field nobody can set is fine (access_token_hours); a Setting naming no field is a typo."""
    names = {field.name for field in fields(Settings)}
    unknown = [setting.field for setting in SETTINGS if setting.field not in names]
    if unknown:
        raise TypeError(f"SETTINGS names fields Settings does not have: {unknown}")


_every_field_has_a_setting()
