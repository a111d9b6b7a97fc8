"""The Piccolo app: its tables and its migrations folder, events_service/migrations."""

from importlib.resources import files

from piccolo.conf.apps import AppConfig

from events_service.attendance.tables import AttendanceInterval, AttendancePull
from events_service.audit.tables import AuditEntry
from events_service.broadcasts.tables import EventMessage
from events_service.companies.tables import Company, Contact
from events_service.events.tables import AgendaSession, Event, EventCreation, EventSpeaker, Speaker
from events_service.experts.tables import (
    Expert,
    ExpertBooker,
    ExpertCompanyDay,
    ExpertDay,
    ExpertDayRules,
    ExpertMeeting,
    ExpertSlot,
)
from events_service.mail.tables import OutboxMessage
from events_service.operations.tables import WorkerHeartbeat
from events_service.organisers.tables import ApiToken, Organiser, PasswordReset, SignInFailure
from events_service.questions.tables import Question
from events_service.registrations.tables import CompanySeats, MailQuota, Registration
from events_service.replies.tables import InviteReply
from events_service.surveys.tables import SurveyResponse
from events_service.webhooks.tables import WebhookDelivery, WebhookSubscription

# Inside the package so the wheel ships it. Piccolo lists this folder, puts it on sys.path and
# imports each migration by its bare file name; its __init__.py (Piccolo's own layout) is skipped.
MIGRATIONS_FOLDER = files("events_service") / "migrations"

APP_CONFIG = AppConfig(
    app_name="events_service",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=[
        Organiser,
        Company,
        Contact,
        Speaker,
        Event,
        EventSpeaker,
        AgendaSession,
        EventCreation,
        Registration,
        CompanySeats,
        OutboxMessage,
        AttendanceInterval,
        AttendancePull,
        MailQuota,
        SignInFailure,
        ApiToken,
        PasswordReset,
        EventMessage,
        Question,
        SurveyResponse,
        WorkerHeartbeat,
        Expert,
        ExpertSlot,
        ExpertMeeting,
        ExpertBooker,
        ExpertCompanyDay,
        ExpertDayRules,
        ExpertDay,
        InviteReply,
        WebhookSubscription,
        WebhookDelivery,
        AuditEntry,
    ],
    migration_dependencies=[],
    commands=[],
)
