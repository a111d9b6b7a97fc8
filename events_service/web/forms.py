"""Reading the HTML forms: the errors a form shows next to its fields, a service's refusal in
the page's words, the one-time key of a form that creates something, and the public
registration form read into the payload the registration service takes. No domain rule lives
here: the form is handed to the service as it is.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from events_service.companies.service import checked_vat_id
from events_service.errors import DomainError
from events_service.events.records import AttendanceMode
from events_service.i18n import N_, Translate
from events_service.validation import normalise_email
from events_service.web.labels import SERVICE_ERRORS, label_of

COLLEAGUE_SLOTS = (1, 2, 3)


# ---------------------------------------------------------------- errors


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general.append(message)


ERROR_PATH = re.compile(r"at `\$\.([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?`")


def field_of_validation_error(error: msgspec.ValidationError) -> str | None:
    """`$.company.vat_id` -> company_vat; `$.colleagues[0].email` -> colleague_email_1."""
    match = ERROR_PATH.search(str(error))
    if not match:
        return None
    top, index, sub = match.groups()
    if top == "company":
        return {"vat_id": "company_vat", "name": "company_name", "country": "company_country"}.get(sub or "", "company_vat")
    if top == "colleagues" and index is not None and sub:
        return f"colleague_{sub}_{int(index) + 1}"
    return top


_VAT_INVALID = N_("This VAT number is not valid: check the digits (Italy IT + 11 digits, Switzerland CHE-123.456.789).")
_EMAIL_INVALID = N_("This email address is not valid.")
_REQUIRED = N_("This field is required.")
_CONSENT_NEEDED = N_("We cannot register you without your consent to the privacy notice.")

#: Registration error codes (DomainError.code) → the form field they are about and the page's
#: own message for it (English, translated where it is shown).
REGISTRATION_ERROR_FIELDS: dict[str, tuple[str, str]] = {
    "already_registered": ("email", N_("This email is already registered for this event.")),
    "company_name_needed": ("company_name", N_("Your company is new to us: please give its name.")),
    "company_full": ("company_vat", N_("Your company already holds all the seats one company may take at this event.")),
    "consent_required": ("consent_privacy", _CONSENT_NEEDED),
    "invalid_vat_id": ("company_vat", _VAT_INVALID),
    "invalid_email": ("email", _EMAIL_INVALID),
}


def error_text(error: DomainError, _: Translate) -> str:
    """A service's refusal in the page's language when the console has words for its code,
    with its figures filled in; otherwise as the service worded it (in English)."""
    message = SERVICE_ERRORS.get(error.code or "")
    if message is None:
        return error.detail
    values = dict(error.extra or {})
    if "missing" in values:  # the event's fields, as the form labels them
        values["missing"] = ", ".join(label_of(_, "event_field", name) for name in values["missing"])
    return _(message).format(**values)


def registration_error_message(code: str | None) -> tuple[str | None, str | None]:
    """Which field a registration service error is about, and the page's message for it (to
    translate); (None, None) for an error the form shows as the service worded it."""
    return REGISTRATION_ERROR_FIELDS.get(code or "", (None, None))


# ---------------------------------------------------------------- one-time form keys

_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_key() -> str:
    """A one-time key for a console form that creates something (events.create_event)."""
    return secrets.token_urlsafe(16)


def form_key_of(value: object) -> str | None:
    """The key a form carried, or None (no key, or not one we could have made: no dedupe)."""
    return value if isinstance(value, str) and _FORM_KEY.fullmatch(value) else None


# ---------------------------------------------------------------- the registration form


def form_values(form: Any, names: list[str]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "").strip() for name in names}


REGISTRATION_FIELDS = ["email", "first_name", "last_name", "company_vat", "company_name", "company_country", "attendance_mode"] + [
    f"colleague_{part}_{slot}" for slot in COLLEAGUE_SLOTS for part in ("email", "first_name", "last_name")
]


def check_registration_form(values: dict[str, str], form: Any, _: Translate) -> FormErrors:
    """What the form itself can tell: blanks, and the email and VAT id checked with the same
    functions the service uses, so the error sits next to its field."""
    errors = FormErrors()
    for name in ("email", "first_name", "last_name", "company_vat"):
        if not values[name]:
            errors.add(name, _(_REQUIRED))
    if form.get("consent_privacy") != "yes":
        errors.add("consent_privacy", _(_CONSENT_NEEDED))
    if values["email"]:
        try:
            normalise_email(values["email"])
        except DomainError:
            errors.add("email", _(_EMAIL_INVALID))
    if values["company_vat"]:
        try:
            checked_vat_id(values["company_vat"], values["company_country"] or None)
        except DomainError:
            errors.add("company_vat", _(_VAT_INVALID))
    for slot in COLLEAGUE_SLOTS:
        parts = {part: values[f"colleague_{part}_{slot}"] for part in ("email", "first_name", "last_name")}
        if not any(parts.values()):
            continue
        for part, value in parts.items():
            if not value:
                errors.add(f"colleague_{part}_{slot}", _(_REQUIRED))
        if parts["email"]:
            try:
                normalise_email(parts["email"])
            except DomainError:
                errors.add(f"colleague_email_{slot}", _(_EMAIL_INVALID))
    return errors


def registration_payload(values: dict[str, str], form: Any, lang: str) -> dict[str, Any]:
    colleagues = [
        {part: values[f"colleague_{part}_{slot}"] for part in ("email", "first_name", "last_name")}
        for slot in COLLEAGUE_SLOTS
        if values[f"colleague_email_{slot}"]
    ]
    company: dict[str, Any] = {"vat_id": values["company_vat"]}
    if values["company_name"]:
        company["name"] = values["company_name"]
    if values["company_country"]:
        company["country"] = values["company_country"]
    payload: dict[str, Any] = {
        "email": values["email"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "company": company,
        "consent_privacy": form.get("consent_privacy") == "yes",
        "consent_marketing": form.get("consent_marketing") == "yes",
        "language": lang,
        "colleagues": colleagues,
    }
    if values["attendance_mode"] in tuple(AttendanceMode):
        payload["attendance_mode"] = values["attendance_mode"]
    return payload
