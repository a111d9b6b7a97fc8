from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class WorkerHeartbeat(Table, tablename="worker_heartbeat"):
    """The last moment each worker process said it was alive (operations/heartbeat.py).
    /readyz answers 503 when the newest is too old: mail and reminders would wait unseen."""

    worker_id = Varchar(length=100, unique=True)
    beat_at = Timestamptz(default=TimestamptzNow())
