"""The Innovation Experts (experts/): expert, expert_slot, expert_meeting (its unique
active_slot is the one-booking-per-slot rule), expert_booker (one row per booking person, their
turn-taking lock), expert_company_day (a company's meetings per expert and day, unique key),
expert_day_rules (per Tech Day: when bookings close, the per-company cap)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T05:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "experts, expert slots and meetings"


class Event(Table, tablename="event", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


class Registration(Table, tablename="registration", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


class Expert(Table, tablename="expert", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


class ExpertSlot(Table, tablename="expert_slot", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None,
                db_column_name="id", secret=False)


def _params(**special: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **special,
    }


def _fk(references: type[Table], on_delete: OnDelete, **special: object) -> dict:
    # A Piccolo ForeignKey is nullable unless it says otherwise.
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **{"null": True, **special})


_TABLES = {
    ("Expert", "expert"): [
        ("name", "Varchar", Varchar, _params(length=200, default="")),
        ("email", "Varchar", Varchar, _params(length=320, default="")),
        ("bio", "Text", Text, _params(default="")),
        ("topics", "JSON", JSON, _params(default="[]")),
        ("languages", "JSON", JSON, _params(default="[]")),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("ExpertSlot", "expert_slot"): [
        ("event", "ForeignKey", ForeignKey, _fk(Event, OnDelete.cascade, index=True)),
        ("expert", "ForeignKey", ForeignKey, _fk(Expert, OnDelete.cascade)),
        ("starts_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("ends_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("status", "Varchar", Varchar, _params(length=10, default="open", choices=Enum("SlotStatus", {"OPEN": "open", "CLOSED": "closed"}))),
    ],
    ("ExpertMeeting", "expert_meeting"): [
        ("slot", "ForeignKey", ForeignKey, _fk(ExpertSlot, OnDelete.cascade)),
        ("event", "ForeignKey", ForeignKey, _fk(Event, OnDelete.cascade, index=True)),
        ("expert", "ForeignKey", ForeignKey, _fk(Expert, OnDelete.cascade)),
        ("registration", "ForeignKey", ForeignKey, _fk(Registration, OnDelete.set_null, null=True, index=True)),
        ("company", "Integer", Integer, _params(default=None, null=True, index=True)),
        ("topic", "Varchar", Varchar, _params(length=200, default="")),
        ("status", "Varchar", Varchar, _params(
            length=10, default="booked",
            choices=Enum("MeetingStatus", {"BOOKED": "booked", "CANCELLED": "cancelled", "HELD": "held", "MISSED": "missed"}))),
        ("active_slot", "Integer", Integer, _params(default=None, null=True, unique=True)),
        ("token_nonce", "Varchar", Varchar, _params(length=32, default="")),
        ("uid", "Varchar", Varchar, _params(length=200, default="")),
        ("sequence", "Integer", Integer, _params(default=0)),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("cancelled_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
    ],
    ("ExpertBooker", "expert_booker"): [
        ("registration", "ForeignKey", ForeignKey, _fk(Registration, OnDelete.cascade, unique=True)),
        ("meetings", "Integer", Integer, _params(default=0)),
    ],
    ("ExpertCompanyDay", "expert_company_day"): [
        ("key", "Varchar", Varchar, _params(length=80, default="", unique=True)),
        ("taken", "Integer", Integer, _params(default=0)),
    ],
    ("ExpertDayRules", "expert_day_rules"): [
        ("event", "ForeignKey", ForeignKey, _fk(Event, OnDelete.cascade, unique=True)),
        ("bookings_close_at", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("meetings_per_company_expert", "Integer", Integer, _params(default=1)),
    ],
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)
    for (class_name, tablename), columns in _TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class_name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class_name,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
