"""Reading registrations: a waitlist position (one home for the rule), one registration as
its manage link shows it, the organiser's lists, CSV and counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events_service.clock import now_utc
from events_service.companies.tables import Company, Contact
from events_service.csv_export import to_csv
from events_service.db import run_sql
from events_service.events.queries import (
    agenda_by_event,
    event_row,
    public_event_out,
    speakers_by_event,
)
from events_service.events.records import EventMode, EventRecord
from events_service.paging import Page
from events_service.questions.schemas import QuestionOut, QuestionStage, as_answers
from events_service.questions.service import answer_text, event_questions, question_label, yes_or_no
from events_service.registrations.links import (
    checkin_code,
    has_checkin_code,
    manage_url_of,
    registration_by_token,
)
from events_service.registrations.records import RegistrationStatus, Rsvp
from events_service.registrations.schemas import (
    CompanyBrief,
    CompanyPerson,
    EventStats,
    PublicRegistration,
    RegistrationRow,
)
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.xlsx_export import to_xlsx

# A waiting person's place: 1 + the people waiting for the same event and the same kind of
# seat (attendance mode) who registered before them (a lower id).
_WAITLIST = f"""
    SELECT id, ROW_NUMBER() OVER (PARTITION BY attendance_mode ORDER BY id) AS position
    FROM registration WHERE event = {{}} AND status = '{RegistrationStatus.WAITLISTED}'"""


_WAITLIST_POSITION = f"SELECT position FROM ({_WAITLIST}) AS queue WHERE id = {{}}"


async def waitlist_positions(event_id: int) -> dict[int, int]:
    """Every waiting registration of the event with its place in the queue."""
    return {row["id"]: row["position"] for row in await run_sql(_WAITLIST, event_id)}


async def waitlist_position(event_id: int, registration_id: int) -> int | None:
    """The registration's place in the queue, or None when it is not waiting."""
    rows = await run_sql(_WAITLIST_POSITION, event_id, registration_id)
    return rows[0]["position"] if rows else None


async def public_registration(token: str, settings: Settings) -> PublicRegistration:
    """One registration as its manage token's holder sees it: nothing of the person's other
    registrations, no link to their feed (anyone who knows an address can register it and get
    a manage token), and the names typed with this registration."""
    row = await registration_by_token(settings, token)
    event = await event_row(row.event)
    contact = await Contact.select(Contact.email).where(Contact.id == row.contact).first()
    company = await Company.select(Company.name).where(Company.id == row.company).first() if row.company else None
    speakers = (await speakers_by_event([event.id]))[event.id]
    agenda = (await agenda_by_event([event.id]))[event.id]
    position = await waitlist_position(event.id, row.id) if row.status == RegistrationStatus.WAITLISTED else None
    return PublicRegistration(
        id=row.id,
        status=row.status,
        attendance_mode=row.attendance_mode,
        email=contact["email"],
        first_name=row.first_name,
        last_name=row.last_name,
        company=company["name"] if company else None,
        created_at=row.created_at,
        waitlist_position=position,
        event=public_event_out(event, speakers, agenda, settings.base_url),
        online_url=row.join_url(event),
        manage_url=manage_url_of(settings, token),
        checkin_code=checkin_code(settings, row.id, row.token_nonce) if has_checkin_code(row.status, row.attendance_mode) else None,
    )


def _registration_select() -> Any:
    return Registration.select(
        Registration.id,
        Registration.contact.email.as_alias("email"),
        Registration.first_name,
        Registration.last_name,
        Registration.company.id.as_alias("company_id"),
        Registration.company.name.as_alias("company_name"),
        Registration.company.vat_id.as_alias("company_vat_id"),
        Registration.status,
        Registration.attendance_mode,
        Registration.created_at,
        Registration.attended,
        Registration.minutes_attended,
        Registration.answers,
        Registration.rsvp,
    )


