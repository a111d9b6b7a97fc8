"""Issue 12, property: arbitrary text, numbers and dates thrown at every public endpoint, the
organiser API's inputs and the console forms never give a 5xx, and a 4xx writes no row.

Hypothesis drives the examples from a worker thread; each request runs on the test's own event
loop (where the app and its PostgreSQL pool live) through run_coroutine_threadsafe."""

from __future__ import annotations

import asyncio
import string
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from events_service.companies.tables import Company, Contact
from events_service.events.tables import AgendaSession, Event, Speaker
from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from tests.factories import event_payload, partita_iva, published_event, registration_payload
from tests.web.support import console_login, csrf_token

#: The tables a hostile request could leave a row in. (Counters a refusal may rightly keep, such
#: as failed sign-ins or mail quotas, are not among them.)
MAIN_TABLES = (Event, Speaker, AgendaSession, Registration, Company, Contact, OutboxMessage)
EXAMPLES = 40

#: Strings known to have hurt: non-ASCII digits, NUL and other controls, formula starts,
#: overlong numbers, path tricks, a non-ASCII local part.
NASTY = [
    "", " ", "²", "¹²", "٣", "1²", "0", "-1", "2147483648", "9223372036854775808", "1" * 40, "\x00", "a\x00b",
    "\n", "line\r\nbreak", "\t", "\x1b[31m", "\x85", "\u2028", "=cmd|' /C calc'!A0", "Rossi;=1+1", "＝1", "../..",
    "%00", "'; DROP TABLE event; --", "<script>alert(1)</script>", "jösé@example.com", "a@bücher.example",
    "2026-02-30", "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "𝟙𝟚", "NaN", "1e309",
]
texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=60), st.text(alphabet=string.printable, max_size=30))
numbers = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**63, -(2**63) - 1]))
offsets = st.one_of(st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m))), st.just(UTC))
moments = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets).map(datetime.isoformat),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(datetime.isoformat),  # naive
    texts,
)
days = st.one_of(st.dates().map(lambda day: day.isoformat()), texts)
scalars = st.one_of(texts, numbers, st.booleans(), st.none(), moments)


def segment(value: Any) -> str:
    """A value as one path segment, as a browser would send it."""
    return quote(str(value), safe="")


async def row_counts() -> tuple[int, ...]:
    return tuple([await table.count() for table in MAIN_TABLES])


def run_property(loop: asyncio.AbstractEventLoop, name: str, strategy: st.SearchStrategy[Any],
                 send: Callable[[Any], Awaitable[httpx.Response]]) -> None:
    """`send` each example on `loop`; no 5xx, and a 4xx leaves every main table as it was."""

    async def one(example: Any) -> None:
        before = await row_counts()
        answer = await send(example)
        assert answer.status_code < 500, (name, example, answer.status_code, answer.text[:500])
        if 400 <= answer.status_code < 500:
            assert await row_counts() == before, (name, example, answer.status_code, "a refused request wrote a row")

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(strategy)
    def check(example: Any) -> None:
        asyncio.run_coroutine_threadsafe(one(example), loop).result(timeout=60)

    check()


async def run_all(properties: list[tuple[str, st.SearchStrategy[Any], Callable[[Any], Awaitable[httpx.Response]]]]) -> None:
    loop = asyncio.get_running_loop()
    for name, strategy, send in properties:
        await asyncio.to_thread(run_property, loop, name, strategy, send)


async def test_public_endpoints_never_answer_5xx_nor_write_on_4xx(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    created = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload("ada.rossi@a.example"))
    assert created.status_code == 201, created.text
    good_token = created.json()["manage_token"]

    def registration(fields: dict[str, Any]) -> dict[str, Any]:
        body = registration_payload("hostile@x.example", company={"vat_id": partita_iva(3), "name": "Hostile Srl", "country": "IT"})
        company = {key[len("company_"):]: value for key, value in fields.items() if key.startswith("company_")}
        body.update({key: value for key, value in fields.items() if not key.startswith("company_")})
        body["company"] = {**body["company"], **company}
        return body

    registration_fields = st.dictionaries(
        st.sampled_from(["email", "first_name", "last_name", "consent_privacy", "language", "attendance_mode",
                         "company_vat_id", "company_name", "company_country", "company_region"]),
        scalars, max_size=4,
    )
    token_like = st.one_of(texts, texts.map(lambda text: f"{text}.{good_token.split('.', 1)[1]}"),
                           st.builds(lambda a, b, c: f"{a}.{b}.{c}", texts, texts, texts))
    await run_all([
        ("public events list", st.tuples(texts, texts),
         lambda ex: client.get("/api/public/events", params={"kind": ex[0], "topic": ex[1]})),
        ("public event", st.one_of(texts, numbers), lambda ex: client.get(f"/api/public/events/{segment(ex)}")),
        ("register", st.tuples(st.one_of(st.just(event["id"]), numbers), registration_fields),
         lambda ex: client.post(f"/api/public/events/{segment(ex[0])}/registrations", json=registration(ex[1]))),
        ("register raw JSON", st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=8),
         lambda ex: client.post(f"/api/public/events/{event['id']}/registrations", json=ex)),
        ("manage token", token_like, lambda ex: client.get(f"/api/public/registrations/{segment(ex)}")),
        ("cancel by token", token_like, lambda ex: client.post(f"/api/public/registrations/{segment(ex)}/cancel")),
        ("event .ics", st.one_of(texts, numbers), lambda ex: client.get(f"/events/{segment(ex)}.ics")),
        ("public feed", st.tuples(texts, texts), lambda ex: client.get("/calendar/events.ics", params={"kind": ex[0], "topic": ex[1]})),
        ("personal feed", token_like, lambda ex: client.get(f"/calendar/personal/{segment(ex)}.ics")),
        ("event page", st.one_of(texts, numbers), lambda ex: client.get(f"/e/{segment(ex)}")),
        ("manage page", token_like, lambda ex: client.get(f"/r/{segment(ex)}")),
        ("sign in", st.tuples(texts, texts), lambda ex: client.post("/api/auth/token", json={"email": ex[0], "password": ex[1]})),
    ])


