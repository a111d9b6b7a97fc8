from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organiser(Table, tablename="organiser"):
    """Staff who run the programme; `email` is stored lower-cased."""

    email = Varchar(length=320, unique=True)
    name = Varchar(length=200)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, default="organiser")
    created_at = Timestamptz(default=TimestamptzNow())
