"""The funder's indicators (API.md, "Reports for the funder"), each with its evidence.

Definitions, exactly as the programme reports them:
- participations: attended registrations at *targeted* events (a person at two events counts
  twice), by the company's country and province/canton;
- enterprises supported: distinct companies (by VAT id) with at least one attended
  registration (at any event) or an expert meeting held (reports/experts.py), by country and
  size class;
- cross-border participations: participations whose company's country differs from the
  country of the event's venue; an online event has no venue country, so none of its
  participations is cross-border;
- public and targeted events: published events of each audience that have begun;
- expert meetings: held meetings (reports/experts.py).

A period is a range of calendar days in the programme's zone and takes the events that start
within it (reports/service.py). Cancelled registrations never count. Erasing a person
anonymises them and keeps their registrations, companies, attendance and minutes, so every
figure is the same before and after (privacy/service.py).

Each figure is one GROUP BY over registrations, whatever their number; the evidence of a
figure is the list of rows it counts (registrations with their check-in and imported report
rows, or events), filtered like the figure's breakdown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from events_service.clock import now_utc
from events_service.csv_export import to_csv
from events_service.registrations.tables import Registration
from events_service.reports.experts import ExpertMeetingHeld, expert_meetings_held
from events_service.reports.schemas import EnterprisesSupported, Indicators, Participations
from events_service.reports.service import PROGRAMME_ZONE, InvalidPeriod, period_bounds
from events_service.xlsx_export import Sheet, workbook

#: A longer period is a mistake (or an attempt to make the server count the ages).
MAX_PERIOD_DAYS = 366 * 10
#: Rows of evidence one download may hold; a narrower period or breakdown gives the rest.
MAX_EVIDENCE_ROWS = 100_000
UNKNOWN = "unknown"
SIZE_CLASSES = ("micro", "small", "medium", "large")


class Figure(StrEnum):
    PARTICIPATIONS = "participations"
    CROSS_BORDER_PARTICIPATIONS = "cross_border_participations"
    ENTERPRISES_SUPPORTED = "enterprises_supported"
    PUBLIC_EVENTS = "public_events"
    TARGETED_EVENTS = "targeted_events"
    EXPERT_MEETINGS = "expert_meetings"


class TooMuchEvidence(InvalidPeriod):
    pass


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date
    start: datetime
    end: datetime


def period(date_from: date | None, date_to: date | None) -> Period:
    """Both days are needed: an indicator is always of a period, at most ten years long."""
    if date_from is None or date_to is None:
        raise InvalidPeriod("from and to are both needed, e.g. from=2026-01-01&to=2026-12-31")
    if date_to - date_from > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidPeriod(f"a period may span at most {MAX_PERIOD_DAYS} days, not {(date_to - date_from).days}")
    start, end = period_bounds(date_from, date_to)
    assert start is not None and end is not None
    return Period(date_from, date_to, start, end)


# ---------------------------------------------------------------- SQL pieces

_FROM = 'registration r JOIN "event" e ON e.id = r."event" LEFT JOIN company c ON c.id = r.company'
_IN_PERIOD = "e.starts_at >= {} AND e.starts_at < {}"
_ATTENDED = f"r.attended AND r.status <> 'cancelled' AND {_IN_PERIOD}"
_TARGETED = "e.audience = 'targeted'"
# Company and venue in different countries; an online event (or one without a venue) has no
# venue country and is never cross-border, nor is a registration whose company is unknown.
_CROSS_BORDER = "(e.mode <> 'online' AND e.venue_country IS NOT NULL AND c.country IS NOT NULL AND c.country <> e.venue_country)"


async def _raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await Registration.raw(sql, *args)


def region_key(country: str | None, region: str | None) -> str:
    """`IT-LC`, `CH-TI`: a province or canton with its country (codes of two countries may
    coincide); `IT-unknown` when the company gave none, `unknown` without a company."""
    if not country:
        return UNKNOWN
    # As stored (trimmed), not upper-cased: SQLite's UPPER() knows ASCII only, and the evidence
    # filter must find the same text the figure grouped.
    return f"{country}-{region.strip() if region and region.strip() else UNKNOWN}"


# ---------------------------------------------------------------- the figures


async def indicators(date_from: date | None, date_to: date | None, now: datetime | None = None) -> Indicators:
    p = period(date_from, date_to)
    participations, cross_border = await _participations(p)
    events = await _events_by_audience(p, now or now_utc())
    return Indicators(
        date_from=p.date_from,
        date_to=p.date_to,
        participations=participations,
        public_events=events.get("public", 0),
        targeted_events=events.get("targeted", 0),
        enterprises_supported=await _enterprises(p),
        cross_border_participations=cross_border,
        expert_meetings=len(await expert_meetings_held(p.start, p.end)),
    )


async def _participations(p: Period) -> tuple[Participations, int]:
    rows = await _raw(
        f"""
        SELECT c.country AS country, c.region AS region, COUNT(*) AS participations,
               SUM(CASE WHEN {_CROSS_BORDER} THEN 1 ELSE 0 END) AS cross_border
        FROM {_FROM}
        WHERE {_ATTENDED} AND {_TARGETED}
        GROUP BY c.country, c.region
        """,
        p.start, p.end,
    )
    by_country: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    for row in rows:
        count = int(row["participations"])
        by_country[row["country"] or UNKNOWN] += count
        by_region[region_key(row["country"], row["region"])] += count
    participations = Participations(total=sum(by_country.values()), by_country=_sorted(by_country), by_region=_sorted(by_region))
    return participations, sum(int(row["cross_border"] or 0) for row in rows)


async def _events_by_audience(p: Period, now: datetime) -> dict[str, int]:
    rows = await _raw(
        f"""SELECT e.audience AS audience, COUNT(*) AS events FROM "event" e
            WHERE e.status = 'published' AND {_IN_PERIOD} AND e.starts_at <= {{}} GROUP BY e.audience""",
        p.start, p.end, now,
    )
    return {row["audience"]: int(row["events"]) for row in rows}


async def _enterprises(p: Period) -> EnterprisesSupported:
    rows = await _raw(
        f"""
        SELECT c.vat_id AS vat_id, c.country AS country, c.size_class AS size_class
        FROM {_FROM}
        WHERE {_ATTENDED} AND c.id IS NOT NULL
        GROUP BY c.vat_id, c.country, c.size_class
        """,
        p.start, p.end,
    )
    companies = {row["vat_id"]: (row["country"], row["size_class"]) for row in rows}
    for meeting in await expert_meetings_held(p.start, p.end):
        companies.setdefault(meeting.vat_id, (meeting.company_country, meeting.size_class))
    by_country = Counter(country or UNKNOWN for country, _ in companies.values())
    by_size = Counter(size or UNKNOWN for _, size in companies.values())
    return EnterprisesSupported(total=len(companies), by_country=_sorted(by_country), by_size_class=_sorted(by_size))


def _sorted(counter: Counter[str]) -> dict[str, int]:
    """Largest first, then by name; `unknown` last (a JSON object keeps this order)."""
    return dict(sorted(counter.items(), key=lambda item: (item[0] == UNKNOWN or item[0].endswith("-" + UNKNOWN), -item[1], item[0])))


async def participations_by_month(date_from: date | None, date_to: date | None) -> list[tuple[date, int]]:
    """Participations per calendar month of the period (the month the event starts in, in the
    programme's zone), months without any included: one row per event from the database."""
    p = period(date_from, date_to)
    rows = await _raw(
        f"""SELECT e.id AS event_id, e.starts_at AS starts_at, COUNT(*) AS participations FROM {_FROM}
            WHERE {_ATTENDED} AND {_TARGETED} GROUP BY e.id, e.starts_at""",
        p.start, p.end,
    )
    counts: Counter[date] = Counter()
    for row in _typed_rows(rows):
        local = row["starts_at"].astimezone(PROGRAMME_ZONE)
        counts[date(local.year, local.month, 1)] += int(row["participations"])
    months, month = [], date(p.date_from.year, p.date_from.month, 1)
    while month <= p.date_to:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return [(month, counts[month]) for month in months]


def month_period(month: date, p_from: date, p_to: date) -> tuple[date, date]:
    """The days of `month` within the period: a month bar's evidence."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return max(month, p_from), min(following - timedelta(days=1), p_to)


# ---------------------------------------------------------------- the table form (CSV, XLSX)

TABLE_COLUMNS = ["figure", "breakdown", "group", "value", "evidence"]


def evidence_path(figure: Figure, p_from: date, p_to: date, **filters: str) -> str:
    query = "&".join([f"figure={figure.value}", f"from={p_from.isoformat()}", f"to={p_to.isoformat()}",
                      *(f"{key}={value}" for key, value in filters.items())])
    return f"/api/reports/indicators/evidence?{query}"


def table_rows(report: Indicators) -> list[list[Any]]:
    """One line per figure and per group of its breakdowns, each with the path of its evidence."""
    f, t = report.date_from, report.date_to
    rows: list[list[Any]] = []

    def add(figure: Figure, breakdown: str, group: str, value: int, **filters: str) -> None:
        rows.append([figure.value, breakdown, group, value, evidence_path(figure, f, t, **filters)])

    add(Figure.PARTICIPATIONS, "total", "", report.participations.total)
    for country, value in report.participations.by_country.items():
        add(Figure.PARTICIPATIONS, "country", country, value, country=country)
    for region, value in report.participations.by_region.items():
        add(Figure.PARTICIPATIONS, "region", region, value, region=region)
    add(Figure.CROSS_BORDER_PARTICIPATIONS, "total", "", report.cross_border_participations)
    add(Figure.ENTERPRISES_SUPPORTED, "total", "", report.enterprises_supported.total)
    for country, value in report.enterprises_supported.by_country.items():
        add(Figure.ENTERPRISES_SUPPORTED, "country", country, value, country=country)
    for size, value in report.enterprises_supported.by_size_class.items():
        add(Figure.ENTERPRISES_SUPPORTED, "size_class", size, value, size_class=size)
    add(Figure.PUBLIC_EVENTS, "total", "", report.public_events)
    add(Figure.TARGETED_EVENTS, "total", "", report.targeted_events)
    add(Figure.EXPERT_MEETINGS, "total", "", report.expert_meetings)
    return rows


DEFINITIONS = [
    ["participations", "attended registrations at targeted events; a person at two events counts twice"],
    ["enterprises_supported", "distinct companies (by VAT id) with an attended registration or an expert meeting held"],
    ["cross_border_participations", "participations whose company's country differs from the country of the event's venue (online events: none)"],
    ["public_events", "published public events (open to anyone, advertised) that have begun"],
    ["targeted_events", "published targeted events that have begun"],
    ["expert_meetings", "expert meetings held (Innovation Experts: 0 until that part of the programme is recorded here)"],
    ["period", "events starting from the first to the last day, both included, in the programme's time zone"],
]


def indicators_csv(report: Indicators) -> str:
    return to_csv(TABLE_COLUMNS, table_rows(report))


def indicators_xlsx(report: Indicators) -> bytes:
    period_row = [["from", report.date_from], ["to", report.date_to]]
    return workbook([
        Sheet("indicators", TABLE_COLUMNS, table_rows(report)),
        Sheet("definitions", ["figure", "definition"], [*period_row, *DEFINITIONS]),
    ])


# ---------------------------------------------------------------- evidence


class RegistrationEvidence(msgspec.Struct):
    """One attended registration a figure counts, with how its attendance is known: the
    check-in at the door and the rows of imported webinar reports matched to it."""

    registration_id: int
    event_id: int
    event: str
    kind: str
    audience: str
    starts_at: datetime
    mode: str
    venue_country: str | None
    company: str | None
    vat_id: str | None
    company_country: str | None
    region: str | None
    size_class: str | None
    first_name: str
    last_name: str
    attendance_source: str | None
    checked_in_at: datetime | None
    report_rows: int
    minutes_attended: int
    cross_border: bool


class EventEvidence(msgspec.Struct):
    event_id: int
    title: str
    kind: str
    audience: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    venue_city: str | None
    venue_country: str | None
    attended: int


class Evidence(msgspec.Struct):
    """The rows behind one figure (one of the three lists is filled, as the figure counts
    registrations, events or expert meetings); `total` counts them all, the lists hold the
    page asked for."""

    figure: Figure
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    filters: dict[str, str] = msgspec.field(default_factory=dict)
    total: int = 0
    registrations: list[RegistrationEvidence] = msgspec.field(default_factory=list)
    events: list[EventEvidence] = msgspec.field(default_factory=list)
    expert_meetings: list[ExpertMeetingHeld] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    """A breakdown's group: `country` (IT, CH or unknown), `region` (IT-LC, CH-TI,
    IT-unknown, unknown), `size_class` (micro … large, unknown)."""

    country: str | None = None
    region: str | None = None
    size_class: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value is not None}


def parse_figure(value: str | None) -> Figure:
    try:
        return Figure((value or "").strip())
    except ValueError:
        raise InvalidPeriod(f"figure must be one of {', '.join(f.value for f in Figure)}, not {value!r}") from None


def parse_filters(country: str | None, region: str | None, size_class: str | None) -> Filters:
    if country is not None and not re.fullmatch(r"[A-Za-z]{2}|unknown", country.strip()):
        raise InvalidPeriod(f"country must be a two-letter code or 'unknown', not {country[:20]!r}")
    # a province or canton is free text on the company (Graubünden, Monza e Brianza): any printable text
    if region is not None and not re.fullmatch(r"([A-Za-z]{2}-[^\x00-\x1f\x7f]{1,100})|unknown", region.strip()):
        raise InvalidPeriod(f"region must look like IT-LC, CH-TI or IT-unknown, not {region[:20]!r}")
    if size_class is not None and size_class.strip() not in (*SIZE_CLASSES, UNKNOWN):
        raise InvalidPeriod(f"size_class must be one of {', '.join((*SIZE_CLASSES, UNKNOWN))}, not {size_class[:20]!r}")
    return Filters(
        country=country.strip().upper() if country and country.strip() != UNKNOWN else country,
        region=region.strip() if region else None,
        size_class=size_class.strip() if size_class else None,
    )


def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    args: list[Any] = []
    if filters.country == UNKNOWN:
        conditions.append("c.country IS NULL")
    elif filters.country:
        conditions.append("c.country = {}")
        args.append(filters.country)
    if filters.region == UNKNOWN:
        conditions.append("c.id IS NULL")
    elif filters.region:
        country, _, region = filters.region.partition("-")
        conditions.append("c.country = {}")
        args.append(country.upper())
        if region == UNKNOWN:
            conditions.append("(c.region IS NULL OR TRIM(c.region) = '')")
        else:
            conditions.append("TRIM(c.region) = {}")
            args.append(region)
    if filters.size_class == UNKNOWN:
        conditions.append("c.size_class IS NULL")
    elif filters.size_class:
        conditions.append("c.size_class = {}")
        args.append(filters.size_class)
    return "".join(f" AND {condition}" for condition in conditions), args


_REGISTRATION_COLUMNS = f"""
    r.id AS registration_id, e.id AS event_id, e.title AS event, e.kind AS kind, e.audience AS audience,
    e.starts_at AS starts_at, e.mode AS mode,
    CASE WHEN e.mode = 'online' THEN NULL ELSE e.venue_country END AS venue_country,
    c.name AS company, c.vat_id AS vat_id, c.country AS company_country, c.region AS region,
    c.size_class AS size_class, r.first_name AS first_name, r.last_name AS last_name,
    r.attendance_source AS attendance_source, r.checked_in_at AS checked_in_at,
    COALESCE(ai.report_rows, 0) AS report_rows, r.minutes_attended AS minutes_attended,
    CASE WHEN {_CROSS_BORDER} THEN 1 ELSE 0 END AS cross_border
