"""Identifiers with check characters: tax and registration ids, bank accounts, barcodes.

Each is kept as the source wrote it, cleaned (separators removed, upper-cased), even when
its check fails: the check is reported in the parts and as a problem, never by dropping
the value.
"""

from __future__ import annotations

import re

from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.jp import cn as jp_corporate_number
from stdnum.us import ein as us_ein

from mdm.standardize.text import Standardized, _as_text, _empty, _float_id_problems, _quote

MSG_USCC_CHARS = "invalid characters in unified social credit code: {chars}"
MSG_USCC_CHECK = "invalid unified social credit code check character: expected {expected}, got {got}"
MSG_USCC_SHORT = "unified social credit code without its check character (17 characters): {raw}"
MSG_VAT_CHECK = "invalid VAT number check digits: {raw}"
MSG_EIN = "not an employer identification number the IRS assigns (prefix {prefix}): {raw}"
MSG_IBAN = "invalid IBAN check digits: {raw}"
# A national id is personal data and a record's issues are shown unmasked: its messages
# never hold the value.
MSG_NATIONAL_ID_CHECK = "invalid resident identity number check character: national id kept as written"
MSG_NATIONAL_ID_PLACEHOLDER = "national id of one character repeated, a placeholder: read as missing"
MSG_NATIONAL_ID_WORD = "national id without a digit, a word for no value: read as missing"
MSG_NATIONAL_ID_FLOAT = "national id stored as a number by a spreadsheet: leading zeros or digits may be lost"
MSG_GTIN_FORMAT = "not a GTIN (8, 12, 13 or 14 digits): {raw}"
MSG_GTIN_CHECK = "invalid GTIN check digit: expected {expected}, got {got}"

_ORG_CODE_HYPHEN_RE = re.compile(r"[0-9A-Z]{8}-[0-9X]", re.IGNORECASE)  # how organisation codes are written
_ID_SEPARATORS_RE = re.compile("[\\s.\\-\u2010-\u2015]+")


