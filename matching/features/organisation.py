"""Features of organisations (customers and suppliers): names, places, mail and web.

See the feature columns in matching.features. The trade lexicon, the free-mail domains and
the role mailboxes are data (matching/features/data/).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import files
from typing import Any

from matching.features.text import (
    LATIN_WORD_RE,
    NON_ALNUM_RE,
    fold,
    has_cjk,
    pinyin,
    pinyin_variants,
    reads_as_pinyin,
    sound_keys,
    text_of,
)
from mdm.standardize import CITY_REGIONS, FOREIGN_COUNTRY_REGIONS
from mdm.standardize.ids import registration_core, registration_country, registration_number, registration_space

FeatureRow = dict[str, Any]


def _words(name: str) -> list[str]:
    """The entries of a data file: whitespace-separated, # starts a comment line."""
    text = (files("matching.features") / "data" / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


FREE_MAIL_DOMAINS = frozenset(word for line in _words("free_mail_domains.txt") for word in line.split())
ROLE_MAILBOXES = frozenset(word for line in _words("role_mailboxes.txt") for word in line.split())


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
    folded = fold(city).strip()
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
    """(building, unit): "福建省厦门市集美区学院路216号科技大厦7层" → ("216 xueyuan", "7"); a
    province or city named without 省/市 ("上海滨江大道251号", or the record's own `city`) is
    dropped like one named with it.

    Latin addresses: the house number and the street's first word, no unit."""
    if not address:
        return None, None
    folded = fold(address)
    m = _CN_STREET_RE.search(folded)
    if m is not None:
        street = m.group(1)
        # keep only the last road name when a district or city was glued before it
        for marker in ("区", "县", "市", "镇"):
            if marker in street[:-1]:
                street = street.rsplit(marker, 1)[1] or street
        city_name = _CITY_SUFFIX_RE.sub("", fold(city).strip()) if city and has_cjk(city) else None
        street = _strip_place_prefix(street, (*_CN_PROVINCES, *((city_name,) if city_name else ())))
        # as the English address spells it ("No. 808 Xingye Road": "808 xingye"), so a
        # record written in either script meets the other
        suffix = next((s for s in _CN_ROAD_SUFFIXES if street.endswith(s) and len(street) > len(s)), "")
        building = f"{m.group(2)} {pinyin(street[: len(street) - len(suffix)])}"
        after = folded[m.end() :]
        unit_match = _CN_UNIT_RE.search(after.split(" ")[0] if " " in after else after)
        return building, (unit_match.group(1) if unit_match else None)
    if has_cjk(folded):
        compact = NON_ALNUM_RE.sub("", folded)
        return compact or None, None
    # Latin: house number and the first word of the street ("51 Zanker Road, San Jose" and
    # "51 Zanker Rd." → "51 zanker"); city, state and postcode that follow are ignored
    words = [w for w in LATIN_WORD_RE.findall(folded) if w not in _LATIN_ADDRESS_NOISE]
    number = next((w for w in words if w.isdigit()), None)
    word = next((w for w in words if w.isalpha() and len(w) > 1), None)
    return (f"{number} {word}" if number and word else None), None


def _build_trade_lexicon() -> dict[str, str]:
    lexicon = {}
    for line in _words("trade_concepts.txt"):
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
        for d in (text_of(row, "email__domain"), text_of(row, "website__domain"))
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
    folded = fold(display)
    plain = LATIN_WORD_RE.findall(
        "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    )
    spelt = LATIN_WORD_RE.findall(folded.translate(_UMLAUTS))
    for i, word in enumerate(plain):
        if core.startswith(word):
            if len(spelt) == len(plain) and spelt[i] != word:
                return [word, spelt[i]]
            return [word]
    return []


TYPO_TRADE_CHARS = 6
SWAP_NAME_CHARS = 6  # a shorter name with two characters swapped is as often another name
# A brand (字号) runs two to four characters: a longer head is no brand an English name
# spells, and each costs its pinyin (every head of a 9,000-character name took minutes).
BRAND_HEAD_CHARS = 8
PHONE_LOCAL_DIGITS = 7  # the shortest subscriber numbers of Chinese cities
BANK_TAIL = 8  # characters: the shortest national account numbers (British ones) have 8
GROUP_FORMS = frozenset({"group", "group_joint_stock"})


def _email_keys(row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The address (blocking uses every one) and the mailbox compared: a person's (or any on a
    free-mail domain); a role mailbox on a company domain only counts through its domain
    (web_domains)."""
    email = text_of(row, "email")
    email = email.lower() if email else None
    local, _, domain = (email or "").partition("@")
    return email, email if email and (local not in ROLE_MAILBOXES or domain in FREE_MAIL_DOMAINS) else None


def _phone_local(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_LOCAL_DIGITS:] if len(digits) >= PHONE_LOCAL_DIGITS else None


# the county-level cities of cn_regions.txt, within a prefecture-level city: a company
# named after one (昆山…) is as often filed under the prefecture (苏州) as under itself
WITHIN_PREFECTURE = {"kunshan": "suzhou", "jiangyin": "wuxi", "yiwu": "jinhua"}


def _name_place(region: str | None, branch: str | None, city: str | None) -> str | None:
    """The city a name places the company in (its region, when that is a city), or, for a
    name without a region, the record's city unless the record is a branch's; a county-level
    city as its prefecture. None for a province or a country: they hold many cities."""
    if region:
        place = pinyin(region) if region in CITY_REGIONS else None
    else:
        place = city_key(city) if not branch else None
    return WITHIN_PREFECTURE.get(place, place) if place else None


def features(row: Mapping[str, Any]) -> FeatureRow:
    """Features of a customer or supplier row (see the module docstring)."""
    name = text_of(row, "name") or ""
    core = text_of(row, "name__core") or NON_ALNUM_RE.sub("", fold(name)) or None
    brand = text_of(row, "name__distinct") or core
    brand = strip_trade(brand) if brand else brand
    script = "cjk" if core and has_cjk(core) else "latin"
    trade, mapped, trade_text = None, None, None
    if core and brand and core != brand and core.startswith(brand):
        trade_text = core[len(brand) :]
        trade, mapped = trade_key(trade_text)
    if script == "cjk":
        brand_pinyin = pinyin_variants(brand) if brand else []
    else:
        words = _latin_first_word(name, core) if core else []
        brand_pinyin = words or ([brand] if brand else [])
        # the words after the first that the standardizer did not know as trade words
        # ("Fischer Messtechnik": "messtechnik") are the trade all the same: without them
        # Fischer Messtechnik and Fischer Automation would be one brand, compatible names
        # (unless they read as pinyin: "Xing Cheng An" is one brand written in syllables).
        # So are the brand's words after the first beside known trade words: Marina Bay
        # Engineering and Marina City Engineering are not one brand "Marina".
        rest = core[len(words[0]) :] if words and core else ""
        brand_rest = brand[len(words[0]) :] if words and brand and brand.startswith(words[0]) else rest
        if (rest and brand and brand != words[0] and brand_rest
                and not _PINYIN_RE.fullmatch(brand_rest if trade else rest)):
            trade_text = rest
            trade, mapped = trade_key(rest)
    # the English name of a Chinese company spells its brand (字号) in pinyin and translates
    # the rest: 朗瀚塑胶 / Langhan Plastic. Compared across scripts only.
    if script == "cjk":
        ends = range(2, min(len(brand or ""), BRAND_HEAD_CHARS + 1))
        heads = sorted({v for k in ends for v in pinyin_variants(brand[:k])}) or None
    else:
        heads = words[:1] or None
    region = text_of(row, "name__region")
    branch = text_of(row, "name__branch")
    full = NON_ALNUM_RE.sub("", fold(name)) if script == "cjk" else ""
    full = full if len(full) >= SWAP_NAME_CHARS else None
    return {
        "nm_core": core,
        "nm_brand": brand,
        "nm_trade": trade,
        "nm_mapped": mapped,
        "nm_trade_set": trade.split() if trade and mapped else None,
        # Latin trade words as written, long enough for a typo to be told from another word
        "nm_trade_text": trade_text if script == "latin" and len(trade_text or "") >= TYPO_TRADE_CHARS else None,
        "nm_script": script,
        "nm_pinyin": brand_pinyin or None,
        "nm_heads": heads,
        # blocking key: for Latin names the umlaut written out (Köhler and Koehler meet)
        "nm_key": (pinyin(brand, by_char=True) if script == "cjk" else brand_pinyin[-1]) if brand_pinyin else None,
        "nm_sound": _transliteration_keys(brand, brand_pinyin, script, region in FOREIGN_COUNTRY_REGIONS),
        "nm_sorted": "".join(sorted(brand)) if brand else None,
        # the whole Chinese name as written, region and legal form included, and its
        # characters sorted: two neighbours swapped anywhere (成兴都业电气 / 成都兴业电气,
        # 模具份股有限公司) leave the parts unreadable but the characters the same
        "nm_full": full,
        "nm_full_sorted": "".join(sorted(full)) if full else None,
        "nm_long": bool(brand and len(brand) >= 3),
        "nm_region": pinyin(region) if region else None,
        # where the name says the company sits: the city it is named after, else the
        # record's city (a branch's city is the branch's, not the company's). Against the
        # other name's city region: 宁波长江机电 / 长江机电 in Beijing are two companies.
        "nm_place": _name_place(region, branch, text_of(row, "city")),
        "nm_branch": pinyin(branch) if branch else None,
        **_ids_and_contacts(row),
    }


def _ids_and_contacts(row: Mapping[str, Any]) -> FeatureRow:
    """The features of a customer or supplier row beyond its name: tax id, legal form,
    phone, address, e-mail, web, contact and bank account."""
    building, unit = address_keys(text_of(row, "address__folded") or text_of(row, "address"), text_of(row, "city"))
    email, mailbox = _email_keys(row)
    contact = text_of(row, "contact")
    legal_form = text_of(row, "name__legal_form")
    tax_id, tax_kind, country = text_of(row, "tax_id"), text_of(row, "tax_id__kind"), text_of(row, "country")
    bank_account = text_of(row, "bank_account")
    return {
        "tax_id": tax_id,
        "tax_valid": row.get("tax_id__valid") if row.get("tax_id__valid") is not None else None,
        "tax_reg": registration_core(tax_id, tax_kind, country),
        "tax_number": registration_number(tax_id, tax_kind, country),
        "tax_space": registration_space(tax_id, tax_kind, country),
        "tax_country": registration_country(tax_id, tax_kind, country),
        "country": country,
        "legal_form": legal_form,
        "legal_group": legal_form in GROUP_FORMS if legal_form else None,
        "phone": text_of(row, "phone"),
        # the subscriber number: one system holds 52230009, another +86 519 5223 0009
        "phone_local": _phone_local(text_of(row, "phone")),
        "phone_kind": text_of(row, "phone__kind") if text_of(row, "phone") else None,
        "addr_building": building,
        "addr_unit": unit,
        "postcode": text_of(row, "postcode"),
        "city": city_key(text_of(row, "city")),
        "email": email,
        "mailbox": mailbox,
        "web_domains": _web_domains(row),
        "contact": pinyin(contact) if contact else None,
        "bank_account": bank_account,
        # an IBAN ends with the national account number another system may hold alone
        # (DE06940822017769669374 / 7769669374): their last characters agree
        "bank_tail": bank_account[-BANK_TAIL:] if bank_account and len(bank_account) >= BANK_TAIL else None,
    }
