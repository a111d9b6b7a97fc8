"""What the HTML pages need beyond the domain services: the language of a page and its words,
the console's signed session cookie, reading forms into the domain's structs, and the
dashboard's chart. No domain rule lives here: forms are handed to the services as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import segno
from babel.dates import format_datetime, format_time

from events_service.settings import Settings

LANGUAGES = ("it", "en")
LANG_COOKIE = "lang"
SESSION_COOKIE = "console_session"
SESSION_HOURS = 12

# ---------------------------------------------------------------- words

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "site_title": "Tech Talks & Tech Days",
        "skip": "Skip to content",
        "events": "Events",
        "upcoming": "Upcoming events",
        "privacy": "Privacy",
        "kind": "Type",
        "topic": "Topic",
        "all": "All",
        "filter": "Filter",
        "tech_talk": "Tech Talk",
        "tech_day": "Tech Day",
        "online": "Online",
        "in_person": "In person",
        "hybrid": "Hybrid",
        "no_events": "No upcoming events match.",
        "details": "Details and registration",
        "when": "When",
        "where": "Where",
        "format": "Format",
        "speakers": "Speakers",
        "agenda": "Agenda",
        "seats_left": "seats left",
        "online_seats_left": "online seats left",
        "full_waitlist": "Full: you can join the waiting list",
        "register": "Register",
        "registration_closed": "Registration is closed.",
        "event_cancelled": "This event has been cancelled.",
        "add_to_calendar": "Add to calendar",
        "google": "Google Calendar",
        "outlook": "Outlook",
        "ics": "Download .ics",
        "register_for": "Register for",
        "you": "You",
        "email": "Email",
        "first_name": "First name",
        "last_name": "Last name",
        "company": "Company",
        "company_vat": "VAT number",
        "company_vat_hint": "Italy: IT + 11 digits; Switzerland: CHE-123.456.789",
        "company_name": "Company name",
        "company_name_hint": "Needed only the first time your company registers",
        "country": "Country",
        "attendance_mode": "How will you attend?",
        "colleagues": "Colleagues (optional)",
        "colleagues_hint": "Register up to three colleagues of the same company at once.",
        "colleague": "Colleague",
        "consent_privacy": "I have read the privacy notice and agree to my data being processed to manage this registration.",
        "consent_marketing": "Send me news about future events of the programme.",
        "required": "This field is required.",
        "fix_errors": "Please correct the highlighted fields.",
        "vat_invalid": "This VAT number is not valid: check the digits (Italy IT + 11 digits, Switzerland CHE-123.456.789).",
        "email_invalid": "This email address is not valid.",
        "already_registered": "This email is already registered for this event.",
        "company_name_needed": "Your company is new to us: please give its name.",
        "company_full": "Your company already holds all the seats one company may take at this event.",
        "consent_needed": "We cannot register you without your consent to the privacy notice.",
        "confirmed_title": "You are registered",
        "waitlisted_title": "You are on the waiting list",
        "confirmation_sent": "We have sent a confirmation email with your calendar invite.",
        "your_registration": "Your registration",
        "status": "Status",
        "confirmed": "Confirmed",
        "waitlisted": "Waiting list",
        "cancelled": "Cancelled",
        "waitlist_position": "Position on the waiting list",
        "join_link": "Join link",
        "join": "Join the webinar",
        "feed": "Your personal calendar feed",
        "feed_hint": "Subscribe to this address in your calendar app to see all your events.",
        "checkin_code": "Your check-in code",
        "checkin_hint": "Show this code at the entrance.",
        "cancel_registration": "Cancel my registration",
        "cancel_confirm_title": "Cancel your registration?",
        "cancel_confirm_text": "Your seat will be given to the next person on the waiting list. This cannot be undone.",
        "cancel_yes": "Yes, cancel my registration",
        "cancel_no": "No, keep it",
        "cancelled_done": "Your registration has been cancelled.",
        "not_found": "Not found",
        "not_found_text": "This page does not exist, or the link is no longer valid.",
        "error": "Something went wrong",
        "back": "Back",
        "language": "Language",
        "privacy_title": "Privacy notice",
        "forbidden": "Not allowed",
        "forbidden_text": "Your role does not allow this page.",
        "csrf_text": "The form expired. Please go back, reload the page and try again.",
        "colleague_email_label": "Colleague's email",
    },
    "it": {
        "site_title": "Tech Talk e Tech Day",
        "skip": "Vai al contenuto",
        "events": "Eventi",
        "upcoming": "Prossimi eventi",
        "privacy": "Privacy",
        "kind": "Tipo",
        "topic": "Tema",
        "all": "Tutti",
        "filter": "Filtra",
        "tech_talk": "Tech Talk",
        "tech_day": "Tech Day",
        "online": "Online",
        "in_person": "In presenza",
        "hybrid": "Ibrido",
        "no_events": "Nessun evento in programma corrisponde.",
        "details": "Dettagli e iscrizione",
        "when": "Quando",
        "where": "Dove",
        "format": "Formato",
        "speakers": "Relatori",
        "agenda": "Programma",
        "seats_left": "posti disponibili",
        "online_seats_left": "posti online disponibili",
        "full_waitlist": "Completo: puoi iscriverti alla lista d'attesa",
        "register": "Iscriviti",
        "registration_closed": "Le iscrizioni sono chiuse.",
        "event_cancelled": "Questo evento è stato annullato.",
        "add_to_calendar": "Aggiungi al calendario",
        "google": "Google Calendar",
        "outlook": "Outlook",
        "ics": "Scarica .ics",
        "register_for": "Iscrizione a",
        "you": "I tuoi dati",
        "email": "Email",
        "first_name": "Nome",
        "last_name": "Cognome",
        "company": "Azienda",
        "company_vat": "Partita IVA",
        "company_vat_hint": "Italia: IT + 11 cifre; Svizzera: CHE-123.456.789",
        "company_name": "Ragione sociale",
        "company_name_hint": "Serve solo la prima volta che la tua azienda si iscrive",
        "country": "Paese",
        "attendance_mode": "Come parteciperai?",
        "colleagues": "Colleghi (facoltativo)",
        "colleagues_hint": "Iscrivi insieme fino a tre colleghi della stessa azienda.",
        "colleague": "Collega",
        "consent_privacy": "Ho letto l'informativa privacy e acconsento al trattamento dei miei dati per gestire questa iscrizione.",
        "consent_marketing": "Inviatemi notizie sui prossimi eventi del programma.",
        "required": "Campo obbligatorio.",
        "fix_errors": "Correggi i campi evidenziati.",
        "vat_invalid": "Partita IVA non valida: controlla le cifre (Italia IT + 11 cifre, Svizzera CHE-123.456.789).",
        "email_invalid": "Indirizzo email non valido.",
        "already_registered": "Questa email è già iscritta a questo evento.",
        "company_name_needed": "La tua azienda è nuova per noi: indica la ragione sociale.",
        "company_full": "La tua azienda ha già tutti i posti che un'azienda può occupare a questo evento.",
        "consent_needed": "Non possiamo iscriverti senza il consenso all'informativa privacy.",
        "confirmed_title": "Iscrizione confermata",
        "waitlisted_title": "Sei in lista d'attesa",
        "confirmation_sent": "Ti abbiamo inviato un'email di conferma con l'invito per il calendario.",
        "your_registration": "La tua iscrizione",
        "status": "Stato",
        "confirmed": "Confermata",
        "waitlisted": "Lista d'attesa",
        "cancelled": "Annullata",
        "waitlist_position": "Posizione in lista d'attesa",
        "join_link": "Link di collegamento",
        "join": "Partecipa al webinar",
        "feed": "Il tuo calendario personale",
        "feed_hint": "Aggiungi questo indirizzo alla tua app di calendario per vedere tutti i tuoi eventi.",
        "checkin_code": "Il tuo codice di accesso",
        "checkin_hint": "Mostra questo codice all'ingresso.",
        "cancel_registration": "Annulla la mia iscrizione",
        "cancel_confirm_title": "Annullare l'iscrizione?",
        "cancel_confirm_text": "Il tuo posto andrà alla prima persona in lista d'attesa. L'operazione non si può annullare.",
        "cancel_yes": "Sì, annulla la mia iscrizione",
        "cancel_no": "No, mantienila",
        "cancelled_done": "La tua iscrizione è stata annullata.",
        "not_found": "Pagina non trovata",
        "not_found_text": "Questa pagina non esiste, o il link non è più valido.",
        "error": "Si è verificato un problema",
        "back": "Indietro",
        "language": "Lingua",
        "privacy_title": "Informativa privacy",
        "forbidden": "Non consentito",
        "forbidden_text": "Il tuo ruolo non consente questa pagina.",
        "csrf_text": "Il modulo è scaduto. Torna indietro, ricarica la pagina e riprova.",
        "colleague_email_label": "Email del collega",
    },
}


def translator(lang: str) -> Any:
    words = WORDS[lang]

    def t(key: str) -> str:
        return words.get(key) or WORDS["en"].get(key) or key

    return t


def choose_language(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """?lang= wins, then the cookie, then the browser's Accept-Language; Italian by default."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    weighted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        piece, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, piece.strip().lower()[:2]))
    for _, code in sorted(weighted, key=lambda item: -item[0]):
        if code in LANGUAGES:
            return code
    return "it"


