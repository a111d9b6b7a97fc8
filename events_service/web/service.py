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
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import segno
from babel.dates import format_datetime, format_time

from events_service.errors import DomainError
from events_service.languages import LANGUAGES
from events_service.settings import Settings
from events_service.validation import MAX_REMINDER_MINUTES, MAX_REMINDERS

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
        "too_many_requests": "Too many attempts",
        "too_many_requests_text": "Too many attempts from your address in the last minute. Please wait a moment and try again.",
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
        "too_many_requests": "Troppi tentativi",
        "too_many_requests_text": "Troppi tentativi dal tuo indirizzo nell'ultimo minuto. Attendi qualche istante e riprova.",
        "colleague_email_label": "Email del collega",
    },
}


#: The organisers' console's words, kept apart from the public pages' and merged into WORDS
#: below: a key here must not be one of the public pages' (it would replace their word).
CONSOLE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "console": "Console",
        "console_menu": "Console menu",
        "dashboard": "Dashboard",
        "outbox": "Outbox",
        "checkin": "Check-in",
        "sign_in": "Sign in",
        "sign_in_title": "Organisers: sign in",
        "sign_out": "Sign out",
        "password": "Password",
        "login_failed": "Wrong email or password.",
        "role_admin": "administrator",
        "role_organiser": "organiser",
        "role_checkin": "check-in staff",
        "n_published_events": "published events",
        "n_registrations": "registrations",
        "n_confirmed": "confirmed",
        "n_attendances": "attendances",
        "n_companies": "companies",
        "n_attending_companies": "attending",
        "n_minutes": "minutes attended",
        "n_waitlisted": "waitlisted",
        "n_cancelled": "cancelled",
        "n_attended": "attended",
        "chart_title": "Registrations and attendance per event",
        "no_published_events": "No published events yet.",
        "col_event": "Event",
        "col_starts": "Starts",
        "col_confirmed_capacity": "Confirmed / capacity",
        "col_waitlisted": "Waitlisted",
        "col_attended": "Attended",
        "col_rate": "Attendance rate",
        "col_title": "Title",
        "col_actions": "Actions",
        "col_name": "Name",
        "col_mode": "Mode",
        "col_minutes": "Minutes",
        "col_to": "To",
        "col_subject": "Subject",
        "col_attempts": "Attempts",
        "col_last_error": "Last error",
        "col_send_after": "Send after",
        "status_draft": "draft",
        "status_published": "published",
        "status_cancelled": "cancelled",
        "new_event": "New event",
        "no_events_yet": "No events yet.",
        "registrations": "Registrations",
        "attendance_import": "Attendance import",
        "sequence": "sequence",
        "public_page": "public page",
        "publish": "Publish",
        "cancel_event": "Cancel event",
        "cancel_event_confirm": "Cancel this event? Every registrant is told.",
        "saved": "Saved.",
        "event_kind": "Kind",
        "kind_tech_talk": "Tech Talk (webinar)",
        "mode": "Mode",
        "event_language": "Language of the event",
        "lang_it": "Italian",
        "lang_en": "English",
        "title": "Title",
        "description": "Description",
        "starts_at": "Starts (local time)",
        "ends_at": "Ends (local time)",
        "timezone": "Time zone",
        "timezone_hint": "IANA name, e.g. Europe/Rome, Europe/Zurich",
        "registration_closes_at": "Registration closes (optional)",
        "registration_closes_at_hint": "Default: when the event starts",
        "capacity": "Capacity (seats in the room, or online seats)",
        "online_capacity": "Online capacity (hybrid only)",
        "max_per_company": "Seats per company (optional)",
        "venue_name": "Venue name",
        "venue_address": "Venue address",
        "venue_city": "City",
        "online_url": "Join link (online / hybrid)",
        "online_url_hint": "Shown only to confirmed registrants",
        "topics": "Topics",
        "topics_hint": "Comma separated, e.g. iot, ai",
        "speakers_hint": "One a line: Name | email | bio",
        "agenda_field": "Agenda (Tech Day)",
        "agenda_hint": "One session a line: 09:00-09:30 | Title | Speaker",
        "reminder_offsets": "Reminders before the event",
        "reminder_offsets_hint": "Comma separated: 2d = 2 days, 3h = 3 hours, 30m = 30 minutes (a bare number is minutes); at most 6, up to 60 days. Empty: no reminders.",
        "follow_up": "After the event",
        "follow_up_hint": "The thank-you email to the people who attended links to these.",
        "follow_up_sent": "The follow-up emails were sent on",
        "recording_url": "Recording link",
        "slides_url": "Slides link",
        "url_hint": "A full address starting with https://",
        # service refusals by their code (error_text); {names} are filled from the error's extra
        "error_ends_before_start": "The event must end after it starts.",
        "error_closes_after_end": "Registration must close before the event ends.",
        "error_hybrid_needs_online_capacity": "A hybrid event needs its online seats too (the capacity counts the seats in the room).",
        "error_online_capacity_not_hybrid": "Online seats are only for hybrid events: use the capacity.",
        "error_agenda_only_tech_day": "Only a Tech Day has an agenda.",
        "error_event_cancelled": "This event has been cancelled: it can no longer be changed or published.",
        "error_missing_for_publication": "Before people can register, the event needs: {missing}.",
        "error_event_ended": "This event has already ended: it cannot be published.",
        "error_capacity_below_confirmed": "The capacity cannot go below the {confirmed} seats already confirmed.",
        "error_online_capacity_below_confirmed": "The online seats cannot go below the {confirmed} already confirmed.",
        "attendance_threshold": "Attended from (% of the event)",
        "attendance_threshold_hint": "In an imported webinar report, who followed at least this share of the event counts as attended and gets the thank-you email (0–100, usually 50).",
        "save_changes": "Save changes",
        "create_draft": "Create draft",
        "error_required": "required",
        "error_whole_number": "a whole number",
        "error_datetime": "date and time like 2026-12-01T09:30",
        "error_agenda_line": "agenda line {line}: write it as 09:00-09:30 | Title | Speaker",
        "error_agenda_too_long": "The agenda is too long: at most {items} sessions, one a line of at most {chars} characters.",
        "error_offsets": "“{text}” is not a reminder time: write e.g. 1d, 3h, 30m",
        "error_offsets_range": "each reminder between 1 minute and 60 days before the event",
        "error_offsets_count": "at most 6 reminders",
        "error_url": "a full address starting with http:// or https://",
        "error_invalid": "this value is not valid",
        "error_number_range": "a number out of range",
        "error_text_length": "too long (or empty)",
        "registrations_of": "Registrations",
        "export_csv": "Export CSV",
        "yes": "yes",
        "no": "no",
        "cancel": "Cancel",
        "cancel_registration_confirm": "Cancel this registration?",
        "no_registrations": "No registrations.",
        "checkin_choose": "Check-in: choose the event",
        "no_checkin_events": "No published in-person or hybrid events.",
        "checked_in_attended": "checked in / attended",
        "n_confirmed_people": "confirmed",
        "welcome": "Welcome",
        "already_checked_in": "Already checked in",
        "checked_in_at": "checked in at",
        "checkin_code_label": "Check-in code",
        "checkin_code_hint": "Scan the QR code with the handheld scanner (it types the code and presses Enter), or type it.",
        "check_in": "Check in",
        "checkin_empty": "scan or type a code",
        "checkin_unknown": "unknown check-in code: it is not a code of this programme, or it has been replaced",
        "scan_camera": "Scan with the camera",
        "scan_stop": "Stop the camera",
        "scan_starting": "Starting the camera…",
        "scan_ready": "Point the camera at the QR code.",
        "scan_found": "Code read: checking in…",
        "scan_stopped": "Camera stopped.",
        "scan_unavailable": "The camera is not available: scan or type the code in the field.",
        "scan_denied": "Camera access was refused: scan or type the code in the field.",
        "scan_video": "Camera preview",
        "attendance_import_of": "Attendance import",
        "report_platform": "Report",
        "report_rows": "Rows",
        "report_people": "People",
        "report_matched": "Matched to a registration",
        "report_unmatched": "Not matched",
        "report_attended": "Registrations counted as attended",
        "report_threshold": "threshold",
        "report_intervals": "New attendance intervals",
        "not_matched_title": "Not matched to a registration",
        "rows_skipped": "Rows skipped",
        "report_file": "Participant report (CSV from Zoom, Teams or Webex)",
        "platform": "Platform",
        "detect": "Detect",
        "import": "Import",
        "choose_report": "choose the participant report (CSV) to upload",
        "outbox_queued": "queued",
        "outbox_sending": "sending",
        "outbox_sent": "sent",
        "outbox_retry": "retry",
        "outbox_failed": "failed",
        "outbox_withdrawn": "withdrawn",
        "retry": "Retry",
        "message": "message",
        "outbox_empty": "Nothing here.",
        "mail_confirmed": "confirmation",
        "mail_waitlisted": "waiting list",
        "mail_promoted": "seat from the waiting list",
        "mail_cancelled": "cancellation",
        "mail_event_updated": "event changed",
        "mail_event_cancelled": "event cancelled",
        "mail_reminder": "reminder",
        "mail_thank_you": "thank you",
        "mail_missed_you": "we missed you",
        "mail_broadcast": "message to registrants",
    },
    "it": {
        "console": "Area organizzatori",
        "console_menu": "Menu dell'area organizzatori",
        "dashboard": "Cruscotto",
        "outbox": "Posta in uscita",
        "checkin": "Check-in",
        "sign_in": "Accedi",
        "sign_in_title": "Organizzatori: accesso",
        "sign_out": "Esci",
        "password": "Password",
        "login_failed": "Email o password errate.",
        "role_admin": "amministratore",
        "role_organiser": "organizzatore",
        "role_checkin": "addetto al check-in",
        "n_published_events": "eventi pubblicati",
        "n_registrations": "iscrizioni",
        "n_confirmed": "confermate",
        "n_attendances": "presenze",
        "n_companies": "aziende",
        "n_attending_companies": "presenti",
        "n_minutes": "minuti di presenza",
        "n_waitlisted": "in lista d'attesa",
        "n_cancelled": "annullate",
        "n_attended": "presenti",
        "chart_title": "Iscrizioni e presenze per evento",
        "no_published_events": "Ancora nessun evento pubblicato.",
        "col_event": "Evento",
        "col_starts": "Inizio",
        "col_confirmed_capacity": "Confermate / posti",
        "col_waitlisted": "In lista d'attesa",
        "col_attended": "Presenti",
        "col_rate": "Tasso di presenza",
        "col_title": "Titolo",
        "col_actions": "Azioni",
        "col_name": "Nome",
        "col_mode": "Modalità",
        "col_minutes": "Minuti",
        "col_to": "Destinatario",
        "col_subject": "Oggetto",
        "col_attempts": "Tentativi",
        "col_last_error": "Ultimo errore",
        "col_send_after": "Invio non prima del",
        "status_draft": "bozza",
        "status_published": "pubblicato",
        "status_cancelled": "annullato",
        "new_event": "Nuovo evento",
        "no_events_yet": "Ancora nessun evento.",
        "registrations": "Iscrizioni",
        "attendance_import": "Importa presenze",
        "sequence": "revisione",
        "public_page": "pagina pubblica",
        "publish": "Pubblica",
        "cancel_event": "Annulla l'evento",
        "cancel_event_confirm": "Annullare questo evento? Tutti gli iscritti riceveranno un avviso.",
        "saved": "Modifiche salvate.",
        "event_kind": "Tipo",
        "kind_tech_talk": "Tech Talk (webinar)",
        "mode": "Modalità",
        "event_language": "Lingua dell'evento",
        "lang_it": "Italiano",
        "lang_en": "Inglese",
        "title": "Titolo",
        "description": "Descrizione",
        "starts_at": "Inizio (ora locale)",
        "ends_at": "Fine (ora locale)",
        "timezone": "Fuso orario",
        "timezone_hint": "Nome IANA, ad esempio Europe/Rome, Europe/Zurich",
        "registration_closes_at": "Chiusura delle iscrizioni (facoltativa)",
        "registration_closes_at_hint": "Se vuoto: all'inizio dell'evento",
        "capacity": "Posti (in sala, oppure online)",
        "online_capacity": "Posti online (solo eventi ibridi)",
        "max_per_company": "Posti per azienda (facoltativo)",
        "venue_name": "Nome della sede",
        "venue_address": "Indirizzo della sede",
        "venue_city": "Città",
        "online_url": "Link di collegamento (online / ibrido)",
        "online_url_hint": "Visibile solo agli iscritti confermati",
        "topics": "Temi",
        "topics_hint": "Separati da virgole, ad esempio iot, ai",
        "speakers_hint": "Uno per riga: Nome | email | biografia",
        "agenda_field": "Programma (Tech Day)",
        "agenda_hint": "Una sessione per riga: 09:00-09:30 | Titolo | Relatore",
        "reminder_offsets": "Promemoria prima dell'evento",
        "reminder_offsets_hint": "Separati da virgole: 2d (o 2g) = 2 giorni, 3h = 3 ore, 30m = 30 minuti (un numero da solo indica i minuti); al massimo 6, fino a 60 giorni prima. Vuoto: nessun promemoria.",
        "follow_up": "Dopo l'evento",
        "follow_up_hint": "L'email di ringraziamento a chi ha partecipato contiene questi link.",
        "follow_up_sent": "Le email dopo l'evento sono state inviate il",
        "recording_url": "Link alla registrazione video",
        "slides_url": "Link alle slide",
        "url_hint": "Un indirizzo completo che inizia con https://",
        "error_ends_before_start": "L'evento deve finire dopo l'inizio.",
        "error_closes_after_end": "Le iscrizioni devono chiudersi prima della fine dell'evento.",
        "error_hybrid_needs_online_capacity": "Un evento ibrido ha bisogno anche dei posti online (i posti indicati sono quelli in sala).",
        "error_online_capacity_not_hybrid": "I posti online sono solo per gli eventi ibridi: usa i posti.",
        "error_agenda_only_tech_day": "Solo un Tech Day ha un programma.",
        "error_event_cancelled": "Questo evento è stato annullato: non si può più modificare né pubblicare.",
        "error_missing_for_publication": "Prima di aprire le iscrizioni l'evento ha bisogno di: {missing}.",
        "error_event_ended": "Questo evento è già finito: non si può pubblicare.",
        "error_capacity_below_confirmed": "I posti non possono scendere sotto i {confirmed} già confermati.",
        "error_online_capacity_below_confirmed": "I posti online non possono scendere sotto i {confirmed} già confermati.",
        "attendance_threshold": "Presente da (% dell'evento)",
        "attendance_threshold_hint": "Nel report importato del webinar conta come presente, e riceve l'email di ringraziamento, chi ha seguito almeno questa quota dell'evento (0–100, di solito 50).",
        "save_changes": "Salva le modifiche",
        "create_draft": "Crea la bozza",
        "error_required": "campo obbligatorio",
        "error_whole_number": "serve un numero intero",
        "error_datetime": "data e ora nel formato 2026-12-01T09:30",
        "error_agenda_line": "riga {line} del programma: scrivila come 09:00-09:30 | Titolo | Relatore",
        "error_agenda_too_long": "Il programma è troppo lungo: al massimo {items} sessioni, una per riga di al massimo {chars} caratteri.",
        "error_offsets": "«{text}» non è un anticipo valido: scrivi ad esempio 1d, 3h, 30m",
        "error_offsets_range": "ogni promemoria tra 1 minuto e 60 giorni prima dell'evento",
        "error_offsets_count": "al massimo 6 promemoria",
        "error_url": "serve un indirizzo completo che inizi con http:// o https://",
        "error_invalid": "valore non valido",
        "error_number_range": "numero fuori dall'intervallo consentito",
        "error_text_length": "testo troppo lungo (o vuoto)",
        "registrations_of": "Iscrizioni",
        "export_csv": "Esporta CSV",
        "yes": "sì",
        "no": "no",
        "cancel": "Annulla",
        "cancel_registration_confirm": "Annullare questa iscrizione?",
        "no_registrations": "Nessuna iscrizione.",
        "checkin_choose": "Check-in: scegli l'evento",
        "no_checkin_events": "Nessun evento pubblicato in presenza o ibrido.",
        "checked_in_attended": "entrati / presenti",
        "n_confirmed_people": "iscritti confermati",
        "welcome": "Ingresso registrato",
        "already_checked_in": "Check-in già effettuato",
        "checked_in_at": "ingresso alle",
        "checkin_code_label": "Codice di check-in",
        "checkin_code_hint": "Scansiona il codice QR con il lettore (scrive il codice e preme Invio), oppure digitalo.",
        "check_in": "Registra l'ingresso",
        "checkin_empty": "scansiona o digita un codice",
        "checkin_unknown": "codice di check-in sconosciuto: non è un codice di questo programma, oppure è stato sostituito",
        "scan_camera": "Scansiona con la fotocamera",
        "scan_stop": "Spegni la fotocamera",
        "scan_starting": "Avvio della fotocamera…",
        "scan_ready": "Inquadra il codice QR.",
        "scan_found": "Codice letto: registrazione dell'ingresso…",
        "scan_stopped": "Fotocamera spenta.",
        "scan_unavailable": "La fotocamera non è disponibile: scansiona o digita il codice nel campo.",
        "scan_denied": "L'accesso alla fotocamera è stato negato: scansiona o digita il codice nel campo.",
        "scan_video": "Anteprima della fotocamera",
        "attendance_import_of": "Importazione presenze",
        "report_platform": "Report",
        "report_rows": "Righe",
        "report_people": "Persone",
        "report_matched": "Abbinate a un'iscrizione",
        "report_unmatched": "Non abbinate",
        "report_attended": "Iscrizioni conteggiate come presenti",
        "report_threshold": "soglia",
        "report_intervals": "Nuovi intervalli di presenza",
        "not_matched_title": "Non abbinati a un'iscrizione",
        "rows_skipped": "Righe scartate",
        "report_file": "Report dei partecipanti (CSV da Zoom, Teams o Webex)",
        "platform": "Piattaforma",
        "detect": "Rileva automaticamente",
        "import": "Importa",
        "choose_report": "scegli il report dei partecipanti (CSV) da caricare",
        "outbox_queued": "in coda",
        "outbox_sending": "in invio",
        "outbox_sent": "inviato",
        "outbox_retry": "da ritentare",
        "outbox_failed": "non riuscito",
        "outbox_withdrawn": "ritirato",
        "retry": "Riprova",
        "message": "messaggio",
        "outbox_empty": "Nessun messaggio.",
        "mail_confirmed": "conferma",
        "mail_waitlisted": "lista d'attesa",
        "mail_promoted": "posto dalla lista d'attesa",
        "mail_cancelled": "annullamento",
        "mail_event_updated": "evento modificato",
        "mail_event_cancelled": "evento annullato",
        "mail_reminder": "promemoria",
        "mail_thank_you": "ringraziamento",
        "mail_missed_you": "mancata partecipazione",
        "mail_broadcast": "messaggio agli iscritti",
    },
}
for _lang, _words in CONSOLE_WORDS.items():
    if _twice := sorted(WORDS[_lang].keys() & _words.keys()):  # pragma: no cover - a programming error
        raise RuntimeError(f"console words that the public pages have already: {_twice}")
    WORDS[_lang].update(_words)


