"""Which calendar entries the service publishes: one per (event, registration) for invites,
one per event for downloads and feeds. The iCalendar text itself is built in ics.py.

The documents served over HTTP are read here too: one event's download, the public feed (with
an ETag from one aggregate query, so a client polling an unchanged feed costs no rendering)
and a person's own feed. Events and registrations import this module (entries for their
emails and pages), so their services are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.columns.combination import Combinable
from piccolo.query.functions.aggregate import Count, Max

from events_service.calendar.ics import (
    CalendarEntry,
    build_publish,
    google_calendar_link,
    outlook_link,
)
from events_service.companies.tables import Contact
from events_service.errors import DomainError, NotFound
from events_service.events.tables import Event
from events_service.registrations.tables import Registration
from events_service.registrations.tokens import read_token
from events_service.settings import Settings, host_of
from events_service.validation import as_row_id

_LINK_DESCRIPTION_CHARS = 1000


def invite_uid(event_id: int, registration_id: int, nonce: str, settings: Settings) -> str:
    """Stable for the life of one registration; a person who registers again gets a new one,
    because the old entry was cancelled in their calendar."""
    return f"event-{event_id}-registration-{registration_id}-{nonce[:8]}@{settings.host}"


def event_uid(event_id: int, settings: Settings) -> str:
    return _event_uid(event_id, settings.base_url)


def _event_uid(event_id: int, base_url: str) -> str:
    return f"event-{event_id}@{host_of(base_url)}"


def venue_text(event: dict[str, Any]) -> str | None:
    parts = [event.get("venue_name"), event.get("venue_address"), event.get("venue_city")]
    text = ", ".join(part for part in parts if part)
    return text or None


def _agenda_text(agenda: list[Any], timezone: str) -> str:
    zone = ZoneInfo(timezone)
    lines = []
    for item in agenda:
        who = f" ({item.speaker})" if item.speaker else ""
        starts, ends = item.starts_at.astimezone(zone), item.ends_at.astimezone(zone)
        lines.append(f"{starts:%H:%M}–{ends:%H:%M} {item.title}{who}")
    return "\n".join(lines)


def _description(event: dict[str, Any], join_url: str | None, agenda: list[Any], manage_url: str | None) -> str:
    blocks = [event.get("description") or ""]
    if join_url:
        blocks.append(f"Join / Partecipa: {join_url}")
    if agenda:
        blocks.append(f"Agenda ({event['timezone']}):\n" + _agenda_text(agenda, event["timezone"]))
    if manage_url:
        blocks.append(f"Manage your registration / Gestisci la registrazione: {manage_url}")
    return "\n\n".join(block for block in blocks if block)


def registration_entry(
    event: dict[str, Any],
    *,
    registration_id: int,
    nonce: str,
    attendance_mode: str,
    show_join_link: bool,
    manage_url: str | None,
    agenda: list[Any],
    settings: Settings,
    sequence: int | None = None,
    cancelled: bool = False,
) -> CalendarEntry:
    """The attendee's entry: the join link only for confirmed online attendees."""
    join_url = event.get("online_url") if show_join_link and attendance_mode == "online" else None
    location = venue_text(event) if attendance_mode == "in_person" else (join_url or "Online")
    return CalendarEntry(
        uid=invite_uid(event["id"], registration_id, nonce, settings),
        sequence=event["sequence"] if sequence is None else sequence,
        summary=event["title"],
        description=_description(event, join_url, agenda, manage_url),
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        location=location,
        url=manage_url,
        status="CANCELLED" if cancelled else "CONFIRMED",
        last_modified=event.get("updated_at"),
        categories=tuple(event.get("topics") or ()),
    )


def public_entry(event: dict[str, Any], agenda: list[Any], settings: Settings) -> CalendarEntry:
    """For downloads and the public feed: never the join link."""
    return _public_entry(event, agenda, settings.base_url)


def public_calendar_links(event: dict[str, Any], agenda: list[Any], base_url: str) -> tuple[str | None, str | None]:
    """(Google Calendar, Outlook.com) "add to calendar" links for the public event page, made
    from the public entry (no join link); none for a cancelled event."""
    if event["status"] == "cancelled":
        return None, None
    entry = _public_entry(event, agenda, base_url)
    if len(entry.description) > _LINK_DESCRIPTION_CHARS:
        # The whole text twice in every listed event, and past the URL lengths Google and
        # Outlook accept: a start is enough, the event page's link follows it.
        entry = replace(entry, description=entry.description[: _LINK_DESCRIPTION_CHARS - 1].rstrip() + "…")
    return google_calendar_link(entry), outlook_link(entry)


