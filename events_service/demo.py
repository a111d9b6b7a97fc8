"""A realistic, deterministic demo data set, loaded through the services so it obeys every rule.

Companies from the provinces of Lecco, Como, Varese and Sondrio and the cantons of Ticino and
Grigioni; twelve speakers from universities and research institutes; eight Tech Talks and two
Tech Days over the months after `today`; one organiser account. All names are invented; the
domains end in `.example`, so no mail can reach a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stdnum import luhn
from stdnum.ch import uid

from events_service.clock import now_utc
from events_service.companies.records import SizeClass
from events_service.companies.schemas import CompanyCreate
from events_service.companies.service import create_company
from events_service.companies.tables import Company
from events_service.db import write_transaction
from events_service.demo_history import load_history, past_events
from events_service.events.records import EventKind, EventMode
from events_service.events.schemas import AgendaItemIn, EventCreate, Language, SpeakerIn, Venue
from events_service.events.service import create_event, publish_event
from events_service.events.tables import Event
from events_service.organisers.records import Role
from events_service.organisers.service import create_organiser
from events_service.organisers.tables import Organiser
from events_service.settings import PROGRAMME_TIMEZONE, Settings

DEMO_ORGANISER_EMAIL = "organiser@programme.example"
DEMO_ORGANISER_PASSWORD = "demo-password"

ROME = ZoneInfo(PROGRAMME_TIMEZONE)
ZURICH = ZoneInfo("Europe/Zurich")

# The tax office code inside a partita IVA (digits 8–10) is the province's ISTAT code.
PROVINCE_OFFICE_CODES = {"LC": "097", "CO": "013", "VA": "012", "SO": "014"}
SWISS_CANTONS = ("TI", "GR")


class DatabaseNotEmpty(RuntimeError):
    """The demo only goes into an empty database: it would clash with (or blur) real data."""


@dataclass(frozen=True)
class DemoSummary:
    companies: int
    speakers: int
    tech_talks: int
    tech_days: int
    published: int
    drafts: int
    organiser_email: str
    organiser_password: str
    past_events: int = 0  # demo_history.py: events that took place, with attendance
    attended: int = 0


@dataclass(frozen=True)
class DemoCompany:
    name: str
    region: str  # province (IT) or canton (CH)
    city: str
    sector: str
    size_class: SizeClass


@dataclass(frozen=True)
class DemoEvent:
    event: EventCreate
    publish: bool


# ---------------------------------------------------------------- companies

COMPANIES: tuple[DemoCompany, ...] = (
    # Lecco: wire drawing, springs, turned parts, cutlery from Premana
    DemoCompany("Officine Meccaniche Resegone Srl", "LC", "Lecco", "metalworking", "small"),
    DemoCompany("Trafilerie del Bione Spa", "LC", "Lecco", "metalworking", "medium"),
    DemoCompany("Molle e Minuterie Calolzio Srl", "LC", "Calolziocorte", "metalworking", "small"),
    DemoCompany("Torneria di Precisione Valmadrera Srl", "LC", "Valmadrera", "precision mechanics", "micro"),
    DemoCompany("Coltellerie Alta Valsassina Snc", "LC", "Premana", "metalworking", "micro"),
    DemoCompany("Stampaggio Plastiche Brianza Srl", "LC", "Merate", "plastics", "medium"),
    DemoCompany("Automazioni Lario Est Srl", "LC", "Oggiono", "industrial automation", "small"),
    # Como: silk and textile printing, furniture in Cantù and Mariano
    DemoCompany("Seterie Lariane Srl", "CO", "Como", "textiles", "medium"),
    DemoCompany("Stamperia Tessile Grandate Srl", "CO", "Grandate", "textiles", "small"),
    DemoCompany("Tessitura Serica Cernobbio Srl", "CO", "Cernobbio", "textiles", "micro"),
    DemoCompany("Mobilificio Canturino Srl", "CO", "Cantù", "wood and furniture", "small"),
    DemoCompany("Imbottiti Mariano Srl", "CO", "Mariano Comense", "wood and furniture", "medium"),
    DemoCompany("Falegnameria Alto Lario Snc", "CO", "Gravedona ed Uniti", "wood and furniture", "micro"),
    # Varese: plastics and rubber, aerospace components, textiles in Busto Arsizio
    DemoCompany("Plastiche Olona Srl", "VA", "Castellanza", "plastics", "medium"),
    DemoCompany("Gomma Tecnica Tradate Srl", "VA", "Tradate", "plastics", "small"),
    DemoCompany("Aerocomponenti Gallarate Srl", "VA", "Gallarate", "aerospace", "medium"),
    DemoCompany("Tessiture Bustesi Spa", "VA", "Busto Arsizio", "textiles", "large"),
    DemoCompany("Stampi Saronno Srl", "VA", "Saronno", "metalworking", "small"),
    DemoCompany("Elettronica Valceresio Srl", "VA", "Arcisate", "electronics", "micro"),
    # Sondrio: food of Valtellina
    DemoCompany("Salumificio Valtellinese Srl", "SO", "Chiuro", "food", "medium"),
    DemoCompany("Latteria Alta Valle Soc. Coop.", "SO", "Bormio", "food", "small"),
    DemoCompany("Cantina Terrazze Retiche Srl", "SO", "Sondrio", "food", "micro"),
    DemoCompany("Pastificio di Teglio Srl", "SO", "Teglio", "food", "micro"),
    DemoCompany("Frutta di Valle Tirano Soc. Agr.", "SO", "Tirano", "food", "small"),
    # Ticino: precision mechanics and watch parts in the Mendrisiotto
    DemoCompany("Micromeccanica Mendrisio SA", "TI", "Mendrisio", "precision mechanics", "small"),
    DemoCompany("Quadranti Ceresio SA", "TI", "Stabio", "watch components", "small"),
    DemoCompany("Componenti Orologeria Chiasso SA", "TI", "Chiasso", "watch components", "micro"),
    DemoCompany("Automazione Vedeggio Sagl", "TI", "Lamone", "industrial automation", "micro"),
    DemoCompany("Precisione Ticinese SA", "TI", "Bellinzona", "precision mechanics", "medium"),
    # Grigioni: technology for tourism
    DemoCompany("Engiadina Digital AG", "GR", "St. Moritz", "tourism technology", "micro"),
    DemoCompany("Poschiavo Smart Tourism Sagl", "GR", "Poschiavo", "tourism technology", "micro"),
    DemoCompany("Bernina Mobility AG", "GR", "Chur", "tourism technology", "small"),
)


def partita_iva(serial: int, province: str) -> str:
    """A valid partita IVA: 7-digit serial, the province's office code, Luhn check digit."""
    digits = f"{serial:07d}{PROVINCE_OFFICE_CODES[province]}"
    return f"IT{digits}{luhn.calc_check_digit(digits)}"


