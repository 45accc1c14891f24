"""What a product's free text says: family, kind, the identifying value, and its details.

ERP and CRM product masters rarely have spec, brand or material columns: SAP's MAKTX, U8's
存货名称 and a shop's title carry everything in one text ("SCREW,HEX SOCKET,M6X20,SS304",
"电阻1206/270K/J/国巨", "MLCC 1206 475 25V X5R 国巨", "轴承-6311-ZZ-FAG",
"支架(ZJ-2025-2572B)"). `read_product` reads such a text (the name, the spec column and the
brand column joined) into a `ProductText`:

- family and kind: from type words of both languages (data/product_types.txt), or from a
  maker part number or a value that only one family writes (a bearing number, a drawing
  number, "DN50"),
- main: the value that names the item within its family, in one canonical form: a
  resistance in ohms, a capacitance in pF, a bearing's basic number, a thread with its
  length, an O-ring's ID x CS, a seal's d x D x b, a cable's cores x section, a valve's DN
  (from inches too), a motor's power and poles, a toner's part number, a battery's size,
  a drawing number; for other families the numbers with their units. Value codes are read
  as such: "475" = 4.7 µF, "1002" = 10 kΩ, "4K7" = 4.7 kΩ, "R47" = 0.47 Ω.
- details that tell variants of one main value apart: EIA package, tolerance, voltage,
  dielectric, seal and clearance of a bearing, PN, a fastener's standard (DIN 912 / ISO
  4762, data/product_standards.txt), a motor's mounting, a cable's colour, drawing
  revision, material or grade (data/product_materials.txt), maker (data/product_makers.txt),
  grade of a chemical.

Maker part numbers of the usual chip resistor and MLCC series are decoded into the same
details (RC0805FR-07330RL, CL10B224KONNNC, GRM21B5C1H102JA01D, C1608X7R1H104K, ...), so a
part number meets the description it stands for. Nothing here raises on any input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# Past its first thousand characters a product text is prose, not its spec, and the number
# patterns cost the square of a text's length (20,000 digits took 29 s).
TEXT_CHARS = 1000


@dataclass
class ProductText:
    """The reading of one product text; None where the text does not say."""

    family: str | None = None
    kind: str | None = None
    main: str | None = None
    package: str | None = None
    tolerance: str | None = None
    voltage: str | None = None
    dielectric: str | None = None
    seal: str | None = None
    clearance: str | None = None
    pressure: str | None = None
    standard: str | None = None
    revision: str | None = None
    material: str | None = None
    maker: str | None = None
    grade: str | None = None
    extra: list[str] = field(default_factory=list)
    # other readings of main where the text is ambiguous ("820" is 820 Ω, or 82 Ω in code)
    alternatives: list[str] = field(default_factory=list)


def _lexicon(name: str) -> list[tuple[str, str]]:
    """(word, concept) pairs of a data file, longest word first."""
    pairs = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        concept, *words = line.split()
        pairs.extend((w.replace("_", " ").lower(), concept) for w in words)
    return sorted(pairs, key=lambda p: -len(p[0]))


def _cjk(word: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in word)


def _word_pattern(pairs: list[tuple[str, str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for a lexicon: Chinese words anywhere, Latin words as whole words."""
    alternatives = []
    for word, _ in pairs:
        escaped = re.escape(word).replace(r"\ ", r"[\s,]*")
        # a long Latin word is a type word even with the next one glued on ("O-RINGID20");
        # a word ending in a letter is one with a number glued on ("NBR70")
        end = "" if len(word) >= 5 else "(?![a-z])" if word[-1].isalpha() and len(word) >= 3 else "(?![a-z0-9])"
        # and one starting with a letter is one with a size glued in front ("M12SS316")
        start = "(?<![a-z])" if word[0].isalpha() and len(word) >= 4 else "(?<![a-z0-9])"
        alternatives.append(escaped if _cjk(word) else rf"{start}{escaped}{end}")
    return re.compile("|".join(alternatives)), {re.sub(r"[\s,]+", "", w): c for w, c in pairs}


_MAKERS_RE, _MAKERS = _word_pattern(_lexicon("product_makers.txt"))
_MATERIALS_RE, _MATERIALS = _word_pattern(_lexicon("product_materials.txt"))
_TYPES_RE, _TYPES = _word_pattern(_lexicon("product_types.txt"))


def _concept(table: dict[str, str], found: str) -> str | None:
    return table.get(re.sub(r"[\s,]+", "", found))


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


_PREFIX = {"p": Decimal("1e-12"), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "µ": Decimal("1e-6"),
           "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9")}
_TOLERANCE_LETTERS = {"B": "0.1", "C": "0.25", "D": "0.5", "F": "1", "G": "2", "J": "5", "K": "10", "M": "20",
                      "Z": "+80-20"}
# EIA imperial chip sizes, and the metric names of the ones whose metric name is no imperial one
_PACKAGES = {"0201", "0402", "0603", "0805", "1206", "1210", "1812", "2010", "2220", "2512"}
_METRIC_PACKAGES = {"1005": "0402", "1608": "0603", "2012": "0805", "3216": "1206", "3225": "1210",
                    "4532": "1812", "5025": "2010", "6432": "2512"}
# MLCC voltage codes (Murata, TDK, Samsung and YAGEO series) and maker size codes
_VOLTAGE_CODES = {"0J": "6.3", "1A": "10", "1C": "16", "1E": "25", "1V": "35", "1H": "50", "2A": "100",
                  "2E": "250", "2J": "630"}
