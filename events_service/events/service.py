"""Events: the rules of creating, changing, publishing and cancelling Tech Talks and Tech Days."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from events_service.calendar.service import public_calendar_links
from events_service.db import current_engine, is_sqlite, write_transaction
from events_service.errors import Conflict, DomainError, Invalid, NotFound
from events_service.events.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    EventCreate,
    EventOut,
    EventPatch,
    PublicEventOut,
    PublicSpeakerOut,
    SpeakerIn,
    SpeakerOut,
    Venue,
)
from events_service.events.tables import AgendaSession, Event, EventCreation, EventSpeaker, Speaker
from events_service.settings import Settings
from events_service.validation import as_row_id, normalise_email, zone

# A change of any of these moves the attendee's calendar entry: SEQUENCE goes up.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "mode", "venue_name", "venue_address", "venue_city", "online_url")


class EventError(DomainError):
    pass


class EventNotFound(EventError, NotFound):
    pass


class InvalidEvent(EventError, Invalid):
    pass


class EventStateConflict(EventError, Conflict):
    pass


def now_utc() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- reading


async def event_row(event_id: int) -> dict[str, Any]:
    row = await Event.select().where(Event.id == event_id).output(load_json=True).first()
    if row is None:
        raise EventNotFound(f"no event with id {event_id}")
    return row


async def locked_event_row(event_id: int, strength: Literal["UPDATE", "NO KEY UPDATE"] = "UPDATE") -> dict[str, Any]:
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
    return row


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


def _venue(row: dict[str, Any]) -> Venue | None:
    if not (row["venue_name"] or row["venue_address"] or row["venue_city"]):
        return None
    return Venue(name=row["venue_name"] or "", address=row["venue_address"] or "", city=row["venue_city"] or "")


def _event_out(row: dict[str, Any], speakers: list[dict[str, Any]], agenda: list[AgendaItemOut]) -> EventOut:
    fields = {name: row[name] for name in EventOut.__struct_fields__ if name in row}
    fields.update(
        venue=_venue(row),
        reminder_offsets_minutes=list(row["reminder_offsets"] or []),
        topics=list(row["topics"] or []),
        speakers=[SpeakerOut(**speaker) for speaker in speakers],
        agenda=agenda,
    )
    return EventOut(**fields)


def registration_closes_at(row: dict[str, Any]) -> datetime:
    return row["registration_closes_at"] or row["starts_at"]


def public_event_out(row: dict[str, Any], speakers: list[dict[str, Any]], agenda: list[AgendaItemOut], base_url: str) -> PublicEventOut:
    closes = registration_closes_at(row)
    google_calendar_url, outlook_calendar_url = public_calendar_links(row, agenda, base_url)
    return PublicEventOut(
        id=row["id"],
        slug=row["slug"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        language=row["language"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=row["timezone"],
        mode=row["mode"],
        venue=_venue(row),
        registration_closes_at=closes,
        registration_open=row["status"] == "published" and now_utc() < closes,
        status=row["status"],
        topics=list(row["topics"] or []),
        speakers=[PublicSpeakerOut(name=s["name"], bio=s["bio"]) for s in speakers],
        agenda=agenda,
        ics_url=f"{base_url}/events/{row['id']}.ics",
        google_calendar_url=google_calendar_url,
        outlook_calendar_url=outlook_calendar_url,
    )


async def get_event(event_id: int) -> EventOut:
    row = await event_row(event_id)
    speakers = await speakers_by_event([event_id])
    agenda = await agenda_by_event([event_id])
    return _event_out(row, speakers[event_id], agenda[event_id])


async def list_events(status: str | None = None, kind: str | None = None) -> list[EventOut]:
    query = Event.select().order_by(Event.starts_at).output(load_json=True)
    if status:
        query = query.where(Event.status == status)
    if kind:
        query = query.where(Event.kind == kind)
    rows = await query
    speakers = await speakers_by_event(row["id"] for row in rows)
    agenda = await agenda_by_event(row["id"] for row in rows)
    return [_event_out(row, speakers[row["id"]], agenda[row["id"]]) for row in rows]


async def public_events(base_url: str, kind: str | None = None, topic: str | None = None) -> list[PublicEventOut]:
    """Published events that have not ended, soonest first."""
    query = (
        Event.select()
        .where((Event.status == "published") & (Event.ends_at > now_utc()))
        .order_by(Event.starts_at)
        .output(load_json=True)
    )
    if kind:
        query = query.where(Event.kind == kind)
    rows = [row for row in await query if not topic or topic in (row["topics"] or [])]
    speakers = await speakers_by_event(row["id"] for row in rows)
    agenda = await agenda_by_event(row["id"] for row in rows)
    return [public_event_out(row, speakers[row["id"]], agenda[row["id"]], base_url) for row in rows]


async def public_event(id_or_slug: str, base_url: str) -> PublicEventOut:
    """A published or cancelled event by id or slug; drafts stay invisible (404)."""
    condition = Event.slug == id_or_slug
    if (event_id := as_row_id(id_or_slug)) is not None:
        condition = condition | (Event.id == event_id)
    # Never published (a draft, or a draft cancelled before publication): invisible.
    row = await Event.select().where(condition).where(Event.published_at.is_not_null()).output(load_json=True).first()
    if row is None:
        raise EventNotFound(f"no published event '{id_or_slug}'")
    speakers = await speakers_by_event([row["id"]])
    agenda = await agenda_by_event([row["id"]])
    return public_event_out(row, speakers[row["id"]], agenda[row["id"]], base_url)


# ---------------------------------------------------------------- rules


def _check_schedule(values: dict[str, Any]) -> None:
    zone(values["timezone"])
    starts, ends = values["starts_at"], values["ends_at"]
    if ends <= starts:
        raise InvalidEvent("ends_at must be after starts_at", code="ends_before_start")
    closes = values.get("registration_closes_at")
    if closes is not None and closes > ends:
        raise InvalidEvent("registration_closes_at must not be after the event ends", code="closes_after_end")


def _check_capacities(values: dict[str, Any]) -> None:
    if values["mode"] == "hybrid":
        if values.get("online_capacity") is None:
            raise InvalidEvent("a hybrid event needs online_capacity (capacity counts the seats in the room)", code="hybrid_needs_online_capacity")
    elif values.get("online_capacity") is not None:
        raise InvalidEvent("online_capacity is only for hybrid events; use capacity", code="online_capacity_not_hybrid")


def _check_agenda(kind: str, agenda: list[AgendaItemIn], starts: datetime, ends: datetime, speakers: list[SpeakerIn]) -> None:
    if agenda and kind != "tech_day":
        raise InvalidEvent("only a Tech Day has an agenda", code="agenda_only_tech_day")
    names = {speaker.name for speaker in speakers}
    for index, item in enumerate(agenda):
        where = f"agenda[{index}] ('{item.title}')"
        if item.ends_at <= item.starts_at:
            raise InvalidEvent(f"{where}: ends_at must be after starts_at")
        if item.starts_at < starts or item.ends_at > ends:
            raise InvalidEvent(f"{where}: must lie within the event's start and end")
        if item.speaker is not None and item.speaker not in names:
            raise InvalidEvent(f"{where}: speaker '{item.speaker}' is not among the event's speakers")


def _check_speakers(speakers: list[SpeakerIn]) -> list[SpeakerIn]:
    return [
        msgspec.structs.replace(speaker, name=speaker.name.strip(), email=normalise_email(speaker.email) if speaker.email else None)
        for speaker in speakers
    ]


def missing_for_publication(row: dict[str, Any]) -> list[str]:
    """What an event's mode needs before people can register."""
    missing = []
    if row["mode"] in ("in_person", "hybrid"):
        missing += [f"venue.{part}" for part in ("name", "address", "city") if not row[f"venue_{part}"]]
    if row["mode"] in ("online", "hybrid") and not row["online_url"]:
        missing.append("online_url")
    return missing


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "event"


