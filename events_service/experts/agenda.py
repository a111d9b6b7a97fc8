"""The expert's agenda: the evening before a day of meetings, one email listing each of that
day's meetings (time, company, person, topic). A periodic job of the worker (background.py).

Rules:
- "The day" is the meeting's local date in its Tech Day's timezone; "the evening before" is
  from AGENDA_HOUR on the previous day until that day begins. A job run in that window sends
  the agenda; a worker that was down all evening sends none (the day has begun).
- One email per expert per day, whatever the number of runs or workers: the outbox key
  `expert_agenda:<expert>:<date>` is written once. A meeting booked after it went is in the
  expert's own invite, not in a second agenda.
- Only booked meetings are listed (a cancelled one is not; held/missed cannot be yet).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import escape

from events_service.clock import as_utc, now_utc
from events_service.companies.tables import Company
from events_service.db import with_retry, write_transaction
from events_service.experts.records import MeetingStatus
from events_service.experts.tables import ExpertDay, ExpertMeeting
from events_service.i18n import translator
from events_service.languages import DEFAULT_LANGUAGE
from events_service.mail.formatting import format_event_date, format_time_range
from events_service.mail.mime import RenderedMessage, build_email
from events_service.mail.outbox import enqueue
from events_service.settings import Settings

__all__ = ["AGENDA_HOUR", "EXPERT_AGENDA", "agenda_due", "send_agendas"]

#: The outbox kind of an expert's agenda.
EXPERT_AGENDA = "expert_agenda"
#: The local hour of the evening before from which the agenda goes out.
AGENDA_HOUR = 18
#: How far ahead meetings are read: the evening before is never further than this.
_HORIZON = timedelta(hours=36)


def agenda_due(starts_at: datetime, timezone: str, now: datetime) -> date | None:
    """The meeting's local date when `now` is in the evening before it, else None."""
    zone = ZoneInfo(timezone)
    day = as_utc(starts_at).astimezone(zone).date()
    evening = datetime.combine(day - timedelta(days=1), time(AGENDA_HOUR), tzinfo=zone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    return day if evening <= now < midnight else None


async def _upcoming(now: datetime) -> list[dict[str, Any]]:
    m = ExpertMeeting
    return await m.select(
        m.id, m.event, m.expert, m.topic, m.company, m.slot.starts_at.as_alias("starts_at"), m.slot.ends_at.as_alias("ends_at"),
        m.expert.name.as_alias("expert_name"), m.expert.email.as_alias("expert_email"),
        m.event.title.as_alias("event_title"), m.event.timezone.as_alias("timezone"),
        m.registration.first_name.as_alias("first_name"), m.registration.last_name.as_alias("last_name"),
    ).where(
        (m.status == MeetingStatus.BOOKED) & (m.slot.starts_at > now) & (m.slot.starts_at <= now + _HORIZON)
    ).order_by(m.slot.starts_at)


async def _places(meetings: list[dict[str, Any]]) -> dict[tuple[int, int], dict[str, Any]]:
    """Where each expert meets at each event of these meetings (where.py), by (event, expert)."""
    rows = await ExpertDay.select().where(ExpertDay.event.is_in(sorted({m["event"] for m in meetings}) or [0]))
    return {(row["event"], row["expert"]): row for row in rows}


def _place_text(place: dict[str, Any] | None, _: Any) -> str:
    parts = []
    if place and place["room"]:
        parts.append(_("Room: {room}").format(room=place["room"]))
    if place and place["video_url"]:
        parts.append(_("Video link: {url}").format(url=place["video_url"]))
    return "".join(f" {part}." for part in parts)


def _rendered(day: date, meetings: list[dict[str, Any]], companies: dict[int, str], language: str,
              places: dict[tuple[int, int], dict[str, Any]]) -> RenderedMessage:
    _ = translator(language)
    first = meetings[0]
    day_text = format_event_date(as_utc(first["starts_at"]), first["timezone"], language)
    lines = []
    for meeting in meetings:
        when = format_time_range(as_utc(meeting["starts_at"]), as_utc(meeting["ends_at"]), meeting["timezone"], language)
        who = f"{meeting['first_name'] or ''} {meeting['last_name'] or ''}".strip()
        company = companies.get(meeting["company"]) or _("no company")
        topic = meeting["topic"] or _("no topic named")
        place = _place_text(places.get((meeting["event"], meeting["expert"])), _)
        lines.append(f"{when}: {company} ({who}), {meeting['event_title']}. " + _("Topic: {topic}").format(topic=topic) + place)
    lead = _("Your meetings on {day}:").format(day=day_text)
    text = lead + "\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return RenderedMessage(
        subject=_("Your meetings on {day}").format(day=day_text),
        text=text,
        html=f"<!doctype html><html><body><p>{escape(lead)}</p><ul>{items}</ul></body></html>",
    )


async def send_agendas(settings: Settings, now: datetime | None = None) -> int:
    """Queue every agenda due now (see the module's rules); returns how many were queued."""
    now = as_utc(now or now_utc())
    days: dict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for meeting in await _upcoming(now):
        day = agenda_due(meeting["starts_at"], meeting["timezone"], now)
        if day is not None:
            days[(meeting["expert"], day)].append(meeting)
    if not days:
        return 0
    company_ids = sorted({m["company"] for ms in days.values() for m in ms if m["company"] is not None})
    companies = {row["id"]: row["name"] for row in await Company.select(Company.id, Company.name).where(
        Company.id.is_in(company_ids or [0]))}
    places = await _places([m for ms in days.values() for m in ms])
    queued = 0
    for (expert_id, day), meetings in sorted(days.items()):
        message = build_email(
            sender=settings.mail_from, sender_name=settings.programme_name, to=meetings[0]["expert_email"],
            rendered=_rendered(day, meetings, companies, DEFAULT_LANGUAGE, places), message_id_domain=settings.host,
        )

        async def attempt(message: Any = message, expert_id: int = expert_id, day: date = day) -> bool:
            async with write_transaction():
                return await enqueue(message, kind=EXPERT_AGENDA, idempotency_key=f"{EXPERT_AGENDA}:{expert_id}:{day.isoformat()}")

        queued += await with_retry(attempt)
    return queued
