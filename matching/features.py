"""Matching features: columns derived from standardized attributes, in one place.

The matcher compares these columns, never the raw attributes. Every function here is pure
Python (no Django, no Splink), deterministic and cheap, so batch matching (Splink on DuckDB
or Spark), the real-time scorer and the tests all see the same values.

Input rows hold the stored attributes (``name``, ``name__core``, ``tax_id``, ...: see
mdm/standardize/); `features(domain, row)` returns a flat dict of feature columns
(strings, numbers, booleans, lists of strings, or None). Missing stays None, never "".

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

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from pypinyin import lazy_pinyin
from pypinyin.constants import PINYIN_DICT

from mdm.standardize import FOREIGN_COUNTRY_REGIONS

FeatureRow = dict[str, Any]

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[a-z0-9]+")
_NON_ALNUM_RE = re.compile(r"[\W_]+")

# Public web-mail domains say nothing about which company a mailbox belongs to.
FREE_MAIL_DOMAINS = frozenset(
    """
    qq.com foxmail.com 163.com 126.com yeah.net sina.com sina.cn sohu.com aliyun.com 139.com
    189.cn wo.cn tom.com 21cn.com gmail.com googlemail.com outlook.com hotmail.com live.com
    msn.com yahoo.com yahoo.co.jp ymail.com icloud.com me.com aol.com gmx.de gmx.net web.de
    t-online.de mail.ru yandex.ru proton.me protonmail.com
    """.split()
)


# Role mailboxes name a function, not a person: group companies on one mail domain each
# have an info@ and a sales@, so two equal role addresses say no more than the domain does.
ROLE_MAILBOXES = frozenset(
    """
    info information contact contactus contacts sales sale service services support office admin
    administrator hr jobs career careers marketing market mail email enquiry enquiries inquiry
    inquiries hello hi post postmaster webmaster business biz purchase purchasing procurement
    finance account accounts accounting billing invoice order orders export import trade kefu
    """.split()
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


@lru_cache(maxsize=65536)
def pinyin(text: str, by_char: bool = False) -> str:
    """Toneless pinyin of `text`, letters and digits only ("厦门" → "xiamen"); Latin text is
    folded and kept. By default words are read with pypinyin's phrase dictionary (place
    and person names); `by_char` reads each character on its own (brands are not words)."""
    folded = _fold(text)
    if not has_cjk(folded):
        return _NON_ALNUM_RE.sub("", folded)
    return _NON_ALNUM_RE.sub("", "".join(char_syllables(folded) if by_char else lazy_pinyin(folded)))


@lru_cache(maxsize=65536)
def char_syllables(text: str) -> tuple[str, ...]:
    """Each Chinese character of `text` read on its own, other characters as they are."""
    return tuple(lazy_pinyin(char)[0] if _CJK_RE.match(char) else char for char in _fold(text))


def pinyin_variants(text: str) -> list[str]:
    """The phrase and character-by-character readings, distinct and sorted."""
    return sorted({pinyin(text), pinyin(text, by_char=True)} - {""})


# Foreign names in Chinese are transliterated syllable by syllable (施耐德 / Schneider, 菲舍尔 /
# Fischer, 西门子 / Siemens). Their sound keys compare the consonants both spellings keep:
# sounds a transliteration renders alike share a class, a syllable-final nasal belongs to
# the vowel before it (门 men, 生 sheng), an r before a consonant is not written (马丁 /
# Martin), and a final -r or -l may or may not be (施耐德 / Schneider, 菲舍尔 / Fischer).
_PINYIN_CLASS = {
    "zh": "S", "ch": "S", "sh": "S", "b": "B", "p": "B", "d": "D", "t": "D", "g": "G", "k": "G",
    "h": "H", "f": "F", "w": "F", "m": "M", "n": "N", "l": "L", "r": "L",
    "j": "S", "q": "S", "x": "S", "z": "S", "c": "S", "s": "S",
}
_LATIN_SOUND_RE = re.compile(r"tsch|sch|sh|ch|ph|th|ck|qu|tz|ts|[a-z]")
_LATIN_CLASS = {
    "tsch": "S", "sch": "S", "sh": "S", "ch": "S", "ph": "F", "th": "D", "ck": "G", "qu": "G",
    "tz": "S", "ts": "S", "b": "B", "p": "B", "d": "D", "t": "D", "c": "G", "g": "G", "k": "G", "q": "G",
    "x": "GS", "s": "S", "z": "S", "j": "S", "f": "F", "v": "F", "w": "F", "m": "M", "n": "N",
    "l": "L", "r": "R", "h": "H",
}
_VOWELS = frozenset("aeiouy")


def _sound_variants(classes: list[str]) -> list[str]:
    """The key and, when it ends in L, the key without it; keys under 2 sounds are dropped."""
    key = "".join(classes)
    keys = {key, key[:-1]} if key.endswith("L") else {key}
    return sorted(k for k in keys if len(k) >= 2)


def _pinyin_sound(text: str) -> list[str]:
    classes: list[str] = []
    for syllable in char_syllables(text):
        if syllable == "er":
            classes.append("L")
            continue
        initial = syllable[:2] if syllable[:2] in _PINYIN_CLASS else syllable[:1]
        # y and vowel-initial syllables add no consonant; 保时捷 / Porsche: one S
        if initial in _PINYIN_CLASS and not (classes and classes[-1] == _PINYIN_CLASS[initial]):
            classes.append(_PINYIN_CLASS[initial])
    return _sound_variants(classes)


def _latin_sound(word: str) -> list[str]:
    tokens = _LATIN_SOUND_RE.findall(word)
    classes: list[str] = []
    previous_consonant = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _VOWELS:
            previous_consonant = False
            continue
        sound = _LATIN_CLASS.get(token, "")
        if token == "c" and following[:1] in ("e", "i", "y"):
            sound = "S"
        elif token == "ch" and not following:
            sound = "H"  # Bach: 巴赫
        elif token == "h" and i > 0:
            sound = ""  # Köhler: silent after a vowel; after a consonant part of it
        elif token in ("n", "m") and i > 0 and following not in _VOWELS:
            sound = ""  # the nasal final of the syllable before
        elif token == "r":
            sound = "L" if following in _VOWELS or not following else ""
        for c in sound:
            if not (previous_consonant and classes and classes[-1] == c):
                classes.append(c)
        previous_consonant = bool(sound) or previous_consonant
    return _sound_variants(classes)


@lru_cache(maxsize=65536)
def sound_keys(brand: str) -> tuple[str, ...]:
    """Consonant keys of a brand for comparing it with its transliteration in the other
    script: 施耐德 and Schneider both give "SND", 菲舍尔 and Fischer "FSL"."""
    if has_cjk(brand):
        return tuple(_pinyin_sound(brand))
    return tuple(_latin_sound(_NON_ALNUM_RE.sub("", _fold(brand))))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü as v) with a vowel, from pypinyin's dictionary."""
    found = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading.replace("ü", "v"))
                            if not unicodedata.combining(c))
            if any(v in plain for v in "aeiouv"):
                found.add(plain)
    return frozenset(found)