def swiss_uid(serial: int) -> str:
    """A valid UID; bodies whose check digit would be 10 are never issued, so take the next."""
    body = serial
    while (check := uid.calc_check_digit(f"{body:08d}")) == "10":
        body += 1
    return uid.format(f"CHE{body:08d}{check}")


def demo_companies() -> list[CompanyCreate]:
    """The companies with VAT ids derived from their position: the same on every run."""
    result = []
    for index, company in enumerate(COMPANIES, start=1):
        if company.region in SWISS_CANTONS:
            vat_id, country = swiss_uid(10_000_000 + index * 2_718_281), "CH"
        else:
            vat_id, country = partita_iva(1_000_000 + index * 31_415, company.region), "IT"
        result.append(
            CompanyCreate(
                name=company.name,
                vat_id=vat_id,
                country=country,
                region=company.region,
                city=company.city,
                sector=company.sector,
                size_class=company.size_class,
            )
        )
    return result


# ---------------------------------------------------------------- speakers


def _speaker(name: str, domain: str, bio: str) -> SpeakerIn:
    first, last = name.lower().split(" ", 1)
    return SpeakerIn(name=name, email=f"{first}.{last.replace(' ', '')}@{domain}", bio=bio)


SPEAKERS: dict[str, SpeakerIn] = {
    speaker.name: speaker
    for speaker in (
        _speaker("Giulia Ferrari", "polimi.example",
                 "Researcher in industrial IoT at the Lecco campus; she has retrofitted sensors on "
                 "more than forty machine tools in small workshops."),
        _speaker("Luca Bernasconi", "supsi.example",
                 "Lecturer in manufacturing automation; he helps Ticino's precision-mechanics "
                 "companies bring cobots onto small-batch lines."),
        _speaker("Sara Colombo", "polimi.example",
                 "Energy engineer working on efficiency audits, heat recovery and demand response "
                 "for manufacturing SMEs."),
        _speaker("Andrea Galli", "uninsubria.example",
                 "Professor of computer security; he runs incident-response exercises with "
                 "companies and business associations in Varese and Como."),
        _speaker("Chiara Fontana", "idsia.example",
                 "Machine-learning researcher focused on small data sets, computer vision for "
                 "quality control and predictive maintenance."),
        _speaker("Matteo Pedrazzini", "supsi.example",
                 "Specialist in networked industrial systems and operational-technology security."),
        _speaker("Elena Moretti", "liuc.example",
                 "Economist working on international trade; she advises SMEs on customs, rules of "
                 "origin and the Swiss market."),
        _speaker("Reto Casparis", "fhgr.example",
                 "Researcher in tourism and digital services in the Alps, from booking data to "
                 "visitor-flow management."),
        _speaker("Federica Brambilla", "uninsubria.example",
                 "Materials scientist working on textile and polymer recycling and on digital "
                 "product passports."),
        _speaker("Paola Riva", "liuc.example",
                 "Innovation-finance expert; she has guided SMEs through Interreg, Innosuisse and "
                 "regional calls for over ten years."),
        _speaker("Martina Lurati", "supsi.example",
                 "Researcher in solar energy and building-integrated photovoltaics for industrial "
                 "sites."),
        _speaker("Nicola Sala", "usi.example",
                 "Lecturer in digital marketing and B2B e-commerce for export-oriented small "
                 "companies."),
    )
}


