from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.webhooks.schemas import DeliveryStatus, SubscriptionStatus


class WebhookSubscription(Table, tablename="webhook_subscription"):
    """A receiver's URL and the event types it wants; `events` is the types joined by commas.
    The secret (`whsec_…`) must be kept as it is: it signs every delivery."""

    url = Varchar(length=2000)
    events = Text()
    secret = Varchar(length=100)
    status = Varchar(length=20, default=SubscriptionStatus.ACTIVE, choices=SubscriptionStatus)
    disabled_reason = Text(null=True, default=None)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event for one subscription: the webhooks' outbox, written in the same transaction
    as the change it reports. queued → sending → delivered | retry | failed | dropped; a row
    `sending` whose lease has run out belongs to a dead worker and is claimed again.
    `webhook_id` (the Standard Webhooks message id) stays the same over every attempt, and
    `body` is the exact JSON sent each time."""

    subscription = Integer()
    webhook_id = Varchar(length=40, unique=True)
    type = Varchar(length=40)
    body = Text()
    status = Varchar(length=20, default=DeliveryStatus.QUEUED, choices=DeliveryStatus)
    attempts = Integer(default=0)
    send_after = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=100, null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
