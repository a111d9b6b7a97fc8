"""Events: the rules of creating, changing, publishing and cancelling Tech Talks and Tech Days.

Nothing here knows of registrations: a change and a cancellation are applied in the caller's
write transaction and returned, and event_changes.py hands them on to registrations.
Reading events is in queries.py; the facts about one event in records.py."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.db import write_transaction
from events_service.events.errors import EventStateConflict, InvalidEvent
from events_service.events.online_meeting import allows_online_meeting, meeting_columns
from events_service.events.queries import (
    agenda_by_event,
    get_event,
    locked_event_row,
    speakers_by_event,
)
from events_service.events.records import (
    EventKind,
    EventMode,
    EventRecord,
    EventStatus,
    schedule_changes,
)
from events_service.events.schemas import (
    AgendaItemIn,
    EventCreate,
    EventOut,
    EventPatch,
    SpeakerIn,
    Venue,
)
from events_service.events.tables import AgendaSession, Event, EventCreation, EventSpeaker, Speaker
from events_service.settings import PROGRAMME_COUNTRY
from events_service.validation import normalise_email, zone
from events_service.webhooks import outbox as webhooks
from events_service.webhooks.schemas import EventType


@dataclass(frozen=True)
class EventChange:
    """A patch applied: the event before and after, and the schedule fields that changed
    (SCHEDULE_FIELDS: what moves attendees' calendar entries)."""

    before: EventRecord
    after: EventRecord
    changed: list[str]


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
    if values["mode"] == EventMode.HYBRID:
        if values.get("online_capacity") is None:
            raise InvalidEvent("a hybrid event needs online_capacity (capacity counts the seats in the room)", code="hybrid_needs_online_capacity")
    elif values.get("online_capacity") is not None:
        raise InvalidEvent("online_capacity is only for hybrid events; use capacity", code="online_capacity_not_hybrid")


def _check_online_meeting(values: dict[str, Any]) -> None:
    if values.get("meeting_platform") and not allows_online_meeting(values["mode"]):
        raise InvalidEvent("online_meeting is only for online and hybrid events", code="online_meeting_not_online")


def _check_agenda(kind: str, agenda: list[AgendaItemIn], starts: datetime, ends: datetime, speakers: list[SpeakerIn]) -> None:
    if agenda and kind != EventKind.TECH_DAY:
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
        "venue_country": (venue.country or PROGRAMME_COUNTRY).upper() if venue else None,
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
        "audience": data.audience.value,
        **meeting_columns(data.online_meeting),
    }
    _check_schedule(values)
    _check_capacities(values)
    _check_online_meeting(values)
    speakers = _check_speakers(data.speakers)
    _check_agenda(data.kind, data.agenda, values["starts_at"], values["ends_at"], speakers)
    async with write_transaction():
        if once_key is not None and (earlier := await _claim_creation(once_key)) is not None:
            return await get_event(earlier)
        values["slug"] = await _unique_slug(values["title"], values["starts_at"], values["timezone"])
        rows = await Event.insert(Event(**values, status=EventStatus.DRAFT, sequence=0)).returning(Event.id)
        await audit.record(Entity.EVENT, rows[0]["id"], Action.CREATED, audit.values(values))
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


def _patched_values(current: EventRecord, patch: EventPatch) -> dict[str, Any]:
    values = msgspec.structs.asdict(current)
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
    if patch.audience is not msgspec.UNSET:
        values["audience"] = patch.audience.value
    if patch.online_meeting is not msgspec.UNSET:
        values.update(meeting_columns(patch.online_meeting))
    if patch.reminder_offsets_minutes is not msgspec.UNSET:
        values["reminder_offsets"] = sorted(set(patch.reminder_offsets_minutes), reverse=True)
    if patch.topics is not msgspec.UNSET:
        values["topics"] = _clean_topics(patch.topics)
    if patch.acts_on_replies is not msgspec.UNSET:
        values["acts_on_replies"] = patch.acts_on_replies
    return values


def patched_event(current: EventRecord, patch: EventPatch) -> EventRecord:
    """The event as the patch would leave it, checked on its own (state, schedule, seats);
    nothing is written. The caller holds `current` locked (events.queries.locked_event_row)."""
    if current.status == EventStatus.CANCELLED:
        raise EventStateConflict("a cancelled event cannot be changed", code="event_cancelled")
    values = _patched_values(current, patch)
    _check_schedule(values)
    _check_capacities(values)
    _check_online_meeting(values)
    return msgspec.structs.replace(current, **{name: value for name, value in values.items() if name != "id"})