# ---------------------------------------------------------------------------
# tax_id
# ---------------------------------------------------------------------------

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE_RE = re.compile(r"[0-9A-Z]{2}\d{6}[0-9A-Z]{10}")
_USCC_BODY_RE = re.compile(r"[0-9A-Z]{2}\d{6}[0-9A-Z]{9}")  # the first 17 characters
# region (a province code 11-65), date of birth, sequence, check character
_CN_ID_SHAPE_RE = re.compile(r"[1-6]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _uscc_check_char(body: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    remainder = 31 - sum(_USCC_VALUES[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True)) % 31
    return _USCC_CHARSET[0 if remainder == 31 else remainder]


def _cn_resident_id_valid(code: str) -> bool:
    """ISO 7064 MOD 11-2 check of an 18-character PRC resident identity number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(code[:17], _CN_ID_WEIGHTS, strict=True)) % 11] == code[17]


_ORG_CODE_RE = re.compile(r"[0-9A-Z]{8}[0-9X]")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_valid(code: str) -> bool:
    """GB 11714-1997 check of a PRC organisation code (8 characters and a check character),
    the pre-2015 registration that positions 9-17 of a unified social credit code carry."""
    if not _ORG_CODE_RE.fullmatch(code):
        return False
    total = sum(int(c, 36) * w for c, w in zip(code[:8], _ORG_CODE_WEIGHTS, strict=True)) % 11
    return "0123456789X0"[11 - total] == code[8]


def registration_core(tax_id: str | None, kind: str | None, country: str | None = None) -> str | None:
    """The registration a tax id stands for, shared by the company's other ids: a PRC
    organisation code (alone, in a unified social credit code at positions 9-17, in a
    15-character tax registration after the region), a French SIREN (alone, in a VAT id
    after the check digits, in a SIRET before the establishment number), or a VAT id's
    national number with its country (DE123456789 and 123456789 of a German company), a
    Japanese corporate number (alone, or in a qualified invoice number after its T)."""
    if not tax_id:
        return None
    if kind == "other" and (vat := _vat_without_prefix(tax_id, country)):
        return registration_core(vat, "vat")
    if kind == "uscc":
        return tax_id[8:17]
    if kind == "cn_org_code":
        return tax_id
    if kind in ("jp_corporate_number", "jp_invoice_number"):
        return "JP" + tax_id[-13:]
    if kind == "vat":
        prefix, national = tax_id[:2], tax_id[2:]
        if prefix == "FR" and len(national) == 11:
            return prefix + national[2:]
        # a Swedish VAT id is the organisation number and 01
        return prefix + (national[:-2] if prefix == "SE" and len(national) == 12 else national)
    siren = tax_id.isdigit() and len(tax_id) in (9, 14) and _luhn_valid(tax_id) and _luhn_valid(tax_id[:9])
    if siren and country in (None, "FR"):
        return "FR" + tax_id[:9]
    if len(tax_id) == 15 and org_code_valid(tax_id[6:]):
        return tax_id[6:]
    if len(tax_id) == 9 and org_code_valid(tax_id) and country in (None, "CN"):  # written without its hyphen
        return tax_id
    if country and country != "CN" and kind == "other":
        return country + tax_id
    return None


def _vat_without_prefix(tax_id: str, country: str | None) -> str | None:
    """The VAT id an id of no known kind is, written without its country prefix, when the
    country's check digits say so (DE187355255 for 187355255 of a German company)."""
    if not country or country == "CN":
        return None
    vat = country + tax_id
    return vat if _VAT_RE.fullmatch(vat) and _foreign_tax_id(vat, vat)[1] else None


_SHAPE_RE = (re.compile(r"\d"), re.compile(r"[A-Z]"))


def registration_space(tax_id: str | None, kind: str | None, country: str | None = None) -> str | None:
    """The numbering an id belongs to: two ids of one space that differ are two
    registrations, while ids of two spaces (a German VAT id and a Steuernummer, a British
    VAT number and a company number) cannot be compared. Ids that embed one registration
    share a space (a PRC organisation code and its USCC: "CN"; a French SIREN, SIRET and
    VAT id: "FR"); a VAT id is its country's, also written without its prefix when the
    check digits say so; an id of no known kind is its country's, kind and shape (digits
    as 9, letters as A: "999/999/99999")."""
    if not tax_id:
        return None
    if kind in ("uscc", "cn_org_code", "cn_old_licence"):
        return "CN"
    if kind in ("jp_corporate_number", "jp_invoice_number"):
        return "JP"
    if kind == "vat":
        return tax_id[:2]
    core = registration_core(tax_id, kind, country)
    if core == "FR" + tax_id[:9]:  # a SIREN or SIRET
        return "FR"
    if core is not None and len(core) == 9 and core in (tax_id, tax_id[6:]):  # an organisation code
        return "CN"
    if _vat_without_prefix(tax_id, country):
        return country
    digits, letters = _SHAPE_RE
    return f"{kind}:{country or ''}:{letters.sub('A', digits.sub('9', tax_id))}"


def registration_number(tax_id: str | None, kind: str | None, country: str | None = None) -> str | None:
    """The number of the registration a tax id stands for, without the country prefix it
    carries (DE187355255 and 187355255: "187355255"; a PRC organisation code as it is).
    Where an export holds no country, a bare number's country is a guess (a German VAT
    number without its prefix passes a PRC organisation code's check one time in eleven):
    the matcher compares these numbers when a record's country is missing."""
    core = registration_core(tax_id, kind, country) or tax_id
    space = registration_space(tax_id, kind, country)
    if core and space and len(space) == 2 and space != "CN" and core.startswith(space):
        return core[2:]
    return core


_VAT_COUNTRY = {"EL": "GR", "XI": "GB"}


def registration_country(tax_id: str | None, kind: str | None, country: str | None = None) -> str | None:
    """The country that gave out a tax id: a company is registered in one, so ids of two
    countries are two companies (None: not known, an id of no known kind without a country)."""
    if not tax_id:
        return None
    space = registration_space(tax_id, kind, country)
    if space == "CN" or kind == "cn_resident_id":
        return "CN"
    if kind == "us_ein":
        return "US"
    if space and ":" not in space:  # a VAT id's, or a SIREN's
        return _VAT_COUNTRY.get(space, space)
    return country


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def std_tax_id(raw: object) -> Standardized:
    """Tax / registration id. value: NFKC, upper-cased, spaces, dots and
    hyphens removed (kept even when invalid).
    parts: {"kind": "uscc" | "cn_org_code" | "cn_resident_id" | "cn_old_licence" | "vat" |
            "us_ein" | "jp_corporate_number" | "jp_invoice_number" | "other",
            "valid": True | False | None (no check for the kind)}.
    18-character ids shaped like a unified social credit code get the
    GB 32100-2015 check; one that fails it but passes the resident-identity
    check (individual taxpayers) is kind "cn_resident_id"; one of 17 characters whose
    organisation code checks out lost its check character (kind "uscc", invalid)."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text).upper()
    problems = _float_id_problems(raw)
    if len(value) == 15 and value.isdigit():
        return Standardized(value, {"kind": "cn_old_licence", "valid": None}, problems)
    if _ORG_CODE_HYPHEN_RE.fullmatch(text.strip()) or (not value.isdigit() and org_code_valid(value)):
        return Standardized(value, {"kind": "cn_org_code", "valid": org_code_valid(value)}, problems)
    if _USCC_BODY_RE.fullmatch(value) and org_code_valid(value[8:]):  # the organisation code inside checks out
        problem = MSG_USCC_SHORT.format(raw=_quote(value))
        return Standardized(value, {"kind": "uscc", "valid": False}, (*problems, problem))
    if len(value) != 18 or not _USCC_SHAPE_RE.fullmatch(value):
        kind, valid, problem = _foreign_tax_id(value, text)
        return Standardized(value, {"kind": kind, "valid": valid}, (*problems, *filter(None, [problem])))
    if bad := sorted(set(value) - _USCC_VALUES.keys()):
        problem = MSG_USCC_CHARS.format(chars=", ".join(bad))
        return Standardized(value, {"kind": "uscc", "valid": False}, (*problems, problem))
    expected = _uscc_check_char(value[:17])
    if expected == value[17]:
        return Standardized(value, {"kind": "uscc", "valid": True}, problems)
    if _CN_ID_SHAPE_RE.fullmatch(value) and _cn_resident_id_valid(value):
        return Standardized(value, {"kind": "cn_resident_id", "valid": True}, problems)
    problem = MSG_USCC_CHECK.format(expected=expected, got=value[17])
    return Standardized(value, {"kind": "uscc", "valid": False}, (*problems, problem))


# a number a spreadsheet wrote: 1804974.0, 1.804974E6
_SPREADSHEET_NUMBER_RE = re.compile(r"\d+\.0+|\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
_NATIONAL_ID_SEPARATORS_RE = re.compile("[\\s.\\-/\u2010-\u2015]+")


def std_national_id(raw: object) -> Standardized:
    """A person's national identifier (social security number, identity card or passport
    number). value: NFKC, upper-cased, spaces, dots, slashes and hyphens removed, kept
    even when invalid. parts: {"valid": True | False | None}: an 18-character PRC resident
    identity number gets its ISO 7064 check; other numberings are not checked (None).
    One character repeated (000-00-0000, 999999999) is what a form holds where the id was
    not asked for: missing, flagged (as one value shared by thousands of people it would
    join them all). So is a value without a digit (UNKNOWN, NONE, TBD, N/A): every
    numbering has digits, so it is a word for no id, not an id. A number a spreadsheet
    made of it (a float cell, 1804974.0, 1.804974E6) is read as the integer and flagged:
    its leading zeros, or digits, may be gone."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    spreadsheet = isinstance(raw, float) or _SPREADSHEET_NUMBER_RE.fullmatch(text) is not None
    if spreadsheet and not isinstance(raw, float):
        text = str(int(float(text)))
    value = _NATIONAL_ID_SEPARATORS_RE.sub("", text).upper()
    if not value:
        return _empty()
    if len(set(value)) == 1:
        return Standardized(None, {}, (MSG_NATIONAL_ID_PLACEHOLDER,))
    if not any(c.isdigit() for c in value):
        return Standardized(None, {}, (MSG_NATIONAL_ID_WORD,))
    problems = (MSG_NATIONAL_ID_FLOAT,) if spreadsheet else ()
    if len(value) == 18 and _CN_ID_SHAPE_RE.fullmatch(value):
        if _cn_resident_id_valid(value):
            return Standardized(value, {"valid": True}, problems)
        return Standardized(value, {"valid": False}, (*problems, MSG_NATIONAL_ID_CHECK))
    return Standardized(value, {"valid": None}, problems)


