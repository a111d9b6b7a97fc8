"""The HTML pages: the public site (events, registration, the registrant's own page) and the
organisers' console. Every page translates a form or a URL into a domain service call and
renders the answer; the rules stay in the services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from events_service.attendance import reports
from events_service.attendance import service as attendance
from events_service.attendance.schemas import FollowUpPatch
from events_service.attendance.service import AttendanceError
from events_service.calendar.service import CalendarError
from events_service.companies.service import CompanyError, checked_vat_id
from events_service.errors import DomainError, TooManyRequests
from events_service.events import service as events
from events_service.events.schemas import EventCreate, EventPatch
from events_service.events.service import EventError
from events_service.events.tables import Event
from events_service.languages import LANGUAGES
from events_service.mail import outbox
from events_service.mail.outbox import MailError
from events_service.mail.schemas import OutboxStatus
from events_service.organisers.schemas import CurrentOrganiser
from events_service.organisers.service import OrganiserError, authenticate, get_organiser
from events_service.params import RowId
from events_service.rate_limit import SIGN_IN_LIMIT, count_colleagues, public_registration_limit
from events_service.registrations import service as registrations
from events_service.registrations.schemas import RegistrationCreate
from events_service.registrations.service import RegistrationError
from events_service.settings import DEFAULT_TIMEZONE, Settings
from events_service.validation import normalise_email, zone
from events_service.web import service as web
from events_service.web.service import FormErrors

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: The paths CSRF protection leaves alone: machine clients with their own credentials.
CSRF_EXCLUDE = ["^/api(/|$)", "^/calendar/", "^/events/", "^/schema"]
COLLEAGUE_SLOTS = (1, 2, 3)


# ---------------------------------------------------------------- templates


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(when=web.when, clock=web.clock)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def static_files_router() -> Router:
    return create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)


def page_language(request: Request[Any, Any, Any]) -> str:
    return web.choose_language(
        request.query_params.get("lang"), request.cookies.get(web.LANG_COOKIE), request.headers.get("accept-language")
    )


def render(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    lang = page_language(request)
    context.setdefault("user", request.scope.get("console_user"))
    response = Template(
        template_name=name,
        context={"lang": lang, "t": web.translator(lang), "path": request.url.path,
                 # the page's other query parameters, kept by the language switch's links
                 "lang_query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"]),
                 **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"} if name.startswith("console") or name.startswith("manage") else None,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(web.LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


# ---------------------------------------------------------------- errors as pages


class LoginRequired(Exception):
    pass


def html_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if isinstance(error, LoginRequired):
        return Redirect(path="/console/login", query_params={"next_path": request.url.path}, status_code=303)
    if isinstance(error, (DomainError, HTTPException)):
        status, detail = error.status_code, error.detail
    else:  # pragma: no cover - only the classes registered below arrive here
        status, detail = 500, "internal error"
    lang = page_language(request)
    t = web.translator(lang)
    if status == 404:
        title, message = t("not_found"), t("not_found_text")
    elif status == 403 and "CSRF" in detail:
        title, message = t("forbidden"), t("csrf_text")
    elif status == 403:
        title, message = t("forbidden"), t("forbidden_text")
    elif status == 429:
        title, message = t("too_many_requests"), t("too_many_requests_text")
    else:
        title, message = t("error"), detail
    page = render(request, "error.html", status_code=status, title=title, message=message)
    if status == 429 and isinstance(error, (HTTPException, TooManyRequests)) and error.headers:
        page.headers.update(error.headers)  # Retry-After
    return page


WEB_EXCEPTION_HANDLERS: dict[Any, Any] = {
    cls: html_error
    for cls in (LoginRequired, HTTPException, DomainError, EventError, RegistrationError, AttendanceError,
                MailError, CompanyError, OrganiserError, CalendarError)
}


# ---------------------------------------------------------------- public pages


def _form_values(form: Any, names: list[str]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "").strip() for name in names}


REGISTRATION_FIELDS = ["email", "first_name", "last_name", "company_vat", "company_name", "company_country", "attendance_mode"] + [
    f"colleague_{part}_{slot}" for slot in COLLEAGUE_SLOTS for part in ("email", "first_name", "last_name")
]


def _check_registration_form(values: dict[str, str], form: Any, t: Any) -> FormErrors:
    """What the form itself can tell: blanks, and the email and VAT id checked with the same
    functions the service uses, so the error sits next to its field."""
    errors = FormErrors()
    for name in ("email", "first_name", "last_name", "company_vat"):
        if not values[name]:
            errors.add(name, t("required"))
    if form.get("consent_privacy") != "yes":
        errors.add("consent_privacy", t("consent_needed"))
    if values["email"]:
        try:
            normalise_email(values["email"])
        except DomainError:
            errors.add("email", t("email_invalid"))
    if values["company_vat"]:
        try:
            checked_vat_id(values["company_vat"], values["company_country"] or None)
        except DomainError:
            errors.add("company_vat", t("vat_invalid"))
    for slot in COLLEAGUE_SLOTS:
        parts = {part: values[f"colleague_{part}_{slot}"] for part in ("email", "first_name", "last_name")}
        if not any(parts.values()):
            continue
        for part, value in parts.items():
            if not value:
                errors.add(f"colleague_{part}_{slot}", t("required"))
        if parts["email"]:
            try:
                normalise_email(parts["email"])
            except DomainError:
                errors.add(f"colleague_email_{slot}", t("email_invalid"))
    return errors


def _registration_payload(values: dict[str, str], form: Any, lang: str) -> dict[str, Any]:
    colleagues = [
        {part: values[f"colleague_{part}_{slot}"] for part in ("email", "first_name", "last_name")}
        for slot in COLLEAGUE_SLOTS
        if values[f"colleague_email_{slot}"]
    ]
    company: dict[str, Any] = {"vat_id": values["company_vat"]}
    if values["company_name"]:
        company["name"] = values["company_name"]
    if values["company_country"]:
        company["country"] = values["company_country"]
    payload: dict[str, Any] = {
        "email": values["email"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "company": company,
        "consent_privacy": form.get("consent_privacy") == "yes",
        "consent_marketing": form.get("consent_marketing") == "yes",
        "language": lang,
        "colleagues": colleagues,
    }
    if values["attendance_mode"] in ("in_person", "online"):
        payload["attendance_mode"] = values["attendance_mode"]
    return payload


def registration_form_controller(settings: Settings) -> type[Controller]:
    """The registration form's POST: public registration, rate limited per client address
    with the same count as the API's (rate_limit.py)."""

    class RegistrationForm(Controller):
        path = "/"
        include_in_schema = False

        @post("/e/{slug:str}/register", middleware=[public_registration_limit(settings)])
        async def register(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
            event = await events.public_event(slug, settings.base_url)
            lang = page_language(request)
            t = web.translator(lang)
            form = await request.form()
            values = _form_values(form, REGISTRATION_FIELDS)
            values["consent_privacy"] = "yes" if form.get("consent_privacy") == "yes" else ""
            values["consent_marketing"] = "yes" if form.get("consent_marketing") == "yes" else ""
            errors = _check_registration_form(values, form, t)
            created = None
            if not errors:
                try:
                    data = msgspec.convert(_registration_payload(values, form, lang), RegistrationCreate)
                    await count_colleagues(request, settings, len(data.colleagues))
                    created = await registrations.register(event.id, data, settings)
                except msgspec.ValidationError as error:
                    errors.add(web.field_of_validation_error(error), str(error))
                except TooManyRequests:
                    raise  # a page of its own (html_error), with Retry-After
                except DomainError as error:
                    name, key = web.registration_error_key(error.code)
                    errors.add(name, t(key) if key else error.detail)
            if created is None:
                return render(request, "register.html", status_code=422, event=event, values=values, errors=errors)
            return Redirect(path=f"/r/{created.manage_token}", query_params={"welcome": "1"}, status_code=303)

    return RegistrationForm


class PublicPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="web.home")
    async def home(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], kind: FromQuery[str | None] = None, topic: FromQuery[str | None] = None
    ) -> Template:
        kind = kind if kind in ("tech_talk", "tech_day") else None
        everything = await events.public_events(settings.base_url)
        topics = sorted({name for event in everything for name in event.topics})
        listed = [e for e in everything if (not kind or e.kind == kind) and (not topic or topic in e.topics)]
        return render(request, "index.html", events=listed, topics=topics, kind=kind or "", topic=topic or "")

    @get("/privacy")
    async def privacy(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        return render(request, "privacy.html", programme=settings.programme_name, contact=settings.mail_from)

    @get("/e/{slug:str}")
    async def event_page(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        event = await events.public_event(slug, settings.base_url)
        stats = await registrations.event_stats(event.id)
        return render(request, "event.html", event=event, stats=stats)

    @get("/e/{slug:str}/register")
    async def register_form(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        event = await events.public_event(slug, settings.base_url)
        return render(request, "register.html", event=event, values={"company_country": "IT"}, errors=FormErrors())

    @get("/r/{token:str}")
    async def manage(
        self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings],
        welcome: FromQuery[str | None] = None, cancelled: FromQuery[str | None] = None,
    ) -> Template:
        registration = await registrations.public_registration(token, settings)
        qr = web.qr_svg(registration.checkin_code) if registration.checkin_code else None
        return render(request, "manage.html", registration=registration, token=token, qr=qr,
                      welcome=bool(welcome), just_cancelled=bool(cancelled))

    @get("/r/{token:str}/cancel")
    async def cancel_confirm(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
        registration = await registrations.public_registration(token, settings)
        if registration.status == "cancelled":
            return Redirect(path=f"/r/{token}", status_code=303)
        return render(request, "cancel.html", registration=registration, token=token)

    @post("/r/{token:str}/cancel")
    async def cancel(self, token: FromPath[str], settings: NamedDependency[Settings]) -> Redirect:
        await registrations.cancel_by_token(token, settings)
        return Redirect(path=f"/r/{token}", query_params={"cancelled": "1"}, status_code=303)

    @get("/registrations/{token:str}")
    async def manage_link_from_email(self, token: FromPath[str]) -> Redirect:
        """The emails link to /registrations/<token>: the page lives at /r/<token>."""
        return Redirect(path=f"/r/{token}", status_code=302)


# ---------------------------------------------------------------- console


async def console_user(request: Request[Any, Any, Any], settings: Settings, *roles: str) -> CurrentOrganiser:
    """The signed-in organiser; a missing or forged session goes to the login page, a role
    that may not see the page gets 403."""
    organiser_id = web.read_session(settings, request.cookies.get(web.SESSION_COOKIE))
    user = await get_organiser(organiser_id) if organiser_id is not None else None
    if user is None:
        raise LoginRequired()
    request.scope["console_user"] = user  # type: ignore[typeddict-unknown-key]
    if roles and user.role not in ("admin", *roles):
        raise PermissionDeniedException("role not allowed")
    return user


def _session_cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(key=web.SESSION_COOKIE, value=value, path="/console", max_age=max_age, httponly=True,
                  samesite="lax", secure=settings.base_url.startswith("https://"))


EVENT_FIELDS = ["kind", "title", "description", "language", "starts_at", "ends_at", "timezone", "mode", "capacity",
                "online_capacity", "max_per_company", "venue_name", "venue_address", "venue_city", "online_url",
                "registration_closes_at", "topics", "speakers", "agenda", "reminder_offsets", "recording_url", "slides_url",
                "attendance_threshold_percent"]
#: The event form's fields saved through the attendance service (FollowUpPatch), not with the
#: event: the links the follow-up emails carry, and the share of the event that counts as attended.
FOLLOW_UP_FIELDS = ("recording_url", "slides_url", "attendance_threshold_percent")


def _event_values(event: Any, follow_up: Any) -> dict[str, str]:
    venue = event.venue
    return {
        "kind": event.kind, "title": event.title, "description": event.description, "language": event.language,
        "starts_at": web.local_input(event.starts_at, event.timezone), "ends_at": web.local_input(event.ends_at, event.timezone),
        "timezone": event.timezone, "mode": event.mode, "capacity": str(event.capacity),
        "online_capacity": "" if event.online_capacity is None else str(event.online_capacity),
        "max_per_company": "" if event.max_per_company is None else str(event.max_per_company),
        "venue_name": venue.name if venue else "", "venue_address": venue.address if venue else "",
        "venue_city": venue.city if venue else "", "online_url": event.online_url or "",
        "registration_closes_at": web.local_input(event.registration_closes_at, event.timezone),
        "topics": ", ".join(event.topics), "speakers": web.speakers_text(event.speakers),
        "agenda": web.agenda_text(event.agenda, event.timezone),
        "reminder_offsets": web.offsets_text(event.reminder_offsets_minutes),
        "recording_url": follow_up.recording_url or "", "slides_url": follow_up.slides_url or "",
        "attendance_threshold_percent": str(follow_up.attendance_threshold_percent),
    }


def _default_reminders() -> list[int]:
    """The reminders an event gets when the API leaves them out, for the new-event form."""
    [offsets] = [f for f in msgspec.structs.fields(EventCreate) if f.name == "reminder_offsets_minutes"]
    return list(offsets.default_factory())  # type: ignore[misc]


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def _event_payload(values: dict[str, str], errors: FormErrors, t: Any) -> dict[str, Any]:
    """The event form as the API's JSON would carry it; what cannot be read is an error next
    to its field."""
    payload: dict[str, Any] = {}
    for name in ("kind", "title", "description", "language", "mode"):
        payload[name] = values[name]
    timezone_name = values["timezone"] or DEFAULT_TIMEZONE
    payload["timezone"] = timezone_name
    try:
        tz = zone(timezone_name)
    except DomainError as error:
        errors.add("timezone", error.detail)
        tz = ZoneInfo(DEFAULT_TIMEZONE)
    for name in ("starts_at", "ends_at", "registration_closes_at"):
        try:
            payload[name] = web.parse_local(values[name], tz)
        except ValueError:
            errors.add(name, t("error_datetime"))
    for name in ("starts_at", "ends_at", "title", "capacity"):
        if not values[name]:
            errors.add(name, t("error_required"))
    for name in ("capacity", "online_capacity", "max_per_company"):
        try:
            payload[name] = _int_or_none(values[name])
        except ValueError:
            errors.add(name, t("error_whole_number"))
    try:
        payload["reminder_offsets_minutes"] = web.parse_offsets(values["reminder_offsets"])
    except web.OffsetError as error:
        message = {"range": t("error_offsets_range"), "count": t("error_offsets_count")}.get(error.reason)
        errors.add("reminder_offsets", message or t("error_offsets").format(text=error.text))
    venue = {part: values[f"venue_{part}"] for part in ("name", "address", "city")}
    payload["venue"] = venue if any(venue.values()) else None
    payload["online_url"] = values["online_url"] or None
    payload["topics"] = [topic.strip() for topic in values["topics"].split(",") if topic.strip()]
    payload["speakers"] = web.parse_speakers(values["speakers"])
    payload["agenda"] = []
    if values["agenda"].strip() and payload.get("starts_at"):
        try:
            payload["agenda"] = web.parse_agenda(values["agenda"], payload["starts_at"], tz)
        except web.AgendaLineError as error:
            errors.add("agenda", t("error_agenda_line").format(line=error.line))
        except web.AgendaTooLong:
            errors.add("agenda", t("error_agenda_too_long").format(items=web.MAX_AGENDA_ITEMS, chars=web.MAX_AGENDA_LINE))
    return payload


def _add_validation_error(errors: FormErrors, error: msgspec.ValidationError, t: Any) -> None:
    """A msgspec error next to the form's field it is about, translated; one about no field
    of the form is shown above the form as msgspec words it."""
    name, key = web.event_form_error(error)
    if name in EVENT_FIELDS:
        errors.add(name, t(key))
    else:
        errors.add(None, str(error))


def _checked_event_form(form: Any, struct: type[Any], t: Any) -> tuple[dict[str, str], Any, FollowUpPatch | None, FormErrors]:
    """The event form read and checked as a whole before anything is saved: what was typed,
    the event as `struct` (EventCreate or EventPatch) and the follow-up links, or the errors.
    Reminders or links a form does not carry at all are left as they are (or the default)."""
    values = _form_values(form, EVENT_FIELDS)
    errors = FormErrors()
    payload = _event_payload(values, errors, t)
    if "reminder_offsets" not in form:
        payload.pop("reminder_offsets_minutes", None)
    event = None
    links: dict[str, Any] = {}
    for name in FOLLOW_UP_FIELDS:  # one by one, so that each can be wrong at once
        if name not in form:
            continue
        value: Any = values[name] or None
        if name == "attendance_threshold_percent":
            if value is None:
                continue  # a blank threshold keeps the event's
            try:
                value = int(value)
            except ValueError:
                errors.add(name, t("error_whole_number"))
                continue
        try:
            links[name] = getattr(msgspec.convert({name: value}, FollowUpPatch), name)
        except msgspec.ValidationError as error:
            _add_validation_error(errors, error, t)
    follow_up = None if errors else FollowUpPatch(**links)
    if not errors:
        if struct is EventCreate:
            payload = {k: v for k, v in payload.items() if v is not None}
        try:
            event = msgspec.convert(payload, struct)
        except msgspec.ValidationError as error:
            _add_validation_error(errors, error, t)
    return values, event, follow_up, errors


class Console(Controller):
    path = "/console"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next_path: FromQuery[str | None] = None) -> Template:
        return render(request, "console/login.html", next_path=next_path or "", email="", error=None)

    @post("/login", middleware=[SIGN_IN_LIMIT])
    async def login(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
        form = await request.form()
        email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
        next_path = str(form.get("next", ""))
        try:
            user = await authenticate(email, password)
        except OrganiserError:
            return render(request, "console/login.html", status_code=401, next_path=next_path, email=email,
                          error=web.translator(page_language(request))("login_failed"))
        target = "/console" if user.role != "checkin" else "/console/checkin"
        if next_path.startswith("/console/") and not next_path.startswith("/console/login"):
            target = next_path
        cookie = _session_cookie(settings, web.make_session(settings, user.id), web.SESSION_HOURS * 3600)
        return Redirect(path=target, status_code=303, cookies=[cookie])

    @post("/logout")
    async def logout(self, settings: NamedDependency[Settings]) -> Redirect:
        return Redirect(path="/console/login", status_code=303, cookies=[_session_cookie(settings, "", 0)])

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
        user = await console_user(request, settings)
        if user.role == "checkin":
            return Redirect(path="/console/checkin", status_code=303)
        summary = await reports.summary(None, None)
        rows = []
        for event in await events.list_events():
            if event.status == "draft":
                continue
            stats = await registrations.event_stats(event.id)
            rate = round(100 * stats.attended / stats.confirmed) if stats.confirmed else None
            rows.append({"id": event.id, "title": event.title, "kind": event.kind, "starts_at": event.starts_at,
                         "timezone": event.timezone, "status": event.status, "confirmed": stats.confirmed,
                         "waitlisted": stats.waitlisted, "attended": stats.attended,
                         "capacity": stats.capacity + (stats.online_capacity or 0),
                         "rate": rate})
        chart = web.registrations_chart([row for row in rows if row["status"] == "published"][:12])
        return render(request, "console/dashboard.html", summary=summary, rows=rows, chart=chart)

    @get("/events")
    async def events_list(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser")
        return render(request, "console/events.html", events=await events.list_events())

    @get("/events/new")
    async def new_event(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser")
        values = dict.fromkeys(EVENT_FIELDS, "") | {"kind": "tech_talk", "language": "it", "mode": "online",
                                                    "timezone": DEFAULT_TIMEZONE, "capacity": "100",
                                                    "attendance_threshold_percent": str(Event.attendance_threshold_percent.default),
                                                    "reminder_offsets": web.offsets_text(_default_reminders())}
        return render(request, "console/event_form.html", event=None, values=values, errors=FormErrors(), form_key=web.new_form_key())

    @post("/events/new")
    async def create_event(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
        await console_user(request, settings, "organiser")
        form = await request.form()
        # The form's one-time key: sent twice (a double click, a resend), it makes one event.
        form_key = web.form_key_of(form.get("form_key"))
        values, data, follow_up, errors = _checked_event_form(form, EventCreate, web.translator(page_language(request)))
        if data is not None and follow_up is not None:
            try:
                event = await events.create_event(data, once_key=form_key)
                await attendance.update_follow_up(event.id, follow_up)
                return Redirect(path=f"/console/events/{event.id}", query_params={"saved": "1"}, status_code=303)
            except DomainError as error:
                errors.add(None, web.error_text(error, web.translator(page_language(request))))
        return render(request, "console/event_form.html", status_code=422, event=None, values=values, errors=errors,
                      form_key=form_key or web.new_form_key())

    @get("/events/{event_id:int}")
    async def edit_event(
        self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings], saved: FromQuery[str | None] = None
    ) -> Template:
        await console_user(request, settings, "organiser")
        event = await events.get_event(event_id)
        follow_up = await attendance.get_follow_up(event_id)
        return render(request, "console/event_form.html", event=event, values=_event_values(event, follow_up), errors=FormErrors(),
                      follow_up=follow_up, notice="saved" if saved else None)

    @post("/events/{event_id:int}")
    async def update_event(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Response[Any]:
        await console_user(request, settings, "organiser")
        event = await events.get_event(event_id)
        values, data, follow_up, errors = _checked_event_form(await request.form(), EventPatch, web.translator(page_language(request)))
        if data is not None and follow_up is not None:
            try:
                # Both are checked above: the event is saved first, so a rule it breaks
                # leaves the links as they were too.
                await events.update_event(event_id, data, settings)
                await attendance.update_follow_up(event_id, follow_up)
                return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)
            except DomainError as error:
                errors.add(None, web.error_text(error, web.translator(page_language(request))))
        return render(request, "console/event_form.html", status_code=422, event=event, values=values, errors=errors,
                      follow_up=await attendance.get_follow_up(event_id))

    @post("/events/{event_id:int}/publish")
    async def publish(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Response[Any]:
        await console_user(request, settings, "organiser")
        try:
            await events.publish_event(event_id)
        except DomainError as error:
            event = await events.get_event(event_id)
            follow_up = await attendance.get_follow_up(event_id)
            errors = FormErrors(general=[web.error_text(error, web.translator(page_language(request)))])
            return render(request, "console/event_form.html", status_code=error.status_code, event=event,
                          values=_event_values(event, follow_up), errors=errors, follow_up=follow_up)
        return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)

    @post("/events/{event_id:int}/cancel")
    async def cancel_event(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Redirect:
        await console_user(request, settings, "organiser")
        await events.cancel_event(event_id, settings)
        return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)

    @get("/events/{event_id:int}/registrations")
    async def registrations_page(
        self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings], status: FromQuery[str | None] = None
    ) -> Template:
        await console_user(request, settings, "organiser")
        status = status if status in ("confirmed", "waitlisted", "cancelled") else None
        event = await events.get_event(event_id)
        rows = await registrations.list_registrations(event_id, status=status)
        stats = await registrations.event_stats(event_id)
        return render(request, "console/registrations.html", event=event, rows=rows, stats=stats, status=status or "")

    @get("/events/{event_id:int}/registrations.csv")
    async def registrations_csv(
        self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings], status: FromQuery[str | None] = None
    ) -> Response[str]:
        await console_user(request, settings, "organiser")
        status = status if status in ("confirmed", "waitlisted", "cancelled") else None
        body = await registrations.registrations_csv(event_id, status=status)
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="event-{event_id}-registrations.csv"'})

    @post("/events/{event_id:int}/registrations/{registration_id:int}/cancel")
    async def cancel_registration(
        self, request: Request[Any, Any, Any], event_id: RowId, registration_id: RowId, settings: NamedDependency[Settings]
    ) -> Redirect:
        await console_user(request, settings, "organiser")
        rows = await registrations.list_registrations(event_id)
        if registration_id not in {row.id for row in rows}:
            raise NotFoundException("no such registration for this event")
        await registrations.cancel(registration_id, settings, cancelled_by="organiser")
        return Redirect(path=f"/console/events/{event_id}/registrations", status_code=303)

    @get("/checkin")
    async def checkin_events(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser", "checkin")
        listed = [e for e in await events.list_events(status="published") if e.mode in ("in_person", "hybrid")]
        return render(request, "console/checkin_events.html", events=listed)

    @get("/events/{event_id:int}/checkin")
    async def checkin_page(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser", "checkin")
        event = await events.get_event(event_id)
        return render(request, "console/checkin.html", event=event, result=None, error=None,
                      stats=await registrations.event_stats(event_id))

    @post("/events/{event_id:int}/checkin")
    async def checkin(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        user = await console_user(request, settings, "organiser", "checkin")
        event = await events.get_event(event_id)
        code = str((await request.form()).get("code", "")).strip()
        result = error = None
        status_code = 200
        t = web.translator(page_language(request))
        if not code:
            error, status_code = t("checkin_empty"), 422
        else:
            try:
                result = await attendance.check_in(event_id, code, user.id, settings)
            except DomainError as failure:
                # an unknown code has a fixed message; a conflict names the person or the event
                error = t("checkin_unknown") if failure.status_code == 404 else failure.detail
                status_code = failure.status_code
        return render(request, "console/checkin.html", status_code=status_code, event=event, result=result, error=error,
                      stats=await registrations.event_stats(event_id))

    @get("/events/{event_id:int}/attendance")
    async def attendance_form(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser")
        return render(request, "console/attendance.html", event=await events.get_event(event_id), result=None, error=None)

    @post("/events/{event_id:int}/attendance", request_max_body_size=attendance.MAX_REPORT_BYTES + 1024 * 1024)
    async def attendance_import(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        await console_user(request, settings, "organiser")
        event = await events.get_event(event_id)
        form = await request.form()
        upload = form.get("file")
        platform = str(form.get("platform", "auto"))
        result = error = None
        status_code = 200
        if not isinstance(upload, UploadFile) or not upload.filename:
            error, status_code = web.translator(page_language(request))("choose_report"), 422
        else:
            try:
                content = await upload.read()
            finally:
                await upload.close()
            try:
                result = await attendance.import_report(
                    event_id, content, platform if platform in ("zoom", "teams", "webex") else "auto"
                )
            except DomainError as failure:
                error, status_code = failure.detail, failure.status_code
        return render(request, "console/attendance.html", status_code=status_code, event=event, result=result, error=error)

    @get("/outbox")
    async def outbox_page(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], status: FromQuery[str | None] = None) -> Template:
        await console_user(request, settings, "organiser")
        statuses = get_args(OutboxStatus)
        status = status if status in statuses else None
        items = await outbox.list_outbox(status, limit=200)  # type: ignore[arg-type]
        return render(request, "console/outbox.html", items=items, status=status or "", statuses=statuses, error=None)

    @post("/outbox/{message_id:int}/retry")
    async def outbox_retry(self, request: Request[Any, Any, Any], message_id: RowId, settings: NamedDependency[Settings]) -> Response[Any]:
        await console_user(request, settings, "organiser")
        try:
            await outbox.retry(message_id)
        except DomainError as error:
            items = await outbox.list_outbox(None, limit=200)
            return render(request, "console/outbox.html", status_code=error.status_code, items=items, status="",
                          statuses=get_args(OutboxStatus), error=error.detail)
        return Redirect(path="/console/outbox", status_code=303)


def web_router(settings: Settings) -> Router:
    return Router(path="/", route_handlers=[PublicPages, registration_form_controller(settings), Console],
                  exception_handlers=WEB_EXCEPTION_HANDLERS, include_in_schema=False)