def translator(lang: str) -> Any:
    words = WORDS[lang]

    def t(key: str, default: str | None = None) -> str:
        """The word for `key`; English when this language lacks it; `default` (or the key)
        when no language has it, e.g. a code the console shows through `t("mail_" ~ kind, kind)`."""
        return words.get(key) or WORDS["en"].get(key) or (key if default is None else default)

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


# ---------------------------------------------------------------- one-time form keys

_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_key() -> str:
    """A one-time key for a console form that creates something (events.create_event)."""
    return secrets.token_urlsafe(16)


def form_key_of(value: object) -> str | None:
    """The key a form carried, or None (no key, or not one we could have made: no dedupe)."""
    return value if isinstance(value, str) and _FORM_KEY.fullmatch(value) else None


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
    # ASCII digits only: str.isdigit() is also true for '²', which int() refuses.
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts[:2]) or len(parts[0]) > 12 or len(parts[1]) > 12:
        return None
    organiser_id, expires = int(parts[0]), int(parts[1])
    # Bytes: compare_digest raises on a non-ASCII str. Every key is tried (a former key,
    # EVENTS_SECRET_KEY_FALLBACKS, keeps a session open across a rotation).
    signature = parts[2].encode()
    signed = [hmac.compare_digest(signature, _session_signature(key, organiser_id, expires).encode()) for key in settings.verification_keys]
    if not any(signed):
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


