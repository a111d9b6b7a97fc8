"""The Piccolo app: its tables and the migrations folder at the top of the repository."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from events_service.attendance.tables import AttendanceInterval
from events_service.companies.tables import Company, Contact
from events_service.events.tables import AgendaSession, Event, EventCreation, EventSpeaker, Speaker
from events_service.mail.tables import OutboxMessage
from events_service.organisers.tables import Organiser, SignInFailure
from events_service.registrations.tables import CompanySeats, MailQuota, Registration

MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"

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
        MailQuota,
        SignInFailure,
    ],
    migration_dependencies=[],
    commands=[],
)
