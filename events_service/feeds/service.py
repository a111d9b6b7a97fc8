"""The calendar documents served over HTTP: one event's download, the public feed (with an
ETag from one aggregate query, so a client polling an unchanged feed costs no rendering) and
a person's own feed. A use case above events and registrations: it reads them and hands the
records to calendar.entries, which builds the entries, and calendar.ics, which writes them.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import Combinable
from piccolo.query.functions.aggregate import Count, Max

from events_service.calendar.entries import event_page_url, public_entry, registration_entry
from events_service.calendar.ics import CalendarEntry, build_publish
from events_service.clock import now_utc, stored_utc
from events_service.errors import DomainError, NotFound
from events_service.events.queries import (
    PUBLIC_COLUMNS,
    agenda_by_event,
    events_by_id,
    published_public_event,
)
from events_service.events.records import EventKind, EventRecord, EventStatus, public_event_from_row
from events_service.events.schemas import AgendaItemOut
from events_service.events.tables import Event
from events_service.i18n import translator
from events_service.registrations.links import feed_owner
from events_service.registrations.messages import cancelled_sequence
from events_service.registrations.records import RegistrationRecord, RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.settings import Settings

# ---------------------------------------------------------------- documents served over HTTP

FEED_HISTORY = timedelta(days=30)
"""A cancelled event or registration stays in feeds this long, as STATUS:CANCELLED, so that
subscribed calendars remove it rather than keep a stale copy; ended events stay as long in the
public feed, so they do not vanish from subscribers' calendars the day after."""
FEED_REFRESH_MINUTES = 60
FEED_MAX_AGE_SECONDS = 300
# Part of every public feed ETag: change it when the same rows would be written differently.
_FEED_FORMAT = "feed-1"
FEED_ETAG_MEMO_SECONDS = 2.0
"""How long a process answers If-None-Match from the ETag it last computed for a feed instead
of asking the database again (see public_feed_etag)."""
_FEED_ETAG_MEMO_SIZE = 256  # feeds (filter combinations) remembered per process

_KIND_NAMES = {EventKind.TECH_TALK: "Tech Talks", EventKind.TECH_DAY: "Tech Days"}


class CalendarError(DomainError):
    pass


class CalendarNotFound(CalendarError, NotFound):
    pass


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    body: bytes


@dataclass(frozen=True)
class FeedQuery:
    """Which public feed: the filters, and the moment it is read (which decides the window)."""

    kind: str | None
    topic: str | None
    now: datetime

    @classmethod
    def of(cls, kind: str | None, topic: str | None, now: datetime | None = None) -> FeedQuery:
        # Topics are stored stripped and lower-cased (events.service._clean_topics).
        return cls(kind=kind or None, topic=(topic or "").strip().lower() or None, now=now or now_utc())

    @property
    def since(self) -> datetime:
        return self.now.astimezone(UTC) - FEED_HISTORY


async def event_calendar(id_or_slug: str, settings: Settings) -> CalendarFile:
    """One published (or cancelled: STATUS:CANCELLED) event as a METHOD:PUBLISH download."""
    event = await published_public_event(id_or_slug)
    agenda = await agenda_by_event([event.id])
    body = build_publish(
        [public_entry(event, agenda[event.id], settings.base_url)],
        calendar_name=event.title,
        refresh_minutes=FEED_REFRESH_MINUTES,
        # The same bytes until the event changes.
        now=event.updated_at,
    )
    return CalendarFile(filename=f"{event.slug}.ics", body=body)


def _feed_condition(query: FeedQuery) -> Combinable:
    """Published events not ended before the window, and events cancelled within it. The topic
    filter is applied afterwards, in Python (topics are JSON): the rows selected here are a
    superset of the feed's, so their count and latest change also change whenever it does."""
    live = (Event.status == EventStatus.PUBLISHED) & (Event.ends_at >= query.since)
    gone = (Event.status == EventStatus.CANCELLED) & Event.published_at.is_not_null() & (Event.cancelled_at >= query.since)
    condition = live | gone
    if query.kind:
        condition = condition & (Event.kind == query.kind)
    return condition


def _feed_etag(query: FeedQuery, settings: Settings, count: int, last_modified: datetime | None) -> str:
    """Strong: equal tags mean equal bytes. Every change to an event sets its updated_at (and
    publishing, editing and cancelling do), an event entering the feed is such a change, and one
    leaving it by age lowers the count; so (count, latest updated_at) moves with the content.
    Settings that appear in the text (links, UIDs, names) are part of the tag too."""
    stamp = last_modified.isoformat() if last_modified else "-"
    key = "|".join(
        [_FEED_FORMAT, settings.base_url, settings.programme_name, query.kind or "", query.topic or "", str(count), stamp]
    )
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


class _EtagMemo:
    """The last ETag each feed had, per process, for FEED_ETAG_MEMO_SECONDS.

    Calendar clients poll feeds, often all at once (on the hour, after an outage), and most
    polls end in a 304. Answering them from a tag at most a couple of seconds old takes the
    database off that path. It weakens nothing the feed promises: its responses may be cached
    by anyone for FEED_MAX_AGE_SECONDS (300 s) anyway. Within this process the memo is dropped
    after every request that may have written (routes.forget_feed_etags), so a change is seen
    at once here and within FEED_ETAG_MEMO_SECONDS by other processes.
    """

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._tags: OrderedDict[tuple[str, ...], tuple[float, str]] = OrderedDict()

    @staticmethod
    def key(query: FeedQuery, settings: Settings) -> tuple[str, ...]:
        return (settings.db_url, settings.base_url, settings.programme_name, query.kind or "", query.topic or "")

    def get(self, key: tuple[str, ...]) -> str | None:
        found = self._tags.get(key)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]

    def put(self, key: tuple[str, ...], etag: str) -> None:
        self._tags[key] = (self.clock() + FEED_ETAG_MEMO_SECONDS, etag)
        self._tags.move_to_end(key)
        while len(self._tags) > _FEED_ETAG_MEMO_SIZE:  # topics are free text: stay bounded
            self._tags.popitem(last=False)

    def clear(self) -> None:
        self._tags.clear()


