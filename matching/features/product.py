"""Features of products: the spec as canonical tokens, type words, materials, brand.

See the feature columns in matching.features.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from matching.features.text import LATIN_WORD_RE, fold, has_cjk, pinyin, text_of

FeatureRow = dict[str, Any]


# Materials and grades: steel and alloy grades, property classes of fasteners, and the
# material words that go with them. Codes (with digits) decide conflicts; words are removed
# from the product type so "304不锈钢无缝管" and "不锈钢无缝管 ... 304" have the same type.
_MATERIAL_CODE_RE = re.compile(
    r"(?<![a-z0-9.])("
    r"\d{1,2}\.\d级"  # property class 8.8级 / 12.9级
    r"|sus\d{3}l?"
    r"|q\d{3}[a-e]?"  # Q235, Q235B, Q345
    r"|\d{2}#"  # 45#
    r"|\d{2}(?:cr|mn|crmo)\w*"  # 40Cr, 65Mn
    r"|(?:20[12]|30[1-9]|31[0-7]|32[1-9]|347|4[0-4]\d|904)l?(?=不锈钢|钢|\s|$|[\u4e00-\u9fff])"  # 304, 316L
    r"|[1-7]\d{3}(?=铝|铝合金)"  # 6061铝合金
    r"|h\d{2}(?=黄铜|铜|\s|$)"
    r")"
)
# A capacitor's dielectric is its material, not a size: "1206 10nF 25V X7R" and "103 25V
# 1206" are one spec, while X7R against C0G is another product.
_DIELECTRIC = r"x[5-8][rsptv]|y5v|z5u|c[0o]g|np[0o]"
_DIELECTRIC_RE = re.compile(_DIELECTRIC, re.IGNORECASE)
_DIELECTRIC_IN_NAME_RE = re.compile(rf"(?<![a-z0-9])({_DIELECTRIC})(?![a-z0-9])")
_DIELECTRIC_ALIASES = {"cog": "c0g", "npo": "np0"}  # letter O typed for zero
_MATERIAL_WORDS = (
    "不锈钢", "碳钢镀锌", "碳钢", "合金钢", "铝合金", "黄铜", "紫铜", "镀锌", "钢", "铝", "铜", "尼龙",
)
_MATERIAL_WORD_RE = re.compile("|".join(sorted(_MATERIAL_WORDS, key=len, reverse=True)))
_BRACKETS_RE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_CJK_RUN_RE = re.compile("[\u4e00-\u9fff]+")


_SPEC_LIKE_RE = re.compile(r"[×*φΦøω%]|\dx\d|^m\d|^\d+(?:\.\d+)?$")


def _without_spec(folded_name: str, spec: str | None) -> str:
    """The name without its spec: the spec text itself and any word that looks like one."""
    if spec:
        folded_name = folded_name.replace(fold(spec), " ")
    return " ".join(w for w in folded_name.split() if not _SPEC_LIKE_RE.search(w))


def _material_codes(folded_name: str) -> list[str]:
    return sorted({m.group(1) for m in _MATERIAL_CODE_RE.finditer(folded_name)})


def product_type(name: str, spec: str | None) -> str | None:
    """The product type: "316L不锈钢无缝管" / "不锈钢无缝管 Φ48×2 316L" → "无缝管"."""
    folded = _BRACKETS_RE.sub(" ", _without_spec(fold(name), spec))
    folded = _MATERIAL_CODE_RE.sub(" ", folded)
    folded = _MATERIAL_WORD_RE.sub(" ", folded)
    runs = _CJK_RUN_RE.findall(folded)
    if runs:  # the type comes first; words people add follow it
        return runs[0]
    words = [w for w in LATIN_WORD_RE.findall(folded) if not any(c.isdigit() for c in w)]
    return " ".join(words) or None


# Spec tokens. The standardizer already gives the canonical spec ("M6x20", "6.8kΩ",
# "Φ48x2.5"); here it is cut into tokens compared as a multiset, with electrical values in
# base units (pF, Ω) so EIA codes ("104" = 100nF) meet, tolerance letters read as percent
# ("-F" = ±1%), Φ/D/DN prefixes unified, separators ignored.
_SPEC_SPLIT_RE = re.compile(r"[\s,;/()（）\-]+|(?<=%)(?=\d)")
_QUANTITY_RE = re.compile(r"^(\d+(?:\.\d+)?)([pnµumkKMG]?)(Ω|F|H|V|A|W|VA|Hz)$")
_SI = {"p": Decimal("1e-12"), "n": Decimal("1e-9"), "µ": Decimal("1e-6"), "u": Decimal("1e-6"),
       "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3"), "K": Decimal("1e3"),
       "M": Decimal("1e6"), "G": Decimal("1e9")}
_TOLERANCE_CODES = {"B": "0.1%", "C": "0.25%", "D": "0.5%", "F": "1%", "G": "2%", "J": "5%", "K": "10%", "M": "20%"}
_EIA_RE = re.compile(r"^[1-9]\d[0-9]$")
# "470RΩ": R-notation for ohms that the standardizer keeps because an Ω follows it
_R_OHM_RE = re.compile(r"^(\d+(?:\.\d+)?)RΩ$")
_METRES_RE = re.compile(r"\d+(?:\.\d+)?m")
_METRES_TOLERANCE_RE = re.compile(r"(?:^|[\s-])\d+(?:\.\d+)?m-[BCDFGJKM]$")
_DIAMETER_RE = re.compile(r"^(?:Φ|D|DIA|OD)(?=\d)", re.IGNORECASE)
_DN_RE = re.compile(r"^DN\d+$", re.IGNORECASE)
_LENGTH_UNIT_RE = re.compile(r"(?<=\d)mm$")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_DRAWING_PREFIX_RE = re.compile(r"^图号[:：]?")
# A rolling bearing's number with its seal or shield code glued on ("62042RS", "608ZZ"):
# the same spec as "6204-2RS". The shortest number that leaves a known code wins, so
# "62042RS" is 6204 + 2RS, not 62042 + RS.
# A standard named in the spec ("M5(GB)", "M8x20 GB/T 5783", "DIN912") says which norm the
# part follows, not its size: two records of one part name it or not as their users like.
_STANDARD_RE = re.compile(
    r"(?<![A-Za-z])(?:GB(?:/T)?|DIN|ISO|JIS|ANSI|ASME|国标)(?:\s*\d+(?:[.\-]\d+)*)?(?![A-Za-z0-9.])"
)
_BEARING_SUFFIX_RE = re.compile(r"^(\d{3,5}?)(2RS1?|2RSH|2RZ|2Z|ZZ|RS1?|RZ|Z|LLU|DDU|NR)$", re.IGNORECASE)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _base_value(number: str, prefix: str, unit: str) -> str:
    value = Decimal(number) * _SI[prefix]
    if unit == "F":  # capacitors in pF, so that EIA codes compare equal
        return _plain(value / _SI["p"])
    return _plain(value) + ("" if unit == "Ω" else unit)


@lru_cache(maxsize=65536)
def spec_tokens(spec: str) -> tuple[str, ...]:
    """Canonical tokens of a standardized spec (see the comment above)."""
    text = _DRAWING_PREFIX_RE.sub("", _STANDARD_RE.sub(" ", spec).replace("±", "").replace("/", " "))
    raw = []
    for token in _SPEC_SPLIT_RE.split(text):
        bearing = _BEARING_SUFFIX_RE.match(token)
        raw.extend(bearing.groups() if bearing else (token,) if token else ())
    has_percent = any("%" in t for t in raw)
    # "1M 1%", "1206-1M-F": with a tolerance, the standardizer's metres are megaohms (a
    # letter only right after them, ending the spec: "K-type 2M" is a 2 m thermocouple)
    has_tolerance = has_percent or _METRES_TOLERANCE_RE.search(text) is not None
    has_value = any(_R_OHM_RE.match(t) or (has_tolerance and _METRES_RE.fullmatch(t))
                    or (_QUANTITY_RE.match(t) and _QUANTITY_RE.match(t).group(3) in ("Ω", "F")) for t in raw)
    tokens: list[str] = []
    for token in raw:
        if _DN_RE.match(token):
            continue  # nominal size: implied by the outer diameter
        token = _DIAMETER_RE.sub("Φ", token)
        token = _LENGTH_UNIT_RE.sub("", token)
        if token.startswith("Φ"):  # Φ48x3 = D48x3 = 48x3
            token = token[1:]
        if "x" in token:
            tokens.append(token)
            continue
        m = _QUANTITY_RE.match(token)
        if m is not None:
            tokens.append(_base_value(m.group(1), m.group(2), m.group(3)))
            continue
        if (ohms := _R_OHM_RE.match(token)) is not None:
            tokens.append(_base_value(ohms[1], "", "Ω"))
            continue
        if has_tolerance and _METRES_RE.fullmatch(token):
            tokens.append(_base_value(token[:-1], "M", "Ω"))
            continue
        if has_value and token.upper() in _TOLERANCE_CODES and len(token) == 1:
            tokens.append(_TOLERANCE_CODES[token.upper()])
            continue
        if _EIA_RE.match(token) and not has_value and (has_percent or any(t.endswith("V") for t in raw)):
            digits = token
            tokens.append(_plain(Decimal(digits[:2]) * (Decimal(10) ** int(digits[2]))))
            continue
        tokens.append(token.upper() if not any(c.isdigit() for c in token) else token)
    return tuple(sorted(tokens))


def _spec_numbers(tokens: Iterable[str]) -> list[str]:
    numbers: set[str] = set()
    for token in tokens:
        for number in _NUMBER_RE.findall(token):
            try:
                numbers.add(_plain(Decimal(number)))
            except InvalidOperation:  # pragma: no cover - the regex only finds numbers
                continue
    return sorted(numbers)


_SPEC_SEPARATORS_RE = re.compile(r"[\s\-/_,;:()（）±]+")  # not ".": 2.2k is not 22k


def features(row: Mapping[str, Any]) -> FeatureRow:
    """Features of a product row (see the module docstring)."""
    name = text_of(row, "name") or ""
    spec = text_of(row, "spec")
    tokens = spec_tokens(spec) if spec else ()
    compact = _SPEC_SEPARATORS_RE.sub("", fold(_DRAWING_PREFIX_RE.sub("", spec))) if spec else ""
    folded = fold(name)
    # a bare grade ("… Φ48×2 304") looks like a number to _without_spec: search the name
    # without the spec text only; the grade list keeps sizes out
    materials = _material_codes(folded.replace(fold(spec), " ") if spec else folded)
    dielectrics = {t.lower() for t in tokens if _DIELECTRIC_RE.fullmatch(t)}
    tokens = tuple(t for t in tokens if not _DIELECTRIC_RE.fullmatch(t))
    dielectrics.update(m.group(1) for m in _DIELECTRIC_IN_NAME_RE.finditer(folded))
    dielectrics = {_DIELECTRIC_ALIASES.get(d, d) for d in dielectrics}
    brand = text_of(row, "brand__folded") or text_of(row, "brand")
    barcode = text_of(row, "barcode")
    return {
        "pd_type": product_type(name, spec),
        "pd_material": materials or None,
        "pd_dielectric": " ".join(sorted(dielectrics)) or None,
        "sp_key": " ".join(tokens) or None,
        "sp_compact": compact or None,
        "sp_nums": _spec_numbers(tokens) or None,
        "unit": text_of(row, "unit"),
        "category": text_of(row, "category"),
        "brand": pinyin(brand) if brand else None,
        "pd_brand_script": ("cjk" if has_cjk(brand) else "latin") if brand else None,
        "barcode": barcode if row.get("barcode__valid") is not False else None,
    }