_SAMSUNG_VOLTAGE = {"Q": "6.3", "P": "10", "O": "16", "A": "25", "L": "35", "B": "50", "C": "100", "D": "200"}
_YAGEO_VOLTAGE = {"5": "6.3", "6": "10", "7": "16", "8": "25", "9": "50", "0": "100"}
_MURATA_SIZE = {"03": "0201", "15": "0402", "18": "0603", "21": "0805", "31": "1206", "32": "1210", "43": "1812"}
_SAMSUNG_SIZE = {"03": "0201", "05": "0402", "10": "0603", "21": "0805", "31": "1206", "32": "1210", "43": "1812"}
_FENGHUA_SIZE = {"01": "0402", "02": "0603", "1": "0402", "2": "0603", "3": "0805", "4": "1206", "05": "0805",
                 "06": "1206"}
_DIELECTRICS = {"X7R": "X7R", "X5R": "X5R", "X6S": "X6S", "X7S": "X7S", "X8R": "X8R", "Y5V": "Y5V", "Z5U": "Z5U",
                "C0G": "C0G", "COG": "C0G", "NP0": "C0G", "NPO": "C0G"}
_MURATA_DIELECTRIC = {"5C": "C0G", "R7": "X7R", "R6": "X5R", "C7": "X7S", "F5": "Y5V"}
_SAMSUNG_DIELECTRIC = {"C": "C0G", "B": "X7R", "A": "X5R", "F": "Y5V"}
_BEARING_SEALS = {"Z": "Z", "ZZ": "ZZ", "2Z": "ZZ", "2ZR": "ZZ", "2RZ": "ZZ", "RZ": "Z", "RS": "RS", "RS1": "RS",
                  "2RS": "RS", "2RS1": "RS", "2RSR": "RS", "2RSH": "RS", "DDU": "RS", "LLU": "RS", "LLB": "ZZ",
                  "DU": "RS", "N": "N", "NR": "NR"}
# single and double shields or seals are one product in texts people write ("6301-RS" for
# "6301-2RS"): kept as shield or seal
_SEAL_KIND = {"Z": "Z", "ZZ": "Z", "RS": "RS", "N": "N", "NR": "NR"}
# old Chinese designations: 80311 = 6311-2Z, 180311 = 6311-2RS, 60311 = 6311-Z
_OLD_BEARING_PREFIX = {"80": "Z", "180": "RS", "60": "Z", "160": "RS"}
_VALVE_CODES = {"Q": "valve/ball", "J": "valve/globe", "Z": "valve/gate", "D": "valve/butterfly", "H": "valve/check"}
_VALVE_BODY = {"P": "ss304", "R": "ss316", "C": "carbon-steel", "Q": "ductile-iron", "Z": "cast-iron"}
# a valve's nominal size in inches, as its DN
_INCH_DN = {"1/4": "8", "3/8": "10", "1/2": "15", "3/4": "20", "1": "25", "1-1/4": "32", "1-1/2": "40", "2": "50",
            "2-1/2": "65", "3": "80", "4": "100", "5": "125", "6": "150", "8": "200", "10": "250", "12": "300",
            "14": "350", "16": "400"}
_INCH_RE = re.compile(r"(?<![\d/.\-])(\d{1,2}(?:[\s-]\d/\d)?|\d/\d)\s*(?:\"|″|''|INCH|IN(?![A-Z])|英寸|寸)")
_CHEM_GRADES = {"ar": "ar", "分析纯": "ar", "gr": "gr", "优级纯": "gr", "cp": "cp", "化学纯": "cp"}


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("μ", "u").replace("µ", "u").replace("Μ", "u").replace("Ω", "Ω").replace("_", " ")
    text = re.sub(r"[φΦØø⌀]", " ", text)
    # a dielectric after a number ("10V0 X7R") is no second dimension
    text = re.sub(r"(?<=\d)\s*[xX×*＊✕]\s*(?=\d)(?!(?i:[5-8][rspt])(?![a-zA-Z0-9]))", "x", text)
    return text


def read_product(*texts: str | None) -> ProductText:
    """Read the texts of one product (name, spec, brand, ...) into a ProductText, each up to
    TEXT_CHARS characters."""
    raw = " ".join(t[:TEXT_CHARS] for t in texts if t)
    try:
        return _read(_normalize(raw))
    except (ArithmeticError, ValueError, IndexError, KeyError):  # pragma: no cover - a reading never stops a run
        return ProductText()


def _read(text: str) -> ProductText:
    lower = text.lower()
    out = ProductText()
    makers = {_concept(_MAKERS, m.group(0)) for m in _MAKERS_RE.finditer(lower)} - {None}
    out.maker = " ".join(sorted(makers)) or None
    lower = _MAKERS_RE.sub(" ", lower)
    types = [_concept(_TYPES, m.group(0)) for m in _TYPES_RE.finditer(lower)]
    types = [t for t in types if t]
    if types:
        out.family, out.kind = types[0].split("/", 1)
        specific = [t for t in types if t.split("/")[0] == out.family]
        kinds = {t.split("/", 1)[1] for t in specific} - {out.family}
        # a word of the family alone ("螺丝", "screw") names no kind: it agrees with any
        out.kind = max(kinds, key=lambda k: (k not in ("chip", "mlcc"), len(k))) if kinds else None
    rest = _TYPES_RE.sub(" ", lower)
    upper = text.upper()
    if _read_part_numbers(upper, out) or out.family in (None, "resistor", "capacitor"):
        _read_passive(upper, rest, out)
    if out.family is None:
        _read_drawing(upper, out)
    if out.family == "bearing" or out.family is None and _BEARING_HINT_RE.search(upper):
        # without the type words and makers: "Bearing62062RS", "SKF6204"
        _read_bearing(rest.upper(), out)
    if out.family in (None, "valve"):
        _read_valve(upper, rest, out)
    if out.family in (None, "cable"):
        _read_cable(upper, out)
    if out.family in (None, "seal"):
        _read_seal(rest, out)
    if out.family in (None, "fastener"):
        _read_fastener(rest, out)
    if out.family == "motor":
        _read_motor(upper, out)
    if out.family == "pipe":
        dims = _dims(re.sub(r"(?<![a-z])(?:dn\s*\d+|d(?=\d)|od)", " ", rest), 2)
        out.main = dims
    if out.main is None:
        _read_drawing(upper, out)
    if out.family not in ("resistor", "capacitor", "cable", "bearing") and out.kind != "paper":
        # a grade glued to the size ("M24x40304", "M5X128.8") starts after the size
        spaced = _THREAD_RE.sub(lambda m: m.group(0) + " ", rest)
        materials = _materials(spaced)
        if out.family == "valve" and out.material:
            materials = {out.material}
        out.material = " ".join(sorted(materials)) or out.material
    grades = {_CHEM_GRADES[g] for g in re.findall(r"(?<![a-z])(?:ar|gr|cp)(?![a-z])|分析纯|优级纯|化学纯", rest)}
    out.grade = " ".join(sorted(grades)) or None
    if out.kind == "toner":
        _read_toner(rest, out)
    elif out.kind == "battery":
        _read_battery(rest, out)
    if out.main is None:
        # one spelling for a RAL colour and a paper's weight: "RAL 7035", "80gsm", "80 g/m2"
        rest = re.sub(r"(?<![a-z])ral\s+(?=\d{4}(?!\d))", "ral", rest)
        _read_generic(re.sub(r"(?<=\d)\s*(?:gsm|g/m2|g/m²)(?![a-z0-9])", "g", rest), out)
    return out


