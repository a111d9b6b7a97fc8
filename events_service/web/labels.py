"""Words the pages choose by a code: an event's kind, a status, a role, a service's refusal.

Each is an English message marked for the catalogs (N_) and translated where it is shown;
a code without a word here is shown as it is.
"""

from __future__ import annotations

from typing import Any

from events_service.events.records import AttendanceMode, EventKind, EventMode, EventStatus
from events_service.experts.records import MeetingStatus, SlotStatus
from events_service.i18n import N_, Translate
from events_service.mail.records import OutboxStatus
from events_service.organisers.records import Role
from events_service.registrations.records import (
    AttendanceSource,
    CancelledBy,
    RegistrationStatus,
    Rsvp,
)
from events_service.replies.decisions import IgnoreReason, ReplyAction

LABELS: dict[str, dict[str, str]] = {
    "kind": {EventKind.TECH_TALK: N_("Tech Talk"), EventKind.TECH_DAY: N_("Tech Day")},
    "mode": {EventMode.ONLINE: N_("Online"), EventMode.IN_PERSON: N_("In person"), EventMode.HYBRID: N_("Hybrid")},
    "registration_status": {
        RegistrationStatus.CONFIRMED: N_("Confirmed"),
        RegistrationStatus.WAITLISTED: N_("Waiting list"),
        RegistrationStatus.CANCELLED: N_("Cancelled"),
    },
    "rsvp": {Rsvp.ACCEPTED: N_("Accepted"), Rsvp.TENTATIVE: N_("Tentative"), Rsvp.DECLINED: N_("Declined")},
    "reply_action": {ReplyAction.RECORD_ONLY: N_("only recorded: this event does not act on replies")},
    "reply_reason": {
        IgnoreReason.NOT_A_REPLY: N_("not a reply"),
        IgnoreReason.COUNTER_PROPOSAL: N_("a proposal of another time"),
        IgnoreReason.UNKNOWN_UID: N_("not one of our invites"),
        IgnoreReason.ATTENDEE_MISMATCH: N_("the attendee is not the registered address"),
        IgnoreReason.FORGED_SENDER: N_("the sender is not the attendee"),
        IgnoreReason.AUTH_FAILED: N_("DKIM and SPF did not pass for the sender's domain"),
        IgnoreReason.STALE_SEQUENCE: N_("an answer to an older version of the invite"),
        IgnoreReason.NOT_CONFIRMED: N_("the registration was not confirmed"),
        IgnoreReason.MEETING_NOT_BOOKED: N_("the expert meeting is no longer booked"),
        IgnoreReason.EXPERT_DECLINED: N_("the expert declined the meeting: move the slot or cancel the meeting"),
        IgnoreReason.UNSUPPORTED_PARTSTAT: N_("an answer other than accept, tentative or decline"),
        IgnoreReason.UNREADABLE: N_("no calendar answer in the message"),
    },
    "event_status": {EventStatus.DRAFT: N_("draft"), EventStatus.PUBLISHED: N_("published"), EventStatus.CANCELLED: N_("cancelled")},
    "outbox_status": {
        OutboxStatus.QUEUED: N_("queued"),
        OutboxStatus.SENDING: N_("sending"),
        OutboxStatus.SENT: N_("sent"),
        OutboxStatus.RETRY: N_("retry"),
        OutboxStatus.FAILED: N_("failed"),
        OutboxStatus.WITHDRAWN: N_("withdrawn"),
    },
    "mail_kind": {
        "confirmed": N_("confirmation"),
        "waitlisted": N_("waiting list"),
        "promoted": N_("seat from the waiting list"),
        "cancelled": N_("cancellation"),
        "event_updated": N_("event changed"),
        "event_cancelled": N_("event cancelled"),
        "reminder": N_("reminder"),
        "thank_you": N_("thank you"),
        "missed_you": N_("we missed you"),
        "broadcast": N_("message to registrants"),
    },
    # who of an event's registrants a message goes to (broadcasts/schemas.py Audience)
    "audience": {
        "confirmed": N_("Confirmed"),
        "waitlisted": N_("Waiting list"),
        "attended": N_("Attended"),
        "no_show": N_("Did not come"),
    },
    "question_kind": {"text": N_("Text"), "choice": N_("One choice"), "multi": N_("Several choices"), "boolean": N_("Yes or no")},
    "question_stage": {"registration": N_("On registration"), "survey": N_("In the survey after the event")},
    "slot_status": {SlotStatus.OPEN: N_("open"), SlotStatus.CLOSED: N_("closed")},
    "meeting_status": {
        MeetingStatus.BOOKED: N_("booked"), MeetingStatus.CANCELLED: N_("cancelled"),
        MeetingStatus.HELD: N_("held"), MeetingStatus.MISSED: N_("missed"),
    },
    "role": {Role.ADMIN: N_("administrator"), Role.ORGANISER: N_("organiser"), Role.CHECKIN: N_("check-in staff")},
    # why rows of an imported webinar report add no minutes (attendance.parsers.LeftOutReason)
    "left_out": {
        "waiting_room": N_("in the waiting room"),
        "zero_length": N_("reconnects of no length"),
        "not_attended": N_("registered with the platform, never joined"),
        "staff": N_("host and panelists of the webinar"),
        "outside_event": N_("outside the event's hours (other days of a recurring meeting)"),
    },
    # what an entry of the audit log (audit/schemas.py Action) says was done
    "audit_action": {
        "created": N_("created"),
        "updated": N_("changed"),
        "published": N_("published"),
        "cancelled": N_("cancelled"),
        "promoted": N_("seat from the waiting list"),
        "checked_in": N_("checked in"),
        "disabled": N_("disabled"),
        "enabled": N_("enabled again"),
        "role_changed": N_("role changed"),
        "password_changed": N_("password changed"),
        "password_reset": N_("password reset"),
    },
    # the fields an audit entry names (the console's History: events and registrations)
    "audit_field": {
        # an event's
        "kind": N_("Kind"),
        "slug": N_("Address of the page"),
        "title": N_("Title"),
        "description": N_("Description"),
        "language": N_("Language"),
        "starts_at": N_("Starts"),
        "ends_at": N_("Ends"),
        "timezone": N_("Time zone"),
        "mode": N_("Mode"),
        "capacity": N_("Seats"),
        "online_capacity": N_("Online seats"),
        "seats_taken": N_("Seats taken"),
        "online_seats_taken": N_("Online seats taken"),
        "max_per_company": N_("Seats per company"),
        "venue_name": N_("Venue name"),
        "venue_address": N_("Venue address"),
        "venue_city": N_("City"),
        "venue_country": N_("Country"),
        "online_url": N_("Join link"),
        "registration_closes_at": N_("Registration closes"),
        "sequence": N_("Invite version"),
        "topics": N_("Topics"),
        "reminder_offsets": N_("Reminders (minutes before)"),
        "created_at": N_("Created"),
        "published_at": N_("Published"),
        "cancelled_at": N_("Cancelled"),
        "follow_up_sent_at": N_("Follow-up sent"),
        "attendance_threshold_percent": N_("Attended from (percent of the event)"),
        "recording_url": N_("Recording"),
        "slides_url": N_("Slides"),
        "audience": N_("Audience"),
        "meeting_platform": N_("Webinar platform"),
        "meeting_id": N_("Meeting id"),
        "meeting_organizer_id": N_("Meeting organiser"),
        "acts_on_replies": N_("Acts on replies to the invite"),
        # both
        "status": N_("Status"),
        # a registration's
        "event_id": N_("Event"),
        "company_id": N_("Company"),
        "attendance_mode": N_("Attends"),
        "cancelled_by": N_("Cancelled by"),
        "checked_in_at": N_("Checked in"),
        "walk_in": N_("Walk-in"),
        "undone": N_("Undone"),
        "rsvp": N_("Answer to the invite"),
        "minutes_attended": N_("Minutes attended"),
        "attended": N_("Attended"),
        "attendance_source": N_("Attendance from"),
        "personal_data": N_("Personal data"),
    },
    "attendance_mode": {AttendanceMode.IN_PERSON: N_("in person"), AttendanceMode.ONLINE: N_("online")},
    "cancelled_by": {
        CancelledBy.REGISTRANT: N_("the person (manage link)"),
        CancelledBy.ORGANISER: N_("an organiser"),
        CancelledBy.EVENT: N_("the event's cancellation"),
        CancelledBy.ERASURE: N_("an erasure of personal data"),
        CancelledBy.REPLY: N_("a decline in the calendar"),
    },
    "attendance_source": {
        AttendanceSource.CHECKIN: N_("check-in at the door"),
        AttendanceSource.IMPORTED: N_("webinar report"),
        AttendanceSource.CHECKIN_AND_IMPORT: N_("check-in and webinar report"),
    },
    "audit_value": {"erased": N_("erased"), "reply_cancellation": N_("cancellation by a calendar reply")},
    # the event's fields a refusal names (missing_for_publication), as the event form labels them
    "event_field": {
        "venue.name": N_("Venue name"),
        "venue.address": N_("Venue address"),
        "venue.city": N_("City"),
        "online_url": N_("Join link (online / hybrid)"),
    },
    # a company's size (the console's companies section)
    "company_size": {"micro": N_("micro"), "small": N_("small"), "medium": N_("medium"), "large": N_("large")},
    # what importing a row of companies did, or would do
    "import_outcome": {"create": N_("new"), "skip": N_("already known"), "error": N_("error")},
}

