"""Company names: the display name, and the parts the matcher compares.

A name is taken apart from the outside in: bracketed regions, legal markers and
branches; a trailing branch; trailing legal forms; a leading region or foreign country.
What is left is the core; without trailing industry words, the distinct part. Regions,
legal forms and industry words are data (data/cn_regions.txt, legal_forms.txt,
industry_words.txt; foreign countries from countries.txt).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

from mdm.standardize.country import _COUNTRIES
from mdm.standardize.tables import read_lines
from mdm.standardize.text import (
    _APOSTROPHE_RE,
    _CJK_RE,
    _CJK_SPACE_RE,
    _NON_WORD_RE,
    Standardized,
    _alternation,
    _as_text,
    _cache_short,
    _empty,
    _is_cjk_word,
    _quote,
    _strip_accents,
)

MSG_COMPANY_NO_WORDS = "company name has no letters or digits: {raw}"

# Suffix loops strip at most this many words ("有限公司有限公司…" cannot spin).
_MAX_STRIPS = 6
# Suffix searches only look at this many trailing characters: legal forms,
# branch markers and industry words are short, and a bounded window keeps a
# pathological 100k-character cell linear.
_TAIL = 48


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class _Words:
    """A set of words, found at the end or the start of a key by slicing: one set lookup
    per word length, where a regex alternation would try every word at every position (a
    name's standardization spends most of its time here). Latin words count only as whole
    words: no letter or digit next to them; CJK words anywhere."""

    def __init__(self, words: Iterable[str]):
        unique = set(words)
        self.cjk = frozenset(w for w in unique if _is_cjk_word(w))
        self.latin = frozenset(unique - self.cjk)
        self.lengths = sorted({len(w) for w in unique}, reverse=True)

    def at_end(self, key: str, pos: int = 0) -> tuple[int, str] | None:
        """(start, word) of the longest word that ends the key and starts at `pos` or later."""
        size = len(key)
        for length in self.lengths:
            start = size - length
            if start < pos:
                continue
            word = key[start:]
            if word in self.cjk or (word in self.latin and (start == 0 or key[start - 1] not in _ASCII_WORD)):
                return start, word
        return None

    def at_start(self, key: str) -> str | None:
        """The longest word that starts the key."""
        size = len(key)
        for length in self.lengths:
            if length > size:
                continue
            word = key[:length]
            if word in self.cjk or (word in self.latin and (length == size or key[length] not in _ASCII_WORD)):
                return word
        return None


# ---------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------

_REGION_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "新区", "省", "市")
# Only recognised in brackets, e.g. "阿里巴巴（中国）有限公司", "Foo (China) Ltd":
# as a leading word 中国/China is part of the name (中国银行, China Merchants).
_BRACKET_ONLY_REGIONS = {"中国": "中国", "中国大陆": "中国", "china": "china", "prc": "china", "hk": "hong kong"}


def _build_regions() -> dict[str, str]:
    """Every spelling of data/cn_regions.txt -> its canonical region."""
    lookup: dict[str, str] = {}
    for line in read_lines("cn_regions.txt"):
        official, *latin = line.split()
        bare = next((official[: -len(s)] for s in _REGION_SUFFIXES if official.endswith(s)), official)
        lookup[official] = lookup[bare] = bare
        names = [name.replace("_", " ") for name in latin]
        for name in names:
            lookup.setdefault(name, names[0])
    return lookup


_REGIONS = _build_regions()  # every spelling -> canonical region


def _build_city_regions() -> frozenset[str]:
    """The canonical regions (Chinese and Latin) that are cities, not provinces: a
    company named after its city (宁波长江机电) sits there, one named after its province
    (广东…) anywhere in it."""
    cities: set[str] = set()
    for line in read_lines("cn_regions.txt"):
        official, *latin = line.split()
        if official.endswith(("市", "特别行政区")):
            cities.add(_REGIONS[official])
            cities.update(_REGIONS[name.replace("_", " ")] for name in latin[:1])
    return frozenset(cities)


CITY_REGIONS = _build_city_regions()
_ALL_REGIONS = {**_REGIONS, **_BRACKET_ONLY_REGIONS}
_REGION_WORDS = _Words(_REGIONS)


# ---------------------------------------------------------------------------
# Legal forms, branches, industry words
# ---------------------------------------------------------------------------


def _read_legal_forms() -> dict[str, str]:
    """Spelling (as _name_key leaves it) -> canonical code, from data/legal_forms.txt."""
    forms: dict[str, str] = {}
    for line in read_lines("legal_forms.txt"):
        code, spelling = line.split(None, 1)
        forms[" ".join(spelling.split())] = code
    return forms


_LEGAL_FORMS = _read_legal_forms()
# Bracketed legal markers: "（集团）", "(有限合伙)", "(joint stock)", "㈜" (NFKC "(주)").
_BRACKET_LEGAL = {**_LEGAL_FORMS, "주": "joint_stock"}
_LEGAL_WORDS = _Words(_LEGAL_FORMS)
_LEGAL_HEAD_RE = re.compile(r"(?:株式会社|有限会社|주식회사) ?")
# A legal form with a typo (Limitted, 有限公斯, 有线公司): one character off a spelling long
# enough that one character cannot make another word of it (4+ CJK, 6+ Latin characters)
_FUZZY_LEGAL = tuple(w for w in _LEGAL_FORMS if " " not in w and len(w) >= (4 if _is_cjk_word(w) else 6))
# Latin legal forms without their spaces, longest first, for a space shifted into one
_COMPACT_LEGAL = sorted(
    ((w.replace(" ", ""), w) for w in _LEGAL_FORMS if w.isascii() and len(w.replace(" ", "")) >= 3),
    key=lambda pair: -len(pair[0]),
)
# A record's status written before its name: "*停用*", "作废-", "BLOCKED - "
_STATUS_HEAD_RE = re.compile(
    r"^\s*[*(（\[【]?\s*(?:已停用|停用|已作废|作废|禁用|冻结|已注销|注销|勿用|不用|重复|删除)\s*[*)）\]】:：_—–-]*\s*"
    r"|^\s*[*(\[]?\s*(?:blocked|inactive|obsolete|do not use|duplicate|deleted)\s*[*)\]:_—–-]+\s*",
    re.IGNORECASE,
)
# A remark after the complete name: a department (-行政部) or a bracketed note ((新), (old))
_DEPARTMENT_TAIL_RE = re.compile(r"(?<=公司|集团|会社)\s*[\u4e00-\u9fff]{1,8}(?:部|科|处|室|组|办公室|中心)\s*$")
_BRACKET_TAIL_RE = re.compile(r"\s*\(([^()]{1,24})\)\s*$")

_CN_BRANCH_RE = re.compile(r"(?:分公司|分行|支行|分店|分厂|办事处|营业部|分部|代表处|分所|分社|分理处)$")
_EN_BRANCH_RE = re.compile(r"(?<![a-z0-9])(?:branch office|branch|representative office|rep office)$")
# The last of these before a branch marker ends the parent's own name:
# "招商银行股份有限公司|深圳南山|支行".
_CN_BRANCH_PARENT_RE = re.compile(r"股份有限公司|有限责任公司|有限公司|公司|集团|银行")
_EN_BRANCH_PARENT_RE = re.compile(
    r"(?<![a-z0-9])(?:co ltd|limited|ltd|inc|corp|corporation|llc|gmbh|ag|plc|company|co)(?![a-z0-9])"
)

# Industry words follow the trade name, so they are only stripped from the end.
_INDUSTRY_WORDS = [" ".join(line.split()) for line in read_lines("industry_words.txt")]
_INDUSTRY = _Words(_INDUSTRY_WORDS)


# ---------------------------------------------------------------------------
# The name key
# ---------------------------------------------------------------------------

_BRACKETS = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_BRACKET_GROUP_RE = re.compile(r"\(([^()]*)\)")
_NAME_PUNCT_RE = re.compile(r"(?:[^\w()&]|_)+")


def _tidy(key: str) -> str:
    key = " ".join(key.split())
    return key if key.isascii() else _CJK_SPACE_RE.sub("", key)


def _build_simplified() -> dict[int, str]:
    """Traditional Chinese and Japanese kanji forms → simplified characters, one character
    at a time (OpenCC's tables, first candidate): 台灣積體電路製造 and 台湾积体电路制造,
    株式会社三和精機 and 三和精机 then share their matching keys. Only the keys change;
    the display name keeps the source's characters."""
    folder = files("opencc") / "dictionary"
    table: dict[int, str] = {}
    for line in (folder / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    for line in (folder / "JPVariants.txt").read_text(encoding="utf-8").splitlines():
        traditional, _, japanese = line.partition("\t")  # the Japanese form of a traditional one
        for form in japanese.split():
            if len(form) == 1 and len(traditional) == 1 and ord(form) not in table and form != traditional:
                table[ord(form)] = table.get(ord(traditional), traditional)
    return table


_SIMPLIFIED = _build_simplified()


def _name_key(display: str) -> str:
    """Casefolded name, accents dropped, traditional characters simplified, punctuation
    (except brackets and &) as single spaces, no spaces next to CJK characters."""
    key = display.casefold()
    if not key.isascii():
        key = _strip_accents(key).translate(_SIMPLIFIED)
    key = _NAME_PUNCT_RE.sub(" ", _APOSTROPHE_RE.sub("", key)).replace("&", " & ")
    return _tidy(key)


# ---------------------------------------------------------------------------
# Foreign countries
# ---------------------------------------------------------------------------

# Not foreign: 中国 or 香港 at the start of a name is part of it (中国银行, 香港电讯).
_DOMESTIC = frozenset({"CN", "HK", "MO", "TW"})


def _build_country_heads() -> dict[str, str]:
    """Chinese spellings of foreign countries -> the first of them ("德國" -> "德国")."""
    lookup: dict[str, str] = {}
    for alpha2, _, all_names in _COUNTRIES:
        if alpha2 in _DOMESTIC:
            continue
        names = [n for n in all_names if _is_cjk_word(n)]
        for name in names:
            lookup[_name_key(name)] = _name_key(names[0])
    return lookup


_COUNTRY_HEADS = _build_country_heads()
FOREIGN_COUNTRY_REGIONS = frozenset(_COUNTRY_HEADS.values())  # a company name's region: a foreign company
_COUNTRY_HEAD_RE = re.compile(_alternation(_COUNTRY_HEADS))


# ---------------------------------------------------------------------------
# Taking the name apart
# ---------------------------------------------------------------------------


def _substantial(key: str) -> bool:
    """At least 2 CJK characters or 3 other letters/digits."""
    word_chars = len(_NON_WORD_RE.sub("", key))
    cjk = len(_CJK_RE.findall(key))
    return cjk >= 2 or word_chars - cjk >= 3


def _trim_joiners(key: str) -> str:
    key = key.rstrip(" &")
    if key.endswith(" and"):
        key = key[:-4].rstrip(" &")
    return key


def _strip_industry(key: str, *, guarded: bool) -> str:
    """Remove trailing industry words. Guarded: stop before what is left
    would be too short or only a region name."""
    for _ in range(_MAX_STRIPS):
        found = _INDUSTRY.at_end(key, max(0, len(key) - _TAIL))
        if found is None:
            break
        rest = _trim_joiners(key[: found[0]])
        if guarded and (not _substantial(rest) or rest in _ALL_REGIONS):
            break
        key = rest
    return key


def _split_branch(key: str) -> tuple[str, str] | None:
    """(parent name, branch) when `key` ends with a branch marker. The branch
    is the place before the marker (a known region, or the words after the
    parent's legal form), else the marker itself."""
    start = max(0, len(key) - _TAIL)
    marker = _CN_BRANCH_RE.search(key, start) or _EN_BRANCH_RE.search(key, start)
    if marker is None:
        return None
    head = key[: marker.start()].rstrip()
    parent_re = _CN_BRANCH_PARENT_RE if _is_cjk_word(marker.group()) else _EN_BRANCH_PARENT_RE
    place = ""
    if (region := _REGION_WORDS.at_end(head, max(0, len(head) - _TAIL))) is not None:
        place, head = region[1], head[: region[0]].rstrip()
    elif parents := list(parent_re.finditer(head, max(0, len(head) - _TAIL))):
        end = parents[-1].end()
        place, head = head[end:].strip(), head[:end]
    return head, (_ALL_REGIONS.get(place, place) if place else marker.group())


def _take_brackets(key: str) -> tuple[str, str | None, str | None, list[str]]:
    """Remove bracketed regions, legal markers and branches; keep the content
    of any other bracket as plain words."""
    region = branch = None
    flags: list[str] = []
    pieces: list[str] = []
    last = 0
    for m in _BRACKET_GROUP_RE.finditer(key):
        content = m.group(1).strip()
        pieces.append(key[last : m.start()])
        last = m.end()
        if content in _ALL_REGIONS:
            region = region or _ALL_REGIONS[content]
        elif content in _BRACKET_LEGAL:
            flags.append(_BRACKET_LEGAL[content])
        elif (split := _split_branch(content)) is not None and not split[0]:
            branch = branch or split[1]
        else:
            pieces.append(f" {content} ")
            continue
        pieces.append(" ")
    pieces.append(key[last:])
    return _tidy("".join(pieces).replace("(", " ").replace(")", " ")), region, branch, flags


def _one_off(a: str, b: str) -> bool:
    """One character replaced, two neighbours swapped, or one more or less (never the first)."""
    if len(a) == len(b):
        off = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(off) == 2 and off[1] == off[0] + 1 and a[off[0]] == b[off[1]] and a[off[1]] == b[off[0]]
        return bool(off) and off[0] > 0 and (len(off) == 1 or swapped)
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) == 1 and any(long[:i] + long[i + 1 :] == short for i in range(1, len(long)))


def _fuzzy_legal(key: str) -> tuple[int, str] | None:
    """(start, spelling) of a legal form with a one-character typo that ends the key."""
    for word in _FUZZY_LEGAL:
        cjk = _is_cjk_word(word)
        for size in (len(word) - 1, len(word), len(word) + 1):
            start = len(key) - size
            if start <= 0 or (not cjk and key[start - 1] in _ASCII_WORD):
                continue
            if _one_off(key[start:], word):
                return start, word
    return None


def _strip_remarks(key: str) -> str:
    """The name key without a remark after its legal form (a department, a bracketed note
    that is no region, legal marker or branch)."""
    for _ in range(2):
        m = _DEPARTMENT_TAIL_RE.search(key) or _BRACKET_TAIL_RE.search(key)
        if m is None:
            break
        head = key[: m.start()]
        content = m.group(1).strip() if m.re is _BRACKET_TAIL_RE else ""
        if content in _ALL_REGIONS or content in _BRACKET_LEGAL or _split_branch(content) is not None:
            break
        if _LEGAL_WORDS.at_end(head) is None:
            break
        key = head
    return key


def _shifted_legal(key: str) -> tuple[str, str] | None:
    """(rest, spelling) when a Latin legal form of 3+ letters ends the key with a space
    shifted into or out of it ("Industrial L td", "Controls I nc", "Fasteners L LC"): the
    key's last letters spell it once spaces are ignored, and a space falls among them. A
    letter of the previous word glued before the form ("Industrie sPvt") is left alone:
    Zinc is a word, not a Z before an Inc."""
    for compact, word in _COMPACT_LEGAL:
        start, letters = len(key), 0
        while start > 0 and letters < len(compact):
            start -= 1
            letters += key[start] != " "
        tail = key[start:]
        if start == 0 or letters < len(compact) or tail.replace(" ", "") != compact:
            continue
        if " " in tail:
            return key[:start].rstrip(), word
    return None


def _strip_legal(key: str) -> tuple[str, list[str]]:
    """Remove trailing legal forms (outermost first) unless nothing would remain; the
    outermost may have a typo or a shifted space."""
    flags: list[str] = []
    key = _trim_joiners(key)  # "GmbH &": "GmbH & Co. KG" cut short by a field's length
    for i in range(_MAX_STRIPS):
        found = _LEGAL_WORDS.at_end(key, max(0, len(key) - _TAIL))
        if i == 0 and (typo := _fuzzy_legal(key)) is not None and (found is None or typo[0] < found[0]):
            found = typo  # 有线公司 is 有限公司 with a typo, not a 公司 named 有线
        if found is None and (shifted := _shifted_legal(key)) is not None:
            rest, spelling = shifted
        elif found is None:
            break
        else:
            rest, spelling = key[: found[0]], found[1]
        rest = _trim_joiners(rest)
        if not _NON_WORD_RE.sub("", rest):
            break
        flags.append(_LEGAL_FORMS[spelling])
        key = rest
    if (m := _LEGAL_HEAD_RE.match(key)) is not None and _NON_WORD_RE.sub("", key[m.end() :]):
        flags.append(_LEGAL_FORMS[m.group().strip()])
        key = key[m.end() :]
    return key, flags


def _legal_code(flags: list[str]) -> str | None:
    """One code for the forms found: joint stock wins over plain limited
    ("Co., Ltd. (joint stock)"), a group marker gives "group" or
    "group_joint_stock", otherwise the outermost form."""
    forms = [f for f in flags if f != "group"]
    if "group" in flags:
        return "group_joint_stock" if "joint_stock" in forms else "group"
    if "joint_stock" in forms:
        return "joint_stock"
    return forms[0] if forms else None


def _strip_region(key: str) -> tuple[str, str | None]:
    """Remove up to two leading regions ("广东省深圳市…"; the most specific is
    kept) while the rest stays substantial and is not only industry words."""
    region = None
    for _ in range(2):
        word = _REGION_WORDS.at_start(key)
        if word is None:
            break
        rest = key[len(word) :].lstrip()
        if not _substantial(rest) or not _NON_WORD_RE.sub("", _strip_industry(rest, guarded=False)):
            break
        region, key = _REGIONS[word], rest
    return key, region


def _strip_country(key: str) -> tuple[str, str | None]:
    """Remove a leading foreign country, the usual start of a foreign company's Chinese
    name (德国施耐德测量技术 is Schneider Messtechnik of Germany), when at least two
    characters that are not industry words are left (瑞士达科技 keeps its 瑞士)."""
    m = _COUNTRY_HEAD_RE.match(key)
    if m is None:
        return key, None
    rest = key[m.end() :].lstrip()
    if not _substantial(_strip_industry(rest, guarded=False)):
        return key, None
    return rest, _COUNTRY_HEADS[m.group()]


@_cache_short
def _company_parts(display: str) -> tuple[str, str, str | None, str | None, str | None] | None:
    full_key = _name_key(_STATUS_HEAD_RE.sub("", display) or display)
    key, region, branch, flags = _take_brackets(_strip_remarks(full_key))
    if (split := _split_branch(key)) is not None:
        key, found_branch = split
        branch = branch or found_branch
    key, tail_flags = _strip_legal(key)
    key, head_region = _strip_region(key)
    if head_region is None:
        key, head_region = _strip_country(key)
    core = _NON_WORD_RE.sub("", key) or _NON_WORD_RE.sub("", full_key)
    if not core:
        return None
    distinct = _NON_WORD_RE.sub("", _strip_industry(key, guarded=True)) or core
    return core, distinct, _legal_code(tail_flags + flags), region or head_region, branch


def std_company_name(raw: object) -> Standardized:
    """Organisation name (Chinese, English or mixed).

    value: display name, NFKC, whitespace folded, brackets 【】〔〕[]{} and
    full-width ones as ASCII "()".
    parts:
      core: the name for matching: bracketed/leading region, branch suffix and
        legal form removed, no punctuation or spaces, casefolded. Never empty:
        falls back to the whole folded name ("有限公司" → "有限公司").
      distinct: core without trailing industry words ("华为技术" → "华为");
        equals core when stripping would leave too little or only a region.
      legal_form: co_ltd, joint_stock, group, group_joint_stock, inc, corp, llc,
        gmbh, gmbh_co_kg, llp, partnership, sole, kk, company, or None.
      region: bare region name ("深圳", "中国", "shenzhen") or None.
      branch: the branch's place ("深圳", "shanghai") or marker ("分厂") or None.
    A name without any letter or digit gives value None and a problem.
    """
    text = _as_text(raw)
    if text is None:
        return _empty()
    display = text.translate(_BRACKETS)
    parts = _company_parts(display)
    if parts is None:
        return Standardized(None, {}, (MSG_COMPANY_NO_WORDS.format(raw=_quote(text)),))
    core, distinct, legal_form, region, branch = parts
    return Standardized(
        display,
        {"core": core, "distinct": distinct, "legal_form": legal_form, "region": region, "branch": branch},
    )


# ---------------------------------------------------------------------------
# A name over several columns (SAP NAME1..NAME4)
# ---------------------------------------------------------------------------

# A line addressed to someone or naming a department: a contact detail, not the name.
_CONTACT_LINE_RE = re.compile(
    r"^\s*(?:c/o\b|c\.o\.|attn\b|attention\b|to the attention of|z\.\s?h(?:d)?\.|zu händen|dept\b|department\b"
    r"|abteilung\b|收件人|联系人|转交|请交|经办人)"
    r"|(?:\bdepartment|\bdept\.?|\babteilung|\bdivision)\s*$"
    r"|^\s*[\u4e00-\u9fff]{1,8}(?:部|科|处|室|组|办公室|中心)\s*$",
    re.IGNORECASE,
)
_ALIAS_PREFIX_RE = re.compile(r"^\s*(?:formerly|former name|f/k/a|fka|原名|曾用名)[\s:：]*", re.IGNORECASE)


@dataclass(frozen=True)
class NameLines:
    """A name written over several fixed-width columns (SAP NAME1..NAME4), as received:
    standardization decides what each further line is (NameRoles)."""

    lines: tuple[str, ...]
    width: int | None = None  # the columns' width: a first line this long was cut off


@dataclass(frozen=True)
class NameRoles:
    name: str  # the first line, continued by the lines that continue it
    contacts: tuple[str, ...] = ()  # a department, c/o or attention line
    translations: tuple[str, ...] = ()  # the name in another script (a Chinese company's English name)
    aliases: tuple[str, ...] = ()  # another name of the company: a former name, a trading name


def name_roles(name: NameLines) -> NameRoles:
    """What the lines of a name are. A line addressed to someone or naming a department
    (c/o Finance, Attn: Procurement, 行政部) is a contact detail; a line in another script
    than the first is the name's translation (the English name of a Chinese company); a
    former name, or any line after a name that is complete (ends with its legal form) but a
    branch (北京分公司), is an alias; any other line (KG after GmbH & Co.) continues the name,
    without a space where the first line was cut off in the middle of a word (it fills the
    column's width) or is Chinese."""
    lines = [line.strip() for line in name.lines]
    text = next((line for line in lines if line), "")
    contacts, translations, aliases = [], [], []
    cut = bool(name.width) and len(lines[0]) >= (name.width or 0) - 1
    script = bool(_CJK_RE.search(text))
    for line in lines[lines.index(text) + 1 :] if text else ():
        if not line:
            continue
        if _CONTACT_LINE_RE.search(line):
            contacts.append(line)
        elif _ALIAS_PREFIX_RE.match(line):
            aliases.append(_ALIAS_PREFIX_RE.sub("", line))
        elif bool(_CJK_RE.search(line)) != script and len(line) >= 3:
            translations.append(line)
        elif _LEGAL_WORDS.at_end(_name_key(text)) and not _is_branch(line) and not _is_legal_form(line):
            aliases.append(line)
        else:
            glued = script or (cut and text[-1:].isalnum() and line[:1].islower() and not _is_legal_form(line))
            text = f"{text}{line}" if glued else f"{text} {line}"
            cut = False
    return NameRoles(text, tuple(contacts), tuple(translations), tuple(aliases))


def _is_legal_form(line: str) -> bool:
    """A line that is only (the rest of) a legal form: GmbH & Co. + KG."""
    key = _name_key(line)
    found = _LEGAL_WORDS.at_end(key)
    return found is not None and not key[: found[0]].strip()


def _is_branch(line: str) -> bool:
    key = _name_key(line)
    return bool(_CN_BRANCH_RE.search(key) or _EN_BRANCH_RE.search(key))
