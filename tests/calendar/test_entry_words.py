"""The lines an invite adds to the event's text (join link, agenda heading, manage link) come
from the gettext catalogs, in the registrant's language; the public entry, whose reader's
language nobody knows, keeps the catalogs' source words (English) and never a join link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from events_service.calendar.entries import public_entry, registration_entry

JOIN = "https://meet.example.org/j/1"
MANAGE = "https://events.example/r/token"


@dataclass(frozen=True)
class _Event:
    id: int = 7
    slug: str = "cobots"
    title: str = "Cobots"
    description: str = "About cobots."
    starts_at: datetime = datetime(2030, 5, 6, 15, tzinfo=UTC)
    ends_at: datetime = datetime(2030, 5, 6, 17, tzinfo=UTC)
    timezone: str = "Europe/Rome"
    mode: str = "hybrid"
    status: str = "published"
    sequence: int = 0
    topics: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    venue_text: str | None = "Hall, Via Roma 1, Lecco"


@dataclass(frozen=True)
class _Session:
    title: str = "Welcome"
    starts_at: datetime = datetime(2030, 5, 6, 15, tzinfo=UTC)
    ends_at: datetime = datetime(2030, 5, 6, 15, 30, tzinfo=UTC)
    speaker: str | None = None


def _description(language: str) -> str:
    entry = registration_entry(
        _Event(), registration_id=3, nonce="n" * 32, attendance_mode="online", join_url=JOIN, manage_url=MANAGE,
        agenda=[_Session()], host="events.example", language=language,
    )
    return entry.description


@pytest.mark.parametrize(
    ("language", "join", "agenda", "manage"),
    [
        ("it", "Link per collegarsi:", "Programma (Europe/Rome):", "Gestisci l'iscrizione:"),
        ("en", "Join link:", "Agenda (Europe/Rome):", "Manage your registration:"),
        ("de", "Link zur Teilnahme:", "Programm (Europe/Rome):", "Anmeldung verwalten:"),
    ],
)
def test_an_invite_adds_its_lines_in_the_registrants_language(language: str, join: str, agenda: str, manage: str) -> None:
    text = _description(language)
    assert f"{join} {JOIN}" in text
    assert f"{agenda}\n" in text
    assert f"{manage} {MANAGE}" in text


def test_the_invite_keeps_the_events_own_text_first() -> None:
    assert _description("de").startswith("About cobots.\n\n")


def test_the_public_entry_has_english_headings_and_no_links() -> None:
    text = public_entry(_Event(), [_Session()], "https://events.example").description
    assert "Agenda (Europe/Rome):" in text
    assert JOIN not in text
    assert MANAGE not in text
