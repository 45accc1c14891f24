"""Text building blocks shared by every standardizer, and the text and code types.

Here: the result type `Standardized`, cleaning (NFKC, invisible characters, whitespace),
folding for comparison, reading a raw cell as text with missing values and placeholders
recognised, the cache for functions of short strings, and small helpers for problems.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar

from mdm.standardize.tables import read_strings


@dataclass(frozen=True, slots=True)
class Standardized:
    """The result of standardizing one raw value (see the package docstring)."""

    value: str | float | None
    parts: dict[str, str | bool | None]
    problems: tuple[str, ...] = ()
    fatal: bool = False


MSG_FLOAT_ID = "identifier was stored as a floating-point number, digits may be lost: {raw}"

# Cells that mean "no value" in CRM/ERP exports; compared after fold_text.
MISSING_PLACEHOLDERS = frozenset(read_strings("missing_placeholders.yaml"))

_CACHE_SIZE = 65536
_CACHE_KEY_MAX = 256  # longer cells are rare junk: computing beats filling the cache

# Control characters (keeping the whitespace ones, which str.split() folds)
# and invisible format characters: zero-width, BOM, soft hyphen, bidi marks.
_INVISIBLE = dict.fromkeys(
    [
        *range(0x09),
        *range(0x0E, 0x20),
        *range(0x7F, 0x85),
        *range(0x86, 0xA0),
        0x00AD,
        0x180E,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        0xFEFF,
    ]
)
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"[{_CJK_CHARS}]")
_CJK_SPACE_RE = re.compile(f" (?=[{_CJK_CHARS}])|(?<=[{_CJK_CHARS}]) ")
_NON_WORD_RE = re.compile(r"[\W_]+")
_APOSTROPHE_RE = re.compile("['\u2018\u2019`\u00b4]")
_COMBINING_RE = re.compile("[\u0300-\u036f]+")


def _clean(text: str) -> str:
    """NFKC, control and invisible characters removed, whitespace collapsed."""
    text = text.translate(_INVISIBLE)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def fold_text(text: str) -> str:
    """Return `text` NFKC-normalised (full-width → half-width, ideographic space
    → space), without control/zero-width characters, whitespace collapsed,
    stripped and casefolded. Idempotent."""
    return _clean(text).casefold()


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFC", _COMBINING_RE.sub("", unicodedata.normalize("NFD", text)))


def _compare_form(cleaned: str) -> str | None:
    """Comparison key of cleaned text: casefolded, Latin accents and
    apostrophes dropped, other punctuation/symbols as single spaces, no spaces
    next to CJK characters. None when nothing is left."""
    text = cleaned.casefold()
    if not text.isascii():
        text = _strip_accents(text)
    text = _NON_WORD_RE.sub(" ", _APOSTROPHE_RE.sub("", text)).strip()
    if not text.isascii():
        text = _CJK_SPACE_RE.sub("", text)
    return text or None


def _as_text(raw: object) -> str | None:
    """Raw cell as cleaned text; None when missing or a placeholder."""
    if raw is None or raw != raw:  # raw != raw: float NaN, pandas NaT
        return None
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, dt.date):
        text = raw.isoformat()
    else:
        text = str(raw)
    text = _clean(text)
    if not text or (len(text) <= 4 and text.casefold() in MISSING_PLACEHOLDERS):
        return None
    return text


_R = TypeVar("_R")


def _cache_short(function: Callable[[str], _R]) -> Callable[[str], _R]:
    """lru_cache for functions of one short string; values repeat across rows."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(function)

    def wrapper(text: str) -> _R:
        return cached(text) if len(text) <= _CACHE_KEY_MAX else function(text)

    return wrapper


def _repeating(function: Callable[..., Standardized]) -> Callable[..., Standardized]:
    """For standardizers of short cells that repeat across rows (cities, codes, dates): the
    result for a text argument is remembered. Each result gets its own copy of the parts,
    so a caller that changes them changes nothing remembered."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(function)

    @wraps(function)
    def wrapper(raw: object, *args: Any) -> Standardized:
        if type(raw) is str and len(raw) <= _CACHE_KEY_MAX:
            result = cached(raw, *args)
            if not result.parts:
                return result
            return Standardized(result.value, dict(result.parts), result.problems, result.fatal)
        return function(raw, *args)

    return wrapper


def _as_list_text(raw: object) -> str | None:
    """Like _as_text, with one value per line joined by ";"."""
    if isinstance(raw, str) and ("\n" in raw or "\r" in raw):
        raw = ";".join(line for line in map(_clean, raw.splitlines()) if line)
    return _as_text(raw)


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= 80 else text[:77] + "...") + "'"


def _empty() -> Standardized:
    return Standardized(None, {})


def _float_id_problems(raw: object) -> tuple[str, ...]:
    """Identifiers read as floats beyond 2**53 have lost digits (Excel)."""
    if isinstance(raw, float) and abs(raw) >= 2**53:
        return (MSG_FLOAT_ID.format(raw=_quote(repr(raw))),)
    return ()


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest first so the longest spelling wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _is_cjk_word(word: str) -> bool:
    return _CJK_RE.match(word) is not None


# ---------------------------------------------------------------------------
# text, code
# ---------------------------------------------------------------------------


@_repeating
def std_text(raw: object) -> Standardized:
    """Free text. value: NFKC, control/zero-width characters removed,
    whitespace collapsed, case kept. parts: {"folded": comparison form
    (casefolded, accents and punctuation folded) or None}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    return Standardized(text, {"folded": _compare_form(text)})


@_repeating
def std_code(raw: object) -> Standardized:
    """Codes (category codes, payment terms). value: like text, upper-cased,
    all whitespace removed. parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    return Standardized("".join(text.split()).upper(), {})
