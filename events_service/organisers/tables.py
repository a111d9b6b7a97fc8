from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organiser(Table, tablename="organiser"):
    """Staff who run the programme; `email` is stored lower-cased."""

    email = Varchar(length=320, unique=True)
    name = Varchar(length=200)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, default="organiser")
    created_at = Timestamptz(default=TimestamptzNow())


class SignInFailure(Table, tablename="sign_in_failure"):
    """Failed sign-ins in a row for one email address, whether or not it has an account
    (organisers/sign_in.py). `account` is a hash of the address as typed (lower-cased): the
    table keeps no address, and any text fits."""

    account = Varchar(length=64, unique=True)
    failures = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_attempt_at = Timestamptz()
