from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.app import running_service
from events_service.companies.tables import Company
from events_service.companies.vat import normalise_vat_id
from events_service.demo import (
    DEMO_ORGANISER_EMAIL,
    DEMO_ORGANISER_PASSWORD,
    DatabaseNotEmpty,
    database_is_empty,
    demo_events,
    load_demo,
)
from events_service.events.queries import list_events
from events_service.events.tables import Event, Speaker
from events_service.settings import Settings

OFFICE_CODE_OF_PROVINCE = {"LC": "097", "CO": "013", "VA": "012", "SO": "014"}
ROME = ZoneInfo("Europe/Rome")


def _a_month_ahead() -> date:
    """A `today` other than the real one, so the test sees that the schedule follows it."""
    return datetime.now(ROME).date() + timedelta(days=30)


async def test_demo_loads_a_realistic_programme(client: httpx.AsyncClient) -> None:
    today = _a_month_ahead()
    assert await database_is_empty()
    summary = await load_demo(today=today)
    assert not await database_is_empty()

    assert summary.companies >= 30
    assert await Company.count() == summary.companies
    assert (summary.tech_talks, summary.tech_days, summary.speakers) == (8, 2, 12)
    assert await Speaker.count() == 12
    assert await Event.count().where(Event.kind == "tech_talk") == 8
    assert await Event.count().where(Event.kind == "tech_day") == 2
    assert await Event.count().where(Event.status == "draft") == summary.drafts
    assert 1 <= summary.drafts <= 2
    assert summary.published == 10 - summary.drafts

    answer = await client.post("/api/auth/token", json={"email": DEMO_ORGANISER_EMAIL, "password": DEMO_ORGANISER_PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "organiser"


async def test_every_company_has_a_valid_vat_id_from_the_programme_area(settings: Settings) -> None:
    async with running_service(settings):
        await load_demo(today=_a_month_ahead())
        companies = await Company.select()
    assert {company["region"] for company in companies} == {"LC", "CO", "VA", "SO", "TI", "GR"}
    for company in companies:
        assert normalise_vat_id(company["vat_id"], company["country"]).normalised == company["vat_id"]
        if company["country"] == "IT":
            # digits 8–10 of a partita IVA name the tax office of the company's province
            assert company["vat_id"][9:12] == OFFICE_CODE_OF_PROVINCE[company["region"]], company
        else:
            assert company["country"] == "CH", company
            assert company["region"] in ("TI", "GR"), company
        assert company["name"]
        assert company["city"]
        assert company["sector"]
        assert company["size_class"]


async def test_events_follow_today_and_keep_their_shape(settings: Settings) -> None:
    today = _a_month_ahead()
    async with running_service(settings):
        await load_demo(today=today)
        events = await list_events()
    midnight = datetime.combine(today, time(), tzinfo=ROME)
    assert all(event.starts_at > midnight for event in events)
    talks = [event for event in events if event.kind == "tech_talk"]
    assert {event.mode for event in talks} == {"online"}
    for talk in talks:
        assert 60 <= (talk.ends_at - talk.starts_at).total_seconds() / 60 <= 90
        assert talk.starts_at.astimezone(ROME).time() == time(17)
        assert talk.speakers
        assert talk.topics
    assert {topic for talk in talks for topic in talk.topics} >= {
        "iot", "ai", "cybersecurity", "energy", "industry-4.0", "export", "funding",
    }

    days = {event.mode: event for event in events if event.kind == "tech_day"}
    assert set(days) == {"in_person", "hybrid"}
    assert days["in_person"].venue is not None
    assert days["in_person"].venue.city == "Lecco"
    hybrid = days["hybrid"]
    assert hybrid.timezone == "Europe/Zurich"
    assert hybrid.venue is not None
    assert hybrid.venue.city == "Lugano"
    assert hybrid.online_capacity
    assert hybrid.online_url
    assert hybrid.status == "published"
    for day in days.values():
        assert 5 <= len(day.agenda) <= 6
        assert all(day.starts_at <= item.starts_at < item.ends_at <= day.ends_at for item in day.agenda)
        assert sum(item.speaker is not None for item in day.agenda) >= 5
    assert hybrid.agenda[0].starts_at.astimezone(ZoneInfo("Europe/Zurich")).time() == time(9)


async def test_demo_loads_only_into_an_empty_database(settings: Settings) -> None:
    async with running_service(settings):
        await load_demo(today=_a_month_ahead())
        companies, events = await Company.count(), await Event.count()
        with pytest.raises(DatabaseNotEmpty):
            await load_demo(today=_a_month_ahead())
        assert (await Company.count(), await Event.count()) == (companies, events)


async def test_a_past_today_is_refused_before_writing(settings: Settings) -> None:
    async with running_service(settings):
        with pytest.raises(ValueError, match="in the past"):
            await load_demo(today=date(2020, 1, 6))
        assert await database_is_empty()


def test_the_schedule_is_deterministic() -> None:
    today = date(2031, 3, 3)
    assert demo_events(today) == demo_events(today)
    starts = [item.event.starts_at.astimezone(UTC) for item in demo_events(today)]
    assert starts[0] == datetime(2031, 3, 11, 16, tzinfo=UTC)  # a week on, Tuesday, 17:00 CET


async def test_the_demo_has_a_past_with_attendance_so_reports_are_not_empty(settings: Settings) -> None:
    """make run: past events with registrations, check-ins, an imported webinar report and
    finalised attendance (demo_history.py), companies from Italy and Switzerland."""
    from events_service.mail.tables import OutboxMessage
    from events_service.registrations.tables import Registration
    from events_service.reports import indicators
    from events_service.reports.service import summary

    today = datetime.now(ROME).date()
    async with running_service(settings):
        loaded = await load_demo(today=today, settings=settings)
        figures = await indicators.indicators(today - timedelta(days=90), today)
        programme = await summary(today - timedelta(days=90), today)
        history = [row["id"] for row in await Event.select(Event.id).where(Event.ends_at < datetime.now(UTC))]
        queued_to_the_past = await OutboxMessage.count().where(
            OutboxMessage.status.is_in(["queued", "retry"])
            & OutboxMessage.registration_id.is_in(
                [row["id"] for row in await Registration.select(Registration.id).where(Registration.event.is_in(history))]))
        sources = {row["attendance_source"] for row in await Registration.select(Registration.attendance_source).where(
            Registration.event.is_in(history) & (Registration.attended == True))}  # noqa: E712
    assert (loaded.past_events, loaded.attended) == (4, 23)
    assert len(history) == 4
    # AI talk 6 of 8 (one below the threshold), cyber talk 5 of 6, Tech Day Como 7 + a walk-in;
    # the open day in Mendrisio is public: its 4 are enterprises supported, not participations
    assert figures.participations.total == 19
    assert figures.participations.by_country == {"IT": 12, "CH": 7}
    assert figures.cross_border_participations == 3  # Swiss companies at the Tech Day in Como
    assert (figures.public_events, figures.targeted_events) == (1, 3)
    assert figures.enterprises_supported.by_country["CH"] >= 5
    assert set(figures.enterprises_supported.by_size_class) >= {"micro", "small", "medium"}
    assert {kind.kind: kind.attendance_rate is not None for kind in programme.by_kind} == {"tech_talk": True, "tech_day": True}
    assert sources == {"import", "checkin"}
    assert queued_to_the_past == 0  # nobody is mailed today about weeks-old events