_etag_memo = _EtagMemo()


def forget_feed_etags() -> None:
    """Something may have changed: the next If-None-Match asks the database."""
    _etag_memo.clear()


async def public_feed_etag(query: FeedQuery, settings: Settings) -> str:
    """The feed's ETag from one aggregate query (count and latest updated_at of the rows the
    feed is made from), without reading or rendering the events; remembered for a moment."""
    key = _EtagMemo.key(query, settings)
    remembered = _etag_memo.get(key)
    if remembered is not None:
        return remembered
    row = (
        await Event.select(Count(), Max(Event.updated_at, alias="last_modified")).where(_feed_condition(query))
    )[0]
    etag = _feed_etag(query, settings, row["count"], stored_utc(row["last_modified"]) if row["last_modified"] is not None else None)
    _etag_memo.put(key, etag)
    return etag


async def public_feed(query: FeedQuery, settings: Settings) -> tuple[str, bytes]:
    """(ETag, METHOD:PUBLISH calendar) of the public feed; the ETag is the one
    public_feed_etag gives for the same rows."""
    rows = await (
        Event.select(*PUBLIC_COLUMNS)
        .where(_feed_condition(query))
        .order_by(Event.starts_at)
        .order_by(Event.id)
        .output(load_json=True)
    )
    last_modified = max((stored_utc(row["updated_at"]) for row in rows), default=None)
    etag = _feed_etag(query, settings, len(rows), last_modified)
    shown = [public_event_from_row(row) for row in rows if query.topic is None or query.topic in (row["topics"] or [])]
    agenda = await agenda_by_event(event.id for event in shown)
    parts = [settings.programme_name, _KIND_NAMES.get(query.kind or "", "Tech Talks & Tech Days")]
    if query.topic:
        parts.append(query.topic)
    body = build_publish(
        [public_entry(event, agenda[event.id], settings.base_url) for event in shown],
        calendar_name=" – ".join(parts),
        refresh_minutes=FEED_REFRESH_MINUTES,
        # DTSTAMP from the data, not the clock: the same ETag always comes with the same bytes.
        now=last_modified or query.since,
    )
    _etag_memo.put(_EtagMemo.key(query, settings), etag)
    return etag, body


# ---------------------------------------------------------------- a person's own feed


def personal_entry(event: EventRecord, registration: RegistrationRecord, agenda: list[AgendaItemOut], settings: Settings) -> CalendarEntry:
    """The entry a person's own feed shows: the invite's UID; the join link while confirmed.
    No manage link: a feed is a URL that calendar apps keep, sync and share, and a manage
    link cancels the seat; the entry links the public event page instead."""
    live = registration.status == RegistrationStatus.CONFIRMED and event.status != EventStatus.CANCELLED
    entry = registration_entry(
        event,
        registration_id=registration.id,
        nonce=registration.token_nonce,
        attendance_mode=registration.attendance_mode,
        join_url=registration.join_url(event),
        manage_url=None,
        agenda=agenda,
        host=settings.host,
        language=registration.language,
        sequence=registration.entry_sequence(event) if live else cancelled_sequence(event.sequence, registration.cancelled_by, registration.sequence_offset),
        cancelled=not live,
    )
    return replace(entry, url=event_page_url(settings.base_url, event.slug))


async def personal_calendar(token: str, settings: Settings, now: datetime | None = None) -> bytes:
    """A person's confirmed registrations (join link included where they may see it), and for
    FEED_HISTORY the ones cancelled, as STATUS:CANCELLED. Same UIDs as their emailed invites;
    METHOD:PUBLISH, so no ATTENDEE."""
    contact = await feed_owner(settings, token)
    if contact is None:
        raise CalendarNotFound("no calendar for this link; it may have been mistyped or replaced")
    moment = (now or now_utc()).astimezone(UTC)
    kept = (Registration.status == RegistrationStatus.CONFIRMED) | (
        # Only entries that were ever in the person's calendar: not a waitlisted place given up.
        (Registration.status == RegistrationStatus.CANCELLED)
        & Registration.confirmed_at.is_not_null()
        & (Registration.cancelled_at >= moment - FEED_HISTORY)
    )
    rows = await Registration.select().where((Registration.contact == contact.id) & kept).order_by(Registration.id)
    registrations = [RegistrationRecord.from_row(row) for row in rows]
    event_ids = sorted({registration.event for registration in registrations})
    events = await events_by_id(event_ids, published_only=True)
    agenda = await agenda_by_event(events)
    entries = [
        personal_entry(events[registration.event], registration, agenda[registration.event], settings)
        for registration in registrations
        if registration.event in events
    ]
    entries.sort(key=lambda entry: (entry.starts_at, entry.uid))
    _ = translator(contact.language)
    my_events = _("My events")
    return build_publish(
        entries,
        calendar_name=f"{settings.programme_name} – {my_events}",
        refresh_minutes=FEED_REFRESH_MINUTES,
        now=moment,
    )
