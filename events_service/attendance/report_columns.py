"""The words the platforms write in their reports' header rows, per platform and language.

Source: ../shared/REPORT-FORMATS.md (header rows copied from real exports). Header cells are
compared after `norm_header`: casefolded, whitespace collapsed, typographic apostrophes made
plain (Zoom writes `In sala d’attesa` with U+2019 in one export and U+0027 in another).

Layouts marked *unconfirmed* there (German Zoom and German Teams) are accepted by these names,
and a report whose header uses names not listed here is still read when its structure shows it:
a column of join times next to a column of leave times (parsers._structural_header).
"""

from __future__ import annotations

import unicodedata

from events_service.attendance.platforms import Platform

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def norm_header(cell: str) -> str:
    text = unicodedata.normalize("NFC", cell.strip().strip('"\ufeff')).translate(_APOSTROPHES)
    return " ".join(text.casefold().split())


# The participant's name, best first: Zoom's "Display (Original)" column, then display names.
NAME_COLUMNS = (
    "name (original name)",  # Zoom en
    "nome (nome originale)",  # Zoom it
    "name (ursprünglicher name)",  # Zoom de (unconfirmed)
    "user name (original name)",
    "display name",
    "name",  # Teams en, de
    "full name",
    "attendee name",
    "participant name",
    "participant",
    "user name",  # Zoom webinar
)
#: Name columns whose values read "Display (Original)" when someone renamed themselves.
ORIGINAL_NAME_COLUMNS = frozenset(NAME_COLUMNS[:4])

ROLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "user email", "attendee email", "email address", "e-mail", "e-mail address", "participant email"),
    "upn": ("participant id (upn)", "upn", "user principal name"),
    "join": (
        "join time", "join", "joined", "join date", "joined at", "join time (utc)",
        "ora di ingresso",  # Zoom it
        "beitrittszeit",  # Zoom de (unconfirmed)
        "beitreten",  # Teams de, in-meeting activities (unconfirmed)
    ),
    "leave": (
        "leave time", "leave", "left", "leave date", "left at", "leave time (utc)",
        "ora di uscita",  # Zoom it
        "austrittszeit",  # Zoom de (unconfirmed)
        "verlassen",  # Teams de (unconfirmed)
    ),
    "first_join": ("first join", "first join time", "first joined", "erster beitritt"),
    "last_leave": ("last leave", "last leave time", "last left", "letztes verlassen"),
    "duration": (
        "in-meeting duration", "duration", "attendance duration",
        "duration (minutes)", "durata (minuti)", "dauer (minuten)", "time in session (minutes)",
    ),
    "action": ("user action", "action", "activity"),
    "timestamp": ("timestamp", "time stamp", "date and time"),
    "first_name": ("first name",),
    "last_name": ("last name",),
    "attended": ("attended",),
    "waiting_room": ("in waiting room", "in sala d'attesa"),
    "guest": ("guest", "is guest"),
    "role": ("role",),
    "country": ("country/region name",),
}

COLUMN_ROLE: dict[str, str] = {alias: "name" for alias in NAME_COLUMNS}
for _role, _aliases in ROLE_COLUMNS.items():
    COLUMN_ROLE.update(dict.fromkeys(_aliases, _role))

#: Roles whose LAST column wins: Zoom's current layout has two `Durata (minuti)`, the
#: meeting's length first and the participant's second.
LAST_COLUMN_WINS = frozenset({"duration"})

#: What a reader needs and the names it looks for, for the error that says nothing fitted.
LOOKED_FOR = (
    "Name (original name) / Nome (nome originale) / Name (ursprünglicher Name) / Name / User Name",
    "Email / E-mail / E-Mail",
    "Join time / Ora di ingresso / Beitrittszeit / Beitreten",
    "Leave time / Ora di uscita / Austrittszeit / Verlassen",
)

# Headers that only one tool writes: used to tell the platform apart.
PLATFORM_MARKERS: dict[Platform, frozenset[str]] = {
    "zoom": frozenset({
        "name (original name)", "nome (nome originale)", "name (ursprünglicher name)",
        "user name (original name)", "user email", "duration (minutes)", "durata (minuti)",
        "dauer (minuten)", "time in session (minutes)", "guest", "is guest", "in waiting room",
        "in sala d'attesa", "recording disclaimer response",
        "risposta di esclusione di responsabilità per la registrazione", "recording consent",
        "country/region name", "approval status", "host details", "panelist details",
        "attendee details", "other attended", "attendee report", "ora di ingresso",
        "beitrittszeit", "argomento", "nome organizzatore", "topic", "host name",
    }),
    "teams": frozenset({
        "first join", "last leave", "in-meeting duration", "participant id (upn)", "user action",
        "full name", "1. summary", "2. participants", "3. in-meeting activities",
        "erster beitritt", "letztes verlassen", "1. zusammenfassung",
        "3. aktivitäten in der besprechung", "beitreten",
    }),
    "webex": frozenset({
        "attendee email", "attendance duration", "display name", "connection type", "session name",
        "meeting name", "attendee name", "attended duration",
    }),
}

# Section titles: a lone first cell that ends the table above it. Zoom webinars write
# "Attendee Details," (trailing comma); Teams numbers them ("1. Summary", "3. Aktivitäten …").
SECTION_TITLES = frozenset({
    "attendee report", "host details", "panelist details", "attendee details", "other attended",
    "other details", "summary", "participants", "in-meeting activities",
})
#: Zoom webinar sections whose people run the event rather than attend it.
STAFF_SECTIONS = frozenset({"host details", "panelist details"})

#: Cells a header row can start with besides the columns we read: first columns of the
#: Zoom (current layout, repeated on every day of a multi-day export) and Webex headers.
OTHER_FIRST_CELLS = frozenset({"meeting name", "meeting id", "topic", "argomento", "role"})

#: Cell values meaning yes (waiting room, guest) and no (attended), in the report languages.
YES = frozenset({"yes", "sì", "si", "ja", "true", "1", "y"})
NO = frozenset({"no", "nein", "false", "0", "n"})

#: What Zoom appends to the host's name, and Teams' role of the meeting's owner.
HOST_MARKERS = ("(host)", "(organizzatore)", "(co-host)")
HOST_ROLES = frozenset({"organizer", "organizzatore", "organisator", "organisatorin", "host"})
