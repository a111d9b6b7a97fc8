"""Companies: the programme reports on them, so each is one record keyed by its VAT id."""

from __future__ import annotations

from typing import Any

import msgspec

from events_service.audit import log as audit
from events_service.audit.schemas import Action, Entity
from events_service.clock import now_utc
from events_service.companies.schemas import (
    CompanyCreate,
    CompanyEngagement,
    CompanyEventEngagement,
    CompanyOut,
    CompanyPatch,
)
from events_service.companies.tables import Company
from events_service.companies.vat import InvalidVatId, VatId, normalise_vat_id
from events_service.db import contains_text, is_unique_violation, write_transaction
from events_service.errors import Conflict, DomainError, Invalid, NotFound
from events_service.paging import Page


class CompanyError(DomainError):
    pass


class CompanyNotFound(CompanyError, NotFound):
    pass


class DuplicateCompany(CompanyError, Conflict):
    pass


class InvalidCompany(CompanyError, Invalid):
    pass


def checked_vat_id(raw: str, country: str | None) -> VatId:
    try:
        return normalise_vat_id(raw, country)
    except InvalidVatId as error:
        raise InvalidCompany(str(error), code="invalid_vat_id") from None


def company_out(row: dict[str, Any]) -> CompanyOut:
    return msgspec.convert(row, CompanyOut, from_attributes=True)


async def _row(company_id: int) -> dict[str, Any]:
    row = await Company.select().where(Company.id == company_id).first()
    if row is None:
        raise CompanyNotFound(f"no company with id {company_id}")
    return row


async def _refuse_duplicate(vat_id: str, except_id: int | None = None) -> None:
    query = Company.select(Company.id, Company.name).where(Company.vat_id == vat_id)
    if except_id is not None:
        query = query.where(Company.id != except_id)
    existing = await query.first()
    if existing:
        raise DuplicateCompany(
            f"VAT id {vat_id} belongs to company {existing['id']} ({existing['name']}) already",
            extra={"company_id": existing["id"]},
        )


async def create_company(data: CompanyCreate) -> CompanyOut:
    vat = checked_vat_id(data.vat_id, data.country)
    await _refuse_duplicate(vat.normalised)
    row = Company(
        name=data.name.strip(),
        vat_id=vat.normalised,
        country=vat.country,
        region=data.region,
        city=data.city,
        sector=data.sector,
        size_class=data.size_class,
    )
    try:
        async with write_transaction():
            await row.save()
            await audit.record(Entity.COMPANY, row.id, Action.CREATED, audit.values(row.to_dict()))
    except Exception as error:
        if is_unique_violation(error):
            await _refuse_duplicate(vat.normalised)
        raise
    return await get_company(row.id)


async def ids_of_vat_ids(vat_ids: list[str]) -> dict[str, int]:
    """The companies that hold these (normalised) VAT ids: VAT id → company id."""
    found: dict[str, int] = {}
    unique = sorted(set(vat_ids))
    for start in range(0, len(unique), 500):
        rows = await Company.select(Company.id, Company.vat_id).where(Company.vat_id.is_in(unique[start : start + 500]))
        found.update({row["vat_id"]: row["id"] for row in rows})
    return found


async def get_company(company_id: int) -> CompanyOut:
    return company_out(await _row(company_id))


async def find_companies(query: str | None, limit: int = 50, offset: int = 0) -> list[CompanyOut]:
    companies, _ = await page_of_companies(query, Page(limit, offset))
    return companies


async def page_of_companies(query: str | None, page: Page) -> tuple[list[CompanyOut], int]:
    """Companies by name (id breaks ties), matching `query` in the name or VAT id, and how many
    match in all."""
    conditions = []
    if query and query.strip():
        text = query.strip()
        compact = "".join(ch for ch in text.upper() if ch.isalnum())
        condition = contains_text(Company.name, text)
        if compact:
            condition = condition | contains_text(Company.vat_id, compact)
        conditions.append(condition)
    if page.updated_since is not None:
        conditions.append(Company.updated_at >= page.updated_since)
    select = Company.select().order_by(Company.name).order_by(Company.id)
    counting = Company.count()
    for condition in conditions:
        select, counting = select.where(condition), counting.where(condition)
    return [company_out(row) for row in await page.window(select)], await counting


async def update_company(company_id: int, patch: CompanyPatch) -> CompanyOut:
    current = await _row(company_id)
    changes: dict[Any, Any] = {}
    for field in ("name", "region", "city", "sector", "size_class"):
        value = getattr(patch, field)
        if value is not msgspec.UNSET:
            changes[getattr(Company, field)] = value.strip() if isinstance(value, str) else value
    if patch.vat_id is not msgspec.UNSET or patch.country is not msgspec.UNSET:
        raw = current["vat_id"] if patch.vat_id is msgspec.UNSET else patch.vat_id
        country = current["country"] if patch.country is msgspec.UNSET else patch.country
        vat = checked_vat_id(raw, country)
        await _refuse_duplicate(vat.normalised, except_id=company_id)
        changes[Company.vat_id] = vat.normalised
        changes[Company.country] = vat.country
    if changes:
        changes[Company.updated_at] = now_utc()
        async with write_transaction():
            await Company.update(changes).where(Company.id == company_id)
            await audit.record(
                Entity.COMPANY, company_id, Action.UPDATED, audit.diff(current, {column._meta.name: value for column, value in changes.items()})
            )
    return await get_company(company_id)


# ---------------------------------------------------------------- engagement


async def company_engagement(company_id: int) -> CompanyEngagement:
    """The events the company's people registered for (cancellations aside), with how many
    came and for how many minutes: one GROUP BY over its registrations."""
    company = await get_company(company_id)
    rows = await Company.raw(
        """
        SELECT e.id AS event_id, e.title, e.kind, e.starts_at,
               COUNT(r.id) AS registrations,
               SUM(CASE WHEN r.attended THEN 1 ELSE 0 END) AS attended,
               SUM(r.minutes_attended) AS minutes_attended
        FROM registration r JOIN "event" e ON e.id = r."event"
        WHERE r.company = {} AND r.status <> 'cancelled'
        GROUP BY e.id, e.title, e.kind, e.starts_at
        ORDER BY e.starts_at, e.id
        """,
        company_id,
    )
    events = [
        CompanyEventEngagement(
            event_id=row["event_id"],
            title=row["title"],
            kind=row["kind"],
            starts_at=row["starts_at"],
            registrations=int(row["registrations"]),
            attended=int(row["attended"] or 0),
            minutes_attended=int(row["minutes_attended"] or 0),
        )
        for row in rows
    ]
    return CompanyEngagement(
        company=company,
        events_registered=len(events),
        events_attended=sum(1 for event in events if event.attended),
        minutes_attended=sum(event.minutes_attended for event in events),
        events=events,
    )
