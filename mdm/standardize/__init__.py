"""Value standardizers applied to every cell of every ingested source row.

Each ``std_<type>`` function turns one raw cell (None, str, int, float, bool,
date or datetime, as read from CSV, XLSX, Parquet or JSON) into a
`Standardized`: a canonical ``value`` for storage and comparison, derived
``parts`` stored beside it for the matcher, and human-readable ``problems``.

Guarantees shared by every standardizer:

- Missing input (None, NaN/NaT, "", whitespace, or a placeholder in
  `MISSING_PLACEHOLDERS` such as "N/A", "-", "NULL", "无") gives value None,
  parts {} and no problem.
- When value is None, parts is {}. Otherwise parts holds every key documented
  for the type (None where it does not apply), so callers can store them as
  columns.
- Problems flag doubtful values without dropping them. Only ``date`` and
  ``number`` set ``fatal``, and only when a value was present but cannot be
  read at all (the caller rejects the row).
- The functions are pure, thread-safe and never raise on bad input; only
  `standardize` raises KeyError for an unknown type name. Regexes are linear
  or work on bounded windows, so a 100k-character cell cannot hang ingest.

The package is pure Python (no Django import) so the matcher and ingest
workers can use it anywhere. One module per kind of value, importing only
downwards: text (shared building blocks) ← country ← company; text ← ids,
contact, address, dates, numbers, units. Their vocabulary (regions, legal forms,
industry words, countries, units, address abbreviations, month names, missing
placeholders) is data in data/, read once at import (tables.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mdm.standardize.address import std_address, std_postcode
from mdm.standardize.company import (
    CITY_REGIONS,
    FOREIGN_COUNTRY_REGIONS,
    MSG_COMPANY_NO_WORDS,
    NameLines,
    NameRoles,
    name_roles,
    std_company_name,
)
from mdm.standardize.contact import MSG_EMAIL, MSG_PHONE, MSG_URL, std_email, std_phone, std_url
from mdm.standardize.country import MSG_COUNTRY, std_country
from mdm.standardize.dates import (
    MSG_BIRTH_DATE_AMBIGUOUS,
    MSG_BIRTH_DATE_FORMAT,
    MSG_BIRTH_DATE_RANGE,
    MSG_BIRTH_DATE_TOO_LONG,
    MSG_BIRTH_DATE_UNREAD,
    MSG_DATE,
    MSG_DATE_AMBIGUOUS,
    MSG_DATE_FORMAT,
    parse_date,
    std_birth_date,
    std_date,
)
from mdm.standardize.ids import (
    MSG_EIN,
    MSG_GTIN_CHECK,
    MSG_GTIN_FORMAT,
    MSG_IBAN,
    MSG_NATIONAL_ID_CHECK,
    MSG_NATIONAL_ID_FLOAT,
    MSG_NATIONAL_ID_PLACEHOLDER,
    MSG_NATIONAL_ID_WORD,
    MSG_USCC_CHARS,
    MSG_USCC_CHECK,
    MSG_VAT_CHECK,
    std_bank_account,
    std_gtin,
    std_national_id,
    std_tax_id,
)
from mdm.standardize.numbers import MSG_NUMBER, std_number
from mdm.standardize.text import MISSING_PLACEHOLDERS, MSG_FLOAT_ID, Standardized, fold_text, std_code, std_text
from mdm.standardize.units import MSG_UNIT, std_spec, std_unit

__all__ = [
    "CITY_REGIONS",
    "FOREIGN_COUNTRY_REGIONS",
    "Candidates",
    "NameLines",
    "NameRoles",
    "name_roles",
    "MISSING_PLACEHOLDERS",
    "MSG_BIRTH_DATE_AMBIGUOUS",
    "MSG_BIRTH_DATE_FORMAT",
    "MSG_BIRTH_DATE_RANGE",
    "MSG_BIRTH_DATE_TOO_LONG",
    "MSG_BIRTH_DATE_UNREAD",
    "MSG_COMPANY_NO_WORDS",
    "MSG_COUNTRY",
    "MSG_DATE",
    "MSG_DATE_AMBIGUOUS",
    "MSG_DATE_FORMAT",
    "MSG_EMAIL",
    "MSG_FLOAT_ID",
    "MSG_GTIN_CHECK",
    "MSG_GTIN_FORMAT",
    "MSG_IBAN",
    "MSG_NATIONAL_ID_CHECK",
    "MSG_NATIONAL_ID_FLOAT",
    "MSG_NATIONAL_ID_PLACEHOLDER",
    "MSG_NATIONAL_ID_WORD",
    "MSG_NUMBER",
    "MSG_PHONE",
    "MSG_UNIT",
    "MSG_URL",
    "MSG_USCC_CHARS",
    "MSG_USCC_CHECK",
    "MSG_VAT_CHECK",
    "MSG_EIN",
    "STANDARDIZERS",
    "Standardized",
    "Formatted",
    "fold_text",
    "parse_date",
    "read_formatted",
    "standardize",
    "std_address",
    "std_bank_account",
    "std_birth_date",
    "std_code",
    "std_company_name",
    "std_country",
    "std_date",
    "std_email",
    "std_gtin",
    "std_national_id",
    "std_number",
    "std_phone",
    "std_postcode",
    "std_spec",
    "std_tax_id",
    "std_text",
    "std_unit",
    "std_url",
    "first_valid",
]

@dataclass(frozen=True)
class Candidates:
    """Values of one attribute from several columns, as received, in the profile's order:
    the first that standardizes without a problem is the value (first_valid)."""

    values: tuple[object, ...]


@dataclass(frozen=True)
class Formatted:
    """A date as received, with the format its profile gives it (date_format)."""

    value: object
    fmt: str


def read_formatted(type_name: str, formatted: Formatted) -> Standardized:
    """A date read by its profile's format: a date of birth under its own rules (kept as
    written and flagged when it does not parse, range-checked: std_birth_date), any other
    date rejected when it does not parse (parse_date)."""
    if type_name == "birth_date":
        return std_birth_date(formatted.value, formatted.fmt)
    return parse_date(formatted.value, formatted.fmt)


def first_valid(type_name: str, candidates: Candidates, *, phone_region: str = "CN") -> Standardized:
    """The first candidate that is checked and valid (a tax id whose check character holds),
    else the first without a problem, else the first that has a value, with its problems
    (STCD1..STCD5: a tax number in whichever column the company's convention put it, each
    checked for what it claims to be)."""
    results = [standardize(type_name, value, phone_region=phone_region) for value in candidates.values]
    present = [r for r in results if r.value is not None]
    if not present:
        return standardize(type_name, None)
    # checked and valid (a check digit that holds) first, then without a problem
    return min(present, key=lambda r: (r.parts.get("valid") is not True, bool(r.problems)))


STANDARDIZERS: dict[str, Callable[..., Standardized]] = {
    "text": std_text,
    "code": std_code,
    "company_name": std_company_name,
    "tax_id": std_tax_id,
    "phone": std_phone,
    "email": std_email,
    "url": std_url,
    "address": std_address,
    "postcode": std_postcode,
    "country": std_country,
    "date": std_date,
    "birth_date": std_birth_date,
    "national_id": std_national_id,
    "number": std_number,
    "bank_account": std_bank_account,
    "gtin": std_gtin,
    "unit": std_unit,
    "spec": std_spec,
}


def standardize(type_name: str, raw: object, *, phone_region: str = "CN") -> Standardized:
    """Standardize `raw` with the standardizer registered as `type_name`.
    `phone_region` is the default region for national phone numbers.
    Raises KeyError naming the known types when `type_name` is unknown."""
    try:
        function = STANDARDIZERS[type_name]
    except KeyError:
        known = ", ".join(sorted(STANDARDIZERS))
        raise KeyError(f"unknown standardizer type {type_name!r}; known types: {known}") from None
    if function is std_phone:
        return std_phone(raw, region=phone_region)
    return function(raw)