def _materials(text: str) -> set[str]:
    """The material concepts of a text. A generic word stands for its alternatives
    ("stainless" = ss304 or ss316: it agrees with either, not with brass), dropped when
    the text names one of them; a property class is a carbon or alloy steel's."""
    found = {_concept(_MATERIALS, m.group(0)) for m in _MATERIALS_RE.finditer(text)} - {None}
    specific = {c for c in found if "|" not in c}
    for generic in found - specific:
        alternatives = set(generic.split("|"))
        if not alternatives & specific:
            specific |= alternatives
    if any(c.startswith("steel") for c in specific):
        specific.discard("carbon-steel")
    return specific


# ---- passives -------------------------------------------------------------------------

_OHM_VALUE_RE = re.compile(
    r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)\s*([KMG]?)\s*(?:Ω|OHMS?|欧姆?|R)?(?![A-Z0-9.%])"
)
_RKM_RE = re.compile(r"(?<![A-Z0-9.])(\d*)([RKMG])(\d+)(?![A-Z0-9.])")
# ".022UF" without its leading zero; "100PF25V" with the voltage glued on
_CAP_VALUE_RE = re.compile(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?|\.\d+)\s*([PNUM]?)F([BCDFGJKMZ])?"
                           r"(?:(?![A-Z0-9])|(?=\d+(?:\.\d+)?V(?![A-Z0-9])))")
_PERCENT_RE = re.compile(r"(?:±\s*)?(\d+(?:\.\d+)?)\s*%")
_VOLTS_RE = re.compile(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)\s*(K?)V(?![A-Z0-9])")
_VOLTS_RKM_RE = re.compile(r"(?<![A-Z0-9.])(\d+)V(\d+)(?![A-Z0-9.])")  # IEC 60062 for volts: 6V3 = 6.3 V
_PACKAGE_RE = re.compile(r"(?<!\d)(0201|0402|0603|0805|1206|1210|1812|2010|2220|2512|1005|1608|2012|3216|3225|"
                         r"4532|5025|6432)(?!\d)")
_CODE_RE = re.compile(r"(?<![A-Z0-9.])(\d{3,4})([BCDFGJKMZ]?)(?![A-Z0-9.])")
_LETTER_TOL_RE = re.compile(r"(?<![A-Z0-9])([BCDFGJKM])(?![A-Z0-9])")


def _ohms(number: str, prefix: str) -> str:
    return _plain(Decimal(number) * _PREFIX[{"K": "k"}.get(prefix, prefix)])


def _eia(code: str) -> Decimal:
    """A value code: significant digits, then the power of ten ("474", "1002")."""
    return Decimal(code[:-1]) * (Decimal(10) ** int(code[-1]))


def _read_passive(upper: str, rest: str, out: ProductText) -> None:
    text = upper
    if out.package is None and (p := _PACKAGE_RE.search(text)):
        out.package = _METRIC_PACKAGES.get(p.group(1), p.group(1))
    text_wo_pkg = _PACKAGE_RE.sub(" ", text)
    if out.tolerance is None and (t := _PERCENT_RE.search(text_wo_pkg)):
        out.tolerance = _plain(Decimal(t.group(1)))
    if out.voltage is None and (v := _VOLTS_RE.search(text_wo_pkg)):
        out.voltage = _plain(Decimal(v.group(1)) * (1000 if v.group(2) else 1))
    if out.voltage is None and (v := _VOLTS_RKM_RE.search(text_wo_pkg)):
        out.voltage = _plain(Decimal(f"{v.group(1)}.{v.group(2)}"))
    if out.dielectric is None:
        for word in re.findall(r"(?<![A-Z0-9])(X[5-8][RSPT]|Y5V|Z5U|C0G|COG|NP0|NPO)(?![A-Z0-9])", text):
            out.dielectric = _DIELECTRICS[word]
            break
    if out.family is None:
        if out.dielectric or _CAP_VALUE_RE.search(text_wo_pkg):
            out.family, out.kind = "capacitor", "mlcc"
        elif re.search(r"\d\s*(?:Ω|OHM|欧)", text_wo_pkg) or out.package and out.tolerance:
            out.family, out.kind = "resistor", "chip"
        else:
            return
    if out.main is None:
        if out.family == "capacitor":
            _capacitance(text_wo_pkg, out)
        else:
            _resistance(text_wo_pkg, out)
    if out.tolerance is None and out.main is not None:
        for letter in _LETTER_TOL_RE.findall(re.sub(r"\d+(?:\.\d+)?\s*[KMG]?(?:Ω|OHM)", " ", text_wo_pkg)):
            out.tolerance = _TOLERANCE_LETTERS[letter]
            break


