"""Webhooks (issue 16, item 6): webhook_subscription (a receiver's URL, event types, signing
secret) and webhook_delivery, the webhooks' outbox (webhooks/tables.py)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

# The statuses as they were when this migration was written (webhooks/schemas.py).
SubscriptionStatus = Enum("SubscriptionStatus", {"ACTIVE": "active", "DISABLED": "disabled"})
DeliveryStatus = Enum(
    "DeliveryStatus",
    {
        "QUEUED": "queued",
        "SENDING": "sending",
        "DELIVERED": "delivered",
        "RETRY": "retry",
        "FAILED": "failed",
        "DROPPED": "dropped",
    },
)

ID = "2026-12-06T04:41:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook_subscription and webhook_delivery tables"


def _params(**special: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **special,
    }


TABLES = {
    ("WebhookSubscription", "webhook_subscription"): [
        ("url", "Varchar", Varchar, _params(length=2000, default="")),
        ("events", "Text", Text, _params(default="")),
        ("secret", "Varchar", Varchar, _params(length=100, default="")),
        ("status", "Varchar", Varchar, _params(length=20, default="active", choices=SubscriptionStatus)),
        ("disabled_reason", "Text", Text, _params(default=None, null=True)),
        ("created_by", "Integer", Integer, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("updated_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("WebhookDelivery", "webhook_delivery"): [
        ("subscription", "Integer", Integer, _params(default=0)),
        ("webhook_id", "Varchar", Varchar, _params(length=40, default="", unique=True)),
        ("type", "Varchar", Varchar, _params(length=40, default="")),
        ("body", "Text", Text, _params(default="")),
        ("status", "Varchar", Varchar, _params(length=20, default="queued", choices=DeliveryStatus)),
        ("attempts", "Integer", Integer, _params(default=0)),
        ("send_after", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("lease_until", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("claimed_by", "Varchar", Varchar, _params(length=100, default=None, null=True)),
        ("last_status_code", "Integer", Integer, _params(default=None, null=True)),
        ("last_error", "Text", Text, _params(default=None, null=True)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("updated_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("delivered_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
    ],
}

async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class_name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class_name,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
