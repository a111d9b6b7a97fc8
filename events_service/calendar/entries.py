"""Which calendar entries the service publishes: one per (event, registration) for invites and
personal feeds, one per event for downloads and public feeds. The iCalendar text itself is
built in ics.py.

Pure: built from the records passed in, no database and no domain import. An event is anything
with the attributes of `CalendarEvent` (events.records.PublicEvent and EventRecord have them);
who sees the join link is decided by the caller (events.records.shows_join_link), which passes
the link or None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from events_service.calendar.ics import CalendarEntry, google_calendar_link, outlook_link
from events_service.i18n import N_, Translate, translator
from events_service.settings import host_of

_LINK_DESCRIPTION_CHARS = 1000


class CalendarEvent(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def timezone(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def topics(self) -> list[str]: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def venue_text(self) -> str | None: ...


class AgendaLine(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def speaker(self) -> str | None: ...


def invite_uid(event_id: int, registration_id: int, nonce: str, host: str) -> str:
    """Stable for the life of one registration; a person who registers again gets a new one,
    because the old entry was cancelled in their calendar."""
    return f"event-{event_id}-registration-{registration_id}-{nonce[:8]}@{host}"


@dataclass(frozen=True)
class InviteRef:
    """What an invite's UID names: the registration and the start of its token nonce."""

    event_id: int
    registration_id: int
    nonce_start: str


_INVITE_UID_RE = re.compile(r"event-(\d{1,18})-registration-(\d{1,18})-([A-Za-z0-9_-]{1,8})@(.+)")


def parse_invite_uid(uid: str, host: str) -> InviteRef | None:
    """The inverse of invite_uid for UIDs of this service (`host`); None for anybody else's."""
    found = _INVITE_UID_RE.fullmatch(uid.strip())
    if found is None or found.group(4).lower() != host.lower():
        return None
    return InviteRef(int(found.group(1)), int(found.group(2)), found.group(3))


def event_uid(event_id: int, base_url: str) -> str:
    return f"event-{event_id}@{host_of(base_url)}"


def event_page_url(base_url: str, slug: str) -> str:
    """The public page (/e/<slug>); /events/ serves only .ics."""
    return f"{base_url}/e/{slug}"


def _agenda_text(agenda: Sequence[AgendaLine], timezone: str) -> str:
    zone = ZoneInfo(timezone)
    lines = []
    for item in agenda:
        who = f" ({item.speaker})" if item.speaker else ""
        starts, ends = item.starts_at.astimezone(zone), item.ends_at.astimezone(zone)
        lines.append(f"{starts:%H:%M}–{ends:%H:%M} {item.title}{who}")
    return "\n".join(lines)


def _untranslated(message: str) -> str:
    return message


def _description(
    event: CalendarEvent, join_url: str | None, agenda: Sequence[AgendaLine], manage_url: str | None, _: Translate
) -> str:
    """The event's text, then the lines we add, in the words of the catalogs (locale/)."""
    blocks = [event.description or ""]
    if join_url:
        blocks.append(f"{_('Join link:')} {join_url}")
    if agenda:
        heading = _(N_("Agenda ({timezone}):")).format(timezone=event.timezone)
        blocks.append(f"{heading}\n" + _agenda_text(agenda, event.timezone))
    if manage_url:
        blocks.append(f"{_('Manage your registration:')} {manage_url}")
    return "\n\n".join(block for block in blocks if block)


def registration_entry(
    event: CalendarEvent,
    *,
    registration_id: int,
    nonce: str,
    attendance_mode: str,
    join_url: str | None,
    manage_url: str | None,
    agenda: Sequence[AgendaLine],
    host: str,
    language: str,
    sequence: int | None = None,
    cancelled: bool = False,
) -> CalendarEntry:
    """The attendee's entry, its added lines in the attendee's `language`; `join_url` only
    where the attendee may see it (the caller asks events.records.shows_join_link)."""
    location = event.venue_text if attendance_mode == "in_person" else (join_url or "Online")
    return CalendarEntry(
        uid=invite_uid(event.id, registration_id, nonce, host),
        sequence=event.sequence if sequence is None else sequence,
        summary=event.title,
        description=_description(event, join_url, agenda, manage_url, translator(language)),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=location,
        url=manage_url,
        status="CANCELLED" if cancelled else "CONFIRMED",
        last_modified=event.updated_at,
        categories=tuple(event.topics or ()),
    )


def public_entry(event: CalendarEvent, agenda: Sequence[AgendaLine], base_url: str) -> CalendarEntry:
    """For downloads and the public feed: never the join link. Nobody's language is known
    there: the added words stay in the catalogs' source language, English."""
    location = event.venue_text if event.mode != "online" else "Online"
    return CalendarEntry(
        uid=event_uid(event.id, base_url),
        sequence=event.sequence,
        summary=event.title,
        description=_description(event, None, agenda, None, _untranslated),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=location,
        url=event_page_url(base_url, event.slug),
        status="CANCELLED" if event.status == "cancelled" else "CONFIRMED",
        last_modified=event.updated_at,
        categories=tuple(event.topics or ()),
    )


def public_calendar_links(event: CalendarEvent, agenda: Sequence[AgendaLine], base_url: str) -> tuple[str | None, str | None]:
    """(Google Calendar, Outlook.com) "add to calendar" links for the public event page, made
    from the public entry (no join link); none for a cancelled event."""
    if event.status == "cancelled":
        return None, None
    entry = public_entry(event, agenda, base_url)
    if len(entry.description) > _LINK_DESCRIPTION_CHARS:
        # The whole text twice in every listed event, and past the URL lengths Google and
        # Outlook accept: a start is enough, the event page's link follows it.
        entry = replace(entry, description=entry.description[: _LINK_DESCRIPTION_CHARS - 1].rstrip() + "…")
    return google_calendar_link(entry), outlook_link(entry)