def _capacitance(text: str, out: ProductText) -> None:
    if c := _CAP_VALUE_RE.search(text):
        prefix = {"U": "u", "N": "n", "P": "p", "M": "u"}.get(c.group(2), c.group(2))
        out.main = _plain(Decimal(c.group(1)) * _PREFIX[prefix] / _PREFIX["p"])
        if c.group(3) and out.tolerance is None:
            out.tolerance = _TOLERANCE_LETTERS[c.group(3)]
        return
    stripped = _VOLTS_RE.sub(" ", text)
    for code, letter in _CODE_RE.findall(stripped):
        if len(code) == 3:
            out.main = _plain(_eia(code))
            if letter and out.tolerance is None:
                out.tolerance = _TOLERANCE_LETTERS[letter]
            return


def _resistance(text: str, out: ProductText) -> None:
    text = _VOLTS_RE.sub(" ", _PERCENT_RE.sub(" ", re.sub(r"\d+/\d+\s*W", " ", text)))
    if m := re.search(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)\s*([KMG]?)\s*(?:Ω|OHMS?|欧姆?)", text):
        out.main = _ohms(m.group(1), m.group(2))
        return
    if m := _RKM_RE.search(text):
        whole, letter, fraction = m.groups()
        prefix = "" if letter == "R" else letter
        out.main = _ohms(f"{whole or 0}.{fraction}", prefix)
        return
    if m := re.search(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)\s*([KMG])(?![A-Z0-9.])", text):
        out.main = _ohms(m.group(1), m.group(2))
        return
    if m := re.search(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)R(?![A-Z0-9.])", text):
        out.main = _ohms(m.group(1), "")
        return
    for number, _letter in _CODE_RE.findall(text):
        # a 4-digit code is E96 (1%); a 3-digit one is an E24 code unless it reads as a
        # plain value (the ohms of "360" or "750" as written in a list of values)
        coded = _plain(_eia(number))
        out.main = coded
        if number[-1] in "01":
            out.alternatives.append(number)
        return
    if m := re.search(r"(?<![A-Z0-9.])(\d{1,2}(?:\.\d+)?)(?![A-Z0-9.])", text):
        out.main = _plain(Decimal(m.group(1)))


def _read_part_numbers(upper: str, out: ProductText) -> bool:
    """Decode the maker part numbers of the usual chip resistor and MLCC series."""
    return any(reader(upper, out) for reader in _PART_NUMBER_READERS)


def _set(out: ProductText, family: str, kind: str, **values: str | None) -> bool:
    out.family, out.kind = family, kind
    for name, value in values.items():
        if value is not None and getattr(out, name) is None:
            setattr(out, name, value)
    return True


def _rkm_value(code: str) -> str | None:
    m = re.fullmatch(r"(\d*)([RKMG])(\d*)", code)
    if m is None:
        return None
    prefix = "" if m.group(2) == "R" else m.group(2)
    return _ohms(f"{m.group(1) or 0}.{m.group(3) or 0}", prefix)


def _code_value(code: str) -> str | None:
    if re.fullmatch(r"\d{3,4}", code):
        return _plain(_eia(code))
    return _rkm_value(code)


def _yageo_resistor(text: str, out: ProductText) -> bool:
    m = re.search(r"\bRC(\d{4})([BCDFGJK])R-?\d{2}([0-9RKM.]+?)L\b", text)
    if not m:
        return False
    return _set(out, "resistor", "chip", main=_rkm_value(m.group(3)), package=m.group(1),
                tolerance=_TOLERANCE_LETTERS[m.group(2)], maker="yageo")


def _walsin_resistor(text: str, out: ProductText) -> bool:
    m = re.search(r"\bWR(04|06|08|12|20|25)X(\d{3,4}|\d*[RKM]\d*)([BCDFGJK])T\w?\b", text)
    if not m:
        return False
    package = {"04": "0402", "06": "0603", "08": "0805", "12": "1206", "20": "2010", "25": "2512"}[m.group(1)]
    return _set(out, "resistor", "chip", main=_code_value(m.group(2)), package=package,
                tolerance=_TOLERANCE_LETTERS[m.group(3)], maker="walsin")


def _samsung_resistor(text: str, out: ProductText) -> bool:
    m = re.search(r"\bRC(1005|1608|2012|3216|3225|5025|6432)([BCDFGJK])(\d{3,4}|\d*R\d*)C?S\b", text)
    if not m:
        return False
    return _set(out, "resistor", "chip", main=_code_value(m.group(3)), package=_METRIC_PACKAGES[m.group(1)],
                tolerance=_TOLERANCE_LETTERS[m.group(2)], maker="samsung")


def _fenghua_resistor(text: str, out: ProductText) -> bool:
    m = re.search(r"\bRC-?(\d{1,2})[WK](\d{3,4}|\d*[RKM]\d*)([BCDFGJK])T\b", text)
    if not m:
        return False
    return _set(out, "resistor", "chip", main=_code_value(m.group(2)), package=_FENGHUA_SIZE.get(m.group(1)),
                tolerance=_TOLERANCE_LETTERS[m.group(3)], maker="fenghua")


def _uniroyal_resistor(text: str, out: ProductText) -> bool:
    m = re.search(r"\b(0201|0402|0603|0805|1206|1210|2010|2512)[WS]\w?([BCDFGJK])(\d{3,4}|\d*[RKM]\d*)T\w*\b", text)
    if not m:
        return False
    return _set(out, "resistor", "chip", main=_code_value(m.group(3)), package=m.group(1),
                tolerance=_TOLERANCE_LETTERS[m.group(2)], maker="uniroyal")


