"""The demo's past: four events that took place before `today`, so the dashboard, the reports
page and the certificates are not empty on first start.

Written as it would have happened, through the services: each event is created and published
while it still lay ahead, people register for it (companies from Lombardy, Ticino and
Grigioni), the in-person days check people in at the door (one walk-in), then the event is
dated back to its real day, the online talks get their platform's participant report
imported, and attendance is finalised. The emails these steps queue (confirmations, thank-you
notes) are withdrawn: nobody is told today about events of weeks ago.

    Tech Talk  "AI generativa…"      8 weeks ago, online, targeted: 8 registered, report: 6 attended
    Tech Talk  "Cybersecurity…"      4 weeks ago, online, targeted: 6 registered, report: 5 attended
    Tech Day   "Tech Day Como…"      3 weeks ago, in person in Como (IT), targeted: 10 registered
               (3 from Swiss companies: cross-border), 7 checked in, 1 walk-in
    Open day   "Porte aperte…"       5 weeks ago, in person in Mendrisio (CH), public: 5 registered, 4 checked in
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from events_service.attendance.schemas import WalkInCreate
from events_service.attendance.service import check_in, finalise_attendance, import_report, walk_in
from events_service.companies.tables import Company
from events_service.events.schemas import Audience, EventCreate, SpeakerIn, Venue
from events_service.events.service import create_event, publish_event
from events_service.events.tables import Event
from events_service.mail.records import OutboxStatus
from events_service.mail.tables import OutboxMessage
from events_service.registrations.schemas import CompanyRef, RegistrationCreate
from events_service.registrations.service import register
from events_service.registrations.tables import Registration
from events_service.settings import Settings

ROME = ZoneInfo("Europe/Rome")

# (first name, last name, company's city in demo.COMPANIES)
AI_TALK_PEOPLE = [("Giorgio", "Castelli", "Lecco"), ("Sara", "Mauri", "Calolziocorte"), ("Ivan", "Colombo", "Merate"),
                  ("Laura", "Bianchi", "Como"), ("Marta", "Galli", "Cantù"), ("Fabio", "Keller", "Mendrisio"),
                  ("Nadia", "Rezzonico", "Chiasso"), ("Pietro", "Sala", "Oggiono")]
CYBER_TALK_PEOPLE = [("Giorgio", "Castelli", "Lecco"), ("Enrico", "Fumagalli", "Valmadrera"), ("Chiara", "Lanfranchi", "Stabio"),
                     ("Davide", "Zanetti", "Grandate"), ("Reto", "Caflisch", "Chur"), ("Anna", "Bertoli", "Cernobbio")]
COMO_DAY_PEOPLE = [("Laura", "Bianchi", "Como"), ("Marta", "Galli", "Cantù"), ("Paolo", "Nessi", "Mariano Comense"),
                   ("Giulia", "Rusconi", "Gravedona ed Uniti"), ("Fabio", "Keller", "Mendrisio"), ("Luca", "Pedrini", "Bellinzona"),
                   ("Seraina", "Tscharner", "St. Moritz"), ("Ivan", "Colombo", "Merate"), ("Silvia", "Crippa", "Premana"),
                  ("Alberto", "Sironi", "Lecco")]
COMO_DAY_ABSENT = {"Giulia", "Silvia", "Alberto"}
COMO_WALK_IN = ("Tiziano", "Molteni", "Oggiono")
OPEN_DAY_PEOPLE = [("Nadia", "Rezzonico", "Chiasso"), ("Chiara", "Lanfranchi", "Stabio"), ("Luca", "Pedrini", "Bellinzona"),
                   ("Sara", "Mauri", "Calolziocorte"), ("Flurin", "Godenzi", "Poschiavo")]
OPEN_DAY_ABSENT = {"Flurin"}
# Minutes in the webinar reports (a talk lasts 90; 45 is the threshold); people not listed did not join.
AI_TALK_MINUTES = {"Giorgio": 88, "Sara": 90, "Ivan": 62, "Laura": 85, "Fabio": 71, "Nadia": 90, "Marta": 20}
CYBER_TALK_MINUTES = {"Giorgio": 90, "Enrico": 77, "Chiara": 86, "Davide": 58, "Reto": 90}


@dataclass(frozen=True)
class PastEvent:
    event: EventCreate
    day: date
    start_hour: int
    hours: float


def _email(first: str, last: str, city: str) -> str:
    return f"{first}.{last}@{city.lower().replace(' ', '-').replace('ù', 'u').replace('.', '')}.example".lower()


def _far_ahead(hours: float) -> tuple[datetime, datetime]:
    """Where an event lies while people register for it: a year ahead."""
    starts = (datetime.now(UTC) + timedelta(days=365)).replace(minute=0, second=0, microsecond=0)
    return starts, starts + timedelta(hours=hours)


def _talk(title: str, description: str, speaker: SpeakerIn, topics: list[str]) -> EventCreate:
    starts, ends = _far_ahead(1.5)
    return EventCreate(kind="tech_talk", title=title, description=description, language="it", starts_at=starts, ends_at=ends,
                       mode="online", capacity=200, online_url="https://webinar.programme.example/j/7001",
                       speakers=[speaker], topics=topics)


def _day(title: str, description: str, venue: Venue, audience: Audience, hours: float) -> EventCreate:
    starts, ends = _far_ahead(hours)
    return EventCreate(kind="tech_day", title=title, description=description, language="it", starts_at=starts, ends_at=ends,
                       mode="in_person", capacity=80, venue=venue, audience=audience, topics=["robotics", "industry-4.0"])


def past_events(today: date) -> dict[str, PastEvent]:
    return {
        "ai": PastEvent(_talk("AI generativa per le PMI: da dove cominciare",
                              "Casi d'uso concreti, costi e rischi dell'AI generativa in una piccola impresa.",
                              SpeakerIn(name="Giulia Ferrari", email="giulia.ferrari@polimi.example"), ["ai"]),
                        today - timedelta(weeks=8), 17, 1.5),
        "cyber": PastEvent(_talk("Cybersecurity per le piccole imprese manifatturiere",
                                 "Le difese essenziali per reparto e ufficio, spiegate senza gergo.",
                                 SpeakerIn(name="Matteo Pedrazzini", email="matteo.pedrazzini@supsi.example"), ["cybersecurity"]),
                           today - timedelta(weeks=4), 17, 1.5),
        "como": PastEvent(_day("Tech Day Como: robotica collaborativa",
                               "Dimostrazioni di cobot e visione artificiale per tessile e arredo.",
                               Venue(name="ComoNExT", address="Via Cavour 2, 22074 Lomazzo", city="Lomazzo", country="IT"),
                               Audience.TARGETED, 7), today - timedelta(weeks=3), 9, 7),
        "open_day": PastEvent(_day("Porte aperte: laboratori di meccanica di precisione",
                                   "Una giornata aperta a tutti nei laboratori di Mendrisio, pubblicizzata sulla stampa locale.",
                                   Venue(name="Laboratori SUPSI", address="Via Francesco Catenazzi 23, 6850 Mendrisio",
                                         city="Mendrisio", country="CH"),
                                   Audience.PUBLIC, 5), today - timedelta(weeks=5), 10, 5),
    }


async def _companies_by_city() -> dict[str, str]:
    return {row["city"]: row["vat_id"] for row in await Company.select(Company.city, Company.vat_id)}


async def _register_all(event_id: int, people: list[tuple[str, str, str]], vats: dict[str, str], settings: Settings) -> dict[str, str]:
    """Registers each person; answers first name → manage token (the code at the door)."""
    tokens = {}
    for first, last, city in people:
        created = await register(event_id, RegistrationCreate(
            email=_email(first, last, city), first_name=first, last_name=last, company=CompanyRef(vat_id=vats[city]),
            consent_privacy=True, language="it"), settings)
        tokens[first] = created.manage_token
    return tokens


async def _date_back(event_id: int, past: PastEvent) -> tuple[datetime, datetime]:
    starts = datetime(past.day.year, past.day.month, past.day.day, past.start_hour, tzinfo=ROME).astimezone(UTC)
    ends = starts + timedelta(hours=past.hours)
    await Event.update({Event.starts_at: starts, Event.ends_at: ends, Event.registration_closes_at: None}).where(Event.id == event_id)
    # the door opened a quarter of an hour into the day, not when the demo was loaded
    await Registration.update({Registration.checked_in_at: starts + timedelta(minutes=15)}).where(
        (Registration.event == event_id) & Registration.checked_in_at.is_not_null()
    )
    return starts, ends


def _zoom_report(people: list[tuple[str, str, str]], minutes: dict[str, int], starts: datetime) -> bytes:
    """A Zoom participant export of the talk, as the platform writes it."""
    local = starts.astimezone(ROME)
    lines = ["Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest"]
    for first, last, city in people:
        if first in minutes:
            left = local + timedelta(minutes=minutes[first])
            lines.append(f"{first} {last},{_email(first, last, city)},{local:%m/%d/%Y %I:%M:%S %p},{left:%m/%d/%Y %I:%M:%S %p},{minutes[first]},No")
    return ("\r\n".join(lines) + "\r\n").encode()


async def load_history(today: date, settings: Settings) -> int:
    """Loads the four past events (module note); answers how many registrations attended."""
    events = past_events(today)
    vats = await _companies_by_city()
    ids: dict[str, int] = {}
    for key, past in events.items():
        created = await create_event(past.event)
        await publish_event(created.id)
        ids[key] = created.id
    talks = {"ai": (AI_TALK_PEOPLE, AI_TALK_MINUTES), "cyber": (CYBER_TALK_PEOPLE, CYBER_TALK_MINUTES)}
    for key, (people, minutes) in talks.items():
        await _register_all(ids[key], people, vats, settings)
        starts, _ = await _date_back(ids[key], events[key])
        await import_report(ids[key], _zoom_report(people, minutes, starts), "zoom")
    for key, people, absent in (("como", COMO_DAY_PEOPLE, COMO_DAY_ABSENT), ("open_day", OPEN_DAY_PEOPLE, OPEN_DAY_ABSENT)):
        tokens = await _register_all(ids[key], people, vats, settings)
        for first, token in tokens.items():
            if first not in absent:
                await check_in(ids[key], token, None, settings)
        if key == "como":
            first, last, city = COMO_WALK_IN
            await walk_in(ids[key], WalkInCreate(email=_email(first, last, city), first_name=first, last_name=last,
                                                 company=CompanyRef(vat_id=vats[city])), None)
        await _date_back(ids[key], events[key])
    for event_id in ids.values():
        await finalise_attendance(event_id, settings)
    await _withdraw_old_news(list(ids.values()))
    return await Registration.count().where(Registration.event.is_in(list(ids.values())) & (Registration.attended == True))  # noqa: E712


async def _withdraw_old_news(event_ids: list[int]) -> None:
    """Nobody is mailed today about an event of weeks ago: the demo history's queued emails go."""
    registrations = [row["id"] for row in await Registration.select(Registration.id).where(Registration.event.is_in(event_ids))]
    if registrations:
        await OutboxMessage.update({OutboxMessage.status: OutboxStatus.WITHDRAWN}).where(
            OutboxMessage.registration_id.is_in(registrations) & OutboxMessage.status.is_in(["queued", "retry"])
        )
