"""Reading events: the record, its speakers and agenda, the organiser's and the public views,
and "a published event by id or slug" (one home, for pages, the API and calendar downloads)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

from piccolo.columns.combination import Combinable

from events_service.calendar.entries import public_calendar_links
from events_service.clock import now_utc
from events_service.db import current_engine, is_sqlite
from events_service.events.errors import EventNotFound
from events_service.events.records import (
    EventRecord,
    EventStatus,
    PublicEvent,
    public_event_from_row,
)
from events_service.events.schemas import (
    AgendaItemOut,
    EventOut,
    PublicEventOut,
    PublicSpeakerOut,
    SpeakerOut,
    Venue,
)
from events_service.events.tables import AgendaSession, Event, EventSpeaker
from events_service.paging import Page
from events_service.validation import as_row_id

# What anyone may see of an event (PublicEvent's fields): never online_url, not even loaded.
PUBLIC_COLUMNS = (
    Event.id, Event.slug, Event.kind, Event.title, Event.description, Event.starts_at, Event.ends_at,
    Event.timezone, Event.mode, Event.venue_name, Event.venue_address, Event.venue_city, Event.status,
    Event.sequence, Event.topics, Event.updated_at, Event.venue_country,
)


async def event_row(event_id: int) -> EventRecord:
    row = await Event.select().where(Event.id == event_id).output(load_json=True).first()
    if row is None:
        raise EventNotFound(f"no event with id {event_id}")
    return EventRecord.from_row(row)


async def events_by_id(event_ids: Iterable[int], *, published_only: bool = False) -> dict[int, EventRecord]:
    """The events of these ids that exist (and, with `published_only`, anyone may see)."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    condition = Event.id.is_in(ids)
    if published_only:
        condition = condition & was_published()
    rows = await Event.select().where(condition).output(load_json=True)
    return {row["id"]: EventRecord.from_row(row) for row in rows}


async def locked_event_row(event_id: int, strength: Literal["UPDATE", "NO KEY UPDATE"] = "UPDATE") -> EventRecord:
    """The event row, read to change it in the caller's write transaction, and as it is now.

    On PostgreSQL the row stays locked until the commit: FOR UPDATE waits for, and then
    holds off, every other change of the event, seat claims included, and every transaction
    that has inserted a registration of it (the registration's foreign key holds a KEY SHARE
    lock on the event row from the insert to the commit); FOR NO KEY UPDATE only the changes.
    SQLite's writers run one at a time anyway (db.write_transaction)."""
    query = Event.select().where(Event.id == event_id).output(load_json=True)
    if not is_sqlite(current_engine()):
        query = query.lock_rows(strength)
    row = await query.first()
    if row is None:
        raise EventNotFound(f"no event with id {event_id}")
    return EventRecord.from_row(row)


def was_published() -> Combinable:
    """Events anyone may see: published, or cancelled after publication. A draft cancelled
    before publication was never public: it stays invisible."""
    return (Event.status != EventStatus.DRAFT) & Event.published_at.is_not_null()


def _by_id_or_slug(id_or_slug: str) -> Combinable:
    condition = Event.slug == id_or_slug
    if (event_id := as_row_id(id_or_slug)) is not None:
        condition = condition | (Event.id == event_id)
    return condition


async def published_event(id_or_slug: str) -> EventRecord:
    """A published or cancelled event by id or slug; drafts stay invisible (404)."""
    row = await Event.select().where(_by_id_or_slug(id_or_slug) & was_published()).output(load_json=True).first()
    if row is None:
        raise EventNotFound(f"no published event '{id_or_slug}'")
    return EventRecord.from_row(row)


async def published_public_event(id_or_slug: str) -> PublicEvent:
    """As `published_event`, reading only what anyone may see (no join link)."""
    condition = _by_id_or_slug(id_or_slug) & was_published()
    row = await Event.select(*PUBLIC_COLUMNS).where(condition).output(load_json=True).first()
    if row is None:
        raise EventNotFound(f"no published event '{id_or_slug}'")
    return public_event_from_row(row)