#: Registration error codes (DomainError.code) → the form field they are about and the key of
#: the page's own translated message.
REGISTRATION_ERROR_FIELDS: dict[str, tuple[str, str]] = {
    "already_registered": ("email", "already_registered"),
    "company_name_needed": ("company_name", "company_name_needed"),
    "company_full": ("company_vat", "company_full"),
    "consent_required": ("consent_privacy", "consent_needed"),
    "invalid_vat_id": ("company_vat", "vat_invalid"),
    "invalid_email": ("email", "email_invalid"),
}


def error_text(error: DomainError, t: Any) -> str:
    """A service's refusal in the page's language when the console has words for its code,
    with its figures filled in; otherwise as the service worded it (in English)."""
    template = t(f"error_{error.code}", "") if error.code else ""
    if not template:
        return error.detail
    values = dict(error.extra or {})
    if "missing" in values:  # the event's fields, as the form labels them ("venue.name" -> venue_name)
        values["missing"] = ", ".join(t(name.replace(".", "_")) for name in values["missing"])
    return template.format(**values)


def registration_error_key(code: str | None) -> tuple[str | None, str | None]:
    """Which field a registration service error is about, and a translated message for it;
    (None, None) for an error the form shows as the service worded it."""
    return REGISTRATION_ERROR_FIELDS.get(code or "", (None, None))


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


