"""Units of measure and product specifications.

Units map to canonical codes (the table is data/units.txt). Specifications ("M6x20",
"6.8kΩ", "0.1uF 50V") are rewritten into one canonical spelling so that equal specs
compare equal; their rules are code, not a table: each depends on its neighbours.
"""

from __future__ import annotations

import re
from decimal import Decimal

from mdm.standardize.tables import read_lines
from mdm.standardize.text import Standardized, _as_text, _cache_short, _empty, _quote, _strip_accents

MSG_UNIT = "unknown unit {raw}"


# ---------------------------------------------------------------------------
# unit
# ---------------------------------------------------------------------------


def _unit_key(text: str) -> str:
    return _strip_accents(text.casefold()).replace(" ", "").replace(".", "")


def _build_units() -> dict[str, str]:
    """Every spelling's key -> canonical code, from data/units.txt."""
    lookup: dict[str, str] = {}
    for line in read_lines("units.txt"):
        code, *names = line.split()
        for name in (code, *names):
            lookup[_unit_key(name)] = code
    return lookup


_UNIT_LOOKUP = _build_units()


@_cache_short
def _unit_code(text: str) -> str | None:
    key = _unit_key(text)
    if key in _UNIT_LOOKUP:
        return _UNIT_LOOKUP[key]
    if len(key) > 2 and key.endswith("s"):  # English plurals: pcs, kgs, sets, rolls
        return _UNIT_LOOKUP.get(key[:-1])
    return None


