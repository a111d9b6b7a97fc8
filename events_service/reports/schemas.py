"""What the programme reports answer."""

from __future__ import annotations

from datetime import date

import msgspec


class ReportPeriod(msgspec.Struct):
    date_from: date | None = msgspec.field(name="from")
    date_to: date | None = msgspec.field(name="to")


class GroupTotals(msgspec.Struct):
    """Companies and their registrations within one region or size class (None: not known)."""

    group: str | None
    companies: int
    registrations: int
    attendances: int
    minutes: int


class KindTotals(msgspec.Struct):
    kind: str
    events: int
    registrations: int
    confirmed: int
    attendances: int
    minutes: int
    # attended ÷ confirmed, over the events of this kind that have ended; None when none has
    attendance_rate: float | None


class ProgrammeSummary(msgspec.Struct):
    period: ReportPeriod
    events: int
    registrations: int  # not cancelled (confirmed or waitlisted)
    confirmed: int
    attendances: int
    minutes: int
    companies: int  # distinct companies with a registration
    attending_companies: int  # distinct companies with an attendance
    companies_by_region: list[GroupTotals]
    companies_by_size_class: list[GroupTotals]
    by_kind: list[KindTotals]


# ---------------------------------------------------------------- the funder's indicators


class Participations(msgspec.Struct):
    """Attended registrations at targeted events (a person at two events counts twice), by the
    company's country and by its province or canton (`IT-LC`, `CH-TI`: codes of two countries
    may coincide, Sondrio and Solothurn are both SO)."""

    total: int
    by_country: dict[str, int]
    by_region: dict[str, int]


class EnterprisesSupported(msgspec.Struct):
    """Distinct companies (by VAT id) with an attended registration or an expert meeting held."""

    total: int
    by_country: dict[str, int]
    by_size_class: dict[str, int]


class Indicators(msgspec.Struct):
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    participations: Participations
    public_events: int
    targeted_events: int
    enterprises_supported: EnterprisesSupported
    cross_border_participations: int
    expert_meetings: int