def _murata_cap(text: str, out: ProductText) -> bool:
    m = re.search(r"\bGR[MJ](\d{2})\w(\w{2})(\w{2})(\d{3}|\dR\d)([BCDFGJKMZ])", text)
    if not m:
        return False
    return _set(out, "capacitor", "mlcc", main=_pf(m.group(4)), package=_MURATA_SIZE.get(m.group(1)),
                dielectric=_MURATA_DIELECTRIC.get(m.group(2)), voltage=_VOLTAGE_CODES.get(m.group(3)),
                tolerance=_TOLERANCE_LETTERS[m.group(5)], maker="murata")


def _samsung_cap(text: str, out: ProductText) -> bool:
    m = re.search(r"\bCL(\d{2})([A-Z])(\d{3}|\dR\d)([BCDFGJKMZ])([A-Z])", text)
    if not m:
        return False
    return _set(out, "capacitor", "mlcc", main=_pf(m.group(3)), package=_SAMSUNG_SIZE.get(m.group(1)),
                dielectric=_SAMSUNG_DIELECTRIC.get(m.group(2)), voltage=_SAMSUNG_VOLTAGE.get(m.group(5)),
                tolerance=_TOLERANCE_LETTERS[m.group(4)], maker="samsung")


def _tdk_cap(text: str, out: ProductText) -> bool:
    m = re.search(r"\bC(1005|1608|2012|3216|3225|4532)(X[5-8][RS]|C0G|Y5V)(\d[A-Z])(\d{3}|\dR\d)([BCDFGJKMZ])",
                  text)
    if not m:
        return False
    return _set(out, "capacitor", "mlcc", main=_pf(m.group(4)), package=_METRIC_PACKAGES[m.group(1)],
                dielectric=_DIELECTRICS.get(m.group(2)), voltage=_VOLTAGE_CODES.get(m.group(3)),
                tolerance=_TOLERANCE_LETTERS[m.group(5)], maker="tdk")


def _yageo_cap(text: str, out: ProductText) -> bool:
    m = re.search(r"\bCC(0201|0402|0603|0805|1206|1210)([BCDFGJKMZ])R(X[5-8]R|NPO|NP0|Y5V)(\d)BB(\d{3}|\dR\d)",
                  text)
    if not m:
        return False
    return _set(out, "capacitor", "mlcc", main=_pf(m.group(5)), package=m.group(1),
                dielectric=_DIELECTRICS.get(m.group(3)), voltage=_YAGEO_VOLTAGE.get(m.group(4)),
                tolerance=_TOLERANCE_LETTERS[m.group(2)], maker="yageo")


def _fenghua_cap(text: str, out: ProductText) -> bool:
    m = re.search(r"\b(0201|0402|0603|0805|1206|1210)(B|CG|N|F)(\d{3}|\dR\d)([BCDFGJKMZ])(\d{3})NT\b", text)
    if not m:
        return False
    dielectric = {"B": "X7R", "CG": "C0G", "N": "C0G", "F": "Y5V"}[m.group(2)]
    return _set(out, "capacitor", "mlcc", main=_pf(m.group(3)), package=m.group(1), dielectric=dielectric,
                voltage=_plain(_eia(m.group(5))), tolerance=_TOLERANCE_LETTERS[m.group(4)], maker="fenghua")


_PART_NUMBER_READERS = (_walsin_resistor, _yageo_resistor, _samsung_resistor, _fenghua_resistor,
                        _uniroyal_resistor, _murata_cap, _samsung_cap, _tdk_cap, _yageo_cap, _fenghua_cap)


def _pf(code: str) -> str:
    if "R" in code:
        return _plain(Decimal(code.replace("R", ".")))
    return _plain(_eia(code))


# ---- bearings, seals, cables, valves, fasteners, drawings ------------------------------

_BEARING_RE = re.compile(r"(?<![A-Z0-9.×X*])(\d{3,6})[-/ ]?"
                         r"(2RS1|2RSR|2RSH|2RS|RS1|RS|2RZ|RZ|2ZR|2Z|ZZ|Z|DDU|LLU|LLB|DU|NR)?"
                         r"[-/ ]?(C[0-5])?(?![A-Z0-9.×X*])")
# a bearing number without the word "bearing": only with a seal or clearance code glued on
_BEARING_HINT_RE = re.compile(r"(?<![A-Z0-9])6\d{3}-?(?:2RS1?|2RSR|2Z|ZZ|DDU|LLU|RS|Z)?[-/]?C3(?![A-Z0-9])|"
                              r"(?<![A-Z0-9])6\d{3}-?(?:2RS1?|2RSR|2Z|ZZ|DDU|LLU)(?![A-Z0-9])")


def _read_bearing(upper: str, out: ProductText) -> None:
    # a seal glued on ("62042RS-C3") first: read apart, "62042" would be no bearing number
    for m in re.finditer(r"(?<![A-Z0-9])(6\d{3})(2RS1?|2RSR|2ZR|2Z|ZZ)(?:[-/ ]?(C[0-5]))?(?![A-Z0-9])", upper):
        out.family, out.kind = "bearing", "deep-groove"
        out.main = m.group(1)
        out.seal = _SEAL_KIND[_BEARING_SEALS[m.group(2)]]
        out.clearance = m.group(3) or _clearance(upper)
        return
    for m in _BEARING_RE.finditer(upper):
        number, seal, clearance = m.groups()
        old = None
        if len(number) >= 5 and not number.startswith("6") or number[:2] in ("80",) and len(number) == 5:
            for prefix, kind in sorted(_OLD_BEARING_PREFIX.items(), key=lambda p: -len(p[0])):
                if number.startswith(prefix) and len(number) - len(prefix) == 3:
                    old, number = kind, "6" + number[len(prefix):]
                    break
        if not re.fullmatch(r"6\d{3}|16\d{3}|6\d{2}|60\d{2}", number):
            continue
        if number.startswith("6") and len(number) == 5 and seal is None and not number.startswith("16"):
            # "62042" is 6204 with a 2RS/2Z glued on, handled above; a bare five-digit
            # number is no deep-groove bearing
            continue
        out.family, out.kind = "bearing", out.kind or "deep-groove"
        out.main = number
        out.seal = _SEAL_KIND.get(_BEARING_SEALS.get(seal or "", "")) or old or "open"
        out.clearance = clearance or out.clearance or _clearance(upper)
        return


