"""The languages the service speaks: one list for pages, emails and the API's schemas."""

from __future__ import annotations

from typing import Literal, get_args

#: The API's `language` fields; the tuple below is derived from it so the two cannot drift.
Language = Literal["it", "en", "de"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
#: The programme's own language: a person's or an event's when none is given, a browser's
#: when it asks for none we speak.
DEFAULT_LANGUAGE: Language = "it"
