"""Which calendar entries the service publishes: one per (event, registration) for invites,
one per event for downloads and feeds. The iCalendar text itself is built in ics.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from events_service.calendar.ics import CalendarEntry
from events_service.settings import Settings


def _host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


def invite_uid(event_id: int, registration_id: int, nonce: str, settings: Settings) -> str:
    """Stable for the life of one registration; a person who registers again gets a new one,
    because the old entry was cancelled in their calendar."""
    return f"event-{event_id}-registration-{registration_id}-{nonce[:8]}@{_host(settings)}"


def event_uid(event_id: int, settings: Settings) -> str:
    return f"event-{event_id}@{_host(settings)}"


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
    manage_url: str,
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
    location = venue_text(event) if event["mode"] != "online" else "Online"
    return CalendarEntry(
        uid=event_uid(event["id"], settings),
        sequence=event["sequence"],
        summary=event["title"],
        description=_description(event, None, agenda, None),
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        location=location,
        url=f"{settings.base_url}/events/{event['slug']}",
        status="CANCELLED" if event["status"] == "cancelled" else "CONFIRMED",
        last_modified=event.get("updated_at"),
        categories=tuple(event.get("topics") or ()),
    )