def _clearance(upper: str) -> str:
    """A bearing's radial clearance written apart from its number ("6204-2RS bearing C3")."""
    m = re.search(r"(?<![A-Z0-9])C[2-5](?![A-Z0-9])", upper)
    return m.group(0) if m else "CN"


def _dims(text: str, count: int) -> str | None:
    for m in re.finditer(r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*mm)?(?:\s*x\s*(?:cs\s*)?(\d+(?:\.\d+)?)(?:\s*mm)?)"
                         r"(?:\s*x\s*(\d+(?:\.\d+)?))?", text):
        numbers = [g for g in m.groups() if g]
        if len(numbers) >= count:
            return "x".join(_plain(Decimal(n)) for n in numbers[:count])
    return None


def _read_seal(rest: str, out: ProductText) -> None:
    text = re.sub(r"(?<![a-z])(?:id|od)\s*", "", rest)
    text = re.sub(r"\s*mm\s*x\s*cs\s*", "x", text)
    text = re.sub(r"(?<=\d)[\-*](?=\d)", "x", text)
    if out.kind == "oil-seal" or re.search(r"(?<![a-z])(tc|sc|tg|tb|ta|vc)[\s\-,]*\d", text):
        if t := re.search(r"(?<![a-z])(tc|sc|tg|tb|ta|vc)(?![a-z])", text):
            out.extra.append(t.group(1))
        dims = _dims(text, 3)
        if dims:
            out.family, out.kind, out.main = "seal", "oil-seal", dims
        return
    if out.kind == "o-ring":
        out.main = _dims(text, 2)
        if h := re.search(r"(?:nbr|fkm|epdm|vmq|丁腈|氟橡胶|三元乙丙)\s*(\d{2})(?!\d)", text):
            out.extra.append(h.group(1))


# a cable's colour tells its variants apart (a blue core is not a black one)
_CABLE_COLOURS = {"黄绿双色": "yellow-green", "黄绿": "yellow-green", "yellow-green": "yellow-green",
                  "yellow/green": "yellow-green", "green-yellow": "yellow-green", "gn/ye": "yellow-green",
                  "grün-gelb": "yellow-green", "gruen-gelb": "yellow-green", "红色": "red", "red": "red", "rot": "red",
                  "蓝色": "blue", "blue": "blue", "blau": "blue", "黑色": "black", "black": "black",
                  "schwarz": "black", "棕色": "brown", "brown": "brown", "braun": "brown", "灰色": "grey",
                  "grey": "grey", "gray": "grey", "grau": "grey", "白色": "white", "white": "white", "weiss": "white",
                  "weiß": "white",
                  "黄色": "yellow", "yellow": "yellow", "gelb": "yellow", "绿色": "green", "green": "green",
                  "grün": "green", "gruen": "green"}
_CABLE_COLOUR_RE = re.compile(
    "|".join(re.escape(c) if _cjk(c) else rf"(?<![a-z/\-]){re.escape(c)}(?![a-z/\-])"
             for c in sorted(_CABLE_COLOURS, key=len, reverse=True)))


