from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.broadcasts.schemas import Audience
from events_service.events.tables import Event


class EventMessage(Table, tablename="event_message"):
    """One message an organiser sent to an audience of an event's registrants.

    (event, idempotency_key) is unique (migration 2026-12-06T04:32:13): a request repeated with
    the same Idempotency-Key header finds this row and queues nothing more. Each recipient's
    email is an outbox row keyed `broadcast:<this id>:<registration id>`.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    subject = Varchar(length=200)
    body = Text()
    audience = Varchar(length=20, choices=Audience)
    # For hybrid events: only those in the room, or only those online; None: both.
    attendance_mode = Varchar(length=20, null=True, default=None)
    idempotency_key = Varchar(length=200, null=True, default=None)
    recipients = Integer(default=0)
    sent_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
