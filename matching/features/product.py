"""Features of products, read from the name, the spec and the brand together.

Product masters put the spec, the maker and the material in one free text as often as in
columns of their own, so every column here comes from the reading of all three
(matching.features.product_text); see the feature columns in matching.features.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from matching.features.product_text import ProductText, read_product_cached
from matching.features.text import has_cjk, pinyin, text_of

FeatureRow = dict[str, Any]

_DIGITS_RE = re.compile(r"\d")


def _significant(value: str) -> str:
    """The significant digits of a number ("820" and "82" → "82", "0.47" → "47"): a value
    read as code or as written shares them, so both readings land in one block."""
    digits = "".join(_DIGITS_RE.findall(value))
    return digits.strip("0") or "0"


def _script(known: str | None, brand: str | None) -> str:
    """"known" for a maker of the lexicon, else the script its name is written in."""
    if known is not None:
        return "known"
    return "cjk" if brand is not None and has_cjk(brand) else "latin"


def block_key(text: ProductText) -> str | None:
    """The blocking key: the family with its main value (the significant digits of a
    resistance or capacitance, which read alike as code or as written)."""
    if text.main is None:
        return None
    if text.family in ("resistor", "capacitor"):
        return f"{text.family}:{_significant(text.main)}"
    return f"{text.family or ''}:{text.main}"


def features(row: Mapping[str, Any]) -> FeatureRow:
    """Features of a product row (see matching.features)."""
    name = text_of(row, "name")
    spec = text_of(row, "spec__text") or text_of(row, "spec")
    brand = text_of(row, "brand")
    text = read_product_cached(name, spec, brand)
    barcode = text_of(row, "barcode")
    maker = text.maker
    if maker is None and brand:
        maker = "?" + pinyin(brand)  # a maker the lexicon does not know: compared as written
    details = {
        "px_package": text.package,
        "px_tolerance": text.tolerance,
        "px_voltage": text.voltage,
        "px_dielectric": text.dielectric,
        "px_variant": " ".join(v for v in (text.seal, text.clearance, text.standard, *sorted(text.extra)) if v) or None,
        "px_pressure": text.pressure,
        "px_revision": text.revision,
        "px_grade": text.grade,
    }
    kind = f"{text.family}/{text.kind}" if text.family and text.kind else None
    signature = [kind, text.main, *details.values(), text.material]
    return {
        **details,
        "px_sig": "|".join(v or "" for v in signature) if text.main else None,
        "px_family": text.family,
        "px_kind": kind,
        "px_main": text.main,
        "px_vals": sorted({text.main, *text.alternatives}) if text.main else None,
        "px_block": block_key(text),
        "px_material": text.material.split() if text.material else None,
        "px_maker": maker,
        "px_maker_script": _script(text.maker, brand) if maker else None,
        "unit": text_of(row, "unit"),
        "barcode": barcode if row.get("barcode__valid") is not False else None,
    }