def _read_cable(upper: str, out: ProductText) -> None:
    kind = re.search(r"(H05VV-F|H07RN-F)|(?<![A-Z])(RVVP|RVV|KVVP|KVV|YJV22|YJV|YJLV|BVR|BVV|BV|RV|VV)(?![A-Z])",
                     upper)
    if kind is None and out.family != "cable":
        return
    text = re.sub(r"(?<=\d),(?=\d{1,2}(?!\d))", ".", upper)  # decimal comma: 2X0,75
    text = re.sub(r"(\d+)\s*(?:芯|CORES?)\s*(?:[Xx*]\s*)?(\d+(?:\.\d+)?)\s*(?:平方|MM2|MM²|SQ\.?\s*MM)?", r"\1x\2",
                  text)
    text = re.sub(r"(?<=\d)\s*C\s*X\s*", "x", text)
    text = re.sub(r"(?<=\d)G(?=\d)", "x", text)  # 3G1.5: three cores, one of them earth
    text = re.sub(r"(\d+)\s*[,\s]*X\s*[,\s]*(?=\d)", r"\1x", text)
    cores = re.search(r"(?<![\d.])(\d{1,2})\s*x\s*(\d+(?:\.\d+)?)(?:\s*\+\s*(\d)\s*x\s*(\d+(?:\.\d+)?))?", text)
    out.family = "cable"
    out.kind = (kind.group(1) or kind.group(2)) if kind else out.kind
    if cores:
        out.main = "x".join(_plain(Decimal(g)) for g in cores.groups() if g)
    elif single := re.search(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:MM2|MM²|平方|SQ\.?\s*MM)", text):
        out.main = f"1x{_plain(Decimal(single.group(1)))}"
    if v := re.search(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(K?)V", text):
        scale = 1000 if v.group(3) else 1
        out.voltage = f"{_plain(Decimal(v.group(1)) * scale)}/{_plain(Decimal(v.group(2)) * scale)}"
    colours = {_CABLE_COLOURS[c] for c in _CABLE_COLOUR_RE.findall(text.lower())}
    if colours:
        out.extra.append("+".join(sorted(colours)))


def _read_valve(upper: str, rest: str, out: ProductText) -> None:
    code = re.search(r"(?<![A-Z0-9])([QJZDH])(\d)(\d)([A-Z])(?:\d)?-?(\d{2,3})([PRCQZ])(?![A-Z0-9])", upper)
    # in the text without its type words ("KUGELHAHNDN65"), a material glued on ("DN80316")
    dn = re.search(r"(?<![A-Z])DN\s*(\d{2,4})(?:(?!\d)|(?=30[14]|316))", rest.upper())
    size = None
    if dn is not None:
        size = dn.group(1)
    elif out.family == "valve" and (inch := _INCH_RE.search(upper)):
        size = _INCH_DN.get(re.sub(r"\s", "-", inch.group(1)))
    if code is None and size is None:
        return
    if code is not None:
        out.family = "valve"
        out.kind = _VALVE_CODES[code.group(1)].split("/")[1] if out.kind is None or out.family != "valve" else out.kind
        out.pressure = code.group(5).lstrip("0")
        out.material = _VALVE_BODY.get(code.group(6))
    if out.family is None and size is not None and not re.search(r"管|pipe|flange|法兰(?!.*阀)", rest):
        out.family = "valve"
    if out.family != "valve":
        return
    if size is not None:
        out.main = f"DN{size}"
    if pn := re.search(r"(?<![A-Z])PN\s*(\d{1,3})(?!\d)", upper):
        out.pressure = pn.group(1)


# standard name ("iso4017") -> family/kind/standard
_STANDARDS = dict(_lexicon("product_standards.txt"))
_STANDARD_NAME_RE = re.compile(r"(?<![a-z])(gb|din|iso)\s*(?:/\s*t\s*)?(\d+(?:\.\d+)?)(?![\d.])")
# a hex bolt's thread, where no standard says it: DIN 931 partial, DIN 933 full
_PARTIAL_THREAD_RE = re.compile(r"半牙|半螺纹|(?:partial|part|half)[\s-]*thread|teilgewinde")
_FULL_THREAD_RE = re.compile(r"全牙|全螺纹|full[\s-]*thread|fully[\s-]*threaded|vollgewinde")
_PROPERTY_CLASS_RE = re.compile(r"(?<![\d.])(?:4\.6|4\.8|5\.6|5\.8|6\.8|8\.8|10\.9|12\.9)(?![\d.])(?:\s*级)?")
# the hole of a plain washer (ISO 7089 / DIN 125) names its thread: 6.4 is an M6 washer
_WASHER_HOLES = {"1.7": "1.6", "2.2": "2", "2.7": "2.5", "3.2": "3", "4.3": "4", "5.3": "5", "6.4": "6",
                 "8.4": "8", "10.5": "10", "13": "12", "15": "14", "17": "16", "19": "18", "21": "20",
                 "23": "22", "25": "24", "28": "27", "31": "30", "37": "36"}
_THREAD_SIZES = {"1.6", "2", "2.5", "3", "4", "5", "6", "8", "10", "12", "14", "16", "18", "20", "22", "24", "27",
                 "30", "36"}


def _read_standard(rest: str, out: ProductText) -> None:
    """The fastener standard (DIN, ISO, GB) the text names, and the kind it makes the item."""
    for m in _STANDARD_NAME_RE.finditer(rest):
        concept = _STANDARDS.get(m.group(1) + m.group(2))
        if concept is None:
            continue
        family, kind, standard = concept.split("/")
        out.family, out.kind, out.standard = family, out.kind or kind, standard
        return
    if out.kind == "hex-bolt":
        if _PARTIAL_THREAD_RE.search(rest):
            out.standard = "din931"
        elif _FULL_THREAD_RE.search(rest):
            out.standard = "din933"
    elif out.kind == "socket-cap":
        # a kind of one standard: the text that names it and the one that does not agree
        out.standard = "din912"


_THREAD_RE = re.compile(
    r"(?<![a-z0-9.])m(\d{1,2}(?:\.\d)?)(?:\s*x\s*(\d{1,3}?)(?=304|316|8\.8|10\.9|12\.9|a[24]-|(?!\d)))?"
)
_STANDARD_RE = re.compile(r"(?<![a-z])(?:gb/?t?|din|iso|jis)\s*\d+(?:\.\d+)?")


def _read_fastener(rest: str, out: ProductText) -> None:
    _read_standard(rest, out)
    text = _STANDARD_RE.sub(" ", rest)
    m = _THREAD_RE.search(text)
    if m is None:
        if out.kind == "washer":
            _read_washer_hole(text, out)
        return
    out.family = "fastener"
    out.main = f"M{m.group(1)}" + (f"x{m.group(2)}" if m.group(2) else "")


def _read_washer_hole(text: str, out: ProductText) -> None:
    """A plain washer written by its hole ("U-SCHEIBE DIN125 6.4") or its bare thread size."""
    for number in re.findall(r"(?<![\d.a-z])(\d+(?:\.\d+)?)(?![\d.]|\s*(?:mm\s*)?x)",
                             _PROPERTY_CLASS_RE.sub(" ", text)):
        size = _WASHER_HOLES.get(number) or (number if number in _THREAD_SIZES else None)
        if size is not None:
            out.main = f"M{size}"
            return


_DRAWING_RE = re.compile(
    r"(?<![A-Z0-9])((?:[A-Z]{1,4}-\d{4}-\d{3,5})|(?:\d{4}-\d{4}-\d{2})|(?:\d{2}\.\d{4}\.\d{3}))"
    r"(?:[\s,]*(?:REV\.?\s*|[-/(（]|\s|版本)?\s*([A-H])(?:版|\)|）)?)?(?![A-Z0-9])"
)


def _read_drawing(upper: str, out: ProductText) -> None:
    m = _DRAWING_RE.search(upper)
    if m is None:
        return
    out.family = out.family or "part"
    out.kind = out.kind or "drawing"
    out.main = m.group(1)
    revision = m.group(2)
    if revision is None and (r := re.search(r"REV\.?\s*([A-H])(?![A-Z])|(?<![A-Z])([A-H])版", upper)):
        revision = r.group(1) or r.group(2)
    out.revision = revision


_MOTOR_POWER_RE = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(KW|千瓦|W)(?![A-Z])")
_MOTOR_POLES_RE = re.compile(r"(?<![\d.])([2468])\s*(?:-?\s*POLES?|P|极)(?![A-Z])")
# a Chinese frame designation ends in the poles: YE3-132M2-6
_MOTOR_FRAME_RE = re.compile(r"(?<![A-Z])Y[A-Z]*\d?-\d{2,3}[SML]?\d?-([2468])(?!\d)")
_MOTOR_RPM_RE = re.compile(r"(?<![\d.])(\d{3,4})\s*(?:RPM|R/MIN|转)")
_MOTOR_MOUNTING_RE = re.compile(r"(?<![A-Z0-9])(B35|B34|B14|B3|B5|V1|V15|V18)(?![A-Z0-9])")


def _read_motor(upper: str, out: ProductText) -> None:
    """An electric motor: its power and poles as the main value ("1.5kW 2P"), its
    mounting (B3, B5, B35) as a detail. Poles come from "2P", "2-pole", "6极", the end of a
    frame designation (YE3-132M2-6) or the rated speed (2900 rpm: 2 poles, 970: 6)."""
    power = _MOTOR_POWER_RE.search(upper)
    if power is None:
        return
    kw = Decimal(power.group(1).replace(",", "."))
    if power.group(2) == "W":
        kw /= 1000
    poles = None
    if m := _MOTOR_POLES_RE.search(upper) or _MOTOR_FRAME_RE.search(upper):
        poles = m.group(1)
    elif (rpm := _MOTOR_RPM_RE.search(upper)) and 500 <= int(rpm.group(1)) <= 3600:
        poles = str(2 * round(3000 / int(rpm.group(1))))
    out.main = f"{_plain(kw)}kW" + (f" {poles}P" if poles else "")
    if mounting := _MOTOR_MOUNTING_RE.search(upper):
        out.extra.append(mounting.group(1))


_QUANTITY_RE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(ml|毫升|m升|l|升|kg|公斤|g|克|mm|cm|m|目)(?![a-z])")
_QUANTITY_UNITS = {"毫升": "ml", "m升": "ml", "升": "l", "公斤": "kg", "克": "g"}


def _read_toner(rest: str, out: ProductText) -> None:
    """A toner by its maker's part number (CF217A, Q2612A, TN-2325), not the series alias
    (17A); a compatible one is another product than the original."""
    if m := re.search(r"(?<![a-z0-9])([a-z]{1,3})-?(\d{3,5}[a-z]{0,2})(?![a-z0-9])", rest):
        out.main = (m.group(1) + m.group(2)).upper()
    if re.search(r"compatible|兼容|kompatibel", rest):
        out.extra.append("compatible")
    elif re.search(r"original|genuine|原装", rest):
        out.extra.append("original")


_BATTERY_SIZES = {"aaa": "AAA", "lr03": "AAA", "7号": "AAA", "aa": "AA", "lr6": "AA", "5号": "AA", "9v": "9V",
                  "6lr61": "9V", "cr2032": "CR2032"}


def _read_battery(rest: str, out: ProductText) -> None:
    """A battery by its size (AA = LR6 = 5号), the pack size as a detail."""
    found = re.search(r"(?<![a-z0-9])(aaa|lr03|aa|lr6|9v|6lr61|cr2032)(?![a-z0-9])|([57]号)", rest)
    if found is None:
        return
    out.main = _BATTERY_SIZES[found.group(1) or found.group(2)]
    if pack := re.search(r"(\d+)\s*(?:er)?[\s-]*(?:pack|粒|节|pcs)|pack\s*of\s*(\d+)", rest):
        out.extra.append(f"x{pack.group(1) or pack.group(2)}")


def _read_generic(rest: str, out: ProductText) -> None:
    """Numbers with their units, sizes and grit: the spec of whatever else the text names."""
    tokens = []
    for number, unit in _QUANTITY_RE.findall(rest):
        unit = _QUANTITY_UNITS.get(unit, unit)
        value = Decimal(number)
        if unit == "l":
            value, unit = value * 1000, "ml"
        if unit == "kg":
            value, unit = value * 1000, "g"
        tokens.append(f"{_plain(value)}{unit}")
    stripped = _QUANTITY_RE.sub(" ", rest)
    for dims in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?)+", stripped):
        tokens.append(dims)
    stripped = re.sub(r"(?<![\d.])\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?)+", " ", stripped)
    tokens.extend(re.findall(r"(?<![a-z0-9])(?:a[345]|p\d{2,4}|[sml]|xl|xxl)(?=码|\s|$|[^a-z0-9])", stripped))
    tokens.extend(re.findall(r"(?<![a-z0-9.])(?:[a-z]+-?\d+[a-z0-9]*|\d+[a-z]+\d*)(?![a-z0-9])", stripped))
    tokens.extend(re.findall(r"(?<![a-z0-9.])x\d+(?![\d.])", stripped))  # a pack: "15g x 30"
    tokens.extend(re.findall(r"(?<![a-z0-9.+\-])\d{2,4}(?![a-z0-9.+\-])", stripped))  # a product number: Loctite 271
    if tokens:
        out.main = " ".join(sorted(set(tokens)))


@lru_cache(maxsize=131072)
def read_product_cached(name: str | None, spec: str | None, brand: str | None) -> ProductText:
    """read_product of a name, a spec and a brand, cached (records repeat their texts)."""
    return read_product(name, spec, brand)