async def test_organiser_inputs_never_answer_5xx_nor_write_on_4xx(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    event_fields = st.dictionaries(
        st.sampled_from(["title", "description", "starts_at", "ends_at", "registration_closes_at", "timezone", "capacity",
                         "max_per_company", "online_url", "topics", "kind", "mode", "language"]),
        st.one_of(scalars, moments, st.lists(texts, max_size=3)), min_size=1, max_size=4,
    )
    await run_all([
        ("create event", event_fields, lambda ex: client.post("/api/events", json={**event_payload(), **ex}, headers=organiser)),
        ("patch event", event_fields, lambda ex: client.patch(f"/api/events/{event['id']}", json=ex, headers=organiser)),
        ("event by id", numbers, lambda ex: client.get(f"/api/events/{segment(ex)}", headers=organiser)),
        ("companies", st.tuples(texts, st.one_of(numbers, texts), st.one_of(numbers, texts)),
         lambda ex: client.get("/api/companies", params={"q": ex[0], "limit": ex[1], "offset": ex[2]}, headers=organiser)),
        ("create company", st.tuples(texts, texts, texts),
         lambda ex: client.post("/api/companies", json={"name": ex[0], "vat_id": ex[1], "country": ex[2]}, headers=organiser)),
        ("registrations", st.tuples(texts, texts),
         lambda ex: client.get(f"/api/events/{event['id']}/registrations", params={"q": ex[0], "status": ex[1]}, headers=organiser)),
        ("check in", texts, lambda ex: client.post(f"/api/events/{event['id']}/checkins", json={"code": ex}, headers=organiser)),
        ("reports", st.tuples(st.sampled_from(["companies.csv", "companies.xlsx", "summary", "summary.csv", "summary.xlsx",
                                               "indicators", "indicators.csv", "indicators.xlsx"]), days, days),
         lambda ex: client.get(f"/api/reports/{ex[0]}", params={"from": ex[1], "to": ex[2]}, headers=organiser)),
        ("evidence", st.tuples(st.sampled_from(["evidence", "evidence.csv", "evidence.xlsx"]), texts, days, days, texts, texts),
         lambda ex: client.get(f"/api/reports/indicators/{ex[0]}", params={"figure": ex[1], "from": ex[2], "to": ex[3],
                                                                           "region": ex[4], "country": ex[5]}, headers=organiser)),
    ])


async def test_console_forms_never_answer_5xx_nor_write_on_4xx(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, tech_day=True)
    await client.get(f"/e/{event['slug']}/register")  # the CSRF cookie

    async def form(url: str, data: dict[str, Any]) -> httpx.Response:
        return await client.post(url, data={**{k: str(v) for k, v in data.items()}, "_csrf_token": csrf_token(client)})

    registration_form = st.dictionaries(
        st.sampled_from(["email", "first_name", "last_name", "company_vat", "company_name", "company_country", "attendance_mode",
                         "consent_privacy", "colleague_email_1", "colleague_first_name_1", "colleague_last_name_1"]),
        scalars, max_size=5,
    )
    base_registration = {"email": "form@x.example", "first_name": "Ada", "last_name": "Neri", "company_vat": partita_iva(4),
                         "company_country": "IT", "consent_privacy": "yes"}
    event_form = st.dictionaries(
        st.sampled_from(["kind", "mode", "language", "title", "description", "starts_at", "ends_at", "timezone", "capacity",
                         "online_capacity", "max_per_company", "venue_name", "online_url", "registration_closes_at", "topics",
                         "speakers", "agenda", "reminder_offsets", "recording_url", "attendance_threshold_percent"]),
        st.one_of(scalars, moments), min_size=1, max_size=5,
    )
    start = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    base_event = {"kind": "tech_day", "mode": "in_person", "language": "en", "title": "Hostile day", "starts_at": f"{start}T09:00",
                  "ends_at": f"{start}T17:00", "timezone": "Europe/Rome", "capacity": "50", "venue_name": "ComoNExT",
                  "venue_address": "Via Cavour 2", "venue_city": "Lomazzo"}
    await run_all([
        ("registration form", registration_form,
         lambda ex: form(f"/e/{event['slug']}/register", {**base_registration, **{k: v for k, v in ex.items() if v is not None}})),
        ("register on a hostile slug", st.one_of(texts, numbers), lambda ex: form(f"/e/{segment(ex)}/register", base_registration)),
    ])
    await console_login(client)  # before the sign-in form's failures reach the sign-in limit
    await run_all([
        ("sign-in form", st.tuples(texts, texts), lambda ex: form("/console/login", {"email": ex[0], "password": ex[1]})),
        ("console event form", event_form,
         lambda ex: form("/console/events/new", {**base_event, **{k: v for k, v in ex.items() if v is not None}})),
        ("console event edit", event_form,
         lambda ex: form(f"/console/events/{event['id']}", {**base_event, **{k: v for k, v in ex.items() if v is not None}})),
        ("console check-in", texts, lambda ex: form(f"/console/events/{event['id']}/checkin", {"code": ex})),
        ("console pages", st.one_of(numbers, texts), lambda ex: client.get(f"/console/events/{segment(ex)}")),
        ("console session cookie", texts.filter(lambda text: not set(text) & set("\r\n\x00")), lambda ex: client.get(
            "/console/", headers={"Cookie": f"events_session={ex}".encode("utf-8", "surrogatepass")})),
    ])
