"""The organisers' console: dashboard, events, registrations, check-in, attendance import,
outbox. Each page turns a form into a service call and renders the answer."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from events_service import event_changes
from events_service.attendance import pull
from events_service.attendance import service as attendance
from events_service.attendance.platforms import Platform
from events_service.attendance.report_errors import report_error_message
from events_service.audit import log as audit
from events_service.audit.schemas import Entity
from events_service.broadcasts import service as broadcasts
from events_service.errors import DomainError
from events_service.events import queries as event_queries
from events_service.events import service as events
from events_service.events.records import EventKind, EventMode, EventStatus
from events_service.events.schemas import EventCreate, EventPatch
from events_service.events.tables import Event
from events_service.languages import DEFAULT_LANGUAGE
from events_service.mail import outbox
from events_service.mail.records import OutboxStatus
from events_service.organisers.auth import CHECKIN_STAFF, EDITORS
from events_service.organisers.records import Role
from events_service.organisers.schemas import CurrentOrganiser
from events_service.organisers.service import OrganiserError, authenticate
from events_service.params import OlderThan, RowId
from events_service.questions import service as question_service
from events_service.questions.schemas import QuestionStage
from events_service.rate_limit import SIGN_IN_LIMIT
from events_service.registrations import queries as registration_queries
from events_service.registrations import service as registrations
from events_service.registrations.records import CancelledBy, RegistrationStatus
from events_service.replies import queries as reply_queries
from events_service.reports import service as reports
from events_service.settings import DEFAULT_TIMEZONE, Settings
from events_service.web import event_form, forms
from events_service.web.chart import registrations_chart
from events_service.web.forms import FormErrors
from events_service.web.pages import page_language, page_translator, render
from events_service.web.session import end_session, start_session
from events_service.xlsx_export import XLSX_MEDIA_TYPE


class Console(Controller):
    """Every page needs a signed-in organiser (the router's session auth, web/session.py) but
    the sign-in form and signing out; the guards say which roles may see a page."""

    path = "/console"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next_path: FromQuery[str | None] = None) -> Template:
        return render(request, "console/login.html", next_path=next_path or "", email="", error=None)

    @post("/login", middleware=[SIGN_IN_LIMIT])
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
        next_path = str(form.get("next", ""))
        try:
            user = await authenticate(email, password)
        except OrganiserError:
            _ = page_translator(request)
            return render(request, "console/login.html", status_code=401, next_path=next_path, email=email,
                          error=_("Wrong email or password."))
        target = "/console" if user.role != Role.CHECKIN else "/console/checkin"
        if next_path.startswith("/console/") and not next_path.startswith("/console/login"):
            target = next_path
        start_session(request, user)
        return Redirect(path=target, status_code=303)

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        end_session(request)
        return Redirect(path="/console/login", status_code=303)

    @get("/")
    async def dashboard(self, request: Request[CurrentOrganiser, Any, Any]) -> Response[Any]:
        user = request.user
        if user.role == Role.CHECKIN:
            return Redirect(path="/console/checkin", status_code=303)
        summary = await reports.summary(None, None)
        rows = []
        events = [event for event in await event_queries.event_records() if event.status != EventStatus.DRAFT]
        all_stats = await registration_queries.stats_of(events)  # one query for all of them
        for event in events:
            stats = all_stats[event.id]
            rate = round(100 * stats.attended / stats.confirmed) if stats.confirmed else None
            rows.append({"id": event.id, "title": event.title, "kind": event.kind, "starts_at": event.starts_at,
                         "timezone": event.timezone, "status": event.status, "confirmed": stats.confirmed,
                         "waitlisted": stats.waitlisted, "attended": stats.attended,
                         "capacity": stats.capacity + (stats.online_capacity or 0),
                         "rate": rate, "rsvp_accepted": stats.rsvp_accepted,
                         "rsvp_tentative": stats.rsvp_tentative, "rsvp_declined": stats.rsvp_declined})
        chart = registrations_chart([row for row in rows if row["status"] == EventStatus.PUBLISHED][:12])
        return render(request, "console/dashboard.html", summary=summary, rows=rows, chart=chart)

    @get("/events", guards=[EDITORS])
    async def events_list(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "console/events.html", events=await event_queries.list_events())

    @get("/events/new", guards=[EDITORS])
    async def new_event(self, request: Request[Any, Any, Any]) -> Template:
        values = dict.fromkeys(event_form.EVENT_FIELDS, "") | {"kind": EventKind.TECH_TALK, "language": DEFAULT_LANGUAGE, "mode": EventMode.ONLINE,
                                                    "timezone": DEFAULT_TIMEZONE, "capacity": "100",
                                                    "attendance_threshold_percent": str(Event.attendance_threshold_percent.default),
                                                    "reminder_offsets": event_form.offsets_text(event_form.default_reminders())}
        return render(request, "console/event_form.html", event=None, values=values, errors=FormErrors(), form_key=forms.new_form_key())

    @post("/events/new", guards=[EDITORS])
    async def create_event(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        # The form's one-time key: sent twice (a double click, a resend), it makes one event.
        form_key = forms.form_key_of(form.get("form_key"))
        values, data, follow_up, errors = event_form.checked_event_form(form, EventCreate, page_translator(request))
        if data is not None and follow_up is not None:
            try:
                event = await events.create_event(data, once_key=form_key)
                await attendance.update_follow_up(event.id, follow_up)
                return Redirect(path=f"/console/events/{event.id}", query_params={"saved": "1"}, status_code=303)
            except DomainError as error:
                errors.add(None, forms.error_text(error, page_translator(request)))
        return render(request, "console/event_form.html", status_code=422, event=None, values=values, errors=errors,
                      form_key=form_key or forms.new_form_key())

    @get("/events/{event_id:int}", guards=[EDITORS])
    async def edit_event(
        self, request: Request[Any, Any, Any], event_id: RowId, saved: FromQuery[str | None] = None
    ) -> Template:
        event = await event_queries.get_event(event_id)
        follow_up = await attendance.get_follow_up(event_id)
        return render(request, "console/event_form.html", event=event, values=event_form.event_values(event, follow_up), errors=FormErrors(),
                      follow_up=follow_up, notice="saved" if saved else None, sent=await broadcasts.list_messages(event_id),
                      history=await audit.history(Entity.EVENT, [event_id]), unacted_replies=await reply_queries.unacted_replies(event_id))

    @post("/events/{event_id:int}", guards=[EDITORS])
    async def update_event(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Response[Any]:
        event = await event_queries.get_event(event_id)
        values, data, follow_up, errors = event_form.checked_event_form(await request.form(), EventPatch, page_translator(request))
        if data is not None and follow_up is not None:
            try:
                # Both are checked above: the event is saved first, so a rule it breaks
                # leaves the links as they were too.
                await event_changes.update_event(event_id, data, settings)
                await attendance.update_follow_up(event_id, follow_up)
                return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)
            except DomainError as error:
                errors.add(None, forms.error_text(error, page_translator(request)))
        return render(request, "console/event_form.html", status_code=422, event=event, values=values, errors=errors,
                      follow_up=await attendance.get_follow_up(event_id))

    @post("/events/{event_id:int}/publish", guards=[EDITORS])
    async def publish(self, request: Request[Any, Any, Any], event_id: RowId) -> Response[Any]:
        try:
            await events.publish_event(event_id)
        except DomainError as error:
            event = await event_queries.get_event(event_id)
            follow_up = await attendance.get_follow_up(event_id)
            errors = FormErrors(general=[forms.error_text(error, page_translator(request))])
            return render(request, "console/event_form.html", status_code=error.status_code, event=event,
                          values=event_form.event_values(event, follow_up), errors=errors, follow_up=follow_up)
        return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)

    @post("/events/{event_id:int}/cancel", guards=[EDITORS])
    async def cancel_event(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Redirect:
        await event_changes.cancel_event(event_id, settings)
        return Redirect(path=f"/console/events/{event_id}", query_params={"saved": "1"}, status_code=303)

    @get("/events/{event_id:int}/registrations", guards=[EDITORS])
    async def registrations_page(
        self, request: Request[Any, Any, Any], event_id: RowId, status: FromQuery[str | None] = None
    ) -> Template:
        status = status if status in tuple(RegistrationStatus) else None
        event = await event_queries.get_event(event_id)
        rows = await registration_queries.list_registrations(event_id, status=status)
        stats = await registration_queries.event_stats(event_id)
        asked = await question_service.event_questions(event_id, QuestionStage.REGISTRATION)
        history = await audit.history(Entity.REGISTRATION, [row.id for row in rows])
        return render(request, "console/registrations.html", event=event, rows=rows, stats=stats, status=status or "", questions=asked,
                      answer_text=question_service.answer_text, history=history)

    @get("/events/{event_id:int}/registrations.csv", guards=[EDITORS])
    async def registrations_csv(
        self, request: Request[Any, Any, Any], event_id: RowId, status: FromQuery[str | None] = None
    ) -> Response[str]:
        status = status if status in tuple(RegistrationStatus) else None
        body = await registration_queries.registrations_csv(event_id, status=status, language=page_language(request))
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="event-{event_id}-registrations.csv"'})

    @get("/events/{event_id:int}/registrations.xlsx", guards=[EDITORS])
    async def registrations_xlsx(
        self, request: Request[Any, Any, Any], event_id: RowId, status: FromQuery[str | None] = None
    ) -> Response[bytes]:
        status = status if status in tuple(RegistrationStatus) else None
        body = await registration_queries.registrations_xlsx(event_id, status=status, language=page_language(request))
        return Response(body, media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="event-{event_id}-registrations.xlsx"'})

    @post("/events/{event_id:int}/registrations/{registration_id:int}/cancel", guards=[EDITORS])
    async def cancel_registration(
        self, request: Request[Any, Any, Any], event_id: RowId, registration_id: RowId, settings: NamedDependency[Settings]
    ) -> Redirect:
        rows = await registration_queries.list_registrations(event_id)
        if registration_id not in {row.id for row in rows}:
            raise NotFoundException("no such registration for this event")
        await registrations.cancel(registration_id, settings, cancelled_by=CancelledBy.ORGANISER)
        return Redirect(path=f"/console/events/{event_id}/registrations", status_code=303)

    @get("/checkin", guards=[CHECKIN_STAFF])
    async def checkin_events(self, request: Request[Any, Any, Any]) -> Template:
        listed = [e for e in await event_queries.list_events(status=EventStatus.PUBLISHED) if e.mode in (EventMode.IN_PERSON, EventMode.HYBRID)]
        return render(request, "console/checkin_events.html", events=listed)

    @get("/events/{event_id:int}/checkin", guards=[CHECKIN_STAFF])
    async def checkin_page(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        event = await event_queries.get_event(event_id)
        return render(request, "console/checkin.html", event=event, result=None, error=None,
                      stats=await registration_queries.event_stats(event_id))

    @post("/events/{event_id:int}/checkin", guards=[CHECKIN_STAFF])
    async def checkin(self, request: Request[CurrentOrganiser, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        user = request.user
        event = await event_queries.get_event(event_id)
        code = str((await request.form()).get("code", "")).strip()
        result = error = None
        status_code = 200
        _ = page_translator(request)
        if not code:
            error, status_code = _("scan or type a code"), 422
        else:
            try:
                result = await attendance.check_in(event_id, code, user.id, settings)
            except DomainError as failure:
                # an unknown code has a fixed message; a conflict names the person or the event
                error = _("unknown check-in code: it is not a code of this programme, or it has been replaced") if failure.status_code == 404 else failure.detail
                status_code = failure.status_code
        return render(request, "console/checkin.html", status_code=status_code, event=event, result=result, error=error,
                      stats=await registration_queries.event_stats(event_id))

    @get("/events/{event_id:int}/attendance", guards=[EDITORS])
    async def attendance_form(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        return render(request, "console/attendance.html", event=await event_queries.get_event(event_id), result=None, error=None)

    @post("/events/{event_id:int}/attendance", request_max_body_size=attendance.MAX_REPORT_BYTES + 1024 * 1024, guards=[EDITORS])
    async def attendance_import(self, request: Request[Any, Any, Any], event_id: RowId) -> Template:
        event = await event_queries.get_event(event_id)
        form = await request.form()
        upload = form.get("file")
        platform = str(form.get("platform", "auto"))
        result = error = None
        status_code = 200
        if not isinstance(upload, UploadFile) or not upload.filename:
            _ = page_translator(request)
            error, status_code = _("choose the participant report (CSV or XLSX) to upload"), 422
        else:
            try:
                content = await upload.read()
            finally:
                await upload.close()
            try:
                result = await attendance.import_report(
                    event_id, content, platform if platform in tuple(Platform) else "auto"
                )
            except DomainError as failure:
                error, status_code = report_error_message(failure, page_translator(request)), failure.status_code
        return render(request, "console/attendance.html", status_code=status_code, event=event, result=result, error=error)

    @post("/events/{event_id:int}/attendance-pull", guards=[EDITORS])
    async def attendance_pull(self, request: Request[Any, Any, Any], event_id: RowId, settings: NamedDependency[Settings]) -> Template:
        """The webinar's attendance pulled from its platform (attendance/pull.py), shown as an import is."""
        event = await event_queries.get_event(event_id)
        result = error = None
        status_code = 200
        try:
            result = await pull.pull_attendance(event_id, settings)
        except DomainError as failure:
            error, status_code = report_error_message(failure, page_translator(request)), failure.status_code
        return render(request, "console/attendance.html", status_code=status_code, event=event, result=result, error=error)

    @get("/replies", guards=[EDITORS])
    async def replies_page(self, request: Request[Any, Any, Any], before: OlderThan = None) -> Template:
        """The reply mailbox's answers tied to no event (issue 19 item 4), newest first, a page
        of UNACTED_SHOWN at a time; `before` (a row id) pages to older ones."""
        replies = await reply_queries.unmatched_replies(before)
        older_than = replies[-1].id if len(replies) == reply_queries.UNACTED_SHOWN else None
        return render(request, "console/replies.html", unacted_replies=replies, older_than=older_than)

    @get("/outbox", guards=[EDITORS])
    async def outbox_page(self, request: Request[Any, Any, Any], status: FromQuery[str | None] = None) -> Template:
        statuses = tuple(OutboxStatus)
        status = status if status in statuses else None
        items = await outbox.list_outbox(status, limit=200)  # type: ignore[arg-type]
        return render(request, "console/outbox.html", items=items, status=status or "", statuses=statuses, error=None)

    @post("/outbox/{message_id:int}/retry", guards=[EDITORS])
    async def outbox_retry(self, request: Request[Any, Any, Any], message_id: RowId) -> Response[Any]:
        try:
            await outbox.retry(message_id)
        except DomainError as error:
            items = await outbox.list_outbox(None, limit=200)
            return render(request, "console/outbox.html", status_code=error.status_code, items=items, status="",
                          statuses=tuple(OutboxStatus), error=error.detail)
        return Redirect(path="/console/outbox", status_code=303)
