"""Which column of an uploaded list holds what: Italian and English headers, as partners and
Excel write them ("E-mail", "Cognome", "Partita IVA", "Ragione sociale" …)."""

from __future__ import annotations

import re

from events_service.registration_import.errors import InvalidImport

#: A field of the registration, and the headers (normalised: lower case, no punctuation) that name it.
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "mail", "email address", "indirizzo email", "indirizzo e mail", "posta elettronica"),
    "first_name": ("first name", "firstname", "given name", "nome"),
    "last_name": ("last name", "lastname", "surname", "family name", "cognome"),
    "vat_id": ("vat", "vat id", "vat number", "vat no", "partita iva", "p iva", "piva", "uid", "numero iva", "company vat"),
    "company_name": ("company", "company name", "organisation", "organization", "azienda", "ragione sociale", "societa",
                     "società", "denominazione", "ente"),
    "country": ("country", "paese", "nazione", "stato"),
    "language": ("language", "lingua"),
    "attendance_mode": ("attendance mode", "attendance", "mode", "modalita", "modalità", "modalita di partecipazione",
                        "modalità di partecipazione"),
}
REQUIRED = ("email", "first_name", "last_name", "vat_id")


def normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[_\-.:/()*]", " ", text.strip().lower())).strip()


def column_map(header: list[str]) -> dict[str, int]:
    """Field name -> column index; the first column naming a field wins. A list without the
    columns a registration needs is refused, naming what is missing and what was found."""
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        name = normalise_header(text)
        for field, aliases in ALIASES.items():
            if name in aliases and field not in found:
                found[field] = index
    missing = [field for field in REQUIRED if field not in found]
    if missing:
        raise InvalidImport(
            f"the file has no column for {', '.join(missing)}; its first row should name them "
            f"(e.g. email, first name / nome, last name / cognome, VAT / partita IVA)",
            code="import_columns_missing",
            extra={"missing": missing, "found": [text[:60] for text in header[:40]]},
        )
    return found
