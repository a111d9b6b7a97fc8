"""Reading the reply mailbox (EVENTS_IMAP_URL) with aioimaplib: every message in the folder is
processed (service.process_message acts on each answer once) and then moved to PROCESSED_FOLDER.
Where the server offers IDLE the reader waits for new mail on the open connection for a while
before the worker's next round; otherwise the worker's period is the polling interval.

Two workers reading at once both see a message: the database decides who acts (invite_reply's
unique index); the loser's MOVE finds the message gone, which is harmless."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aioimaplib

from events_service.replies.service import process_message
from events_service.settings import Settings

log = logging.getLogger(__name__)

PROCESSED_FOLDER = "Processed"
#: Messages read per round at most: a flooded mailbox is worked off over several rounds.
MAX_MESSAGES_PER_ROUND = 500
#: Processed messages moved to PROCESSED_FOLDER by one command. A message whose move is still
#: pending when the worker stops is read again next time and found acted on (invite_reply), so
#: a batch costs at most that many re-reads; moving one by one cost ~2/3 of a round's time
#: (bench/replies.py).
MOVE_BATCH = 50
#: How long one round waits with IDLE for new mail before handing back to the worker.
IDLE_SECONDS = 25.0


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    user: str
    password: str
    folder: str
    tls: bool


def imap_target(url: str) -> ImapTarget:
    """imaps://user:pass@host:993/INBOX, or imap://… for a server without TLS (tests, loopback)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ValueError("EVENTS_IMAP_URL must look like imaps://user:password@host:993/INBOX")
    tls = parts.scheme == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(parts.hostname, parts.port or (993 if tls else 143), unquote(parts.username), unquote(parts.password or ""), folder, tls)


async def read_replies(settings: Settings) -> int:
    """One round of the worker's job: process what is in the folder (and, with IDLE, what
    arrives for IDLE_SECONDS). Returns the number of messages processed."""
    if not settings.imap_url:
        return 0
    target = imap_target(settings.imap_url)
    client = await _connect(target)
    try:
        done = await _drain(client, target, settings)
        if client.has_capability("IDLE"):
            done += await _idle_then_drain(client, target, settings)
        return done
    finally:
        with contextlib.suppress(TimeoutError, aioimaplib.Abort, OSError):
            await client.logout()


async def _connect(target: ImapTarget) -> aioimaplib.IMAP4:
    client = (aioimaplib.IMAP4_SSL if target.tls else aioimaplib.IMAP4)(host=target.host, port=target.port, timeout=30)
    await client.wait_hello_from_server()
    answer = await client.login(target.user, target.password)
    if answer.result != "OK":
        raise ConnectionError(f"IMAP login refused for {target.user}@{target.host}")
    await client.create(PROCESSED_FOLDER)  # NO when it exists already: fine
    answer = await client.select(target.folder)
    if answer.result != "OK":
        raise ConnectionError(f"IMAP folder {target.folder!r} cannot be selected")
    return client


async def _drain(client: aioimaplib.IMAP4, target: ImapTarget, settings: Settings) -> int:
    answer = await client.uid_search("ALL")
    if answer.result != "OK":
        return 0
    uids = [uid.decode() for line in answer.lines[:1] for uid in bytes(line).split()][:MAX_MESSAGES_PER_ROUND]
    processed: list[str] = []
    for uid in uids:
        raw = await _fetch(client, uid)
        if raw is None:
            continue  # another reader moved it meanwhile
        try:
            await process_message(raw, settings)
        except Exception:  # one bad message must not stop the others; it stays in the folder
            log.exception("reply message uid %s in %s could not be processed", uid, target.folder)
            continue
        processed.append(uid)
        if len(processed) % MOVE_BATCH == 0:
            await _move(client, processed[-MOVE_BATCH:])
    if len(processed) % MOVE_BATCH:
        await _move(client, processed[-(len(processed) % MOVE_BATCH) :])
    return len(processed)


async def _fetch(client: aioimaplib.IMAP4, uid: str) -> bytes | None:
    answer = await client.uid("fetch", uid, "BODY.PEEK[]")
    if answer.result != "OK":
        return None
    # The literal (the message itself) comes as a bytearray between the FETCH line and ")".
    literals = [bytes(line) for line in answer.lines if isinstance(line, bytearray)]
    return literals[0] if literals else None


async def _move(client: aioimaplib.IMAP4, uids: list[str]) -> None:
    """One UID MOVE (or COPY + delete) for the whole batch: each MOVE costs the server a
    write of its folders, which one command per message paid a thousand times."""
    uid_set = uid_sequence_set(uids)
    if client.has_capability("MOVE"):
        await client.uid("move", uid_set, PROCESSED_FOLDER)
        return
    await client.uid("copy", uid_set, PROCESSED_FOLDER)
    await client.uid("store", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
    await client.expunge()


def uid_sequence_set(uids: list[str]) -> str:
    """IMAP's sequence-set for these UIDs (RFC 3501 9), runs written as ranges: 3,5:9,12."""
    numbers = sorted({int(uid) for uid in uids})
    runs: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        runs.append(str(start) if start == previous else f"{start}:{previous}")
        if number is not None:
            start = previous = number
    return ",".join(runs)


async def _idle_then_drain(client: aioimaplib.IMAP4, target: ImapTarget, settings: Settings) -> int:
    idle = await client.idle_start(timeout=IDLE_SECONDS + 5)
    try:
        pushed = await client.wait_server_push(timeout=IDLE_SECONDS)
    except TimeoutError:
        pushed = None
    client.idle_done()
    try:
        await asyncio.wait_for(idle, timeout=10)
    except TimeoutError:
        return 0
    if not pushed or pushed == aioimaplib.STOP_WAIT_SERVER_PUSH:
        return 0
    return await _drain(client, target, settings)