# The times part only, matched after the line is split at "|": every pattern here runs on a
# short, bounded piece, and the line is read in one pass (a single regex over the whole line
# backtracked quadratically on long runs of spaces: 8,000 characters took seconds).
_AGENDA_TIMES = re.compile(r"(\d{1,2}:\d{2})[ \t]*[-–][ \t]*(\d{1,2}:\d{2})")
#: The agenda has at most this many sessions (EventCreate.agenda's max_length).
MAX_AGENDA_ITEMS = 100
#: A session line: times, a title of at most 200 characters, a speaker's name; generous.
MAX_AGENDA_LINE = 600
#: The whole field, bounded before any parsing: the form is read on the event loop.
MAX_AGENDA_CHARS = MAX_AGENDA_ITEMS * (MAX_AGENDA_LINE + 1)


class AgendaLineError(ValueError):
    """A line of the agenda field that cannot be read; `line` counts from 1."""

    def __init__(self, line: int) -> None:
        super().__init__(f"agenda line {line}: write it as 09:00-09:30 | Title | Speaker")
        self.line = line


class AgendaTooLong(ValueError):
    """The agenda field is past a limit (`what`: "chars", "line" or "items"); nothing of it
    is parsed."""

    def __init__(self, what: str, line: int | None = None) -> None:
        super().__init__(f"agenda too long ({what})")
        self.what = what
        self.line = line