_VAT_RE = re.compile(r"(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
                     r"[0-9A-Z+*]{2,13}")
_EIN_RE = re.compile(r"\s*\d{2}-\d{7}\s*")


def _foreign_tax_id(value: str, text: str) -> tuple[str, bool | None, str | None]:
    """kind, valid and problem of an id that is not a Chinese code, checked when it shows
    what it is: an EU or UK VAT id by its country prefix, a US EIN by its NN-NNNNNNN form, a
    Japanese corporate number by its check digit (13 digits that fail it may be anything)."""
    if _VAT_RE.fullmatch(value):
        valid = (gb_vat if value[:2] in ("GB", "XI") else eu_vat).is_valid(value)
        return "vat", valid, None if valid else MSG_VAT_CHECK.format(raw=_quote(value))
    if _EIN_RE.fullmatch(text):
        valid = us_ein.is_valid(value)
        return "us_ein", valid, None if valid else MSG_EIN.format(prefix=value[:2], raw=_quote(text.strip()))
    if len(value) == 13 and value.isdigit() and jp_corporate_number.is_valid(value):
        return "jp_corporate_number", True, None
    # a qualified invoice issuer number is T and the issuer's corporate number
    if len(value) == 14 and value[0] == "T" and value[1:].isdigit() and jp_corporate_number.is_valid(value[1:]):
        return "jp_invoice_number", True, None
    return "other", None, None