async def _unique_slug(title: str, starts_at: datetime, timezone: str) -> str:
    local_day = starts_at.astimezone(zone(timezone)).date().isoformat()
    slug = f"{slugify(title)}-{local_day}"
    while await Event.exists().where(Event.slug == slug):
        slug = f"{slugify(title)}-{local_day}-{secrets.token_hex(2)}"
    return slug


def _venue_columns(venue: Venue | None) -> dict[str, Any]:
    return {
        "venue_name": venue.name.strip() if venue else None,
        "venue_address": venue.address.strip() if venue else None,
        "venue_city": venue.city.strip() if venue else None,
    }


# ---------------------------------------------------------------- writing


async def _save_speakers(event_id: int, speakers: list[SpeakerIn]) -> dict[str, int]:
    """Link the event's speakers, reusing a known speaker with the same email."""
    await EventSpeaker.delete().where(EventSpeaker.event == event_id)
    ids: dict[str, int] = {}
    for position, speaker in enumerate(speakers):
        existing = None
        if speaker.email:
            existing = await Speaker.select(Speaker.id).where(Speaker.email == speaker.email).first()
        if existing:
            speaker_id = existing["id"]
            await Speaker.update({Speaker.name: speaker.name, Speaker.bio: speaker.bio}).where(Speaker.id == speaker_id)
        else:
            rows = await Speaker.insert(Speaker(name=speaker.name, email=speaker.email, bio=speaker.bio)).returning(Speaker.id)
            speaker_id = rows[0]["id"]
        await EventSpeaker.insert(EventSpeaker(event=event_id, speaker=speaker_id, position=position))
        ids[speaker.name] = speaker_id
    return ids


