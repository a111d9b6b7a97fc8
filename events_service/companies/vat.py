"""VAT ids, validated and normalised with python-stdnum.

Normal forms: Italy `IT` + 11 digits; Switzerland the UID `CHE-123.456.789`; other EU countries
their prefix + compact number (Greece's prefix is `EL`, as VIES writes it).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.ch import uid as swiss_uid
from stdnum.ch import vat as swiss_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.it import iva as italian_iva

EU_COUNTRIES = {code.upper() for code in eu_vat.MEMBER_STATES} - {"XI"}
SUPPORTED_COUNTRIES = EU_COUNTRIES | {"CH"}


class InvalidVatId(ValueError):
    pass


@dataclass(frozen=True)
class VatId:
    normalised: str
    country: str


def _vat_prefix(country: str) -> str:
    return "EL" if country == "GR" else country


def _country_of_prefix(prefix: str) -> str:
    return "GR" if prefix == "EL" else prefix


def _swiss(raw: str) -> VatId:
    compact = swiss_vat.compact(raw) if raw.endswith(("MWST", "TVA", "IVA")) else raw
    try:
        number = swiss_uid.validate(compact[:12] if compact.startswith("CHE") else compact)
    except ValidationError as error:
        raise InvalidVatId(f"'{raw}' is not a valid Swiss UID (CHE-123.456.789): {error}") from None
    return VatId(swiss_uid.format(number), "CH")


def _italian(raw: str) -> VatId:
    digits = raw[2:] if raw.startswith("IT") else raw
    try:
        number = italian_iva.validate(digits)
    except ValidationError as error:
        raise InvalidVatId(
            f"'{raw}' is not a valid Italian partita IVA (11 digits): {error}"
        ) from None
    return VatId(f"IT{number}", "IT")


def _european(raw: str, country: str) -> VatId:
    prefix = _vat_prefix(country)
    candidate = raw if raw[:2].isalpha() else prefix + raw
    try:
        number = eu_vat.validate(candidate)
    except ValidationError as error:
        raise InvalidVatId(f"'{raw}' is not a valid VAT id for {country}: {error}") from None
    if _country_of_prefix(number[:2]) != country:
        raise InvalidVatId(f"VAT id '{raw}' belongs to {number[:2]}, not to country {country}")
    return VatId(number, country)


def normalise_vat_id(raw: str, country: str | None = None) -> VatId:
    """Validate `raw` (any spacing or punctuation) for `country`, guessed from the prefix when
    not given, and return its normal form."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    if not cleaned:
        raise InvalidVatId("the VAT id is empty")
    guessed = country.upper() if country else _guess_country(cleaned)
    if guessed == "CH":
        if country and not cleaned.startswith("CHE") and cleaned[:2].isalpha():
            raise InvalidVatId(f"VAT id '{raw}' is not Swiss but the country is CH")
        return _swiss(cleaned if cleaned.startswith("CHE") else "CHE" + cleaned)
    if cleaned.startswith("CHE"):
        raise InvalidVatId(f"VAT id '{raw}' is Swiss but the country is {guessed}")
    if guessed == "IT":
        if cleaned[:2].isalpha() and not cleaned.startswith("IT"):
            raise InvalidVatId(f"VAT id '{raw}' is not Italian but the country is IT")
        return _italian(cleaned)
    if guessed in EU_COUNTRIES:
        return _european(cleaned, guessed)
    raise InvalidVatId(
        f"cannot validate VAT ids of country '{guessed}'; supported: "
        + ", ".join(sorted(SUPPORTED_COUNTRIES))
    )


def _guess_country(cleaned: str) -> str:
    if cleaned.startswith("CHE"):
        return "CH"
    if cleaned[:2].isalpha():
        return _country_of_prefix(cleaned[:2])
    if cleaned.isdigit() and len(cleaned) == 11:
        return "IT"  # a bare partita IVA: the programme's home country
    raise InvalidVatId(f"cannot tell the country of VAT id '{cleaned}': give 'country'")
