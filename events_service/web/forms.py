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
from events_service.validation import normalise_email

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


#: Registration error codes (DomainError.code) → the form field they are about and the key of
#: the page's own translated message.
REGISTRATION_ERROR_FIELDS: dict[str, tuple[str, str]] = {
    "already_registered": ("email", "already_registered"),
    "company_name_needed": ("company_name", "company_name_needed"),
    "company_full": ("company_vat", "company_full"),
    "consent_required": ("consent_privacy", "consent_needed"),
    "invalid_vat_id": ("company_vat", "vat_invalid"),
    "invalid_email": ("email", "email_invalid"),
}


def error_text(error: DomainError, t: Any) -> str:
    """A service's refusal in the page's language when the console has words for its code,
    with its figures filled in; otherwise as the service worded it (in English)."""
    template = t(f"error_{error.code}", "") if error.code else ""
    if not template:
        return error.detail
    values = dict(error.extra or {})
    if "missing" in values:  # the event's fields, as the form labels them ("venue.name" -> venue_name)
        values["missing"] = ", ".join(t(name.replace(".", "_")) for name in values["missing"])
    return template.format(**values)


def registration_error_key(code: str | None) -> tuple[str | None, str | None]:
    """Which field a registration service error is about, and a translated message for it;
    (None, None) for an error the form shows as the service worded it."""
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


def check_registration_form(values: dict[str, str], form: Any, t: Any) -> FormErrors:
    """What the form itself can tell: blanks, and the email and VAT id checked with the same
    functions the service uses, so the error sits next to its field."""
    errors = FormErrors()
    for name in ("email", "first_name", "last_name", "company_vat"):
        if not values[name]:
            errors.add(name, t("required"))
    if form.get("consent_privacy") != "yes":
        errors.add("consent_privacy", t("consent_needed"))
    if values["email"]:
        try:
            normalise_email(values["email"])
        except DomainError:
            errors.add("email", t("email_invalid"))
    if values["company_vat"]:
        try:
            checked_vat_id(values["company_vat"], values["company_country"] or None)
        except DomainError:
            errors.add("company_vat", t("vat_invalid"))
    for slot in COLLEAGUE_SLOTS:
        parts = {part: values[f"colleague_{part}_{slot}"] for part in ("email", "first_name", "last_name")}
        if not any(parts.values()):
            continue
        for part, value in parts.items():
            if not value:
                errors.add(f"colleague_{part}_{slot}", t("required"))
        if parts["email"]:
            try:
                normalise_email(parts["email"])
            except DomainError:
                errors.add(f"colleague_email_{slot}", t("email_invalid"))
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
    if values["attendance_mode"] in ("in_person", "online"):
        payload["attendance_mode"] = values["attendance_mode"]
    return payload
