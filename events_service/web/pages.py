"""What every HTML page shares: the templates and static files, the page's language, rendering
a template with its words, and errors shown as pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, Router
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from events_service.attendance.service import AttendanceError
from events_service.calendar.service import CalendarError
from events_service.companies.service import CompanyError
from events_service.errors import DomainError, TooManyRequests
from events_service.events.service import EventError
from events_service.languages import LANGUAGES
from events_service.mail.outbox import MailError
from events_service.organisers.service import OrganiserError
from events_service.registrations.service import RegistrationError
from events_service.web import service as web

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


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
    context.setdefault("user", request.scope.get("user"))  # the console's organiser (session auth)
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


def html_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if isinstance(error, NotAuthorizedException):  # the console's session auth: no session, or an ended one
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
    for cls in (HTTPException, DomainError, EventError, RegistrationError, AttendanceError,
                MailError, CompanyError, OrganiserError, CalendarError)
}