def _public_entry(event: dict[str, Any], agenda: list[Any], base_url: str) -> CalendarEntry:
    location = venue_text(event) if event["mode"] != "online" else "Online"
    return CalendarEntry(
        uid=_event_uid(event["id"], base_url),
        sequence=event["sequence"],
        summary=event["title"],
        description=_description(event, None, agenda, None),
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        location=location,
        url=f"{base_url}/e/{event['slug']}",  # the public page (/e/<slug>); /events/ serves only .ics
        status="CANCELLED" if event["status"] == "cancelled" else "CONFIRMED",
        last_modified=event.get("updated_at"),
        categories=tuple(event.get("topics") or ()),
    )


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

# What anyone may see of an event: never online_url, not even loaded.
_PUBLIC_COLUMNS = (
    Event.id, Event.slug, Event.kind, Event.title, Event.description, Event.starts_at, Event.ends_at,
    Event.timezone, Event.mode, Event.venue_name, Event.venue_address, Event.venue_city, Event.status,
    Event.sequence, Event.topics, Event.updated_at,
)
_KIND_NAMES = {"tech_talk": "Tech Talks", "tech_day": "Tech Days"}
_MY_EVENTS = {"it": "I miei eventi", "en": "My events"}


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
        return cls(kind=kind or None, topic=(topic or "").strip().lower() or None, now=now or datetime.now(UTC))

    @property
    def since(self) -> datetime:
        return self.now.astimezone(UTC) - FEED_HISTORY


def _was_published() -> Combinable:
    # A draft cancelled before publication was never public: it stays invisible.
    return (Event.status != "draft") & Event.published_at.is_not_null()


async def _agendas(event_ids: Iterable[int]) -> dict[int, list[Any]]:
    from events_service.events.service import agenda_by_event

    return await agenda_by_event(event_ids)


async def event_calendar(id_or_slug: str, settings: Settings) -> CalendarFile:
    """One published (or cancelled: STATUS:CANCELLED) event as a METHOD:PUBLISH download."""
    condition = Event.slug == id_or_slug
    if (event_id := as_row_id(id_or_slug)) is not None:
        condition = condition | (Event.id == event_id)
    row = await Event.select(*_PUBLIC_COLUMNS).where(condition & _was_published()).output(load_json=True).first()
    if row is None:
        raise CalendarNotFound(f"no published event '{id_or_slug}'")
    agenda = await _agendas([row["id"]])
    body = build_publish(
        [public_entry(row, agenda[row["id"]], settings)],
        calendar_name=row["title"],
        refresh_minutes=FEED_REFRESH_MINUTES,
        # The same bytes until the event changes.
        now=row["updated_at"],
    )
    return CalendarFile(filename=f"{row['slug']}.ics", body=body)


def _feed_condition(query: FeedQuery) -> Combinable:
    """Published events not ended before the window, and events cancelled within it. The topic
    filter is applied afterwards, in Python (topics are JSON): the rows selected here are a
    superset of the feed's, so their count and latest change also change whenever it does."""
    live = (Event.status == "published") & (Event.ends_at >= query.since)
    gone = (Event.status == "cancelled") & Event.published_at.is_not_null() & (Event.cancelled_at >= query.since)
    condition = live | gone
    if query.kind:
        condition = condition & (Event.kind == query.kind)
    return condition