@lru_cache(maxsize=65536)
def reads_as_pinyin(word: str) -> bool:
    """Whether `word` splits into pinyin syllables ("huawei", "hongyilei"; not "weber")."""
    syllables = _syllables()
    ends = {0}
    for end in range(1, len(word) + 1):
        if any(start in ends and word[start:end] in syllables for start in range(max(0, end - 6), end)):
            ends.add(end)
    return len(word) in ends


def _transliteration_keys(brand: str | None, words: list[str], script: str, foreign: bool) -> list[str] | None:
    """Sound keys of a brand that may be a transliteration or its original: a Latin brand
    that does not read as pinyin (a Chinese company's English name is its pinyin, compared
    as such: Huawei must not meet 海湾 by sound), a Chinese brand of a foreign company (its
    name starts with its country: 德国科勒) or of three consonant sounds or more (two are
    shared by too many Chinese brands: 博世, 宝山, 百盛)."""
    if not brand:
        return None
    if script == "latin":
        keys = {k for word in words if not reads_as_pinyin(word) for k in sound_keys(word)}
    else:
        keys = {k for k in sound_keys(brand) if foreign or len(k) >= 3}
    return sorted(keys) or None


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or value != value:  # NaN from pandas
        return None
    value = str(value).strip()
    return value or None


