"""Numbers: floats from numeric cells and from text in the many ways exports write them."""

from __future__ import annotations

import re
from decimal import Decimal

from mdm.standardize.text import Standardized, _as_text, _empty, _quote

MSG_NUMBER = "not a number: {raw}"

_NUMBER_FORMATS = (
    # (pattern, thousands separator, decimal mark)
    (re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"), "", "."),
    (re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"), ",", "."),  # 1,234.5 (and 1,234)
    (re.compile(r"[1-9]\d{0,2}(?:'\d{3})+(?:\.\d+)?"), "'", "."),  # Swiss 1'234.5
    (re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+,\d+|[1-9]\d{0,2}(?:\.\d{3}){2,}"), ".", ","),  # 1.234,5
    (re.compile(r"\d+,\d+"), "", ","),  # 1,5 / 0,123 / 1234,5
)
_NUMBER_SPACE_GROUPS_RE = re.compile(r"[1-9]\d{0,2}(?: \d{3})+(?:[.,]\d+)?")


def std_number(raw: object) -> Standardized:
    """Number. value: float. Reads ints, floats, Decimals and text with
    full-width digits, a sign (leading, SAP trailing "1,234.50-", or
    accounting "(1,234.50)"), thousands separators "," "'" "." or spaces
    when the grouping is unambiguous, and a decimal comma ("1,5",
    "1.234,5", "1 234,5"). "1,234" is read as 1234 (thousands). NaN is
    empty. Unit or currency marks, text and infinities are fatal. parts: {}."""
    if isinstance(raw, bool):
        return Standardized(None, {}, (MSG_NUMBER.format(raw=_quote(str(raw))),), fatal=True)
    if isinstance(raw, (int, float, Decimal)):
        if raw != raw:
            return _empty()
        try:
            value = float(raw)
        except OverflowError:  # int beyond float range
            value = float("inf")
        if value in (float("inf"), float("-inf")):
            return Standardized(None, {}, (MSG_NUMBER.format(raw=_quote(str(raw))),), fatal=True)
        return Standardized(value, {})
    text = _as_text(raw)
    if text is None:
        return _empty()
    parsed = _parse_number(text)
    if parsed is None:
        return Standardized(None, {}, (MSG_NUMBER.format(raw=_quote(text)),), fatal=True)
    return Standardized(parsed, {})


def _parse_number(text: str) -> float | None:
    body = text.replace("\u2212", "-")
    sign = 1.0
    if body.startswith("(") and body.endswith(")"):
        body, sign = body[1:-1].strip(), -1.0
    elif body[:1] in "+-":
        body, sign = body[1:].lstrip(), (-1.0 if body[0] == "-" else 1.0)
    elif body.endswith("-"):
        body, sign = body[:-1].rstrip(), -1.0
    if " " in body:
        if not _NUMBER_SPACE_GROUPS_RE.fullmatch(body):
            return None
        body = body.replace(" ", "")
    for pattern, thousands, decimal_mark in _NUMBER_FORMATS:
        if pattern.fullmatch(body):
            number = float(body.replace(thousands, "").replace(decimal_mark, "."))
            return sign * number if number != float("inf") else None
    return None
