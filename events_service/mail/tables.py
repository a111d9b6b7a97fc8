from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.mail.records import OutboxStatus


class OutboxMessage(Table, tablename="outbox_message"):
    """An email to send, written in the same transaction as the change that causes it.

    queued → sending → sent | retry | failed. A row in `sending` whose `lease_until` has passed
    belongs to a dead worker and may be claimed again. `idempotency_key` is unique, so writing
    the same message twice (a reminder recomputed, say) is a no-op.
    """

    idempotency_key = Varchar(length=200, unique=True)
    kind = Varchar(length=40)
    to_address = Varchar(length=320)
    subject = Varchar(length=500)
    # The RFC 5322 message; "" while the row is only an intent (kind + payload), which the
    # dispatcher renders when it claims the row, so the writing transaction stays short.
    message = Text(default="")
    payload = JSON(null=True, default=None)
    status = Varchar(length=20, default=OutboxStatus.QUEUED, choices=OutboxStatus)
    attempts = Integer(default=0)
    last_error = Text(null=True, default=None)
    send_after = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=100, null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # Every change of status sets it (`updated_since` on /api/outbox, paging.py); each insert
    # names it (no default in the schema: see Registration.updated_at).
    updated_at = Timestamptz(null=True, default=None)
    event_id = Integer(null=True, default=None)
    registration_id = Integer(null=True, default=None)
    # A message not handed to a server by then has lost its point (a reminder once the event
    # has started): the dispatcher marks it `withdrawn` instead of sending it.
    expires_at = Timestamptz(null=True, default=None)
