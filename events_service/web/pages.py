"""What every HTML page shares: the templates and static files, the page's language, rendering
a template with its words, and errors shown as pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar import Request, Response, Router
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from events_service.errors import DomainError, TooManyRequests
from events_service.i18n import Translate, install_gettext, language_name, translator
from events_service.languages import LANGUAGES
from events_service.web import labels
from events_service.web.language import LANG_COOKIE, choose_language, clock, when

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
    install_gettext(environment, "lang")
    environment.globals.update(when=when, clock=clock, languages=LANGUAGES, language_name=language_name,
                               label_of=_label_of, audit_value=_audit_value, language_options=_language_options)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


@pass_context
def _label_of(context: Context, group: str, code: str) -> str:
    """`{{ label_of("kind", event.kind) }}`: the word for a code, in the page's language."""
    return labels.label_of(translator(context["lang"]), group, code)


@pass_context
def _audit_value(context: Context, entity: str, field: str, value: Any) -> str:
    """`{{ audit_value(entry.entity, name, value) }}`: one value of the History in words."""
    return labels.audit_value(translator(context["lang"]), entity, field, value)


def _language_options(lang: str) -> list[tuple[str, str]]:
    """The choices of a language field, each named in the page's language."""
    return [(code, language_name(code, lang)) for code in LANGUAGES]


def static_files_router() -> Router:
    return create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)


def page_language(request: Request[Any, Any, Any], link_language: str | None = None) -> str:
    """`link_language`: the language of the email whose link opened the page (choose_language)."""
    return choose_language(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), link_language
    )


def page_translator(request: Request[Any, Any, Any]) -> Translate:
    """`_ = page_translator(request)`: the page's gettext, for words chosen in Python."""
    return translator(page_language(request))


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, link_language: str | None = None, **context: Any
) -> Template:
    lang = page_language(request, link_language)
    context.setdefault("user", request.scope.get("user"))  # the console's organiser (session auth)
    response = Template(
        template_name=name,
        context={"lang": lang, "path": request.url.path,
                 # the page's other query parameters, kept by the language switch's links
                 "lang_query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"]),
                 **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"} if name.startswith("console") or name.startswith("manage") else None,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
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
    _ = translator(lang)
    if status == 404:
        title, message = _("Not found"), _("This page does not exist, or the link is no longer valid.")
    elif status == 403 and "CSRF" in detail:
        title, message = _("Not allowed"), _("The form expired. Please go back, reload the page and try again.")
    elif status == 403:
        title, message = _("Not allowed"), _("Your role does not allow this page.")
    elif status == 429:
        title, message = _("Too many attempts"), _(
            "Too many attempts from your address in the last minute. Please wait a moment and try again."
        )
    else:
        title, message = _("Something went wrong"), detail
    page = render(request, "error.html", status_code=status, title=title, message=message)
    if status == 429 and isinstance(error, (HTTPException, TooManyRequests)) and error.headers:
        page.headers.update(error.headers)  # Retry-After
    return page


#: DomainError stands for every domain's errors: Litestar looks handlers up along the class hierarchy.
WEB_EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: html_error, DomainError: html_error}
