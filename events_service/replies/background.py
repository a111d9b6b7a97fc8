"""What the background worker runs for the reply mailbox (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.replies.mailbox import read_replies

__all__ = ["JOBS"]

JOBS: tuple[PeriodicJob, ...] = (
    # With EVENTS_IMAP_URL set: read the answers to invites. A round waits with IDLE for new
    # mail where the server offers it (mailbox.IDLE_SECONDS), so this period is the polling
    # interval only for servers without IDLE.
    PeriodicJob("replies-mailbox", read_replies, every_seconds=30),
)
