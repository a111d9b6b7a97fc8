from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.companies.records import SizeClass
from events_service.languages import DEFAULT_LANGUAGE


class Company(Table, tablename="company"):
    """An SME, identified by its VAT id in normalised form (`IT01234567897`, `CHE-123.456.789`)."""

    name = Varchar(length=200)
    vat_id = Varchar(length=32, unique=True)
    country = Varchar(length=2)
    region = Varchar(length=100, null=True, default=None)  # province or canton
    city = Varchar(length=100, null=True, default=None)
    sector = Varchar(length=100, null=True, default=None)
    size_class = Varchar(length=10, null=True, default=None, choices=SizeClass)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Contact(Table, tablename="contact"):
    """A person; `email` is stored lower-cased, which makes it unique case-insensitively."""

    email = Varchar(length=320, unique=True)
    first_name = Varchar(length=100)
    last_name = Varchar(length=100)
    company = ForeignKey(references=Company, null=True, on_delete=OnDelete.set_null)
    language = Varchar(length=2, default=DEFAULT_LANGUAGE)
    consent_privacy_at = Timestamptz(null=True, default=None)
    consent_marketing_at = Timestamptz(null=True, default=None)
    # Random part of the personal calendar feed's signed token; a new one revokes the old URL.
    feed_nonce = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
