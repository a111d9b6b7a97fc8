"""Programme reports: companies, registrations, attendance and minutes over a period.

Each figure is one GROUP BY query, whatever the number of companies. A period is a range of
calendar days in the programme's zone (Europe/Rome, which Ticino and Grigioni share), and
takes the events that *start* within it. Cancelled registrations never count;
"registrations" are the confirmed and waitlisted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events_service.attendance.service import AttendanceError
from events_service.clock import now_utc
from events_service.csv_export import to_csv
from events_service.errors import Invalid
from events_service.events.records import EventKind, EventStatus
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.tables import Registration
from events_service.reports.schemas import (
    GroupTotals,
    KindTotals,
    ProgrammeSummary,
    ReportPeriod,
)
from events_service.settings import DEFAULT_TIMEZONE
from events_service.validation import FIRST_YEAR, LAST_YEAR
from events_service.xlsx_export import to_xlsx

PROGRAMME_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
KINDS = tuple(EventKind)
_CONFIRMED = f"r.status = '{RegistrationStatus.CONFIRMED}'"


class InvalidPeriod(AttendanceError, Invalid):
    pass


def parse_day(value: str | None, name: str) -> date | None:
    """A query's `from`/`to`: an ISO date (2026-11-24), or nothing."""
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidPeriod(f"{name} must be a date like 2026-11-24, not {value!r}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # year 1 or 9999 overflow when made a moment
        raise InvalidPeriod(f"{name} must lie between the years {FIRST_YEAR} and {LAST_YEAR}, not {day.isoformat()}")
    return day


def period_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """[start of `date_from`, start of the day after `date_to`) in UTC."""
    if date_from and date_to and date_from > date_to:
        raise InvalidPeriod(f"from ({date_from}) is after to ({date_to})")
    start = datetime.combine(date_from, time(), PROGRAMME_ZONE).astimezone(UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), PROGRAMME_ZONE).astimezone(UTC) if date_to else None
    return start, end


def _where(start: datetime | None, end: datetime | None, *, registrations: bool = True) -> tuple[str, list[Any]]:
    conditions = [f"r.status <> '{RegistrationStatus.CANCELLED}'"] if registrations else [f"e.status = '{EventStatus.PUBLISHED}'"]
    args: list[Any] = []
    if start is not None:
        conditions.append("e.starts_at >= {}")
        args.append(start)
    if end is not None:
        conditions.append("e.starts_at < {}")
        args.append(end)
    return " AND ".join(conditions), args


_FROM = 'registration r JOIN "event" e ON e.id = r."event"'
_ATTENDED = "CASE WHEN r.attended THEN 1 ELSE 0 END"