def std_unit(raw: object) -> Standardized:
    """Unit of measure. value: a canonical code of data/units.txt (UN/ECE Rec 20/21 style):
    PCE (piece, also 个/件/台/根/条/片/支/EA/ST), SET, CT (carton/case), BX,
    PK, BG, RO, PR, KGM, GRM, TNE, MTR, CMT, MMT, LTR, MLT, MTK (m²), MTQ
    (m³), BO, DR, SH, DZN, CA, HUR, DAY, MON, ANN, KMT, MGM, INH, FOT, LBR,
    GLL, KWH. Unknown → the upper-cased input and a problem.
    parts: {"source_unit": the cleaned input as given}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    code = _unit_code(text)
    if code is None:
        return Standardized(text.upper(), {"source_unit": text}, (MSG_UNIT.format(raw=_quote(text)),))
    return Standardized(code, {"source_unit": text})


# ---------------------------------------------------------------------------
# spec
# ---------------------------------------------------------------------------

_SPEC_CHARS = str.maketrans(
    {
        "μ": "µ",  # NFKC turns the micro sign into Greek mu; the canonical form is MICRO SIGN
        "Μ": "µ",  # and upper-casing it gives Greek capital mu ("0.01ΜF"), never a letter in a spec
        "φ": "Φ",
        "ϕ": "Φ",
        "Ø": "Φ",
        "ø": "Φ",
        "⌀": "Φ",
        "*": "×",
        "✕": "×",
        "✖": "×",
        "\u2212": "-",
    }
)
_SPEC_OHM_RE = re.compile(r"(?<=[\d.]) ?([kKmM]?) ?(?:ohms?|欧姆|欧)(?![a-z])", re.IGNORECASE)
_SPEC_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d{1,2}(?!\d))")
_SPEC_THOUSANDS_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SPEC_SEPARATOR_SPACE_RE = re.compile(r" ?([×/\-~=:+,;()%]) ?|(?<=Φ) ")
# not before a dielectric ("10V0 X7R"): a capacitor's class, no second dimension
_SPEC_TIMES_RE = re.compile(r"(?<=\d)((?i:mm|cm|m))? ?[xX×] ?(?=[\d.Φ])(?!(?i:[5-8][rspt])(?![\w.]))")
_SPEC_UNIT_SPACE_RE = re.compile(r"(?<=\d) (?=(?i:[pnuµmkg]?(?:Ω|hz|f|v|a|w)|mm|cm|m|kg|ml|l)(?![a-zA-Z]))")
_SPEC_RKM_RE = re.compile(r"(?<![\w.])(\d+)([RKkM])(\d+)Ω?(?![\w.])")  # IEC 60062: 6K8, 4R7, 2M2
_RKM_PREFIXES = {"R": "", "K": "k", "k": "k", "M": "M"}
_SPEC_R_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)R(?![\w.])")  # 100R
# a number of a dotted chain ("10.2030.100", a drawing number) is no quantity to trim
_SPEC_QUANTITY_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?!\d|\.\d)([a-zA-ZµΩ]*)")
# A token is split into segments at hyphens and slashes; one with a letter before a digit
# is a part number or a model code ("YE3-132M2-6", "Q41F-16R", "Q2612A"), unless it is a
# thread, a DN/PN, a dielectric, a DC/AC voltage or a value code itself. In a token with
# such a segment nothing is read as a value: "132M2" is a motor frame, not 132.2 MΩ.
_SPEC_TOKEN_RE = re.compile(r"[^\s,;()]+")
_SPEC_SEGMENT_RE = re.compile(r"[^\-/]+")
_SPEC_MIXED_RE = re.compile(r"[A-Za-z][0-9]")
_SPEC_NOT_CODE_RE = re.compile(
    r"(?i:m\d+(?:\.\d+)?(?:[×x]\d+(?:\.\d+)?)*(?:mm)?|(?:dn|pn)\d+(?:[×x]\d+(?:\.\d+)?)*|"
    r"x[5-8][rspt]|y5v|z5u|c0g|np0|(?:dc|ac)\d+(?:\.\d+)?[a-z]*)|\d*[RKkM]\d+Ω?"
)
_SPEC_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_SPEC_DIELECTRIC_RE = re.compile(r"(?<![A-Za-z0-9])(?i:x[5-8][rspt]|y5v|z5u|c0g|cog|np0|npo)(?![A-Za-z0-9])")
_SPEC_CAP_CODE_RE = re.compile(r"\d{3}[BCDFGJKMZ]")  # EIA: 105K = 10 × 10^5 pF, ±10%
_SPEC_ELECTRIC_RE = re.compile(r"([pPnNuUµmkKMG]?)((?i:va|Ω|hz|f|h|v|a|w))")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_SPEC_UNITS = {"mm": "mm", "cm": "cm", "m": "m", "km": "km", "µm": "µm", "um": "µm"}
# No bare "g": in specs "8G"/"5G" are more often giga or grades than grams.
_SPEC_UNITS |= {"kg": "kg", "mg": "mg", "ml": "mL", "l": "L"}
_SI_PREFIXES = {
    "p": Decimal("1e-12"),
    "n": Decimal("1e-9"),
    "µ": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
}
# Upper-case exports write "10UF", "100PF", "6.8K": these letters can only mean
# micro, pico, nano, kilo here.
_PREFIX_ALIASES = {"u": "µ", "U": "µ", "P": "p", "N": "n", "K": "k"}
# Where only one reading is plausible in product data, the case of M/m is
# folded to it: "500MA" is 500 mA, "100mhz" is 100 MHz; Ω, W and F keep case
# (mΩ and MΩ, mW and MW both occur).
_PREFIX_FOR_UNIT = {("M", "A"): "m", ("M", "V"): "m", ("M", "H"): "m", ("m", "Hz"): "M"}
_ELECTRIC_UNITS = {"va": "VA", "ω": "Ω", "hz": "Hz", "f": "F", "h": "H", "v": "V", "a": "A", "w": "W"}
# Prefixes used per unit, largest first: capacitors stay in µF/nF/pF (2200µF,
# not 2.2mF), inductors in mH/µH/nH.
_ENGINEERING_PREFIXES = {"F": ("", "µ", "n", "p"), "H": ("", "m", "µ", "n"), "Ω": ("G", "M", "k", "", "m")}
_DEFAULT_PREFIXES = ("G", "M", "k", "", "m", "µ")


def _trim_number(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def _engineering(number: str, prefix: str, unit: str) -> str:
    value = Decimal(number) * _SI_PREFIXES[prefix]
    choices = _ENGINEERING_PREFIXES.get(unit, _DEFAULT_PREFIXES)
    chosen = next((p for p in choices if value >= _SI_PREFIXES[p]), choices[-1]) if value else ""
    mantissa = (value / _SI_PREFIXES[chosen]).normalize()
    return f"{mantissa:f}{chosen}{unit}"


def _spec_quantity(m: re.Match[str]) -> str:
    number, suffix = m.groups()
    if not suffix:
        return _trim_number(number)
    if (unit := _SPEC_UNITS.get(suffix.lower())) is not None:
        return _trim_number(number) + unit
    if suffix in ("k", "K"):  # bare "6.8k" is a resistance
        return _engineering(number, "k", "Ω")
    electric = _SPEC_ELECTRIC_RE.fullmatch(suffix)
    if electric is not None:
        unit = _ELECTRIC_UNITS[electric[2].lower()]
        prefix = _PREFIX_ALIASES.get(electric[1], electric[1])
        prefix = _PREFIX_FOR_UNIT.get((prefix, unit), prefix)
        in_fraction = m.string[m.start() - 1 : m.start()] == "/"  # "1/4W" stays a fraction
        if unit == "H" and not prefix:  # "24H" is more likely hours than henries
            return _trim_number(number) + "H"
        if in_fraction:
            return _trim_number(number) + prefix + unit
        return _engineering(number, prefix, unit)
    return _trim_number(number) + suffix.translate(_ASCII_UPPER)


@_cache_short
def _canonical_spec(text: str) -> str:
    text = text.translate(_SPEC_CHARS)
    text = _SPEC_OHM_RE.sub(r"\1Ω", text)
    text = _SPEC_DECIMAL_COMMA_RE.sub(".", text)
    text = _SPEC_THOUSANDS_COMMA_RE.sub("", text)
    text = _SPEC_TIMES_RE.sub(r"\1×", text)
    text = _SPEC_SEPARATOR_SPACE_RE.sub(lambda m: m.group(1) or "", text)
    text = _SPEC_UNIT_SPACE_RE.sub("", text)
    # in a capacitor's spec "105K" is a capacitance code and its tolerance, not 105 kΩ
    capacitor = _SPEC_DIELECTRIC_RE.search(text) is not None
    text = _SPEC_TOKEN_RE.sub(lambda m: _canonical_token(m, capacitor), text)
    return text.replace("×", "x")


def _is_code(token: str) -> bool:
    return any(
        _SPEC_MIXED_RE.search(segment) and not _SPEC_NOT_CODE_RE.fullmatch(segment)
        for segment in _SPEC_SEGMENT_RE.findall(token)
    )


def _canonical_token(match: re.Match[str], capacitor: bool = False) -> str:
    text = match.group(0)
    if _is_code(text) or capacitor and _SPEC_CAP_CODE_RE.fullmatch(text):
        return text.translate(_ASCII_UPPER)
    text = _SPEC_RKM_RE.sub(lambda m: f"{m[1]}.{m[3]}{_RKM_PREFIXES[m[2]]}Ω", text)
    text = _SPEC_R_RE.sub(r"\1Ω", text)
    pieces: list[str] = []
    last = 0
    for m in _SPEC_QUANTITY_RE.finditer(text):
        pieces.append(text[last : m.start()].translate(_ASCII_UPPER))
        pieces.append(_spec_quantity(m))
        last = m.end()
    pieces.append(text[last:].translate(_ASCII_UPPER))
    return "".join(pieces)


def std_spec(raw: object) -> Standardized:
    """Product specification, canonical so that equal specs compare equal.

    value rules: NFKC; ASCII letters upper-case ("m6" → "M6") except units
    after a number; dimension separators (×, x, X, *, ＊, ✕) between numbers →
    lower-case "x" with no spaces ("m6 x 20" → "M6x20"); diameter signs
    φ ϕ Ø ø ⌀ → "Φ"; decimal comma → point ("2,5" → "2.5"); trailing decimal
    zeros dropped ("2.50" → "2.5", "3.0" → "3"); length/mass/volume units
    mm cm m km µm kg mg mL L ("20MM" → "20mm"); electrical values in
    engineering notation with Ω, F (pF/nF/µF), H, V, A, W, VA, Hz and the
    MICRO SIGN "µ" (U+00B5): "6.8k", "6K8", "6800 ohm", "6.8 kΩ" → "6.8kΩ";
    "10uF", "10μF", "10UF" → "10µF"; "0.1uF" → "100nF"; "500MA" → "500mA"
    (M/m case is kept for Ω, W and F); "1/4W" stays a fraction; "0.01ΜF" (an
    upper-cased micro sign) → "10nF". A part number or model code (a token with a
    letter before a digit: "YE3-132M2-6", "Q41F-16R", "Q2612A") is kept as written,
    upper-cased: no value is read inside it.
    parts: {"numbers": the numbers of the value in order, space-separated
    ("M6x20" → "6 20", "6.8kΩ" → "6.8"); "text": the spec as written (NFKC, spaces
    collapsed), for readers of part numbers and codes that the canonical value would
    alter ("RC-2W7500FT", "D71X-16R")}.
    """
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _canonical_spec(text)
    return Standardized(value, {"numbers": " ".join(_SPEC_NUMBER_RE.findall(value)) or None, "text": text})
