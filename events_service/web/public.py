"""The public site: the events, an event's page, the registration form and the registrant's
own page (by the manage link). Each page turns a form or a URL into a domain service call."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events_service.errors import DomainError, TooManyRequests
from events_service.events import queries as event_queries
from events_service.events.records import EventKind
from events_service.i18n import translator
from events_service.questions import service as question_service
from events_service.questions.errors import InvalidAnswer
from events_service.questions.schemas import QuestionStage
from events_service.rate_limit import count_colleagues, public_registration_limit
from events_service.registrations import queries as registration_queries
from events_service.registrations import service as registrations
from events_service.registrations.records import RegistrationStatus
from events_service.registrations.schemas import RegistrationCreate
from events_service.settings import Settings
from events_service.web import forms, question_form
from events_service.web.expert_meetings import event_page_experts, manage_page, meeting_notice
from events_service.web.forms import FormErrors
from events_service.web.pages import page_language, render


def registration_form_controller(settings: Settings) -> type[Controller]:
    """The registration form's POST: public registration, rate limited per client address
    with the same count as the API's (rate_limit.py)."""

    class RegistrationForm(Controller):
        path = "/"
        include_in_schema = False

        @post("/e/{slug:str}/register", middleware=[public_registration_limit(settings)])
        async def register(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
            event = await event_queries.public_event(slug, settings.base_url)
            lang = page_language(request)
            _ = translator(lang)
            form = await request.form()
            values = forms.form_values(form, forms.REGISTRATION_FIELDS)
            values["consent_privacy"] = "yes" if form.get("consent_privacy") == "yes" else ""
            values["consent_marketing"] = "yes" if form.get("consent_marketing") == "yes" else ""
            errors = forms.check_registration_form(values, form, _)
            asked = await question_service.event_questions(event.id, QuestionStage.REGISTRATION)
            answers = question_form.answers_of(form, asked)
            values.update(question_form.form_values(answers))
            created = None
            if not errors:
                try:
                    data = msgspec.convert({**forms.registration_payload(values, form, lang), "answers": answers}, RegistrationCreate)
                    await count_colleagues(request, settings, len(data.colleagues))
                    created = await registrations.register(event.id, data, settings)
                except msgspec.ValidationError as error:
                    errors.add(forms.field_of_validation_error(error), str(error))
                except TooManyRequests:
                    raise  # a page of its own (html_error), with Retry-After
                except InvalidAnswer as error:
                    question_form.add_error(errors, error, _)
                except DomainError as error:
                    name, message = forms.registration_error_message(error.code)
                    errors.add(name, _(message) if message else error.detail)
            if created is None:
                return render(request, "register.html", status_code=422, event=event, values=values, errors=errors, questions=asked)
            return Redirect(path=f"/r/{created.manage_token}", query_params={"welcome": "1"}, status_code=303)

    return RegistrationForm


class PublicPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="web.home")
    async def home(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], kind: FromQuery[str | None] = None, topic: FromQuery[str | None] = None
    ) -> Template:
        kind = kind if kind in tuple(EventKind) else None
        everything = await event_queries.public_events(settings.base_url)
        topics = sorted({name for event in everything for name in event.topics})
        listed = [e for e in everything if (not kind or e.kind == kind) and (not topic or topic in e.topics)]
        return render(request, "index.html", events=listed, topics=topics, kind=kind or "", topic=topic or "")

    @get("/privacy")
    async def privacy(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        return render(request, "privacy.html", programme=settings.programme_name, contact=settings.mail_from)

    @get("/e/{slug:str}")
    async def event_page(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        event = await event_queries.public_event(slug, settings.base_url)
        stats = await registration_queries.event_stats(event.id)
        experts = await event_page_experts(event.id, event.kind)  # a Tech Day's Innovation Experts
        return render(request, "event.html", event=event, stats=stats, experts=experts)

    @get("/e/{slug:str}/register")
    async def register_form(self, request: Request[Any, Any, Any], slug: FromPath[str], settings: NamedDependency[Settings]) -> Template:
        event = await event_queries.public_event(slug, settings.base_url)
        asked = await question_service.event_questions(event.id, QuestionStage.REGISTRATION)
        return render(request, "register.html", event=event, values={"company_country": "IT"}, errors=FormErrors(), questions=asked)

    @get("/r/{token:str}")
    async def manage(
        self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings],
        welcome: FromQuery[str | None] = None, cancelled: FromQuery[str | None] = None,
        meeting: FromQuery[str | None] = None,
    ) -> Template:
        return await manage_page(request, settings, token, welcome=bool(welcome), just_cancelled=bool(cancelled),
                                 meeting_notice=meeting_notice(meeting))

    @get("/r/{token:str}/cancel")
    async def cancel_confirm(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
        registration = await registration_queries.public_registration(token, settings)
        if registration.status == RegistrationStatus.CANCELLED:
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