# ---------------------------------------------------------------------------
# Organisations (customer, supplier)
# ---------------------------------------------------------------------------

_CITY_SUFFIX_RE = re.compile(r"(?:市|地区|自治州|盟)$")
# Chinese street addresses: the street and house number identify the building; the floor or
# room the unit. Whatever precedes the street (province, city, district) is dropped.
_CN_ROAD_SUFFIXES = ("大道", "大街", "胡同", "路", "街", "道", "巷", "弄")
_CN_STREET_RE = re.compile(rf"([\u4e00-\u9fff]{{1,12}}?(?:{'|'.join(_CN_ROAD_SUFFIXES)}))\s*(\d+)\s*(?:号|#)?")
# provinces and municipalities as they are glued before a street without 省 or 市
_CN_PROVINCES = tuple(
    """北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南
    四川 贵州 云南 陕西 甘肃 青海 内蒙古 广西 西藏 宁夏 新疆""".split()
)
_CN_UNIT_RE = re.compile(r"(\d+)\s*(?:层|楼|f|F|室)?\s*$")
_LATIN_ADDRESS_NOISE = frozenset({"no", "floor", "room", "suite", "building"})


def city_key(city: str | None) -> str | None:
    """City as comparable pinyin or folded Latin: 厦门 / 厦门市 / Xiamen → "xiamen"."""
    if not city:
        return None
    folded = _fold(city).strip()
    if has_cjk(folded):
        folded = _CITY_SUFFIX_RE.sub("", folded)
    else:
        folded = unicodedata.normalize("NFD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return pinyin(folded) or None


def _strip_place_prefix(street: str, places: Iterable[str]) -> str:
    """The street without a province or city name glued before it, written without 省/市
    ("上海滨江大道" → "滨江大道"), as long as a road name of 2+ characters is left: "南京路"
    and "北京东路" are roads named after a city, not a city before a road."""
    for place in sorted((p for p in places if p and street.startswith(p)), key=len, reverse=True):
        rest = street[len(place) :]
        suffix = next((s for s in _CN_ROAD_SUFFIXES if rest.endswith(s)), "")
        if len(rest) - len(suffix) >= 2:
            return _strip_place_prefix(rest, places)
    return street


def address_keys(address: str | None, city: str | None = None) -> tuple[str | None, str | None]:
    """(building, unit): "福建省厦门市集美区学院路216号科技大厦7层" → ("学院路216", "7"); a
    province or city named without 省/市 ("上海滨江大道251号", or the record's own `city`) is
    dropped like one named with it.

    Latin addresses: the house number and the street's first word, no unit."""
    if not address:
        return None, None
    folded = _fold(address)
    m = _CN_STREET_RE.search(folded)
    if m is not None:
        street = m.group(1)
        # keep only the last road name when a district or city was glued before it
        for marker in ("区", "县", "市", "镇"):
            if marker in street[:-1]:
                street = street.rsplit(marker, 1)[1] or street
        city_name = _CITY_SUFFIX_RE.sub("", _fold(city).strip()) if city and has_cjk(city) else None
        street = _strip_place_prefix(street, (*_CN_PROVINCES, *((city_name,) if city_name else ())))
        building = f"{street}{m.group(2)}"
        unit_match = _CN_UNIT_RE.search(folded[m.end() :].split(" ")[0] if " " in folded[m.end() :] else folded[m.end() :])
        return building, (unit_match.group(1) if unit_match else None)
    if has_cjk(folded):
        compact = _NON_ALNUM_RE.sub("", folded)
        return compact or None, None
    # Latin: house number and the first word of the street ("51 Zanker Road, San Jose" and
    # "51 Zanker Rd." → "51 zanker"); city, state and postcode that follow are ignored
    words = [w for w in _LATIN_WORD_RE.findall(folded) if w not in _LATIN_ADDRESS_NOISE]
    number = next((w for w in words if w.isdigit()), None)
    word = next((w for w in words if w.isalpha() and len(w) > 1), None)
    return (f"{number} {word}" if number and word else None), None


# Trade (industry) words in Chinese and English mapped to one concept, so that the trade of
# "Jinhongchen Information Technology" can be compared with that of 金宏晨精密制造.
_TRADE_CONCEPTS = """
tech 科技 技术 technology technologies tech technik
measurement 测量 测控 计量 measurement measuring metrology
measurement+tech messtechnik
info 信息 information info
electronics 电子 electronics electronic elektronik
component 元件 元器件 components component
electric 电气 电器 electric electrical elektro
electric+tech elektrotechnik
machinery 机械 machinery machine machines mechanical
precision 精密 precision
manufacturing 制造 manufacturing manufacture
machinery+manufacturing maschinenbau
intelligent 智能 intelligent smart
equipment 装备 设备 equipment
automation 自动化 automation automatisierung
environment 环保 环境 environmental environment
bio 生物 bio biology
bio+tech biotechnology biotech
pharma 医药 制药 药业 pharmaceutical pharmaceuticals pharma
medical 医疗 医疗器械 medical
chemical 化工 化学 chemical chemicals chemie
trade 贸易 商贸 经贸 工贸 trading trade
logistics 物流 logistics
opto 光电 optoelectronics optoelectronic photoelectric
new 新 new
new+materials 新材料
new+energy 新能源
materials 材料 原料 materials material raw
software 软件 software
network 网络 network networks
communication 通信 通讯 communications communication telecom
auto 汽车 automotive auto
parts 零部件 配件 部件 parts
food 食品 food foods
construction 建设 建筑 construction
energy 能源 energy
hardware 五金 hardware
steel 钢铁 钢 steel
pipe 管 管材 pipe pipes
steel+pipe 钢管
packaging 包装 packaging
fastener 紧固件 fasteners fastener
bearing 轴承 bearing bearings
mould 模具 mould moulds mold molds
metal 金属 metal metals
products 制品 产品 products product
industrial 实业 工业 industrial industries industry
investment 投资 investment investments
development 发展 development
instruments 仪器 仪表 instruments instrument
textile 纺织 textile textiles
garment 服装 garment garments apparel
semiconductor 半导体 semiconductor semiconductors
"""


def _build_trade_lexicon() -> dict[str, str]:
    lexicon = {}
    for line in _TRADE_CONCEPTS.strip().splitlines():
        concept, *forms = line.split()
        for form in forms:
            lexicon[form] = concept
    return lexicon


_TRADE_LEXICON = _build_trade_lexicon()
_TRADE_FORMS = sorted(_TRADE_LEXICON, key=len, reverse=True)
_LEGAL_WORDS = frozenset("co ltd limited company inc incorporated corp corporation llc gmbh ag kg group plc sa".split())


@lru_cache(maxsize=65536)  # scans every lexicon form at each position; trades repeat
def trade_key(trade: str) -> tuple[str, bool]:
    """(key, mapped): the trade's concepts sorted ("信息技术" and "informationtechnology"
    → "info tech", True), or the trade itself when some of it is not in the lexicon."""
    rest, concepts, i = trade, set(), 0
    leftover = []
    while i < len(rest):
        form = next((f for f in _TRADE_FORMS if rest.startswith(f, i)), None)
        if form is None:
            leftover.append(rest[i])
            i += 1
            continue
        concepts.update(_TRADE_LEXICON[form].split("+"))
        i += len(form)
    if concepts and not "".join(leftover).strip():
        return " ".join(sorted(concepts)), True
    return trade, False


@lru_cache(maxsize=65536)
def strip_trade(brand: str) -> str:
    """`brand` without trailing trade words of the lexicon that the standardizer left
    ("瑞立精汽车零部件" → "瑞立精"), keeping at least 2 CJK or 3 Latin characters. A single
    Chinese character is only taken for a trade when 3 characters are left: 新, 钢 and 管
    end two-character brands (博拓新 → 博拓 would be wrong; 宝钢), while 宏新方钢管 → 宏新方."""
    minimum = 2 if has_cjk(brand) else 3
    for _ in range(4):
        form = next(
            (f for f in _TRADE_FORMS
             if brand.endswith(f) and len(brand) - len(f) >= (3 if len(f) == 1 and has_cjk(f) else minimum)),
            None,
        )
        if form is None:
            break
        brand = brand[: -len(form)]
    return brand


def _web_domains(row: Mapping[str, Any]) -> list[str] | None:
    domains = {
        d.lower()
        for d in (_text(row, "email__domain"), _text(row, "website__domain"))
        if d and d.lower() not in FREE_MAIL_DOMAINS
    }
    return sorted(domains) or None


# A run of toneless pinyin syllables (approximate: initials, then the finals)
_PINYIN_RE = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|ian|iao|uan|ai|ei|ao|ou|an|en|er|in|un|ia|ie|iu|ua|uo|ue|ui|ve"
    r"|a|o|e|i|u|v))+"
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _latin_first_word(display: str, core: str) -> list[str]:
    """First word of the display name that starts the core ("Beijing Tengpingyuan
    Optoelectronics Co., Ltd." with core "tengpingyuanoptoelectronics" → "tengpingyuan"),
    accents stripped as in the core; a German umlaut also as written out ("Köhler" →
    "kohler", "koehler"), so Köhler meets Koehler. [] when no word starts the core."""
    folded = _fold(display)
    plain = _LATIN_WORD_RE.findall(
        "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    )
    spelt = _LATIN_WORD_RE.findall(folded.translate(_UMLAUTS))
    for i, word in enumerate(plain):
        if core.startswith(word):
            if len(spelt) == len(plain) and spelt[i] != word:
                return [word, spelt[i]]
            return [word]
    return []


def organisation_features(row: Mapping[str, Any]) -> FeatureRow:
    """Features of a customer or supplier row (see the module docstring)."""
    name = _text(row, "name") or ""
    core = _text(row, "name__core") or _NON_ALNUM_RE.sub("", _fold(name)) or None
    brand = _text(row, "name__distinct") or core
    brand = strip_trade(brand) if brand else brand
    script = "cjk" if core and has_cjk(core) else "latin"
    trade, mapped = None, None
    if core and brand and core != brand and core.startswith(brand):
        trade, mapped = trade_key(core[len(brand) :])
    if script == "cjk":
        brand_pinyin = pinyin_variants(brand) if brand else []
    else:
        words = _latin_first_word(name, core) if core else []
        brand_pinyin = words or ([brand] if brand else [])
        # the words after the first that the standardizer did not know as trade words
        # ("Fischer Messtechnik": "messtechnik") are the trade all the same: without them
        # Fischer Messtechnik and Fischer Automation would be one brand, compatible names
        # (unless they read as pinyin: "Xing Cheng An" is one brand written in syllables)
        rest = core[len(words[0]) :] if words and core else ""
        if trade is None and brand and brand != words[0] and rest and not _PINYIN_RE.fullmatch(rest):
            trade, mapped = trade_key(rest)
    region = _text(row, "name__region")
    branch = _text(row, "name__branch")
    building, unit = address_keys(_text(row, "address__folded") or _text(row, "address"), _text(row, "city"))
    email = _text(row, "email")
    email = email.lower() if email else None
    local, _, domain = (email or "").partition("@")
    # compared: a person's mailbox (or any on a free-mail domain); a role mailbox on a company
    # domain only counts through its domain (web_domains). Blocking still uses every address.
    mailbox = email if email and (local not in ROLE_MAILBOXES or domain in FREE_MAIL_DOMAINS) else None
    contact = _text(row, "contact")
    return {
        "nm_core": core,
        "nm_brand": brand,
        "nm_trade": trade,
        "nm_mapped": mapped,
        "nm_script": script,
        "nm_pinyin": brand_pinyin or None,
        # blocking key: for Latin names the umlaut written out (Köhler and Koehler meet)
        "nm_key": (pinyin(brand, by_char=True) if script == "cjk" else brand_pinyin[-1]) if brand_pinyin else None,
        "nm_sound": _transliteration_keys(brand, brand_pinyin, script, region in FOREIGN_COUNTRY_REGIONS),
        "nm_sorted": "".join(sorted(brand)) if brand else None,
        "nm_long": bool(brand and len(brand) >= 3),
        "nm_region": pinyin(region) if region else None,
        "nm_branch": pinyin(branch) if branch else None,
        "tax_id": _text(row, "tax_id"),
        "tax_valid": row.get("tax_id__valid") if row.get("tax_id__valid") is not None else None,
        "phone": _text(row, "phone"),
        "phone_kind": _text(row, "phone__kind") if _text(row, "phone") else None,
        "addr_building": building,
        "addr_unit": unit,
        "postcode": _text(row, "postcode"),
        "city": city_key(_text(row, "city")),
        "email": email,
        "mailbox": mailbox,
        "web_domains": _web_domains(row),
        "contact": pinyin(contact) if contact else None,
        "bank_account": _text(row, "bank_account"),
    }


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

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
        folded_name = folded_name.replace(_fold(spec), " ")
    return " ".join(w for w in folded_name.split() if not _SPEC_LIKE_RE.search(w))


def _material_codes(folded_name: str) -> list[str]:
    return sorted({m.group(1) for m in _MATERIAL_CODE_RE.finditer(folded_name)})


def product_type(name: str, spec: str | None) -> str | None:
    """The product type: "316L不锈钢无缝管" / "不锈钢无缝管 Φ48×2 316L" → "无缝管"."""
    folded = _BRACKETS_RE.sub(" ", _without_spec(_fold(name), spec))
    folded = _MATERIAL_CODE_RE.sub(" ", folded)
    folded = _MATERIAL_WORD_RE.sub(" ", folded)
    runs = _CJK_RUN_RE.findall(folded)
    if runs:  # the type comes first; words people add follow it
        return runs[0]
    words = [w for w in _LATIN_WORD_RE.findall(folded) if not any(c.isdigit() for c in w)]
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
_STANDARD_RE = re.compile(r"(?<![A-Za-z])(?:GB(?:/T)?|DIN|ISO|JIS|ANSI|ASME|国标)(?:\s*\d+(?:[.\-]\d+)*)?(?![A-Za-z0-9.])")
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


def product_features(row: Mapping[str, Any]) -> FeatureRow:
    """Features of a product row (see the module docstring)."""
    name = _text(row, "name") or ""
    spec = _text(row, "spec")
    tokens = spec_tokens(spec) if spec else ()
    compact = _SPEC_SEPARATORS_RE.sub("", _fold(_DRAWING_PREFIX_RE.sub("", spec))) if spec else ""
    folded = _fold(name)
    # a bare grade ("… Φ48×2 304") looks like a number to _without_spec: search the name
    # without the spec text only; the grade list keeps sizes out
    materials = _material_codes(folded.replace(_fold(spec), " ") if spec else folded)
    dielectrics = {t.lower() for t in tokens if _DIELECTRIC_RE.fullmatch(t)}
    tokens = tuple(t for t in tokens if not _DIELECTRIC_RE.fullmatch(t))
    dielectrics.update(m.group(1) for m in _DIELECTRIC_IN_NAME_RE.finditer(folded))
    dielectrics = {_DIELECTRIC_ALIASES.get(d, d) for d in dielectrics}
    brand = _text(row, "brand__folded") or _text(row, "brand")
    barcode = _text(row, "barcode")
    return {
        "pd_type": product_type(name, spec),
        "pd_material": materials or None,
        "pd_dielectric": " ".join(sorted(dielectrics)) or None,
        "sp_key": " ".join(tokens) or None,
        "sp_compact": compact or None,
        "sp_nums": _spec_numbers(tokens) or None,
        "unit": _text(row, "unit"),
        "category": _text(row, "category"),
        "brand": pinyin(brand) if brand else None,
        "pd_brand_script": ("cjk" if has_cjk(brand) else "latin") if brand else None,
        "barcode": barcode if row.get("barcode__valid") is not False else None,
    }


FEATURES: dict[str, Callable[[Mapping[str, Any]], FeatureRow]] = {
    "customer": organisation_features,
    "supplier": organisation_features,
    "product": product_features,
}


def features(domain: str, row: Mapping[str, Any]) -> FeatureRow:
    """Feature columns of one standardized row of `domain` (KeyError for an unknown domain)."""
    return FEATURES[domain](row)
