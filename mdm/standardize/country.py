"""Countries: ISO 3166-1 alpha-2 codes from codes and names in many spellings.

The table is data/countries.txt. company.py reads it too: a foreign country's Chinese
name at the start of a company name is that company's region.
"""

from __future__ import annotations

from mdm.standardize.tables import read_lines
from mdm.standardize.text import (
    _NON_WORD_RE,
    Standardized,
    _as_text,
    _cache_short,
    _empty,
    _quote,
    _repeating,
    _strip_accents,
)

MSG_COUNTRY = "unknown country: {raw}"


def _read_countries() -> list[tuple[str, str, list[str]]]:
    """(alpha-2, alpha-3, names) per line of data/countries.txt."""
    countries = []
    for line in read_lines("countries.txt"):
        alpha2, alpha3, names = line.split(None, 2)
        countries.append((alpha2, alpha3, [name.strip() for name in names.split(";") if name.strip()]))
    return countries


_COUNTRIES = _read_countries()


def _country_key(text: str) -> str:
    key = _NON_WORD_RE.sub("", _strip_accents(text.casefold()))
    return key.removeprefix("the") if len(key) > 5 else key


def _build_countries() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for alpha2, alpha3, names in _COUNTRIES:
        for name in (alpha2, alpha3, *names):
            lookup[_country_key(name)] = alpha2
    return lookup


_COUNTRY_LOOKUP = _build_countries()


@_cache_short
def _country_code(text: str) -> str | None:
    return _COUNTRY_LOOKUP.get(_country_key(text))


@_repeating
def std_country(raw: object) -> Standardized:
    """Country. value: ISO 3166-1 alpha-2 code from an ISO2/ISO3 code or an
    English, local or Chinese name ("CHN", "P.R.China", "中华人民共和国" →
    "CN"; "中国香港" → "HK"). Unknown → the upper-cased input and a problem.
    parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    code = _country_code(text)
    if code is None:
        return Standardized(text.upper(), {}, (MSG_COUNTRY.format(raw=_quote(text)),))
    return Standardized(code, {})