def when(value: datetime | None, timezone: str, lang: str, fmt: str = "EEEE d MMMM y, HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=ZoneInfo(timezone), locale=lang)


def clock(value: datetime, timezone: str, lang: str) -> str:
    return format_time(value, "HH:mm", tzinfo=ZoneInfo(timezone), locale=lang)


def qr_svg(data: str) -> str:
    """A QR code as inline SVG markup (segno: pure Python)."""
    buffer = io.BytesIO()
    segno.make_qr(data, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR")
    return buffer.getvalue().decode()


# ---------------------------------------------------------------- console session


def _session_signature(secret: str, organiser_id: int, expires: int) -> str:
    digest = hmac.new(secret.encode(), f"console:{organiser_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_session(settings: Settings, organiser_id: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_HOURS * 3600)
    return f"{organiser_id}.{expires}.{_session_signature(settings.secret_key, organiser_id, expires)}"


def read_session(settings: Settings, value: str | None, now: float | None = None) -> int | None:
    """The organiser id a well-signed, unexpired session cookie carries, or None."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 12:
        return None
    organiser_id, expires = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _session_signature(settings.secret_key, organiser_id, expires)):
        return None
    if expires < (now or time.time()):
        return None
    return organiser_id


# ---------------------------------------------------------------- forms


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general.append(message)


_PATH = re.compile(r"at `\$\.([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?`")


def field_of_validation_error(error: msgspec.ValidationError) -> str | None:
    """`$.company.vat_id` -> company_vat; `$.colleagues[0].email` -> colleague_email_1."""
    match = _PATH.search(str(error))
    if not match:
        return None
    top, index, sub = match.groups()
    if top == "company":
        return {"vat_id": "company_vat", "name": "company_name", "country": "company_country"}.get(sub or "", "company_vat")
    if top == "colleagues" and index is not None and sub:
        return f"colleague_{sub}_{int(index) + 1}"
    return top


def registration_error_key(detail: str) -> tuple[str | None, str | None]:
    """Which field a registration service error is about, and a translated message for it."""
    lowered = detail.lower()
    if "registered for this event already" in lowered:
        return "email", "already_registered"
    if "give its name" in lowered:
        return "company_name", "company_name_needed"
    if "seats one company" in lowered:
        return "company_vat", "company_full"
    if "consent_privacy" in lowered:
        return "consent_privacy", "consent_needed"
    if "vat" in lowered or "partita iva" in lowered or "uid" in lowered:
        return "company_vat", "vat_invalid"
    if "email address" in lowered:
        return "email", "email_invalid"
    return None, None


def local_input(value: datetime | None, timezone: str) -> str:
    """A stored UTC time as the value of an <input type=datetime-local> in the event's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def parse_local(text: str, timezone: ZoneInfo) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=timezone)


def parse_speakers(text: str) -> list[dict[str, Any]]:
    """One speaker a line: `Name | email | bio` (email and bio optional)."""
    speakers = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        speakers.append({"name": parts[0], "email": parts[1] if len(parts) > 1 and parts[1] else None,
                         "bio": parts[2] if len(parts) > 2 else ""})
    return speakers


def speakers_text(speakers: list[Any]) -> str:
    return "\n".join(" | ".join([s.name, s.email or "", s.bio or ""]).rstrip(" |") for s in speakers)


_AGENDA_LINE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*\|\s*([^|]+?)\s*(?:\|\s*(.+?)\s*)?$")


def parse_agenda(text: str, day: datetime, timezone: ZoneInfo) -> list[dict[str, Any]]:
    """One session a line: `09:00-09:30 | Title | Speaker` on the event's first (local) day."""
    items = []
    local_day = day.astimezone(timezone).date()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _AGENDA_LINE.match(line)
        if not match:
            raise ValueError(f"agenda line {number}: write it as 09:00-09:30 | Title | Speaker")
        start, end, title, speaker = match.groups()
        starts = datetime.combine(local_day, datetime.strptime(start, "%H:%M").time(), timezone)
        ends = datetime.combine(local_day, datetime.strptime(end, "%H:%M").time(), timezone)
        if ends <= starts:
            ends += timedelta(days=1)
        items.append({"title": title, "starts_at": starts, "ends_at": ends, "speaker": speaker or None})
    return items


def agenda_text(agenda: list[Any], timezone: str) -> str:
    zone_info = ZoneInfo(timezone)
    return "\n".join(
        f"{item.starts_at.astimezone(zone_info):%H:%M}-{item.ends_at.astimezone(zone_info):%H:%M} | {item.title}"
        + (f" | {item.speaker}" if item.speaker else "")
        for item in agenda
    )


# ---------------------------------------------------------------- dashboard chart


@dataclass
class ChartBar:
    label: str
    confirmed: int
    attended: int
    capacity: int
    y: int
    confirmed_width: float
    attended_width: float


@dataclass
class Chart:
    bars: list[ChartBar]
    width: int
    height: int
    label_width: int
    plot_width: int
    maximum: int
    ticks: list[tuple[float, int]]


def registrations_chart(rows: list[dict[str, Any]], *, label_width: int = 260, plot_width: int = 420, row_height: int = 44) -> Chart:
    """Horizontal bars per event: confirmed registrations, and attended among them."""
    maximum = max([1, *[max(row["confirmed"], row["attended"]) for row in rows]])
    scale = plot_width / maximum
    bars = []
    for index, row in enumerate(rows):
        label = row["title"] if len(row["title"]) <= 34 else row["title"][:33] + "…"
        bars.append(
            ChartBar(label=label, confirmed=row["confirmed"], attended=row["attended"], capacity=row["capacity"],
                     y=30 + index * row_height, confirmed_width=round(row["confirmed"] * scale, 1),
                     attended_width=round(row["attended"] * scale, 1))
        )
    step = max(1, -(-maximum // 4))
    ticks = [(round(label_width + value * scale, 1), value) for value in range(0, maximum + 1, step)]
    return Chart(bars=bars, width=label_width + plot_width + 40, height=40 + len(rows) * row_height,
                 label_width=label_width, plot_width=plot_width, maximum=maximum, ticks=ticks)