"""
_REPORT_ROWS = """LEFT JOIN (SELECT registration, COUNT(*) AS report_rows FROM attendance_interval
                            WHERE registration IS NOT NULL GROUP BY registration) ai ON ai.registration = r.id"""


async def evidence(figure: Figure, date_from: date | None, date_to: date | None, filters: Filters,
                   *, limit: int | None = None, offset: int = 0, now: datetime | None = None) -> Evidence:
    """The rows behind `figure` in the period, within `filters`; `limit`/`offset`: one page."""
    p = period(date_from, date_to)
    answer = Evidence(figure=figure, date_from=p.date_from, date_to=p.date_to, filters=filters.as_dict())
    if figure in (Figure.PUBLIC_EVENTS, Figure.TARGETED_EVENTS):
        answer.events, answer.total = await _event_evidence(p, figure, now or now_utc(), limit, offset)
    elif figure is Figure.EXPERT_MEETINGS:
        meetings = await expert_meetings_held(p.start, p.end)
        answer.total, answer.expert_meetings = len(meetings), meetings[offset: None if limit is None else offset + limit]
    else:
        answer.registrations, answer.total = await _registration_evidence(p, figure, filters, limit, offset)
    return answer


async def _registration_evidence(p: Period, figure: Figure, filters: Filters, limit: int | None, offset: int) -> tuple[list[RegistrationEvidence], int]:
    where = _ATTENDED
    if figure in (Figure.PARTICIPATIONS, Figure.CROSS_BORDER_PARTICIPATIONS):
        where += f" AND {_TARGETED}"
    if figure is Figure.CROSS_BORDER_PARTICIPATIONS:
        where += f" AND {_CROSS_BORDER}"
    if figure is Figure.ENTERPRISES_SUPPORTED:
        where += " AND c.id IS NOT NULL"
    extra, args = _filter_sql(filters)
    where += extra
    total = int((await _raw(f"SELECT COUNT(*) AS n FROM {_FROM} WHERE {where}", p.start, p.end, *args))[0]["n"])
    window = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = await _raw(
        f"SELECT {_REGISTRATION_COLUMNS} FROM {_FROM} {_REPORT_ROWS} WHERE {where} ORDER BY e.starts_at, e.id, r.id{window}",
        p.start, p.end, *args,
    )
    return [msgspec.convert(_typed(row), RegistrationEvidence, strict=False) for row in rows], total


def _typed_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_typed(row) for row in rows]


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    if "cross_border" in row:
        row["cross_border"] = bool(row["cross_border"])
    for name in ("starts_at", "checked_in_at", "ends_at"):  # SQLite gives text
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


async def _event_evidence(p: Period, figure: Figure, now: datetime, limit: int | None, offset: int) -> tuple[list[EventEvidence], int]:
    audience = "public" if figure is Figure.PUBLIC_EVENTS else "targeted"
    where = f"e.status = 'published' AND {_IN_PERIOD} AND e.starts_at <= {{}} AND e.audience = {{}}"
    args = [p.start, p.end, now, audience]
    total = int((await _raw(f'SELECT COUNT(*) AS n FROM "event" e WHERE {where}', *args))[0]["n"])
    window = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = await _raw(
        f"""SELECT e.id AS event_id, e.title AS title, e.kind AS kind, e.audience AS audience, e.starts_at AS starts_at,
                   e.ends_at AS ends_at, e.mode AS mode, e.venue_city AS venue_city,
                   CASE WHEN e.mode = 'online' THEN NULL ELSE e.venue_country END AS venue_country,
                   (SELECT COUNT(*) FROM registration r WHERE r."event" = e.id AND r.attended AND r.status <> 'cancelled') AS attended
            FROM "event" e WHERE {where} ORDER BY e.starts_at, e.id{window}""",
        *args,
    )
    return [msgspec.convert(_typed(row), EventEvidence, strict=False) for row in rows], total


def evidence_table(answer: Evidence) -> tuple[list[str], list[list[Any]]]:
    """The evidence as one table: its header and rows with typed cells."""
    if answer.figure in (Figure.PUBLIC_EVENTS, Figure.TARGETED_EVENTS):
        kind: type[msgspec.Struct] = EventEvidence
        items: list[Any] = answer.events
    elif answer.figure is Figure.EXPERT_MEETINGS:
        kind, items = ExpertMeetingHeld, answer.expert_meetings
    else:
        kind, items = RegistrationEvidence, answer.registrations
    header = list(kind.__struct_fields__)
    return header, [[getattr(item, name) for name in header] for item in items]


async def full_evidence(figure: Figure, date_from: date | None, date_to: date | None, filters: Filters) -> Evidence:
    """All the evidence, for a download; more than MAX_EVIDENCE_ROWS rows is refused."""
    first = await evidence(figure, date_from, date_to, filters, limit=0)
    if first.total > MAX_EVIDENCE_ROWS:
        raise TooMuchEvidence(f"{first.total} rows of evidence; a download holds at most {MAX_EVIDENCE_ROWS}: narrow the period or the breakdown")
    return await evidence(figure, date_from, date_to, filters)


def evidence_csv(answer: Evidence) -> str:
    header, rows = evidence_table(answer)
    return to_csv(header, [[value.isoformat() if isinstance(value, datetime | date) else value for value in row] for row in rows])


def evidence_xlsx(answer: Evidence) -> bytes:
    header, rows = evidence_table(answer)
    return workbook([Sheet(answer.figure.value, header, rows)])