def _agenda_line(line: str, number: int) -> tuple[str, str, str, str | None]:
    """(start, end, title, speaker) of one line: `09:00-09:30 | Title | Speaker`. A speaker
    may contain "|"; the title may not (it ends at the first one after the times)."""
    parts = line.split("|", 2)
    if len(parts) < 2:
        raise AgendaLineError(number)
    times = _AGENDA_TIMES.fullmatch(parts[0].strip())
    title = parts[1].strip()
    if times is None or not title:
        raise AgendaLineError(number)
    speaker = parts[2].strip() if len(parts) == 3 else ""
    return times.group(1), times.group(2), title, speaker or None


def parse_agenda(text: str, day: datetime, timezone: ZoneInfo) -> list[dict[str, Any]]:
    """One session a line: `09:00-09:30 | Title | Speaker` on the event's first (local) day.
    Linear in the text's length, and refused unread past MAX_AGENDA_CHARS."""
    if len(text) > MAX_AGENDA_CHARS:
        raise AgendaTooLong("chars")
    items = []
    local_day = day.astimezone(timezone).date()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_AGENDA_LINE:
            raise AgendaTooLong("line", number)
        if len(items) == MAX_AGENDA_ITEMS:
            raise AgendaTooLong("items", number)
        start, end, title, speaker = _agenda_line(line, number)
        try:
            starts = datetime.combine(local_day, datetime.strptime(start, "%H:%M").time(), timezone)
            ends = datetime.combine(local_day, datetime.strptime(end, "%H:%M").time(), timezone)
        except ValueError:  # 25:00, 09:75
            raise AgendaLineError(number) from None
        if ends <= starts:
            ends += timedelta(days=1)
        items.append({"title": title, "starts_at": starts, "ends_at": ends, "speaker": speaker})
    return items