#: A service's refusal (DomainError.code) in the console's words; {names} come from its extra.
SERVICE_ERRORS: dict[str, str] = {
    "ends_before_start": N_("The event must end after it starts."),
    "closes_after_end": N_("Registration must close before the event ends."),
    "hybrid_needs_online_capacity": N_(
        "A hybrid event needs its online seats too (the capacity counts the seats in the room)."
    ),
    "online_capacity_not_hybrid": N_("Online seats are only for hybrid events: use the capacity."),
    "agenda_only_tech_day": N_("Only a Tech Day has an agenda."),
    "event_cancelled": N_("This event has been cancelled: it can no longer be changed or published."),
    "missing_for_publication": N_("Before people can register, the event needs: {missing}."),
    "event_ended": N_("This event has already ended: it cannot be published."),
    "capacity_below_confirmed": N_("The capacity cannot go below the {confirmed} seats already confirmed."),
    "online_capacity_below_confirmed": N_("The online seats cannot go below the {confirmed} already confirmed."),
    "event_not_ended": N_("No one is a no-show before the event has ended."),
    "event_not_started": N_("No one has attended an event that has not begun."),
    "too_many_questions": N_("An event asks at most 30 questions."),
    "online_meeting_not_online": N_("Only an online or hybrid event has a webinar platform meeting."),
    # the experts' slots (experts/service.py)
    "window_empty": N_("The window must end after it starts."),
    "window_outside_event": N_("The slots must lie inside the Tech Day."),
    "window_too_short": N_("The window is shorter than one slot."),
    "too_many_slots": N_("Too many slots at once: open a shorter window or longer slots."),
    "slots_overlap": N_("The expert already has open slots at that time."),
    "break_empty": N_("Break {break} ends before it starts."),
    "break_outside_window": N_("Break {break} lies outside the window."),
    "breaks_overlap": N_("Break {break} overlaps the one before it."),
    "slot_past": N_("A slot moves to a time still to come."),
    "overlapping_meeting": N_("The person who booked it has another meeting at that time."),
    "meeting_cancelled": N_("A cancelled meeting cannot be marked held or missed."),
}


def label_of(_: Translate, group: str, code: str) -> str:
    """The word for `code` in `group` (see LABELS), or the code itself."""
    message = LABELS.get(group, {}).get(code)
    return _(message) if message else code



#: The word group of an audit field's values (its codes); "status" is the entity's own.
_AUDIT_VALUE_GROUPS: dict[str, str] = {
    "kind": "kind", "mode": "mode", "rsvp": "rsvp", "attendance_mode": "attendance_mode", "cancelled_by": "cancelled_by",
    "attendance_source": "attendance_source", "personal_data": "audit_value", "undone": "audit_value",
}
_STATUS_GROUPS: dict[str, str] = {"event": "event_status", "registration": "registration_status"}


def audit_value(_: Translate, entity: str, field: str, value: Any) -> str:
    """One value of an audit entry in words: yes/no, a status or another code by its group,
    a list joined; anything else (numbers, times, text typed by people) as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(audit_value(_, entity, field, item) for item in value)
    group = _STATUS_GROUPS.get(entity) if field == "status" else _AUDIT_VALUE_GROUPS.get(field)
    return label_of(_, group, value) if group and isinstance(value, str) else str(value)
