from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.organisers.records import Role


class Organiser(Table, tablename="organiser"):
    """Staff who run the programme; `email` is stored lower-cased."""

    email = Varchar(length=320, unique=True)
    name = Varchar(length=200)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, default=Role.ORGANISER, choices=Role)
    created_at = Timestamptz(default=TimestamptzNow())
    # Set by an admin (organisers/accounts.py): no sign-in, and open sessions and tokens stop.
    disabled_at = Timestamptz(null=True, default=None)


class SignInFailure(Table, tablename="sign_in_failure"):
    """Failed sign-ins in a row for one email address, whether or not it has an account
    (organisers/sign_in.py). `account` is a hash of the address as typed (lower-cased): the
    table keeps no address, and any text fits."""

    account = Varchar(length=64, unique=True)
    failures = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_attempt_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    """A long-lived token for an integrator (organisers/tokens.py). Only its SHA-256 is kept;
    a revoked token keeps its row (who made it, when it was last used) with `revoked_at` set."""

    name = Varchar(length=200)
    role = Varchar(length=20, default="organiser")
    token_hash = Varchar(length=64, unique=True)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    """A forgotten-password link (organisers/accounts.py): only its SHA-256 is kept; it works
    once (`used_at`) and until `expires_at`."""

    organiser = Integer()
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
