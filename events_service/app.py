"""create_app(): wiring only — routers, dependencies, lifespan, exception handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig

from events_service import db, log_redaction
from events_service.attendance.routes import AttendanceController
from events_service.audit.routes import AuditController
from events_service.broadcasts.routes import EventMessageController
from events_service.certificates.routes import CertificateController, PublicCertificateController
from events_service.certificates.service import check_template
from events_service.companies.routes import CompanyController
from events_service.errors import DomainError, domain_error_response, validation_error_response
from events_service.events.routes import EventController, PublicEventController
from events_service.experts.routes import ExpertController, PublicExpertController
from events_service.feeds.routes import CalendarController, forget_feed_etags_after_writes
from events_service.mail.routes import OutboxController
from events_service.openapi_docs import document_routes, operation_id
from events_service.operations.logs import add_request_id, litestar_formatters
from events_service.operations.routes import operations_handlers, operations_middleware
from events_service.organisers.auth import UNAUTHENTICATED_PATHS, build_jwt_auth
from events_service.organisers.routes import ApiTokenController, AuthController
from events_service.params import BoundedJsonRequest, refuse_control_characters
from events_service.privacy.routes import PrivacyController
from events_service.questions.routes import PublicQuestionController, QuestionController
from events_service.registration_import.routes import RegistrationImportController
from events_service.registrations.routes import (
    OrganiserRegistrationController,
    public_registration_controller,
)
from events_service.reports.routes import (
    IndicatorController,
    IndicatorFilesController,
    ReportController,
)
from events_service.settings import Settings
from events_service.shared_stores import RATE_LIMIT_STORE, rate_limit_store
from events_service.surveys.routes import PublicSurveyController, SurveyResultsController
from events_service.web.headers import security_headers
from events_service.web.pages import static_files_router, template_config
from events_service.web.routes import web_router
from events_service.web.session import SESSION_STORE, session_store
from events_service.webhooks.routes import WebhookController
from events_service.worker import running_worker


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[None]:
    """What the service needs while it runs: the database, migrated, and (when
    settings.run_worker) the mail/reminder worker in a task of its own."""
    engine = db.engine_from_url(settings.db_url)
    db.use_engine(engine)
    await db.open_engine(engine, pool_size=settings.db_pool_size)
    try:
        await db.run_migrations()
        async with running_worker(settings) if settings.run_worker else nullcontext():
            yield
    finally:
        await db.close_engine(engine)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    # Every process that serves (each uvicorn worker builds its app here) keeps tokens out of its logs.
    log_redaction.install()
    jwt_auth = build_jwt_auth(settings)
    check_template(settings)  # a certificate template with a mistake stops the start-up, naming it
    api = Router(
        path="/",
        route_handlers=[
            AuthController,
            CompanyController,
            EventController,
            PublicEventController,
            OrganiserRegistrationController,
            public_registration_controller(settings),
            OutboxController,
            AttendanceController,
            ReportController,
            IndicatorController,
            IndicatorFilesController,
            PrivacyController,
            ApiTokenController,
            EventMessageController,
            QuestionController,
            PublicQuestionController,
            PublicSurveyController,
            SurveyResultsController,
            RegistrationImportController,
            PublicCertificateController,
            CertificateController,
            ExpertController,
            PublicExpertController,
            WebhookController,
            AuditController,
        ],
        middleware=[jwt_auth.middleware],
    )

    def lifespan(_: Litestar) -> AbstractAsyncContextManager[None]:
        return running_service(settings)

    app = Litestar(
        # Calendar URLs are subscribed to by calendar clients, which send no bearer token.
        # The HTML pages (web/): public site, registrant's page, organisers' console.
        route_handlers=[api, CalendarController, web_router(settings), static_files_router(),
                        *operations_handlers(settings)],
        # JSON request lines and request metrics (operations/routes.py).
        middleware=operations_middleware(settings),
        template_config=template_config(),
        # The console's sessions (web/session.py: which store, and why).
        # Per-client rate limits: in memory, or Redis with EVENTS_REDIS_URL (shared_stores.py).
        stores={SESSION_STORE: session_store(settings), RATE_LIMIT_STORE: rate_limit_store(settings)},
        # Feed ETags are remembered for a moment (feeds/service.py); writes make them be asked again.
        # Security headers and no-store on every answer that is not plainly public (web/headers.py).
        before_send=[forget_feed_etags_after_writes, security_headers(settings), add_request_id],
        before_request=refuse_control_characters,
        # A JSON body nested past the decoder's depth is a 400, not a RecursionError (params.py).
        request_class=BoundedJsonRequest,
        dependencies={
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        lifespan=[lifespan],
        exception_handlers={
            ValidationException: validation_error_response,
            # Every domain's errors: Litestar looks handlers up along the exception's class hierarchy.
            DomainError: domain_error_response,
        },
        openapi_config=OpenAPIConfig(
            title="events_service",
            version="0.1.0",
            description="Tech Talks and Tech Days of an SME-innovation programme.",
            path="/schema",
            components=[jwt_auth.openapi_components],
            # No document-wide bearer requirement: document_routes puts it on the routes behind
            # the bearer middleware only, so the public ones are documented as open.
            operation_id_creator=operation_id,
        ),
        # A 5xx is a bug: always log its traceback.
        logging_config=LoggingConfig(
            # EVENTS_LOG_FORMAT=json: the same lines as JSON objects (operations/logs.py).
            **({"formatters": formatters} if (formatters := litestar_formatters(settings)) else {}),
            log_exceptions="always",
            # A 4xx is the client's mistake, already explained in the answer: no traceback.
            disable_stack_trace={400, 401, 403, 404, 405, 409, 413, 422, 429, DomainError},
        ),
        debug=False,
    )
    # Each route's errors, bearer requirement and file media type in /schema (openapi_docs.py).
    document_routes(app, jwt_auth.security_requirement, UNAUTHENTICATED_PATHS)
    return app