# ---------------------------------------------------------------------------
# bank_account, gtin
# ---------------------------------------------------------------------------

_IBAN_SHAPE_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def _iban_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def std_bank_account(raw: object) -> Standardized:
    """Bank account number. value: NFKC, spaces and hyphens removed,
    upper-cased. parts: {"iban_valid": the ISO 13616 mod-97 result when the
    value is IBAN-shaped (two letters, two digits, 11-30 alphanumerics), else
    None}. An invalid IBAN is kept and flagged."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text).upper()
    problems = _float_id_problems(raw)
    if not _IBAN_SHAPE_RE.fullmatch(value):
        return Standardized(value, {"iban_valid": None}, problems)
    valid = _iban_valid(value)
    if not valid:
        problems = (*problems, MSG_IBAN.format(raw=_quote(value)))
    return Standardized(value, {"iban_valid": valid}, problems)


def _gs1_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def std_gtin(raw: object) -> Standardized:
    """Barcode (GTIN-8/12/13/14, EAN, UPC). value: zero-padded GTIN-14 when
    the GS1 check digit is right, else the cleaned input. Numbers from
    spreadsheets may have lost leading zeros, so numeric cells of 7-14
    digits are checked as GTIN-14. parts: {"valid": bool}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text)
    numeric_cell = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    lengths = range(7, 15) if numeric_cell else (8, 12, 13, 14)
    if not (value.isdigit() and value.isascii() and len(value) in lengths):
        return Standardized(value, {"valid": False}, (MSG_GTIN_FORMAT.format(raw=_quote(text)),))
    padded = value.zfill(14)
    expected = _gs1_check_digit(padded[:13])
    if expected != padded[13]:
        return Standardized(value, {"valid": False}, (MSG_GTIN_CHECK.format(expected=expected, got=padded[13]),))
    return Standardized(padded, {"valid": True})
