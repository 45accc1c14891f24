"""Matching features: columns derived from standardized attributes, in one place.

The matcher compares these columns, never the raw attributes. Every function here is pure
Python (no Django, no Splink), deterministic and cheap, so batch matching (Splink on DuckDB
or Spark), the real-time scorer and the tests all see the same values.

A feature set is a module with a `features(row)` function: input rows hold the stored
attributes (``name``, ``name__core``, ``tax_id``, ...: see mdm/standardize), the result is
a flat dict of feature columns (strings, numbers, booleans, lists of strings, or None).
Missing stays None, never "". A matching declaration names the set its comparisons read
(matching.declarations.DomainModel.features): `organisation` (customers, suppliers) and
`product` below; `attributes` passes the standardized attributes through, for a new
domain whose comparisons need nothing derived.

Company names (customers and suppliers)
    nm_core     the name without region, legal form and branch ("星晟安电气")
    nm_brand    the distinctive part, industry words stripped ("星晟安")
    nm_trade    the industry words that were stripped, as language-neutral concepts
                ("电气" and "Electric" → "electric"; "信息技术" → "info tech"), or as
                written when the lexicon does not know them; None when there are none
    nm_mapped   True when nm_trade is concepts (comparable across scripts)
    nm_script   "cjk" or "latin": trade words only conflict within one script
    nm_pinyin   the brand as toneless pinyin, a list of readings (by phrase and by
                character: ["xingchengan", "xingshengan"]); for Latin names the first word
                of the core, so "Xiamen Xingchengan Electric Co., Ltd." meets 星晟安 and
                homophone typos (华为 / 华伟) meet
    nm_key      one reading of the brand (character by character), for blocking
    nm_sound    the brand's sound keys (sound_keys: 施耐德 / Schneider → "SND"), so a foreign
                company's Chinese transliteration meets its own spelling; only for brands
                that can be one or the other (_transliteration_keys)
    nm_sorted   the brand's characters sorted (swapped characters: 为华 / 华为)
    nm_long     True when the brand has 3+ characters (dropped-character typos are only
                trusted there: two-character brands differ in one character all the time)
    nm_region   the region in the name, as pinyin ("(厦门)" / "Xiamen" → "xiamen")
    nm_branch   the branch place as pinyin ("南京分公司" / "Nanjing Branch" → "nanjing")
Products
    pd_type     the product type words: name without spec, material, brackets
    pd_material sorted material and grade codes found in the name (304, 316L, Q235B, 8.8级)
    pd_dielectric  a capacitor's dielectric, from the spec or the name ("x7r", "c0g"):
                its material, kept out of the spec so "103 25V 1206" = "1206 10nF 25V X7R"
    sp_key      the spec as a sorted multiset of canonical tokens (order and separators
                ignored, values in base units: "0805 1MΩ ±1%" = "1m 1%0805"), without
                the dielectric
    sp_compact  the spec without separators ("6204-2RS" = "62042RS"; "2.2k" ≠ "22k")
    sp_nums     the spec's numbers in base units, sorted, as a list ("M6x20" → ["20", "6"])
    brand       the brand as toneless pinyin (恒固 = "Henggu" = "henggu")
    pd_brand_script  "cjk" or "latin" as the brand was written: a Chinese brand and a
                Latin one with other pinyin (斯凯孚 / SKF) cannot be compared without a
                dictionary, so they are no evidence either way
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from mdm.errors import DeclarationError

FeatureRow = dict[str, Any]
FeatureFunction = Callable[[Mapping[str, Any]], FeatureRow]


@cache
def feature_function(name: str) -> FeatureFunction:
    """The `features(row)` function of a feature set, by name: a module of this package
    ("organisation", "product", "attributes") or a dotted module path of your own. A
    matching declaration names the set its comparisons read (DomainModel.features)."""
    module_name = name if "." in name else f"{__name__}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise DeclarationError(f"no feature set {name!r}: {exc}") from None
    function = getattr(module, "features", None)
    if not callable(function):
        raise DeclarationError(f"feature set {name!r}: {module_name} has no features(row) function")
    return function