async def _save_agenda(event_id: int, agenda: list[AgendaItemIn], speaker_ids: dict[str, int]) -> None:
    await AgendaSession.delete().where(AgendaSession.event == event_id)
    for position, item in enumerate(agenda):
        await AgendaSession.insert(
            AgendaSession(
                event=event_id,
                title=item.title.strip(),
                starts_at=item.starts_at.astimezone(UTC),
                ends_at=item.ends_at.astimezone(UTC),
                speaker=speaker_ids.get(item.speaker) if item.speaker else None,
                position=position,
            )
        )


async def create_event(data: EventCreate, *, once_key: str | None = None) -> EventOut:
    """A draft event. `once_key` (a console form's one-time key): the same key twice, even
    at the same moment, makes one event; the second call answers the first one's event."""
    values: dict[str, Any] = {
        "kind": data.kind,
        "title": data.title.strip(),
        "description": data.description,
        "language": data.language,
        "starts_at": data.starts_at.astimezone(UTC),
        "ends_at": data.ends_at.astimezone(UTC),
        "timezone": data.timezone,
        "mode": data.mode,
        "capacity": data.capacity,
        "online_capacity": data.online_capacity,
        "max_per_company": data.max_per_company,
        "online_url": data.online_url,
        "registration_closes_at": data.registration_closes_at.astimezone(UTC) if data.registration_closes_at else None,
        "reminder_offsets": sorted(set(data.reminder_offsets_minutes), reverse=True),
        "topics": _clean_topics(data.topics),
        **_venue_columns(data.venue),
    }
    _check_schedule(values)
    _check_capacities(values)
    speakers = _check_speakers(data.speakers)
    _check_agenda(data.kind, data.agenda, values["starts_at"], values["ends_at"], speakers)
    async with write_transaction():
        if once_key is not None and (earlier := await _claim_creation(once_key)) is not None:
            return await get_event(earlier)
        values["slug"] = await _unique_slug(values["title"], values["starts_at"], values["timezone"])
        rows = await Event.insert(Event(**values, status="draft", sequence=0)).returning(Event.id)
        event_id = rows[0]["id"]
        speaker_ids = await _save_speakers(event_id, speakers)
        await _save_agenda(event_id, data.agenda, speaker_ids)
        if once_key is not None:
            await EventCreation.update({EventCreation.event: event_id}).where(EventCreation.key == once_key)
    return await get_event(event_id)


async def _claim_creation(once_key: str) -> int | None:
    """None when this call may create the event (the key is now ours, in this transaction),
    or the id of the event an earlier call with the key created. A concurrent call's insert
    waits on the unique key until ours commits (PostgreSQL) or runs after it (SQLite's
    IMMEDIATE transaction), then finds the event."""
    claimed = await EventCreation.insert(EventCreation(key=once_key)).on_conflict(action="DO NOTHING").returning(EventCreation.id)
    if claimed:
        return None
    row = await EventCreation.select(EventCreation.event).where(EventCreation.key == once_key).first()
    if row is None or row["event"] is None:  # cannot happen: the key is written with its event
        raise EventStateConflict("this form was sent already; open the events list")
    return int(row["event"])


def _clean_topics(topics: list[str]) -> list[str]:
    seen: list[str] = []
    for topic in topics:
        cleaned = topic.strip().lower()
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


def _patched_values(current: dict[str, Any], patch: EventPatch) -> dict[str, Any]:
    values = dict(current)
    simple = ("kind", "title", "description", "language", "timezone", "mode", "capacity",
              "online_capacity", "max_per_company", "online_url")
    for field in simple:
        value = getattr(patch, field)
        if value is not msgspec.UNSET:
            values[field] = value.strip() if field == "title" else value
    for field in ("starts_at", "ends_at", "registration_closes_at"):
        value = getattr(patch, field)
        if value is not msgspec.UNSET:
            values[field] = value.astimezone(UTC) if value is not None else None
    if patch.venue is not msgspec.UNSET:
        values.update(_venue_columns(patch.venue))
    if patch.reminder_offsets_minutes is not msgspec.UNSET:
        values["reminder_offsets"] = sorted(set(patch.reminder_offsets_minutes), reverse=True)
    if patch.topics is not msgspec.UNSET:
        values["topics"] = _clean_topics(patch.topics)
    return values