def agenda_text(agenda: list[Any], timezone: str) -> str:
    zone_info = ZoneInfo(timezone)
    return "\n".join(
        f"{item.starts_at.astimezone(zone_info):%H:%M}-{item.ends_at.astimezone(zone_info):%H:%M} | {item.title}"
        + (f" | {item.speaker}" if item.speaker else "")
        for item in agenda
    )


#: msgspec paths of the event (and follow-up) structs that are not named like the form's fields.
_EVENT_FORM_FIELDS = {"reminder_offsets_minutes": "reminder_offsets"}


def event_form_error(error: msgspec.ValidationError) -> tuple[str | None, str]:
    """The console's event form field a msgspec error is about (`$.venue.name` -> venue_name),
    and the key of a translated message for it."""
    text = str(error)
    match = _PATH.search(text)
    name = None
    if match:
        top, _, sub = match.groups()
        name = f"venue_{sub}" if top == "venue" and sub else _EVENT_FORM_FIELDS.get(top, top)
    if "matching regex" in text:
        return name, "error_url"
    if "length" in text:
        return name, "error_text_length"
    if ">=" in text or "<=" in text:
        return name, "error_number_range"
    return name, "error_invalid"


_OFFSET = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)\s*([a-z]*)$")
# A comma between digits with the unit right after is an Italian decimal comma (`1,5h` is 90
# minutes), not two reminders: split at the comma, it read as 1 minute and 5 hours.
_DECIMAL_COMMA = re.compile(r"(\d),(\d+\s*[a-z])")
_OFFSET_UNITS = {"": 1, "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "minuto": 1, "minuti": 1,
                 "h": 60, "hour": 60, "hours": 60, "ora": 60, "ore": 60,
                 "d": 1440, "g": 1440, "day": 1440, "days": 1440, "giorno": 1440, "giorni": 1440}


