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