def schedule_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [field for field in SCHEDULE_FIELDS if before[field] != after[field]]


async def update_event(event_id: int, patch: EventPatch, settings: Settings) -> tuple[EventOut, list[str]]:
    """Apply a partial change; returns the event and the schedule fields that changed.

    More seats go to the waitlist at once; fewer than are confirmed is refused.
    """
    # Registrations build on events, so events reach them only at call time.
    from events_service.registrations import service as registrations

    async with write_transaction():
        # Locked before it is read: the capacity check below counts the seats confirmed now,
        # and no registration takes one until this change commits.
        current = await locked_event_row(event_id)
        if current["status"] == "cancelled":
            raise EventStateConflict("a cancelled event cannot be changed", code="event_cancelled")
        values = _patched_values(current, patch)
        _check_schedule(values)
        _check_capacities(values)
        await registrations.check_capacity_change(current, values["capacity"], values["online_capacity"])
        if current["status"] == "published" and (missing := missing_for_publication(values)):
            raise InvalidEvent(
                f"a published {values['mode']} event needs: {', '.join(missing)}",
                code="missing_for_publication",
                extra={"missing": missing},
            )
        speakers = await _current_or_new_speakers(event_id, patch)
        agenda = patch.agenda if patch.agenda is not msgspec.UNSET else await _current_agenda(event_id)
        _check_agenda(values["kind"], agenda, values["starts_at"], values["ends_at"], speakers)
        changed = schedule_changes(current, values)
        columns = {getattr(Event, name): values[name] for name in values if name != "id" and values[name] != current[name]}
        if changed:
            columns[Event.sequence] = current["sequence"] + 1
        columns[Event.updated_at] = now_utc()
        await Event.update(columns).where(Event.id == event_id)
        if patch.speakers is not msgspec.UNSET or patch.agenda is not msgspec.UNSET:
            speaker_ids = await _save_speakers(event_id, speakers)
            await _save_agenda(event_id, agenda, speaker_ids)
        if current["status"] == "published":
            await registrations.promote_waitlisted(event_id, settings)
            if changed:
                await registrations.notify_schedule_change(current, changed)
    return await get_event(event_id), changed


async def _current_or_new_speakers(event_id: int, patch: EventPatch) -> list[SpeakerIn]:
    if patch.speakers is not msgspec.UNSET:
        return _check_speakers(patch.speakers)
    rows = (await speakers_by_event([event_id]))[event_id]
    return [SpeakerIn(name=row["name"], email=row["email"], bio=row["bio"]) for row in rows]


async def _current_agenda(event_id: int) -> list[AgendaItemIn]:
    items = (await agenda_by_event([event_id]))[event_id]
    return [AgendaItemIn(title=i.title, starts_at=i.starts_at, ends_at=i.ends_at, speaker=i.speaker) for i in items]


async def publish_event(event_id: int) -> EventOut:
    async with write_transaction():
        row = await locked_event_row(event_id)  # a cancellation racing it is seen, not undone
        if row["status"] == "cancelled":
            raise EventStateConflict("a cancelled event cannot be published", code="event_cancelled")
        if row["status"] == "draft":
            if missing := missing_for_publication(row):
                raise InvalidEvent(
                    f"cannot publish a {row['mode']} event without: {', '.join(missing)}",
                    code="missing_for_publication",
                    extra={"missing": missing},
                )
            if row["ends_at"] <= now_utc():
                raise InvalidEvent("cannot publish an event that has already ended", code="event_ended")
            now = now_utc()
            await Event.update({Event.status: "published", Event.published_at: now, Event.updated_at: now}).where(
                Event.id == event_id
            )
    return await get_event(event_id)


async def cancel_event(event_id: int, settings: Settings) -> EventOut:
    """Cancelling is final; SEQUENCE rises so attendees' calendars drop the entry, and every
    registration is cancelled with a notice."""
    from events_service.registrations import service as registrations

    async with write_transaction():
        # FOR UPDATE: waits for the registrations written meanwhile, so that
        # cancel_all_for_event sees them; later ones find the event cancelled.
        row = await locked_event_row(event_id)
        if row["status"] != "cancelled":
            now = now_utc()
            await Event.update(
                {
                    Event.status: "cancelled",
                    Event.cancelled_at: now,
                    Event.updated_at: now,
                    Event.sequence: row["sequence"] + 1,
                }
            ).where(Event.id == event_id)
            await registrations.cancel_all_for_event(event_id, settings)
    return await get_event(event_id)