async def _raw(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    return await Registration.raw(sql, *args)


# ---------------------------------------------------------------- one row per company

COMPANY_COLUMNS = ["company", "vat_id", "country", "region", "size_class", "registrations", "attendances", "minutes",
                   "events", "events_attended"]


async def company_rows(date_from: date | None, date_to: date | None) -> list[dict[str, Any]]:
    """Every company with a registration for an event starting in the period."""
    where, args = _where(*period_bounds(date_from, date_to))
    sql = f"""
        SELECT c.id AS company_id, c.name AS company, c.vat_id, c.country, c.region, c.size_class,
               COUNT(r.id) AS registrations,
               SUM({_ATTENDED}) AS attendances,
               SUM(r.minutes_attended) AS minutes,
               COUNT(DISTINCT r."event") AS events,
               COUNT(DISTINCT CASE WHEN r.attended THEN r."event" END) AS events_attended
        FROM {_FROM} JOIN company c ON c.id = r.company
        WHERE {where}
        GROUP BY c.id, c.name, c.vat_id, c.country, c.region, c.size_class
        ORDER BY c.name, c.id
    """
    return [_ints(row, "registrations", "attendances", "minutes", "events", "events_attended") for row in await _raw(sql, args)]


def _ints(row: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        row[name] = int(row[name] or 0)
    return row


async def companies_csv(date_from: date | None, date_to: date | None) -> str:
    rows = await company_rows(date_from, date_to)
    return to_csv(COMPANY_COLUMNS, [[row[name] for name in COMPANY_COLUMNS] for row in rows])


async def companies_xlsx(date_from: date | None, date_to: date | None) -> bytes:
    rows = await company_rows(date_from, date_to)
    return to_xlsx(COMPANY_COLUMNS, [[row[name] for name in COMPANY_COLUMNS] for row in rows], sheet="companies")


# ---------------------------------------------------------------- programme summary


async def _groups(column: str, where: str, args: list[Any]) -> list[GroupTotals]:
    sql = f"""
        SELECT c.{column} AS grp, COUNT(DISTINCT c.id) AS companies, COUNT(r.id) AS registrations,
               SUM({_ATTENDED}) AS attendances, SUM(r.minutes_attended) AS minutes
        FROM {_FROM} JOIN company c ON c.id = r.company
        WHERE {where}
        GROUP BY c.{column}
    """
    rows = [_ints(row, "companies", "registrations", "attendances", "minutes") for row in await _raw(sql, args)]
    groups = [GroupTotals(group=row["grp"], companies=row["companies"], registrations=row["registrations"],
                          attendances=row["attendances"], minutes=row["minutes"]) for row in rows]
    return sorted(groups, key=lambda g: (g.group is None, -g.companies, g.group or ""))


async def summary(date_from: date | None, date_to: date | None, now: datetime | None = None) -> ProgrammeSummary:
    start, end = period_bounds(date_from, date_to)
    moment = now or now_utc()
    where, args = _where(start, end)
    event_where, event_args = _where(start, end, registrations=False)

    events = {row["kind"]: int(row["events"]) for row in await _raw(
        f'SELECT e.kind, COUNT(*) AS events FROM "event" e WHERE {event_where} GROUP BY e.kind', event_args
    )}
    per_kind = {row["kind"]: _ints(row, "registrations", "confirmed", "attendances", "minutes", "ended_confirmed", "ended_attended")
                for row in await _raw(
        f"""
        SELECT e.kind, COUNT(r.id) AS registrations,
               SUM(CASE WHEN {_CONFIRMED} THEN 1 ELSE 0 END) AS confirmed,
               SUM({_ATTENDED}) AS attendances,
               SUM(r.minutes_attended) AS minutes,
               SUM(CASE WHEN {_CONFIRMED} AND e.ends_at <= {{}} THEN 1 ELSE 0 END) AS ended_confirmed,
               SUM(CASE WHEN {_CONFIRMED} AND e.ends_at <= {{}} AND r.attended THEN 1 ELSE 0 END) AS ended_attended
        FROM {_FROM}
        WHERE {where}
        GROUP BY e.kind
        """,
        [moment, moment, *args],
    )}
    companies = (await _raw(
        f"""
        SELECT COUNT(DISTINCT r.company) AS companies,
               COUNT(DISTINCT CASE WHEN r.attended THEN r.company END) AS attending
        FROM {_FROM}
        WHERE {where}
        """,
        args,
    ))[0]

    by_kind = []
    for kind in sorted(set(KINDS) | set(events) | set(per_kind)):
        row = per_kind.get(kind, {})
        ended = row.get("ended_confirmed", 0)
        by_kind.append(
            KindTotals(
                kind=kind,
                events=events.get(kind, 0),
                registrations=row.get("registrations", 0),
                confirmed=row.get("confirmed", 0),
                attendances=row.get("attendances", 0),
                minutes=row.get("minutes", 0),
                attendance_rate=round(row["ended_attended"] / ended, 4) if ended else None,
            )
        )
    return ProgrammeSummary(
        period=ReportPeriod(date_from=date_from, date_to=date_to),
        events=sum(events.values()),
        registrations=sum(k.registrations for k in by_kind),
        confirmed=sum(k.confirmed for k in by_kind),
        attendances=sum(k.attendances for k in by_kind),
        minutes=sum(k.minutes for k in by_kind),
        companies=int(companies["companies"] or 0),
        attending_companies=int(companies["attending"] or 0),
        companies_by_region=await _groups("region", where, args),
        companies_by_size_class=await _groups("size_class", where, args),
        by_kind=by_kind,
    )


SUMMARY_COLUMNS = ["section", "group", "events", "registrations", "confirmed", "attendances", "minutes", "companies", "attendance_rate"]


def summary_csv(report: ProgrammeSummary) -> str:
    return to_csv(SUMMARY_COLUMNS, summary_rows(report))


def summary_xlsx(report: ProgrammeSummary) -> bytes:
    return to_xlsx(SUMMARY_COLUMNS, summary_rows(report), sheet="summary")


def summary_rows(report: ProgrammeSummary) -> list[list[Any]]:
    """The summary as one table: a total line, one line per event kind, region and size class."""
    rows: list[list[Any]] = [
        ["total", "", report.events, report.registrations, report.confirmed, report.attendances, report.minutes, report.companies, ""]
    ]
    for kind in report.by_kind:
        rate = "" if kind.attendance_rate is None else kind.attendance_rate
        rows.append(["kind", kind.kind, kind.events, kind.registrations, kind.confirmed, kind.attendances, kind.minutes, "", rate])
    for section, groups in (("region", report.companies_by_region), ("size_class", report.companies_by_size_class)):
        for group in groups:
            rows.append([section, group.group or "", "", group.registrations, "", group.attendances, group.minutes, group.companies, ""])
    return rows
