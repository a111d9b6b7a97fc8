"""What the background worker runs for the reply mailbox (collected by events_service/worker.py)."""

from __future__ import annotations

from events_service.jobs import PeriodicJob
from events_service.replies.erasure import forget_old_reply_addresses
from events_service.replies.mailbox import read_replies
from events_service.settings import Settings

__all__ = ["JOBS"]


async def _reply_retention_job(settings: Settings) -> int:
    # The reply log is mail read: its addresses go when the bodies of the mail we send do.
    return await forget_old_reply_addresses(settings.retention_mail_body_days)


JOBS: tuple[PeriodicJob, ...] = (
    # With EVENTS_IMAP_URL set: read the answers to invites. A round waits with IDLE for new
    # mail where the server offers it (mailbox.IDLE_SECONDS), so this period is the polling
    # interval only for servers without IDLE.
    PeriodicJob("replies-mailbox", read_replies, every_seconds=30),
    PeriodicJob("reply address retention", _reply_retention_job, every_seconds=3600),
)
