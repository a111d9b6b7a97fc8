"""The meeting's calendar invites: the registrant and the expert each get one, through the outbox,
in the transaction that books, moves or cancels the meeting.

Each meeting has its own UID (not the event's): a calendar shows the event and the meeting side
by side. SEQUENCE is the meeting's: raised on a move or a cancellation, so a client replaces the
entry it holds. The idempotency key names the meeting, the side, the SEQUENCE and the method, so
a retried transaction never queues the same invite twice.

A REQUEST asks both attendees for an answer (RSVP=TRUE, PARTSTAT=NEEDS-ACTION) with ORGANIZER
the mailbox the service reads (settings.organizer_address), as a registration's invite does:
replies/ acts on the answers (invite_answers.py).
"""

from __future__ import annotations

from typing import Any, Literal

from markupsafe import escape

from events_service.calendar.ics import CalendarEntry, build_invite
from events_service.clock import as_utc
from events_service.events.records import venue_text
from events_service.experts import meeting_reminders
from events_service.experts.tables import ExpertDay, ExpertMeeting
from events_service.i18n import translator
from events_service.languages import DEFAULT_LANGUAGE
from events_service.mail.formatting import format_time_range
from events_service.mail.mime import QR_CONTENT_ID, RenderedMessage, build_email
from events_service.mail.outbox import enqueue
from events_service.qr import qr_png
from events_service.registrations.links import token_for
from events_service.settings import Settings

#: The outbox kind of a meeting's invite or cancellation.
MEETING_INVITE = "expert_meeting_invite"

Method = Literal["REQUEST", "CANCEL"]
Side = Literal["registrant", "expert"]


def meeting_code(settings: Settings, meeting_id: int, nonce: str) -> str:
    """What the meeting's QR carries: a token of its own purpose, so neither a registration's
    code nor the meeting's cancel link marks a meeting held (service.check_in_meeting)."""
    return token_for(settings, "meeting_checkin", meeting_id, nonce)


async def _meeting_facts(meeting_id: int) -> dict[str, Any]:
    m = ExpertMeeting
    row = await m.select(
        m.id, m.uid, m.sequence, m.topic, m.event, m.expert, m.registration, m.token_nonce,
        m.slot.starts_at.as_alias("starts_at"), m.slot.ends_at.as_alias("ends_at"),
        m.expert.name.as_alias("expert_name"), m.expert.email.as_alias("expert_email"),
        m.event.title.as_alias("event_title"), m.event.timezone.as_alias("timezone"),
        m.event.venue_name.as_alias("venue_name"), m.event.venue_address.as_alias("venue_address"),
        m.event.venue_city.as_alias("venue_city"),
        m.registration.first_name.as_alias("first_name"), m.registration.last_name.as_alias("last_name"),
        m.registration.language.as_alias("language"), m.registration.contact.email.as_alias("email"),
        m.company.as_alias("company_id"),
    ).where(m.id == meeting_id).first()
    if row is None:
        raise LookupError(f"no meeting {meeting_id}")
    place = await ExpertDay.select(ExpertDay.room, ExpertDay.video_url).where(
        (ExpertDay.event == row["event"]) & (ExpertDay.expert == row["expert"])).first()
    row["room"], row["video_url"] = (place["room"], place["video_url"]) if place else (None, None)
    return row


def _where_lines(facts: dict[str, Any], language: str) -> list[str]:
    """The room and the video link in the page's words (both sides' invites only: private)."""
    _ = translator(language)
    lines = []
    if facts["room"]:
        lines.append(_("Room: {room}").format(room=facts["room"]))
    if facts["video_url"]:
        lines.append(_("Video link: {url}").format(url=facts["video_url"]))
    return lines


def _rendered(facts: dict[str, Any], side: Side, method: Method, language: str, *, with_qr: bool = False) -> RenderedMessage:
    _ = translator(language)
    other = facts["expert_name"] if side == "registrant" else f"{facts['first_name']} {facts['last_name']}".strip()
    when = format_time_range(as_utc(facts["starts_at"]), as_utc(facts["ends_at"]), facts["timezone"], language)
    if method == "REQUEST":
        subject = _("Meeting with {name} at {event}").format(name=other, event=facts["event_title"])
        lead = _("Your one-to-one meeting is booked: {when}.").format(when=when)
    else:
        subject = _("Cancelled: meeting with {name} at {event}").format(name=other, event=facts["event_title"])
        lead = _("This meeting has been cancelled: {when}.").format(when=when)
    lines = [lead]
    if facts["topic"]:
        lines.append(_("Topic: {topic}").format(topic=facts["topic"]))
    if method == "REQUEST":
        lines.extend(_where_lines(facts, language))
    if with_qr:
        lines.append(_("Show this code at the meeting: it marks the meeting as held."))
    text = "\n\n".join(lines) + "\n"
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    if with_qr:  # build_email attaches the PNG under this Content-ID
        html += f'<p><img src="cid:{QR_CONTENT_ID}" alt="QR" width="180" height="180"></p>'
    return RenderedMessage(subject=subject, text=text, html=f"<!doctype html><html><body>{html}</body></html>")