def _as_utc(value: datetime | str | None) -> datetime | None:
    """MAX() of a timestamp is text on SQLite and a datetime on PostgreSQL."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


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
    etag = _feed_etag(query, settings, row["count"], _as_utc(row["last_modified"]))
    _etag_memo.put(key, etag)
    return etag


async def public_feed(query: FeedQuery, settings: Settings) -> tuple[str, bytes]:
    """(ETag, METHOD:PUBLISH calendar) of the public feed; the ETag is the one
    public_feed_etag gives for the same rows."""
    rows = await (
        Event.select(*_PUBLIC_COLUMNS)
        .where(_feed_condition(query))
        .order_by(Event.starts_at)
        .order_by(Event.id)
        .output(load_json=True)
    )
    last_modified = max((_as_utc(row["updated_at"]) for row in rows), default=None)
    etag = _feed_etag(query, settings, len(rows), last_modified)
    shown = [row for row in rows if query.topic is None or query.topic in (row["topics"] or [])]
    agenda = await _agendas(row["id"] for row in shown)
    parts = [settings.programme_name, _KIND_NAMES.get(query.kind or "", "Tech Talks & Tech Days")]
    if query.topic:
        parts.append(query.topic)
    body = build_publish(
        [public_entry(row, agenda[row["id"]], settings) for row in shown],
        calendar_name=" – ".join(parts),
        refresh_minutes=FEED_REFRESH_MINUTES,
        # DTSTAMP from the data, not the clock: the same ETag always comes with the same bytes.
        now=last_modified or query.since,
    )
    _etag_memo.put(_EtagMemo.key(query, settings), etag)
    return etag, body


# ---------------------------------------------------------------- a person's own feed


def cancelled_sequence(event: dict[str, Any], cancelled_by: str | None) -> int:
    """The SEQUENCE a cancelled registration's entry carries. Mirrors registrations/messages.py:
    a person's or organiser's cancellation went out as the event's sequence + 1, the event's
    own cancellation with the event's sequence (raised when it was cancelled)."""
    return event["sequence"] if cancelled_by == "event" else event["sequence"] + 1


def personal_entry(event: dict[str, Any], registration: dict[str, Any], agenda: list[Any], settings: Settings) -> CalendarEntry:
    """The entry a person's own feed shows: the invite's UID; the join link while confirmed.
    No manage link: a feed is a URL that calendar apps keep, sync and share, and a manage
    link cancels the seat; the entry links the public event page instead."""
    live = registration["status"] == "confirmed" and event["status"] != "cancelled"
    entry = registration_entry(
        event,
        registration_id=registration["id"],
        nonce=registration["token_nonce"],
        attendance_mode=registration["attendance_mode"],
        show_join_link=live,
        manage_url=None,
        agenda=agenda,
        settings=settings,
        sequence=None if live else cancelled_sequence(event, registration["cancelled_by"]),
        cancelled=not live,
    )
    return replace(entry, url=f"{settings.base_url}/e/{event['slug']}")


async def _feed_owner(token: str, settings: Settings) -> dict[str, Any]:
    """The contact a feed token names; a forged, tampered or replaced token is simply unknown."""
    parsed = read_token(settings.verification_keys, "feed", token)
    contact = None
    if parsed is not None:  # a valid signature: the id and nonce are ours
        contact = await Contact.select(Contact.id, Contact.feed_nonce, Contact.language).where(Contact.id == parsed[0]).first()
    if contact is None or parsed is None or not hmac.compare_digest(contact["feed_nonce"].encode(), parsed[1].encode()):
        raise CalendarNotFound("no calendar for this link; it may have been mistyped or replaced")
    return contact


async def personal_calendar(token: str, settings: Settings, now: datetime | None = None) -> bytes:
    """A person's confirmed registrations (join link included where they may see it), and for
    FEED_HISTORY the ones cancelled, as STATUS:CANCELLED. Same UIDs as their emailed invites;
    METHOD:PUBLISH, so no ATTENDEE."""
    contact = await _feed_owner(token, settings)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    kept = (Registration.status == "confirmed") | (
        # Only entries that were ever in the person's calendar: not a waitlisted place given up.
        (Registration.status == "cancelled")
        & Registration.confirmed_at.is_not_null()
        & (Registration.cancelled_at >= moment - FEED_HISTORY)
    )
    registrations = await (
        Registration.select(
            Registration.id,
            Registration.event,
            Registration.status,
            Registration.attendance_mode,
            Registration.token_nonce,
            Registration.cancelled_by,
        )
        .where((Registration.contact == contact["id"]) & kept)
        .order_by(Registration.id)
    )
    event_ids = sorted({row["event"] for row in registrations})
    events: dict[int, dict[str, Any]] = {}
    if event_ids:
        rows = await Event.select().where(Event.id.is_in(event_ids) & _was_published()).output(load_json=True)
        events = {row["id"]: row for row in rows}
    agenda = await _agendas(events)
    entries = [personal_entry(events[row["event"]], row, agenda[row["event"]], settings) for row in registrations if row["event"] in events]
    entries.sort(key=lambda entry: (entry.starts_at, entry.uid))
    language = contact["language"] if contact["language"] in _MY_EVENTS else "en"
    return build_publish(
        entries,
        calendar_name=f"{settings.programme_name} – {_MY_EVENTS[language]}",
        refresh_minutes=FEED_REFRESH_MINUTES,
        now=moment,
    )
