"""Matching features: columns derived from standardized attributes, in one place.

The matcher compares these columns, never the raw attributes. Every function here is pure
Python (no Django, no Splink), deterministic and cheap, so batch matching (Splink on DuckDB
or Spark), the real-time scorer and the tests all see the same values.

A feature set is a module with a `features(row)` function: input rows hold the stored
attributes (``name``, ``name__core``, ``tax_id``, ...: see mdm/standardize), the result is
a flat dict of feature columns (strings, numbers, booleans, lists of strings, or None).
Missing stays None, never "". A matching declaration names the set its comparisons read
(matching.declarations.DomainModel.features): `organisation` (suppliers), `customer` (the
organisation's columns and a person's: name parts, date of birth, national id, in
matching.features.person) and `product` below; `attributes` passes the standardized attributes through, for a new
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
    nm_place    the city the name places the company in: its region when a city, else the
                record's city unless it is a branch's ("宁波长江机电" → "ningbo")
    nm_full     a Chinese name as written (6+ characters), nm_full_sorted its characters
                sorted: two neighbours swapped anywhere in it (成兴都业 / 成都兴业)
Products (all read from the name, the spec and the brand together: features.product_text)
    px_family   the product family ("resistor", "fastener", "valve", ...)
    px_kind     family/kind ("fastener/hex-bolt"); None when the text names the family only
    px_main     the value that names the item in its family: ohms, pF, a bearing's number,
                "M6x20", an O-ring's "20x2.4", a cable's "3x4", "DN50", a drawing number
    px_vals     px_main with its other readings ("820": 820 Ω as written, 82 Ω as code)
    px_block    the blocking key: family and main value (for resistances and capacitances
                their significant digits, so both readings of a code meet)
    px_package, px_tolerance, px_voltage, px_dielectric, px_variant (a bearing's seal and
    clearance, a seal's type and hardness), px_pressure, px_revision, px_grade
                the details that tell variants of one main value apart
    px_material sorted material and grade concepts (["ss304"], ["steel8.8"])
    px_sig      kind, main value and every detail as one string
    px_maker    the maker: a key of data/product_makers.txt (国巨 = YAGEO = "yageo"), else
                "?" and the brand's pinyin
    px_maker_script  "known" for a lexicon maker, else "cjk" or "latin" as written: an
                unknown maker in one script cannot be compared with one in the other
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
    ("organisation", "customer", "product", "attributes") or a dotted module path of your own. A
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
