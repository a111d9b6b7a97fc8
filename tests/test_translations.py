"""The words of the pages and emails are gettext catalogs, one per language
(events_service/locale/<lang>/LC_MESSAGES/messages.po), keyed by the English source text.

Every catalog compiles cleanly and holds every message the code and templates use (`make
translations` keeps them so); Italian translates all of them, German at least the public pages
and the emails (the console falls back to English)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from events_service import i18n
from events_service.languages import LANGUAGES
from events_service.mail.compose import KINDS, render_message
from events_service.web.labels import LABELS

ROOT = Path(__file__).resolve().parents[1]
MessageKey = tuple[str | None, str]  # (msgctxt, msgid)

#: Where the public pages and the emails take their words from: German must translate these.
PUBLIC_SOURCES = (
    "events_service/web/templates/*.html",  # not console/
    "events_service/email_templates/",
    "events_service/web/forms.py",
    "events_service/web/pages.py",
    "events_service/registrations/messages.py",
    "events_service/calendar/entries.py",  # the lines an invite adds to the event's text
)
PUBLIC_LABELS = ("kind", "mode", "registration_status")


def _catalog(language: str) -> Catalog:
    with i18n.catalog_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=i18n.DOMAIN)


def _extracted() -> Iterator[tuple[str, MessageKey]]:
    """(file, message) for every message the code and templates mark, as `make translations`
    finds them (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    for filename, _lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        yield filename, (context, msgid)


def _is_public(filename: str) -> bool:
    for source in PUBLIC_SOURCES:
        if source.endswith("*.html"):
            folder = source.removesuffix("*.html")
            if filename.startswith(folder) and "/" not in filename.removeprefix(folder):
                return True
        elif filename.startswith(source):
            return True
    return False


@pytest.fixture(scope="module")
def extracted() -> list[tuple[str, MessageKey]]:
    return list(_extracted())


def test_there_is_one_catalog_per_language() -> None:
    folders = {path.parent.parent.name for path in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert folders == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_compiles_cleanly(language: str) -> None:
    catalog = _catalog(language)
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert not problems, problems  # e.g. a msgstr whose %(name)s placeholders differ from its msgid's
    assert not [message.id for message in catalog if message.fuzzy and message.id]
    write_mo(io.BytesIO(), catalog)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_holds_every_message_of_the_code(language: str, extracted: list[tuple[str, MessageKey]]) -> None:
    """No message the templates or the code use is missing from a catalog, and none is left
    over: after changing a word, run `make translations` and translate what it adds."""
    used = {key for _, key in extracted}
    held = {(message.context, message.id) for message in _catalog(language) if message.id}
    assert sorted(used - held, key=str) == [], "missing: run `make translations`"
    assert sorted(held - used, key=str) == [], "no longer used: run `make translations`"
    assert len(used) > 300


def test_italian_translates_everything() -> None:
    untranslated = [message.id for message in _catalog("it") if message.id and not message.string]
    assert untranslated == []


def test_german_translates_the_public_pages_and_the_emails(extracted: list[tuple[str, MessageKey]]) -> None:
    public = {key for filename, key in extracted if _is_public(filename)}
    public |= {(None, LABELS[group][code]) for group in PUBLIC_LABELS for code in LABELS[group]}
    assert len(public) > 150
    german = {(message.context, message.id): message.string for message in _catalog("de") if message.id}
    assert sorted(key for key in public if not german.get(key)) == []


def test_one_set_of_email_templates_speaks_german_too() -> None:
    """No folder per language: German is only its catalog (tests/mail checks the Italian and
    English texts word for word)."""
    folder = ROOT / "events_service/email_templates"
    assert [path.name for path in folder.iterdir() if path.is_dir()] == []
    event = {"title": "Edge AI", "kind": "tech_day", "mode": "hybrid", "timezone": "Europe/Zurich",
             "starts_at": datetime(2026, 11, 24, 8, tzinfo=UTC), "ends_at": datetime(2026, 11, 24, 16, tzinfo=UTC),
             "venue_name": "Technopark", "venue_address": "Technoparkstrasse 1", "venue_city": "Zürich",
             "online_url": "https://meet.example/1"}
    context = {"event": event, "person": {"first_name": "Anna", "email": "anna@example.ch"}, "programme_name": "KMU",
               "manage_url": "https://x.example/r/1", "waitlist_position": 2, "changes": ["Neue Zeit: 10:00"],
               "minutes_until": 2 * 1440, "broadcast_subject": "Hinweis", "broadcast_body": "Text"}
    for kind in KINDS:
        rendered = render_message(kind, "de", context)
        assert "Guten Tag Anna" in rendered.text or kind == "broadcast", kind
        assert "Dear" not in rendered.text, kind
        assert "Dear" not in rendered.html, kind
        assert '<html lang="de">' in rendered.html
    confirmed = render_message("confirmed", "de", context)
    assert confirmed.subject == "Anmeldung bestätigt: Edge AI"
    assert "Wann: Dienstag, 24. November 2026, 09:00–17:00 CET" in confirmed.text
    reminder = render_message("reminder", "de", context)
    assert reminder.subject == "Erinnerung: noch 2 Tage bis «Edge AI»"


def test_a_missing_word_falls_back_to_english() -> None:
    assert i18n.translator("de")("A word no catalog has yet") == "A word no catalog has yet"
    assert i18n.translator("de")("Register") == "Anmelden"
    assert i18n.translator("xx")("Register") == "Register"


def test_a_po_newer_than_its_mo_is_compiled_at_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout that was not built (no .mo), or whose .po changed since, still speaks the .po."""
    folder = tmp_path / "it" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="it", domain=i18n.DOMAIN)
    catalog.add("Register", "Iscriviti ora")
    with (folder / "messages.po").open("wb") as out:
        write_po(out, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translator("it")("Register") == "Iscriviti ora"  # no .mo
        catalog.get("Register").string = "Iscriviti (dal .mo)"
        with (folder / "messages.mo").open("wb") as out:
            write_mo(out, catalog)
        i18n.translations.cache_clear()
        assert i18n.translator("it")("Register") == "Iscriviti (dal .mo)"  # built with its .po
        later = (folder / "messages.mo").stat().st_mtime + 60
        os.utime(folder / "messages.po", (later, later))  # the .po edited since the build
        i18n.translations.cache_clear()
        assert i18n.translator("it")("Register") == "Iscriviti ora"
    finally:
        i18n.translations.cache_clear()
