from datetime import datetime
from typing import Annotated

import msgspec

from events_service.companies.records import SizeClass
from events_service.validation import SINGLE_LINE

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200), SINGLE_LINE]
Country = Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z]{2}\Z", description="ISO 3166 alpha-2")]
ShortText = Annotated[str, msgspec.Meta(max_length=100), SINGLE_LINE]
VatId = Annotated[str, msgspec.Meta(min_length=1, max_length=40), SINGLE_LINE]


class CompanyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    vat_id: VatId
    country: Country
    region: ShortText | None = None
    city: ShortText | None = None
    sector: ShortText | None = None
    size_class: SizeClass | None = None


class CompanyPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    vat_id: VatId | msgspec.UnsetType = msgspec.UNSET
    country: Country | msgspec.UnsetType = msgspec.UNSET
    region: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    city: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    sector: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    size_class: SizeClass | None | msgspec.UnsetType = msgspec.UNSET


class CompanyOut(msgspec.Struct):
    id: int
    name: str
    vat_id: str
    country: str
    region: str | None
    city: str | None
    sector: str | None
    size_class: str | None
    created_at: datetime
    updated_at: datetime


class CompanyEventEngagement(msgspec.Struct):
    event_id: int
    title: str
    kind: str
    starts_at: datetime
    registrations: int
    attended: int
    minutes_attended: int


class CompanyEngagement(msgspec.Struct):
    company: CompanyOut
    events_registered: int
    events_attended: int
    minutes_attended: int
    events: list[CompanyEventEngagement]
    #: Survey answers its people gave after events, and their mean rating (surveys/).
    survey_responses: int = 0
    survey_mean_rating: float | None = None
    #: One-to-one meetings its people held with Innovation Experts at Tech Days (experts/).
    expert_meetings: int = 0
