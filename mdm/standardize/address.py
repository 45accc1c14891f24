"""Street addresses and postcodes.

Addresses are cleaned, with English abbreviations spelled out (data/address_abbreviations.txt)
and floors written one way; Chinese addresses are only cleaned. Postcodes are not
validated: the country is not known here.
"""

from __future__ import annotations

import re

from mdm.standardize.tables import read_lines
from mdm.standardize.text import Standardized, _alternation, _as_text, _compare_form, _empty, _repeating


def _read_abbreviations() -> dict[str, str]:
    """Abbreviation -> the word it is spelled out as, from data/address_abbreviations.txt."""
    return dict(line.split() for line in read_lines("address_abbreviations.txt"))


_ADDRESS_ABBREVIATIONS = _read_abbreviations()
# "St. Louis", "Dr. Sun Yat-sen Road": these two expand only when no word follows.
_ADDRESS_BEFORE_NAMES = frozenset({"st", "dr"})
_ADDRESS_ABBREVIATION_RE = re.compile(rf"(?<![\w.])({_alternation(_ADDRESS_ABBREVIATIONS)})(?!\w)\.?\s*", re.IGNORECASE)
_ADDRESS_FLOOR_RE = re.compile(
    r"(?<![\w.])(?:(\d+)(?:st|nd|rd|th)?\s*/?\s*(?:floor|flr|fl|f)|(?:floor|flr|fl)\.?\s*(\d+))(?!\w)\.?",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +([,;:)])")


def _expand_abbreviation(m: re.Match[str]) -> str:
    word = m.group(1).lower()
    after = m.string[m.end() : m.end() + 1]
    if word in _ADDRESS_BEFORE_NAMES and after.isalpha():
        return m.group()
    return _ADDRESS_ABBREVIATIONS[word] + " "


def std_address(raw: object) -> Standardized:
    """Street address. value: cleaned text (NFKC, full-width digits as ASCII)
    with English abbreviations spelled out in lower case (St→street, Rd→road,
    Ave→avenue, Bldg→building, Rm→room, No.→no …) and floors as "floor N"
    ("5F", "5/F", "5th Fl", "Fl. 5"); Chinese 号/号楼/室/楼 are kept.
    parts: {"folded": comparison form (casefolded, punctuation removed)}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ADDRESS_FLOOR_RE.sub(lambda m: f"floor {m.group(1) or m.group(2)}", text)
    value = _ADDRESS_ABBREVIATION_RE.sub(_expand_abbreviation, value)
    value = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", " ".join(value.split()))
    return Standardized(value, {"folded": _compare_form(value)})


_UK_POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}")
_CA_POSTCODE_RE = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")
_NL_POSTCODE_RE = re.compile(r"\d{4}[A-Z]{2}")


@_repeating
def std_postcode(raw: object) -> Standardized:
    """Postcode. value: NFKC, upper-cased, spaces removed except the one that
    belongs to the format (UK "SW1A 1AA", Canada "K1A 0B1", Netherlands
    "1234 AB"); hyphens kept ("100-0001"). Not validated: the country is not
    known here. parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    compact = "".join(text.upper().split())
    if _UK_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:-3]} {compact[-3:]}"
    elif _CA_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:3]} {compact[3:]}"
    elif _NL_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:4]} {compact[4:]}"
    return Standardized(compact, {})
