"""The HTML pages' router: the public site and the organisers' console, their errors as pages."""

from __future__ import annotations

from litestar import Router

from events_service.settings import Settings
from events_service.web.certificates import CertificatePages
from events_service.web.console import Console
from events_service.web.console_certificates import ConsoleCertificates
from events_service.web.console_companies import ConsoleCompanies
from events_service.web.console_experts import ConsoleExperts
from events_service.web.console_import import ConsoleRegistrationImport
from events_service.web.console_messages import ConsoleMessages
from events_service.web.console_organisers import ConsoleOrganisers
from events_service.web.console_questions import ConsoleQuestions
from events_service.web.console_reports import ConsoleReports
from events_service.web.csrf import csrf_middleware
from events_service.web.expert_meetings import ExpertMeetingPages
from events_service.web.pages import WEB_EXCEPTION_HANDLERS
from events_service.web.public import PublicPages, registration_form_controller
from events_service.web.session import console_auth
from events_service.web.survey_page import SurveyPage
from events_service.web.undo_page import undo_page_controller


def web_router(settings: Settings) -> Router:
    console = Router(path="/", route_handlers=[Console, ConsoleMessages, ConsoleCompanies, ConsoleCertificates, ConsoleReports, ConsoleQuestions, ConsoleRegistrationImport, ConsoleOrganisers, ConsoleExperts], middleware=[console_auth(settings).middleware])
    return Router(path="/", route_handlers=[PublicPages, registration_form_controller(settings), CertificatePages, SurveyPage, undo_page_controller(settings), ExpertMeetingPages, console],
                  middleware=[csrf_middleware(settings)], exception_handlers=WEB_EXCEPTION_HANDLERS, include_in_schema=False)