async def apply_patch(current: EventRecord, after: EventRecord, patch: EventPatch) -> EventChange:
    """Write `after` (from `patched_event`) in the caller's write transaction, once what it
    needs as a published event and its agenda are checked; SEQUENCE rises when the schedule
    moved. Returns before, after and what changed."""
    if current.status == EventStatus.PUBLISHED and (missing := after.missing_for_publication()):
        raise InvalidEvent(
            f"a published {after.mode} event needs: {', '.join(missing)}",
            code="missing_for_publication",
            extra={"missing": missing},
        )
    speakers = await _current_or_new_speakers(current.id, patch)
    agenda = patch.agenda if patch.agenda is not msgspec.UNSET else await _current_agenda(current.id)
    _check_agenda(after.kind, agenda, after.starts_at, after.ends_at, speakers)
    changed = schedule_changes(current, after)
    before_values, after_values = msgspec.structs.asdict(current), msgspec.structs.asdict(after)
    columns = {getattr(Event, name): value for name, value in after_values.items() if value != before_values[name]}
    sequence = current.sequence + 1 if changed else current.sequence
    updated_at = now_utc()
    columns[Event.sequence] = sequence
    columns[Event.updated_at] = updated_at
    await Event.update(columns).where(Event.id == current.id)
    if patch.speakers is not msgspec.UNSET or patch.agenda is not msgspec.UNSET:
        speaker_ids = await _save_speakers(current.id, speakers)
        await _save_agenda(current.id, agenda, speaker_ids)
    await audit.record(Entity.EVENT, current.id, Action.UPDATED, audit.diff(before_values, after_values))
    await webhooks.emit(
        EventType.EVENT_UPDATED,
        _event_data(after, sequence=sequence, changed=[name for name in after_values if after_values[name] != before_values[name]]),
    )
    return EventChange(before=current, after=msgspec.structs.replace(after, sequence=sequence, updated_at=updated_at), changed=changed)


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
        event = await locked_event_row(event_id)  # a cancellation racing it is seen, not undone
        if event.status == EventStatus.CANCELLED:
            raise EventStateConflict("a cancelled event cannot be published", code="event_cancelled")
        if event.status == EventStatus.DRAFT:
            if missing := event.missing_for_publication():
                raise InvalidEvent(
                    f"cannot publish a {event.mode} event without: {', '.join(missing)}",
                    code="missing_for_publication",
                    extra={"missing": missing},
                )
            if event.ends_at <= now_utc():
                raise InvalidEvent("cannot publish an event that has already ended", code="event_ended")
            now = now_utc()
            await Event.update({Event.status: EventStatus.PUBLISHED, Event.published_at: now, Event.updated_at: now}).where(
                Event.id == event_id
            )
            await webhooks.emit(EventType.EVENT_PUBLISHED, _event_data(event, status="published"))
            await audit.record(Entity.EVENT, event_id, Action.PUBLISHED, {"status": ["draft", "published"]})
    return await get_event(event_id)


async def mark_cancelled(event: EventRecord) -> bool:
    """Cancel the event (final) in the caller's write transaction, which holds its row
    (locked_event_row); SEQUENCE rises so attendees' calendars drop the entry. False when it
    was cancelled already."""
    if event.status == EventStatus.CANCELLED:
        return False
    now = now_utc()
    await Event.update(
        {Event.status: EventStatus.CANCELLED, Event.cancelled_at: now, Event.updated_at: now, Event.sequence: event.sequence + 1}
    ).where(Event.id == event.id)
    await webhooks.emit(EventType.EVENT_CANCELLED, _event_data(event, status="cancelled", sequence=event.sequence + 1))
    await audit.record(Entity.EVENT, event.id, Action.CANCELLED, {"status": [event.status, "cancelled"]})
    return True


def _event_data(event: EventRecord, **more: Any) -> dict[str, Any]:
    """What an event's webhook tells: which event, what it is now (`more` overrides)."""
    data = {
        "event_id": event.id,
        "title": event.title,
        "kind": event.kind,
        "status": event.status,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "sequence": event.sequence,
    }
    return {**data, **more}