def _speakers(*names: str) -> list[SpeakerIn]:
    return [SPEAKERS[name] for name in names]


# ---------------------------------------------------------------- the calendar


def _first_talk_day(today: date) -> date:
    """The first Tuesday at least a week away: time to register and to send reminders."""
    start = today + timedelta(days=7)
    return start + timedelta(days=(1 - start.weekday()) % 7)


def _at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = ROME) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


@dataclass(frozen=True)
class _Talk:
    title: str
    description: str
    language: Language
    minutes: int
    capacity: int
    topics: tuple[str, ...]
    speakers: tuple[str, ...]
    publish: bool = True


TALKS: tuple[_Talk, ...] = (
    _Talk("Retrofit IoT: connettere le macchine esistenti senza sostituirle",
          "Sensori, gateway e protocolli per leggere i dati da macchine di vent'anni: cosa costa, "
          "quanto dura un progetto e gli errori da evitare.",
          "it", 90, 200, ("iot", "industry-4.0"), ("Giulia Ferrari",)),
    _Talk("Practical AI for small manufacturers: start with the data you have",
          "Three cases from SMEs in Lombardy and Ticino: defect detection, demand forecasting and "
          "quoting, each built on less than a year of data.",
          "en", 60, 250, ("ai",), ("Chiara Fontana",)),
    _Talk("Ransomware e PMI: un piano di difesa in dieci passi",
          "Backup, aggiornamenti, accessi e formazione: le misure che fermano la maggior parte "
          "degli attacchi, in ordine di costo e di efficacia.",
          "it", 75, 300, ("cybersecurity",), ("Andrea Galli",)),
    _Talk("Meno costi energetici: monitoraggio, recupero di calore e fotovoltaico",
          "Come misurare i consumi per reparto, dove recuperare calore e quando conviene "
          "l'autoproduzione, con esempi lombardi e ticinesi.",
          "it", 90, 200, ("energy",), ("Sara Colombo", "Martina Lurati")),
    _Talk("Industria 4.0 con un budget da piccola impresa",
          "Dal reparto alla linea connessa in piccoli passi: priorità, fornitori e indicatori "
          "per misurare il ritorno.",
          "it", 60, 200, ("industry-4.0",), ("Luca Bernasconi",)),
    _Talk("Vendere oltre confine: dogana, IVA e origine delle merci tra Italia e Svizzera",
          "Documenti, regole d'origine preferenziale e IVA all'importazione per chi vende "
          "dall'Italia alla Svizzera e viceversa.",
          "it", 75, 250, ("export",), ("Elena Moretti",)),
    _Talk("Finanziare l'innovazione: Interreg, Innosuisse e bandi regionali",
          "Quali strumenti esistono sui due lati del confine, chi può partecipare e come si "
          "scrive una proposta che passa la valutazione.",
          "it", 60, 300, ("funding",), ("Paola Riva",), publish=False),
    _Talk("Digital product passports for textiles and plastics",
          "What the EU product-passport rules will ask of textile and plastics suppliers, and "
          "how to collect the data today.",
          "en", 60, 150, ("export", "industry-4.0"), ("Federica Brambilla",), publish=False),
)