class OffsetError(ValueError):
    """Why the reminder field cannot be read: `reason` is "format" (then `text` is the piece
    that is not a time), "range" or "count"."""

    def __init__(self, reason: str, text: str = "") -> None:
        super().__init__(f"reminder offsets: {reason} {text}".strip())
        self.reason = reason
        self.text = text


def parse_offsets(text: str) -> list[int]:
    """The reminder field: `1d, 3h, 30m` (also `2g`, `1 day`, `2 ore`, `1.5h` or `1,5h`; a bare
    number is minutes) as minutes before the event, largest first, each once. Empty means no
    reminders."""
    minutes: set[int] = set()
    for piece in re.split(r"[,;]", _DECIMAL_COMMA.sub(r"\1.\2", text.lower())):
        piece = piece.strip()
        if not piece:
            continue
        match = _OFFSET.match(piece)
        if not match or match.group(2) not in _OFFSET_UNITS:
            raise OffsetError("format", piece)
        amount = Decimal(match.group(1)) * _OFFSET_UNITS[match.group(2)]
        if amount != amount.to_integral_value():
            raise OffsetError("format", piece)  # reminders go out on whole minutes
        value = int(amount)
        if not 1 <= value <= MAX_REMINDER_MINUTES:
            raise OffsetError("range", piece)
        minutes.add(value)
    if len(minutes) > MAX_REMINDERS:
        raise OffsetError("count")
    return sorted(minutes, reverse=True)


def offsets_text(minutes: list[int]) -> str:
    """[1440, 90, 60] -> `1d, 90m, 1h`: what parse_offsets reads back."""

    def one(value: int) -> str:
        if value % 1440 == 0:
            return f"{value // 1440}d"
        if value % 60 == 0:
            return f"{value // 60}h"
        return f"{value}m"

    return ", ".join(one(value) for value in minutes)


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