def meeting_location(facts: dict[str, Any]) -> str | None:
    """LOCATION: the expert's room at the venue; with only a video link, the link (what
    calendar clients open); with neither, the venue."""
    venue = venue_text(facts["venue_name"], facts["venue_address"], facts["venue_city"])
    if facts["room"]:
        return ", ".join(part for part in (facts["room"], venue) if part)
    return facts["video_url"] or venue


def _entry(facts: dict[str, Any], method: Method, language: str) -> CalendarEntry:
    _ = translator(language)
    return CalendarEntry(
        uid=facts["uid"],
        sequence=facts["sequence"],
        summary=_("Meeting with {name}").format(name=facts["expert_name"]),
        description="\n".join([*([facts["topic"]] if facts["topic"] else []), *_where_lines(facts, language)]),
        starts_at=as_utc(facts["starts_at"]),
        ends_at=as_utc(facts["ends_at"]),
        location=meeting_location(facts),
        url=facts["video_url"] or None,
        status="CONFIRMED" if method == "REQUEST" else "CANCELLED",
    )


async def reissue(meeting_id: int, settings: Settings) -> int:
    """The meeting changed (time or place): raise its SEQUENCE and send both sides the REQUEST
    again (same UID), in the caller's write transaction. Both are asked again: an answer to the
    old version (the expert's Decline that made organisers move it) no longer stands."""
    await ExpertMeeting.update(
        {ExpertMeeting.sequence: ExpertMeeting.sequence + 1, ExpertMeeting.rsvp: None, ExpertMeeting.expert_rsvp: None}
    ).where(ExpertMeeting.id == meeting_id)
    return await queue_invites(meeting_id, settings, method="REQUEST")


async def queue_invites(meeting_id: int, settings: Settings, *, method: Method) -> int:
    """Queue the REQUEST (or CANCEL) for both sides, in the caller's write transaction.
    Returns how many were queued (0 for a replay)."""
    facts = await _meeting_facts(meeting_id)
    sides: list[tuple[Side, str, str, str]] = [
        ("registrant", facts["email"] or "", f"{facts['first_name']} {facts['last_name']}".strip(), facts["language"] or DEFAULT_LANGUAGE),
        ("expert", facts["expert_email"], facts["expert_name"], DEFAULT_LANGUAGE),
    ]
    queued = 0
    for side, address, name, language in sides:
        if not address:
            continue  # an erased registration has no address left
        calendar = build_invite(
            _entry(facts, method, language), organizer_email=settings.organizer_address, organizer_name=settings.programme_name,
            attendee_email=address, attendee_name=name or address, method=method,
        )
        # The registrant's REQUEST carries the meeting's code as a QR, shown at the meeting
        # (POST /api/events/{id}/checkins marks it held); the expert's copy and a CANCEL do not.
        with_qr = side == "registrant" and method == "REQUEST"
        message = build_email(
            sender=settings.mail_from, sender_name=settings.programme_name, to=address,
            rendered=_rendered(facts, side, method, language, with_qr=with_qr), calendar=calendar, message_id_domain=settings.host,
            qr_png=qr_png(meeting_code(settings, meeting_id, facts["token_nonce"])) if with_qr else None,
        )
        queued += await enqueue(
            message, kind=MEETING_INVITE, idempotency_key=f"{MEETING_INVITE}:{meeting_id}:{side}:{facts['sequence']}:{method}",
            event_id=facts["event"], registration_id=facts["registration"],
        )
    # The reminders follow the invite: a move or cancel withdraws the pending ones, a REQUEST
    # (booked or moved) queues those of its time (meeting_reminders.py).
    await meeting_reminders.withdraw_reminders(meeting_id)
    if method == "REQUEST":
        await meeting_reminders.queue_reminders(facts, settings)
    return queued