def _tech_talk(number: int, talk: _Talk, day: date) -> DemoEvent:
    starts = _at(day, 17)
    return DemoEvent(
        EventCreate(
            kind=EventKind.TECH_TALK,
            title=talk.title,
            description=talk.description,
            language=talk.language,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=talk.minutes),
            timezone=PROGRAMME_TIMEZONE,
            mode=EventMode.ONLINE,
            capacity=talk.capacity,
            # A draft may still lack its webinar room: that is one reason it is a draft.
            online_url=f"https://webinar.programme.example/j/{8100 + number}" if talk.publish else None,
            speakers=_speakers(*talk.speakers),
            topics=list(talk.topics),
        ),
        talk.publish,
    )


# (title, "HH:MM" start, "HH:MM" end, speaker or None): an agenda reads best as a table.
Session = tuple[str, str, str, str | None]


def _clock(day: date, hh_mm: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return _at(day, hour, minute, zone)


def _agenda(day: date, zone: ZoneInfo, sessions: list[Session]) -> list[AgendaItemIn]:
    return [
        AgendaItemIn(title=title, starts_at=_clock(day, start, zone), ends_at=_clock(day, end, zone), speaker=speaker)
        for title, start, end, speaker in sessions
    ]


def _tech_day_lecco(day: date) -> DemoEvent:
    speakers = ("Luca Bernasconi", "Giulia Ferrari", "Chiara Fontana", "Matteo Pedrazzini", "Paola Riva")
    agenda: list[Session] = [
        ("Benvenuto e servizi del programma per le PMI", "09:00", "09:30", None),
        ("Cobot e automazione flessibile per piccoli lotti", "09:30", "10:30", "Luca Bernasconi"),
        ("Dati macchina in pratica: dal PLC alla dashboard", "10:45", "11:45", "Giulia Ferrari"),
        ("Visione artificiale per il controllo qualità", "11:45", "12:45", "Chiara Fontana"),
        ("Sicurezza OT: proteggere la rete di reparto", "14:00", "15:00", "Matteo Pedrazzini"),
        ("Tavola rotonda: finanziare il primo progetto 4.0", "15:15", "16:30", "Paola Riva"),
    ]
    return DemoEvent(
        EventCreate(
            kind=EventKind.TECH_DAY,
            title="Tech Day Lecco: automazione, dati e AI in fabbrica",
            description="Una giornata al Polo di Lecco con dimostrazioni dal vivo, casi di aziende "
            "del territorio e incontri uno a uno con i relatori.",
            language="it",
            starts_at=_at(day, 9),
            ends_at=_at(day, 17),
            timezone=PROGRAMME_TIMEZONE,
            mode=EventMode.IN_PERSON,
            capacity=120,
            max_per_company=3,
            venue=Venue(name="Polo Territoriale di Lecco", address="Via Gaetano Previati 1/c, 23900 Lecco", city="Lecco"),
            speakers=_speakers(*speakers),
            topics=["industry-4.0", "ai", "iot", "cybersecurity"],
            agenda=_agenda(day, ROME, agenda),
        ),
        publish=True,
    )


def _tech_day_lugano(day: date) -> DemoEvent:
    speakers = ("Martina Lurati", "Federica Brambilla", "Reto Casparis", "Nicola Sala", "Elena Moretti")
    agenda: list[Session] = [
        ("Benvenuto: innovare tra Ticino, Grigioni e Lombardia", "09:00", "09:20", None),
        ("Energia solare e accumulo per i capannoni industriali", "09:20", "10:20", "Martina Lurati"),
        ("Materiali e filiere circolari per plastica e tessile", "10:30", "11:30", "Federica Brambilla"),
        ("Turismo digitale nelle valli alpine: dati, prenotazioni, mobilità", "11:30", "12:30", "Reto Casparis"),
        ("E-commerce B2B oltre confine", "13:45", "14:45", "Nicola Sala"),
        ("Esportare in Svizzera e nell'UE: regole d'origine e IVA", "15:00", "16:00", "Elena Moretti"),
    ]
    return DemoEvent(
        EventCreate(
            kind=EventKind.TECH_DAY,
            title="Tech Day Lugano: energia, materiali e mercati digitali",
            description="Giornata ibrida: in sala al Campus Est di Lugano o in diretta online, con "
            "domande dal pubblico remoto in ogni sessione.",
            language="it",
            starts_at=_at(day, 9, zone=ZURICH),
            ends_at=_at(day, 16, 30, zone=ZURICH),
            timezone="Europe/Zurich",
            mode=EventMode.HYBRID,
            capacity=80,
            online_capacity=250,
            max_per_company=4,
            venue=Venue(name="Campus Est USI-SUPSI", address="Via la Santa 1, 6962 Lugano-Viganello", city="Lugano", country="CH"),
            online_url="https://webinar.programme.example/j/8201",
            speakers=_speakers(*speakers),
            topics=["energy", "export", "tourism"],
            agenda=_agenda(day, ZURICH, agenda),
        ),
        publish=True,
    )


def demo_events(today: date) -> list[DemoEvent]:
    """Talks every other week, Tuesdays and Thursdays alternating, from a week after `today`;
    the Tech Days on a Friday in week 6 (Lecco) and a Thursday in week 10 (Lugano)."""
    first = _first_talk_day(today)
    talks = [
        _tech_talk(number, talk, first + timedelta(days=14 * number + (2 if number % 2 else 0)))
        for number, talk in enumerate(TALKS)
    ]
    days = [_tech_day_lecco(first + timedelta(days=38)), _tech_day_lugano(first + timedelta(days=65))]
    return talks + days


# ---------------------------------------------------------------- loading


async def database_is_empty() -> bool:
    """No events and no companies: organiser accounts alone do not count as data."""
    return not await Event.exists() and not await Company.exists()


def _refuse_past(events: list[DemoEvent], today: date) -> None:
    # publish_event refuses an event that has ended: check all of them before writing anything.
    now = now_utc()
    if any(item.publish and item.event.ends_at <= now for item in events):
        raise ValueError(f"today={today.isoformat()} puts published demo events in the past")


async def _ensure_organiser() -> None:
    if not await Organiser.exists().where(Organiser.email == DEMO_ORGANISER_EMAIL):
        await create_organiser(DEMO_ORGANISER_EMAIL, "Demo Organiser", DEMO_ORGANISER_PASSWORD, Role.ORGANISER)


async def load_demo(*, today: date | None = None, settings: Settings | None = None) -> DemoSummary:
    """Load the demo into an empty database, all or nothing (one transaction). With
    `settings`, the past events of demo_history.py follow (registrations, check-ins, a webinar
    report, finalised attendance), each step in its own transaction as it would have happened.

    Raises DatabaseNotEmpty when there are events or companies already, and ValueError when
    `today` lies so far back that events to be published would already be over.
    """
    today = today or datetime.now(ROME).date()
    companies, events = demo_companies(), demo_events(today)
    _refuse_past(events, today)
    async with write_transaction():
        if not await database_is_empty():
            raise DatabaseNotEmpty("the database has events or companies: the demo loads only into an empty one")
        for company in companies:
            await create_company(company)
        for item in events:
            created = await create_event(item.event)
            if item.publish:
                await publish_event(created.id)
        await _ensure_organiser()
    attended = await load_history(today, settings) if settings is not None else 0
    published = sum(item.publish for item in events)
    return DemoSummary(
        companies=len(companies),
        speakers=len(SPEAKERS),
        tech_talks=sum(item.event.kind == EventKind.TECH_TALK for item in events),
        tech_days=sum(item.event.kind == EventKind.TECH_DAY for item in events),
        published=published,
        drafts=len(events) - published,
        organiser_email=DEMO_ORGANISER_EMAIL,
        organiser_password=DEMO_ORGANISER_PASSWORD,
        past_events=len(past_events(today)) if settings is not None else 0,
        attended=attended,
    )
