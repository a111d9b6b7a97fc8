"""Translations: one gettext catalog per language, the English source text as message id.

The catalogs live in ``events_service/locale/<lang>/LC_MESSAGES/messages.po`` (extracted with
``make translations``, see babel.cfg). A build compiles them to ``messages.mo`` beside them; a
checkout that has not been built (or whose ``.po`` is newer than its ``.mo``) compiles the
``.po`` in memory at first use, so an edited catalog is never silently ignored.

A message a catalog lacks is shown in English, so a new language can start with the public
pages and the emails (tests/test_translations.py asks that of German) and the console later.
Adding a language is a new catalog plus its code in ``languages.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from events_service.languages import LANGUAGES

__all__ = [
    "DOMAIN", "LOCALE_DIR", "N_", "Translate", "catalog_path", "install_gettext", "language_name", "translations", "translator",
]

DOMAIN = "messages"
LOCALE_DIR = Path(str(resources.files("events_service") / "locale"))

#: A function from an English message to the same message in one language.
Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the gettext name for "mark for extraction"
    """Marks an English message for the catalogs without translating it yet: for words
    chosen by a code (an event's kind, a status) and translated where they are shown."""
    return message


def catalog_path(language: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


#: A .po written this long after its .mo was edited since the build. Files installed together
#: (pip writes a wheel's files one after the other, .mo before .po) are within it.
_BUILT_TOGETHER_SECONDS = 2.0


def _edited_since(po: Path, mo: Path) -> bool:
    return po.exists() and po.stat().st_mtime > mo.stat().st_mtime + _BUILT_TOGETHER_SECONDS


@lru_cache(maxsize=16)
def translations(language: str) -> Translations:
    """The catalog of `language` (an unknown code gets English, i.e. the message ids)."""
    if language not in LANGUAGES:
        language = "en"
    po, mo = catalog_path(language), catalog_path(language, ".mo")
    if mo.exists() and not _edited_since(po, mo):
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    if not po.exists():
        return Translations(domain=DOMAIN)  # no catalog: the English message ids
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(language: str) -> Translate:
    """`_ = translator(lang)`, then `_("Registration is closed.")`."""
    return translations(language).gettext


def install_gettext(environment: Environment, language_variable: str) -> None:
    """`jinja2.ext.i18n` on `environment`, translating into the language the rendering
    context names in `language_variable` (`lang` for pages, `language` for emails).

    Old-style gettext: `{{ _("…") }}` returns plain text that autoescaping escapes like any
    value, and a `{% trans %}` block is trusted template text whose variables are escaped."""
    environment.add_extension("jinja2.ext.i18n")

    def catalog(context: Context) -> Translations:
        return translations(str(context.get(language_variable) or "en"))

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = catalog(context).gettext(message)
        return text % variables if variables else text

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, number: int, **variables: Any) -> str:
        text = catalog(context).ngettext(singular, plural, number)
        return text % variables if variables else text

    @pass_context
    def pgettext(context: Context, message_context: str, message: str, **variables: Any) -> str:
        text = catalog(context).pgettext(message_context, message)
        return text % variables if variables else text

    @pass_context
    def npgettext(context: Context, message_context: str, singular: str, plural: str, number: int, **variables: Any) -> str:
        text = catalog(context).npgettext(message_context, singular, plural, number)
        return text % variables if variables else text

    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=False, pgettext=pgettext, npgettext=npgettext
    )


@lru_cache(maxsize=64)
def language_name(code: str, in_language: str) -> str:
    """A language's name from CLDR: `de` in Italian is "Tedesco", in German "Deutsch"; a new
    language needs no words of its own for the language switch or the event form."""
    return Locale.parse(code).get_display_name(Locale.parse(in_language)).capitalize()