async def list_registrations(event_id: int, status: str | None = None, q: str | None = None) -> list[RegistrationRow]:
    rows, _ = await page_of_registrations(event_id, None, status=status, q=q)
    return rows


async def page_of_registrations(
    event_id: int, page: Page | None, status: str | None = None, q: str | None = None
) -> tuple[list[RegistrationRow], int]:
    """The event's registrations in the order they came, one page of them, and how many match."""
    await event_row(event_id)
    query = _registration_select().where(Registration.event == event_id).order_by(Registration.id)
    if status:
        query = query.where(Registration.status == status)
    if page is not None and page.updated_since is not None:
        query = query.where(Registration.updated_at >= page.updated_since)
    rows = await query
    if q:
        needle = q.strip().lower()
        rows = [r for r in rows if needle in " ".join(str(r[k] or "") for k in ("email", "first_name", "last_name", "company_name")).lower()]
    # `q` is matched in Python (names and addresses of every row), so the page is cut here.
    total = len(rows)
    if page is not None:
        rows = page.cut(rows)
    positions = await waitlist_positions(event_id) if any(row["status"] == RegistrationStatus.WAITLISTED for row in rows) else {}
    result = []
    for row in rows:
        position = positions.get(row["id"]) if row["status"] == RegistrationStatus.WAITLISTED else None
        company = CompanyBrief(id=row["company_id"], name=row["company_name"], vat_id=row["company_vat_id"]) if row["company_id"] else None
        result.append(
            RegistrationRow(
                id=row["id"],
                email=row["email"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                company=company,
                status=row["status"],
                attendance_mode=row["attendance_mode"],
                created_at=row["created_at"],
                attended=row["attended"],
                minutes_attended=row["minutes_attended"],
                waitlist_position=position,
                answers=as_answers(row["answers"]),
                rsvp=row["rsvp"],
            )
        )
    return result, total


CSV_COLUMNS = ["id", "status", "attendance_mode", "waitlist_position", "email", "first_name", "last_name",
               "company", "vat_id", "created_at", "attended", "minutes_attended"]


def export_columns(asked: list[QuestionOut], language: str = "en") -> list[str]:
    """CSV_COLUMNS (stable names a program reads), then one column per registration question,
    in the export's language."""
    return [*CSV_COLUMNS, *(question_label(question, language) for question in asked)]


async def registrations_table(event_id: int, status: str | None = None, language: str = "en") -> tuple[list[str], list[list[Any]]]:
    """The export's columns (export_columns) and rows with typed cells: a moment, a yes/no,
    numbers, then each answer as a person reads it in `language` (option labels, yes/no)."""
    rows = await list_registrations(event_id, status=status)
    asked = await event_questions(event_id, QuestionStage.REGISTRATION)
    return export_columns(asked, language), [
        [row.id, row.status, row.attendance_mode, row.waitlist_position, row.email, row.first_name, row.last_name,
         row.company.name if row.company else "", row.company.vat_id if row.company else "",
         row.created_at, row.attended, row.minutes_attended,
         *(answer_text(question, row.answers.get(str(question.id)), language) for question in asked)]
        for row in rows
    ]


async def registrations_csv(event_id: int, status: str | None = None, language: str = "en") -> str:
    columns, rows = await registrations_table(event_id, status=status, language=language)
    return to_csv(
        columns,
        [[*row[:9], row[9].isoformat(), yes_or_no(row[10], language), *row[11:]] for row in rows],
    )


async def registrations_xlsx(event_id: int, status: str | None = None, language: str = "en") -> bytes:
    columns, rows = await registrations_table(event_id, status=status, language=language)
    return to_xlsx(columns, rows, sheet="registrations")


async def event_stats(event_id: int) -> EventStats:
    event = await event_row(event_id)
    return (await stats_of([event]))[event.id]


# One GROUP BY for any number of events (the console's dashboard shows them all at once).
_STATS = f"""
    SELECT event,
        SUM(CASE WHEN status = '{RegistrationStatus.CONFIRMED}' THEN 1 ELSE 0 END) AS confirmed,
        SUM(CASE WHEN status = '{RegistrationStatus.WAITLISTED}' THEN 1 ELSE 0 END) AS waitlisted,
        SUM(CASE WHEN status = '{RegistrationStatus.CANCELLED}' THEN 1 ELSE 0 END) AS cancelled,
        SUM(CASE WHEN attended THEN 1 ELSE 0 END) AS attended,
        SUM(CASE WHEN status = '{RegistrationStatus.CONFIRMED}' AND NOT attended THEN 1 ELSE 0 END) AS absent,
        COUNT(DISTINCT CASE WHEN status <> '{RegistrationStatus.CANCELLED}' THEN company END) AS companies,
        SUM(CASE WHEN status = '{RegistrationStatus.CONFIRMED}' AND rsvp = '{Rsvp.ACCEPTED}' THEN 1 ELSE 0 END) AS rsvp_accepted,
        SUM(CASE WHEN status = '{RegistrationStatus.CONFIRMED}' AND rsvp = '{Rsvp.TENTATIVE}' THEN 1 ELSE 0 END) AS rsvp_tentative,
        SUM(CASE WHEN rsvp = '{Rsvp.DECLINED}' THEN 1 ELSE 0 END) AS rsvp_declined
    FROM registration WHERE event IN ({{ids}}) GROUP BY event"""


async def stats_of(events: Sequence[EventRecord]) -> dict[int, EventStats]:
    """Each event's figures, by id, from one query over their registrations. A no-show is a
    confirmed person not marked attended, once the event has ended."""
    if not events:
        return {}
    ids = [event.id for event in events]
    statement = _STATS.format(ids=", ".join(["{}"] * len(ids)))
    counts = {row["event"]: row for row in await run_sql(statement, *ids)}
    now = now_utc()
    return {event.id: _stats(event, counts.get(event.id, {}), ended=event.ends_at <= now) for event in events}


def _stats(event: EventRecord, counts: dict[str, Any], *, ended: bool) -> EventStats:
    def count(name: str) -> int:
        return int(counts.get(name) or 0)

    online_left = None
    if event.mode == EventMode.HYBRID:
        online_left = max((event.online_capacity or 0) - event.online_seats_taken, 0)
    return EventStats(
        capacity=event.capacity,
        online_capacity=event.online_capacity,
        confirmed=count("confirmed"),
        waitlisted=count("waitlisted"),
        cancelled=count("cancelled"),
        attended=count("attended"),
        no_show=count("absent") if ended else 0,
        companies=count("companies"),
        seats_left=max(event.capacity - event.seats_taken, 0),
        online_seats_left=online_left,
        rsvp_accepted=count("rsvp_accepted"),
        rsvp_tentative=count("rsvp_tentative"),
        rsvp_declined=count("rsvp_declined"),
    )




async def company_people(company_id: int) -> list[CompanyPerson]:
    """The people who registered for the company (cancellations aside), by name: how often,
    how often they came, and for how many minutes."""
    rows = await Registration.select(
        Registration.contact.as_alias("contact_id"),
        Registration.contact.email.as_alias("email"),
        Registration.first_name,
        Registration.last_name,
        Registration.attended,
        Registration.minutes_attended,
    ).where((Registration.company == company_id) & (Registration.status != RegistrationStatus.CANCELLED)).order_by(Registration.id)
    people: dict[int, dict[str, Any]] = {}
    for row in rows:
        person = people.setdefault(row["contact_id"], {"registrations": 0, "attended": 0, "minutes_attended": 0})
        # The names typed with the latest registration.
        person.update(contact_id=row["contact_id"], email=row["email"], name=f"{row['first_name']} {row['last_name']}".strip())
        person["registrations"] += 1
        person["attended"] += 1 if row["attended"] else 0
        person["minutes_attended"] += row["minutes_attended"]
    return sorted((CompanyPerson(**person) for person in people.values()), key=lambda p: (p.name.lower(), p.contact_id))