async def speakers_by_event(event_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = list(event_ids)
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return result
    rows = await (
        EventSpeaker.select(
            EventSpeaker.event.as_alias("event_id"),
            EventSpeaker.speaker.id.as_alias("id"),
            EventSpeaker.speaker.name.as_alias("name"),
            EventSpeaker.speaker.email.as_alias("email"),
            EventSpeaker.speaker.bio.as_alias("bio"),
        )
        .where(EventSpeaker.event.is_in(ids))
        .order_by(EventSpeaker.position)
    )
    for row in rows:
        result[row.pop("event_id")].append(row)
    return result


async def agenda_by_event(event_ids: Iterable[int]) -> dict[int, list[AgendaItemOut]]:
    ids = list(event_ids)
    result: dict[int, list[AgendaItemOut]] = defaultdict(list)
    if not ids:
        return result
    rows = await (
        AgendaSession.select(
            AgendaSession.event.as_alias("event_id"),
            AgendaSession.id,
            AgendaSession.title,
            AgendaSession.starts_at,
            AgendaSession.ends_at,
            AgendaSession.speaker.name.as_alias("speaker"),
        )
        .where(AgendaSession.event.is_in(ids))
        .order_by(AgendaSession.starts_at)
        .order_by(AgendaSession.position)
    )
    for row in rows:
        result[row.pop("event_id")].append(AgendaItemOut(**row))
    return result


def _venue(event: PublicEvent) -> Venue | None:
    if not (event.venue_name or event.venue_address or event.venue_city):
        return None
    return Venue(name=event.venue_name or "", address=event.venue_address or "", city=event.venue_city or "",
                 country=event.venue_country)


def event_out(event: EventRecord, speakers: list[dict[str, Any]], agenda: list[AgendaItemOut]) -> EventOut:
    fields = {name: getattr(event, name) for name in EventOut.__struct_fields__ if hasattr(event, name)}
    fields.update(
        venue=_venue(event),
        reminder_offsets_minutes=list(event.reminder_offsets or []),
        topics=list(event.topics or []),
        speakers=[SpeakerOut(**speaker) for speaker in speakers],
        agenda=agenda,
        online_meeting=event.online_meeting,
    )
    return EventOut(**fields)


def public_event_out(event: EventRecord, speakers: list[dict[str, Any]], agenda: list[AgendaItemOut], base_url: str) -> PublicEventOut:
    closes = event.closes_at
    google_calendar_url, outlook_calendar_url = public_calendar_links(event, agenda, base_url)
    return PublicEventOut(
        id=event.id,
        slug=event.slug,
        kind=event.kind,  # type: ignore[arg-type]
        title=event.title,
        description=event.description,
        language=event.language,  # type: ignore[arg-type]
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        mode=event.mode,  # type: ignore[arg-type]
        venue=_venue(event),
        registration_closes_at=closes,
        registration_open=event.status == EventStatus.PUBLISHED and now_utc() < closes,
        status=event.status,  # type: ignore[arg-type]
        topics=list(event.topics or []),
        speakers=[PublicSpeakerOut(name=s["name"], bio=s["bio"]) for s in speakers],
        agenda=agenda,
        ics_url=f"{base_url}/events/{event.id}.ics",
        google_calendar_url=google_calendar_url,
        outlook_calendar_url=outlook_calendar_url,
    )


async def get_event(event_id: int) -> EventOut:
    event = await event_row(event_id)
    speakers = await speakers_by_event([event_id])
    agenda = await agenda_by_event([event_id])
    return event_out(event, speakers[event_id], agenda[event_id])


async def list_events(status: str | None = None, kind: str | None = None) -> list[EventOut]:
    events, _ = await page_of_events(None, status=status, kind=kind)
    return events


async def event_records(status: str | None = None, kind: str | None = None) -> list[EventRecord]:
    """Every event (of this status and kind) as records, soonest first: no speakers, no agenda."""
    query = Event.select().order_by(Event.starts_at).order_by(Event.id).output(load_json=True)
    if status:
        query = query.where(Event.status == status)
    if kind:
        query = query.where(Event.kind == kind)
    return [EventRecord.from_row(row) for row in await query]


async def page_of_events(page: Page | None, status: str | None = None, kind: str | None = None) -> tuple[list[EventOut], int]:
    """Soonest first (id breaks ties, so pages never overlap), and how many there are in all."""
    conditions = []
    if status:
        conditions.append(Event.status == status)
    if kind:
        conditions.append(Event.kind == kind)
    if page is not None and page.updated_since is not None:
        conditions.append(Event.updated_at >= page.updated_since)
    query = Event.select().order_by(Event.starts_at).order_by(Event.id).output(load_json=True)
    counting = Event.count()
    for condition in conditions:
        query, counting = query.where(condition), counting.where(condition)
    total = await counting
    if page is not None:
        query = page.window(query)
    events = await _event_outs([EventRecord.from_row(row) for row in await query])
    return events, total


async def _event_outs(events: list[EventRecord]) -> list[EventOut]:
    speakers = await speakers_by_event(event.id for event in events)
    agenda = await agenda_by_event(event.id for event in events)
    return [event_out(event, speakers[event.id], agenda[event.id]) for event in events]


async def public_events(base_url: str, kind: str | None = None, topic: str | None = None) -> list[PublicEventOut]:
    """Published events that have not ended, soonest first."""
    query = (
        Event.select()
        .where((Event.status == EventStatus.PUBLISHED) & (Event.ends_at > now_utc()))
        .order_by(Event.starts_at)
        .output(load_json=True)
    )
    if kind:
        query = query.where(Event.kind == kind)
    events = [EventRecord.from_row(row) for row in await query if not topic or topic in (row["topics"] or [])]
    speakers = await speakers_by_event(event.id for event in events)
    agenda = await agenda_by_event(event.id for event in events)
    return [public_event_out(event, speakers[event.id], agenda[event.id], base_url) for event in events]


async def public_event(id_or_slug: str, base_url: str) -> PublicEventOut:
    """A published or cancelled event's public view by id or slug; drafts stay invisible (404)."""
    event = await published_event(id_or_slug)
    speakers = await speakers_by_event([event.id])
    agenda = await agenda_by_event([event.id])
    return public_event_out(event, speakers[event.id], agenda[event.id], base_url)
