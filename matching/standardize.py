"""Value standardizers applied to every cell of every ingested source row.

Each ``std_<type>`` function turns one raw cell (None, str, int, float, bool,
date or datetime, as read from CSV, XLSX, Parquet or JSON) into a
`Standardized`: a canonical ``value`` for storage and comparison, derived
``parts`` stored beside it for the matcher, and human-readable ``problems``.

Guarantees shared by every standardizer:

- Missing input (None, NaN/NaT, "", whitespace, or a placeholder in
  `MISSING_PLACEHOLDERS` such as "N/A", "-", "NULL", "无") gives value None,
  parts {} and no problem.
- When value is None, parts is {}. Otherwise parts holds every key documented
  for the type (None where it does not apply), so callers can store them as
  columns.
- Problems flag doubtful values without dropping them. Only ``date`` and
  ``number`` set ``fatal``, and only when a value was present but cannot be
  read at all (the caller rejects the row).
- The functions are pure, thread-safe and never raise on bad input; only
  `standardize` raises KeyError for an unknown type name. Regexes are linear
  or work on bounded windows, so a 100k-character cell cannot hang ingest.

The module is pure Python (no Django import) so the matcher and ingest
workers can use it anywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from typing import TypeVar

import phonenumbers


@dataclass(frozen=True, slots=True)
class Standardized:
    """The result of standardizing one raw value (see the module docstring)."""

    value: str | float | None
    parts: dict[str, str | bool | None]
    problems: tuple[str, ...] = ()
    fatal: bool = False


# Problem messages (tests compare against these).
MSG_COMPANY_NO_WORDS = "company name has no letters or digits: {raw}"
MSG_USCC_CHARS = "invalid characters in unified social credit code: {chars}"
MSG_USCC_CHECK = "invalid unified social credit code check character: expected {expected}, got {got}"
MSG_FLOAT_ID = "identifier was stored as a floating-point number, digits may be lost: {raw}"
MSG_PHONE = "not a valid phone number: {raw}"
MSG_EMAIL = "not a valid e-mail address: {raw}"
MSG_URL = "not a valid url: {raw}"
MSG_COUNTRY = "unknown country: {raw}"
MSG_DATE = "unparseable date: {raw}"
MSG_DATE_AMBIGUOUS = "ambiguous date {raw}: give the profile a date_format"
MSG_DATE_FORMAT = "date {raw} does not match format {fmt}"
MSG_NUMBER = "not a number: {raw}"
MSG_IBAN = "invalid IBAN check digits: {raw}"
MSG_GTIN_FORMAT = "not a GTIN (8, 12, 13 or 14 digits): {raw}"
MSG_GTIN_CHECK = "invalid GTIN check digit: expected {expected}, got {got}"
MSG_UNIT = "unknown unit {raw}"

# Cells that mean "no value" in CRM/ERP exports; compared after fold_text.
MISSING_PLACEHOLDERS = frozenset(
    {"-", "--", "---", "/", "//", "\\", "—", "——", "?", "n/a", "#n/a", "null", "none", "nil", "nan", "nat"}
    | {"无", "暂无", "不详", "未知", "空", "(空)"}
)

_CACHE_SIZE = 65536
_CACHE_KEY_MAX = 256  # longer cells are rare junk: computing beats filling the cache
# Fields holding several phone numbers or e-mail addresses (with names and
# labels between them): only the first pieces are read.
_MAX_PIECES = 24
# Suffix loops strip at most this many words ("有限公司有限公司…" cannot spin).
_MAX_STRIPS = 6
# Suffix searches only look at this many trailing characters: legal forms,
# branch markers and industry words are short, and a bounded window keeps a
# pathological 100k-character cell linear.
_TAIL = 48


# ---------------------------------------------------------------------------
# Text building blocks
# ---------------------------------------------------------------------------

# Control characters (keeping the whitespace ones, which str.split() folds)
# and invisible format characters: zero-width, BOM, soft hyphen, bidi marks.
_INVISIBLE = dict.fromkeys(
    [
        *range(0x09),
        *range(0x0E, 0x20),
        *range(0x7F, 0x85),
        *range(0x86, 0xA0),
        0x00AD,
        0x180E,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        0xFEFF,
    ]
)
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"[{_CJK_CHARS}]")
_CJK_SPACE_RE = re.compile(f" (?=[{_CJK_CHARS}])|(?<=[{_CJK_CHARS}]) ")
_NON_WORD_RE = re.compile(r"[\W_]+")
_APOSTROPHE_RE = re.compile("['\u2018\u2019`\u00b4]")
_COMBINING_RE = re.compile("[\u0300-\u036f]+")


def _clean(text: str) -> str:
    """NFKC, control and invisible characters removed, whitespace collapsed."""
    text = text.translate(_INVISIBLE)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def fold_text(text: str) -> str:
    """Return `text` NFKC-normalised (full-width → half-width, ideographic space
    → space), without control/zero-width characters, whitespace collapsed,
    stripped and casefolded. Idempotent."""
    return _clean(text).casefold()


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFC", _COMBINING_RE.sub("", unicodedata.normalize("NFD", text)))


def _compare_form(cleaned: str) -> str | None:
    """Comparison key of cleaned text: casefolded, Latin accents and
    apostrophes dropped, other punctuation/symbols as single spaces, no spaces
    next to CJK characters. None when nothing is left."""
    text = cleaned.casefold()
    if not text.isascii():
        text = _strip_accents(text)
    text = _NON_WORD_RE.sub(" ", _APOSTROPHE_RE.sub("", text)).strip()
    if not text.isascii():
        text = _CJK_SPACE_RE.sub("", text)
    return text or None


def _as_text(raw: object) -> str | None:
    """Raw cell as cleaned text; None when missing or a placeholder."""
    if raw is None or raw != raw:  # raw != raw: float NaN, pandas NaT
        return None
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, dt.date):
        text = raw.isoformat()
    else:
        text = str(raw)
    text = _clean(text)
    if not text or (len(text) <= 4 and text.casefold() in MISSING_PLACEHOLDERS):
        return None
    return text


_R = TypeVar("_R")


def _cache_short(function: Callable[[str], _R]) -> Callable[[str], _R]:
    """lru_cache for functions of one short string; values repeat across rows."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(function)

    def wrapper(text: str) -> _R:
        return cached(text) if len(text) <= _CACHE_KEY_MAX else function(text)

    return wrapper


def _as_list_text(raw: object) -> str | None:
    """Like _as_text, with one value per line joined by ";"."""
    if isinstance(raw, str) and ("\n" in raw or "\r" in raw):
        raw = ";".join(line for line in map(_clean, raw.splitlines()) if line)
    return _as_text(raw)


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= 80 else text[:77] + "...") + "'"


def _empty() -> Standardized:
    return Standardized(None, {})


def _float_id_problems(raw: object) -> tuple[str, ...]:
    """Identifiers read as floats beyond 2**53 have lost digits (Excel)."""
    if isinstance(raw, float) and abs(raw) >= 2**53:
        return (MSG_FLOAT_ID.format(raw=_quote(repr(raw))),)
    return ()


# ---------------------------------------------------------------------------
# text, code
# ---------------------------------------------------------------------------


def std_text(raw: object) -> Standardized:
    """Free text. value: NFKC, control/zero-width characters removed,
    whitespace collapsed, case kept. parts: {"folded": comparison form
    (casefolded, accents and punctuation folded) or None}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    return Standardized(text, {"folded": _compare_form(text)})


def std_code(raw: object) -> Standardized:
    """Codes (category codes, payment terms). value: like text, upper-cased,
    all whitespace removed. parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    return Standardized("".join(text.split()).upper(), {})


# ---------------------------------------------------------------------------
# company_name
# ---------------------------------------------------------------------------

# Official Chinese name (with its 省/市/自治区 suffix) and its Latin spellings
# ("_" stands for a space). Provinces, province-level cities and SARs, the
# larger prefecture-level cities, a few county-level manufacturing hubs and
# Taiwanese cities. The bare name (suffix removed) is the canonical region.
_CN_REGIONS = """
北京市 beijing peking
天津市 tianjin
上海市 shanghai
重庆市 chongqing
河北省 hebei
山西省 shanxi
辽宁省 liaoning
吉林省 jilin
黑龙江省 heilongjiang
江苏省 jiangsu
浙江省 zhejiang
安徽省 anhui
福建省 fujian
江西省 jiangxi
山东省 shandong
河南省 henan
湖北省 hubei
湖南省 hunan
广东省 guangdong
海南省 hainan
四川省 sichuan
贵州省 guizhou
云南省 yunnan
陕西省 shaanxi
甘肃省 gansu
青海省 qinghai
台湾省 taiwan
内蒙古自治区 inner_mongolia neimenggu
广西壮族自治区 guangxi
西藏自治区 tibet xizang
宁夏回族自治区 ningxia
新疆维吾尔自治区 xinjiang
香港特别行政区 hong_kong hongkong
澳门特别行政区 macau macao
浦东新区 pudong
广州市 guangzhou canton
深圳市 shenzhen
珠海市 zhuhai
汕头市 shantou
佛山市 foshan
东莞市 dongguan
中山市 zhongshan
惠州市 huizhou
江门市 jiangmen
湛江市 zhanjiang
茂名市 maoming
肇庆市 zhaoqing
揭阳市 jieyang
清远市 qingyuan
韶关市 shaoguan
梅州市 meizhou
潮州市 chaozhou
南京市 nanjing
苏州市 suzhou
无锡市 wuxi
常州市 changzhou
南通市 nantong
徐州市 xuzhou
扬州市 yangzhou
盐城市 yancheng
泰州市 taizhou
镇江市 zhenjiang
淮安市 huaian
连云港市 lianyungang
宿迁市 suqian
昆山市 kunshan
江阴市 jiangyin
杭州市 hangzhou
宁波市 ningbo
温州市 wenzhou
绍兴市 shaoxing
嘉兴市 jiaxing
金华市 jinhua
台州市 taizhou
湖州市 huzhou
舟山市 zhoushan
丽水市 lishui
衢州市 quzhou
义乌市 yiwu
济南市 jinan
青岛市 qingdao tsingtao
烟台市 yantai
潍坊市 weifang
临沂市 linyi
淄博市 zibo
济宁市 jining
威海市 weihai
泰安市 taian
德州市 dezhou
聊城市 liaocheng
东营市 dongying
日照市 rizhao
菏泽市 heze
滨州市 binzhou
枣庄市 zaozhuang
福州市 fuzhou
厦门市 xiamen amoy
泉州市 quanzhou
漳州市 zhangzhou
莆田市 putian
武汉市 wuhan
宜昌市 yichang
襄阳市 xiangyang
十堰市 shiyan
荆州市 jingzhou
长沙市 changsha
株洲市 zhuzhou
湘潭市 xiangtan
衡阳市 hengyang
岳阳市 yueyang
常德市 changde
郑州市 zhengzhou
洛阳市 luoyang
开封市 kaifeng
新乡市 xinxiang
南阳市 nanyang
许昌市 xuchang
安阳市 anyang
成都市 chengdu
绵阳市 mianyang
宜宾市 yibin
德阳市 deyang
泸州市 luzhou
西安市 xian xi_an
宝鸡市 baoji
咸阳市 xianyang
石家庄市 shijiazhuang
唐山市 tangshan
保定市 baoding
廊坊市 langfang
邯郸市 handan
沧州市 cangzhou
秦皇岛市 qinhuangdao
太原市 taiyuan
大同市 datong
沈阳市 shenyang
大连市 dalian
鞍山市 anshan
长春市 changchun
吉林市 jilin
哈尔滨市 harbin haerbin
大庆市 daqing
合肥市 hefei
芜湖市 wuhu
蚌埠市 bengbu
马鞍山市 maanshan
南昌市 nanchang
赣州市 ganzhou
九江市 jiujiang
南宁市 nanning
柳州市 liuzhou
桂林市 guilin
海口市 haikou
三亚市 sanya
贵阳市 guiyang
遵义市 zunyi
昆明市 kunming
兰州市 lanzhou
西宁市 xining
银川市 yinchuan
乌鲁木齐市 urumqi wulumuqi
拉萨市 lhasa lasa
呼和浩特市 hohhot huhehaote
包头市 baotou
鄂尔多斯市 ordos eerduosi
台北市 taipei
新北市 new_taipei
台中市 taichung
台南市 tainan
高雄市 kaohsiung
桃园市 taoyuan
新竹市 hsinchu
"""
_REGION_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "新区", "省", "市")
# Only recognised in brackets, e.g. "阿里巴巴（中国）有限公司", "Foo (China) Ltd":
# as a leading word 中国/China is part of the name (中国银行, China Merchants).
_BRACKET_ONLY_REGIONS = {"中国": "中国", "中国大陆": "中国", "china": "china", "prc": "china", "hk": "hong kong"}


def _build_regions() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for line in _CN_REGIONS.split("\n"):
        if not line:
            continue
        official, *latin = line.split()
        bare = next((official[: -len(s)] for s in _REGION_SUFFIXES if official.endswith(s)), official)
        lookup[official] = lookup[bare] = bare
        names = [name.replace("_", " ") for name in latin]
        for name in names:
            lookup.setdefault(name, names[0])
    return lookup


_REGIONS = _build_regions()  # every spelling -> canonical region
_ALL_REGIONS = {**_REGIONS, **_BRACKET_ONLY_REGIONS}


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest first so the longest spelling wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _is_cjk_word(word: str) -> bool:
    return _CJK_RE.match(word) is not None


def _suffix_regex(words: Iterable[str]) -> re.Pattern[str]:
    """Matches one of `words` at the end; Latin words only as whole words."""
    unique = set(words)
    cjk = _alternation(w for w in unique if _is_cjk_word(w))
    latin = _alternation(w for w in unique if not _is_cjk_word(w))
    return re.compile(rf"(?:(?<![a-z0-9])(?:{latin})|(?:{cjk}))$")


_REGION_HEAD_RE = re.compile(
    rf"(?:{_alternation(w for w in _REGIONS if _is_cjk_word(w))})"
    rf"|(?:{_alternation(w for w in _REGIONS if not _is_cjk_word(w))})(?![a-z0-9])"
)
_REGION_TAIL_RE = _suffix_regex(_REGIONS)

# Legal forms, as they appear after _name_key (casefolded, punctuation as
# spaces), mapped to a canonical code. "group" combines with joint_stock.
_LEGAL_FORMS = {
    "股份有限公司": "joint_stock",
    "股份公司": "joint_stock",
    "有限责任公司": "co_ltd",
    "有限公司": "co_ltd",
    "有限会社": "co_ltd",
    "总公司": "company",
    "公司": "company",
    "集团": "group",
    "特殊普通合伙": "llp",
    "有限合伙": "partnership",
    "普通合伙": "partnership",
    "合伙企业": "partnership",
    "个人独资企业": "sole",
    "个人独资": "sole",
    "个体工商户": "sole",
    "株式会社": "kk",
    "주식회사": "joint_stock",
    "company limited": "co_ltd",
    "co ltd": "co_ltd",
    "co limited": "co_ltd",
    "limited": "co_ltd",
    "ltd": "co_ltd",
    "pte ltd": "co_ltd",
    "pvt ltd": "co_ltd",
    "pty ltd": "co_ltd",
    "private limited": "co_ltd",
    "sdn bhd": "co_ltd",
    "bv": "co_ltd",
    "b v": "co_ltd",
    "srl": "co_ltd",
    "s r l": "co_ltd",
    "sarl": "co_ltd",
    "s a r l": "co_ltd",
    "ltda": "co_ltd",
    "sro": "co_ltd",
    "s r o": "co_ltd",
    "kft": "co_ltd",
    "ooo": "co_ltd",
    "oy": "co_ltd",
    "joint stock company": "joint_stock",
    "joint stock co": "joint_stock",
    "joint stock": "joint_stock",
    "jsc": "joint_stock",
    "public limited company": "joint_stock",
    "plc": "joint_stock",
    "ag": "joint_stock",
    "sa": "joint_stock",
    "s a": "joint_stock",
    "se": "joint_stock",
    "nv": "joint_stock",
    "n v": "joint_stock",
    "spa": "joint_stock",
    "s p a": "joint_stock",
    "asa": "joint_stock",
    "oyj": "joint_stock",
    "ab": "joint_stock",
    "kgaa": "joint_stock",
    "incorporated": "inc",
    "inc": "inc",
    "corporation": "corp",
    "corp": "corp",
    "llc": "llc",
    "l l c": "llc",
    "gmbh & co kg": "gmbh_co_kg",
    "gmbh and co kg": "gmbh_co_kg",
    "gmbh co kg": "gmbh_co_kg",
    "gmbh": "gmbh",
    "mbh": "gmbh",
    "kg": "partnership",
    "lp": "partnership",
    "l p": "partnership",
    "partnership": "partnership",
    "llp": "llp",
    "l l p": "llp",
    "kabushiki kaisha": "kk",
    "k k": "kk",
    "kk": "kk",
    "group": "group",
    "company": "company",
    "co": "company",
}
# Bracketed legal markers: "（集团）", "(有限合伙)", "(joint stock)", "㈜" (NFKC "(주)").
_BRACKET_LEGAL = {**_LEGAL_FORMS, "주": "joint_stock"}
_LEGAL_TAIL_RE = _suffix_regex(_LEGAL_FORMS)
_LEGAL_HEAD_RE = re.compile(r"(?:株式会社|有限会社|주식회사) ?")

_CN_BRANCH_RE = re.compile(r"(?:分公司|分行|支行|分店|分厂|办事处|营业部|分部|代表处|分所|分社|分理处)$")
_EN_BRANCH_RE = re.compile(r"(?<![a-z0-9])(?:branch office|branch|representative office|rep office)$")
# The last of these before a branch marker ends the parent's own name:
# "招商银行股份有限公司|深圳南山|支行".
_CN_BRANCH_PARENT_RE = re.compile(r"股份有限公司|有限责任公司|有限公司|公司|集团|银行")
_EN_BRANCH_PARENT_RE = re.compile(
    r"(?<![a-z0-9])(?:co ltd|limited|ltd|inc|corp|corporation|llc|gmbh|ag|plc|company|co)(?![a-z0-9])"
)

# Industry words: in the usual name structure (region + trade name + industry
# + legal form) they follow the trade name, so they are only stripped from the
# end. 终端 (devices) is deliberately absent: "华为终端" keeps it.
_INDUSTRY_WORDS = """
科技 技术 贸易 实业 电子 机械 信息 网络 软件 电器 化工 物流 建设 工程 投资 发展 制造 商贸 医药 食品
银行 保险 证券 计算机 系统 通信 通讯 电气 设备 材料 新材料 能源 新能源 环保 环境 汽车 配件 服装 纺织
建材 建筑 装饰 房地产 地产 置业 开发 咨询 管理 服务 文化 传媒 广告 教育 健康 生物 医疗 器械 农业
进出口 国际 控股 智能 自动化 精密 五金 塑料 塑胶 橡胶 包装 印刷 钢铁 金属 矿业 石油 化学 光电 电力
照明 数码 数据 互联网 金融 资本 基金 资产 租赁 航空 航运 运输 货运 快递 供应链 餐饮 酒店 旅游 百货
超市 商业 零售 经贸 工贸 电子商务 电商 重工 制药 药业 企业 人力资源 集成 半导体 微电子 家具 家居 陶瓷
玻璃 水泥 工业 产业 创新 设计 营销 商务 节能 仪器 仪表 光学 电池 机电 模具 电缆 线缆 纸业 安装 装备
船舶 大学 学院 医院 研究所 研究院 中心
technology technologies tech trading trade industrial industries industry electronics electronic
electric electrical machinery machine mechanical information network networks software system systems
chemical chemicals logistics construction engineering investment investments development manufacturing
pharmaceutical pharmaceuticals pharma food foods bank banking insurance securities international intl
global holdings holding enterprise enterprises service services solutions consulting material materials
energy equipment products product import export imp exp automotive auto motor motors medical healthcare
biotech biotechnology plastics packaging metals steel textile textiles garments apparel communications
telecom telecommunications computer digital media commerce commercial supply_chain capital finance
financial management resources power optical semiconductor semiconductors instruments precision
hardware tools design innovation smart intelligent automation environmental mining petroleum paper
printing furniture ceramics glass agriculture aviation airlines shipping transport transportation
express retail wholesale hotel hotels tourism travel education culture advertising property properties
real_estate realty university college hospital
"""
_INDUSTRY_TAIL_RE = _suffix_regex(w.replace("_", " ") for w in _INDUSTRY_WORDS.split())

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
        m = _INDUSTRY_TAIL_RE.search(key, max(0, len(key) - _TAIL))
        if m is None:
            break
        rest = _trim_joiners(key[: m.start()])
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
    if (region := _REGION_TAIL_RE.search(head, max(0, len(head) - _TAIL))) is not None:
        place, head = region.group(), head[: region.start()].rstrip()
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


def _strip_legal(key: str) -> tuple[str, list[str]]:
    """Remove trailing legal forms (outermost first) unless nothing would remain."""
    flags: list[str] = []
    for _ in range(_MAX_STRIPS):
        m = _LEGAL_TAIL_RE.search(key, max(0, len(key) - _TAIL))
        if m is None:
            break
        rest = _trim_joiners(key[: m.start()])
        if not _NON_WORD_RE.sub("", rest):
            break
        flags.append(_LEGAL_FORMS[m.group()])
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
        m = _REGION_HEAD_RE.match(key)
        if m is None:
            break
        rest = key[m.end() :].lstrip()
        if not _substantial(rest) or not _NON_WORD_RE.sub("", _strip_industry(rest, guarded=False)):
            break
        region, key = _REGIONS[m.group()], rest
    return key, region


@_cache_short
def _company_parts(display: str) -> tuple[str, str, str | None, str | None, str | None] | None:
    full_key = _name_key(display)
    key, region, branch, flags = _take_brackets(full_key)
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
# tax_id
# ---------------------------------------------------------------------------

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE_RE = re.compile(r"[0-9A-Z]{2}\d{6}[0-9A-Z]{10}")
_CN_ID_SHAPE_RE = re.compile(r"\d{17}[\dX]")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_SEPARATORS_RE = re.compile("[\\s.\\-\u2010-\u2015]+")


def _uscc_check_char(body: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    remainder = 31 - sum(_USCC_VALUES[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True)) % 31
    return _USCC_CHARSET[0 if remainder == 31 else remainder]


def _cn_resident_id_valid(code: str) -> bool:
    """ISO 7064 MOD 11-2 check of an 18-character PRC resident identity number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(code[:17], _CN_ID_WEIGHTS, strict=True)) % 11] == code[17]


def std_tax_id(raw: object) -> Standardized:
    """Tax / registration id. value: NFKC, upper-cased, spaces, dots and
    hyphens removed (kept even when invalid).
    parts: {"kind": "uscc" | "cn_resident_id" | "cn_old_licence" | "other",
            "valid": True | False | None (no check for the kind)}.
    18-character ids shaped like a unified social credit code get the
    GB 32100-2015 check; one that fails it but passes the resident-identity
    check (individual taxpayers) is kind "cn_resident_id"."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text).upper()
    problems = _float_id_problems(raw)
    if len(value) == 15 and value.isdigit():
        return Standardized(value, {"kind": "cn_old_licence", "valid": None}, problems)
    if len(value) != 18 or not _USCC_SHAPE_RE.fullmatch(value):
        return Standardized(value, {"kind": "other", "valid": None}, problems)
    if bad := sorted(set(value) - _USCC_VALUES.keys()):
        problem = MSG_USCC_CHARS.format(chars=", ".join(bad))
        return Standardized(value, {"kind": "uscc", "valid": False}, (*problems, problem))
    expected = _uscc_check_char(value[:17])
    if expected == value[17]:
        return Standardized(value, {"kind": "uscc", "valid": True}, problems)
    if _CN_ID_SHAPE_RE.fullmatch(value) and _cn_resident_id_valid(value):
        return Standardized(value, {"kind": "cn_resident_id", "valid": True}, problems)
    problem = MSG_USCC_CHECK.format(expected=expected, got=value[17])
    return Standardized(value, {"kind": "uscc", "valid": False}, (*problems, problem))


# ---------------------------------------------------------------------------
# phone
# ---------------------------------------------------------------------------

_PHONE_SPLIT_RE = re.compile(r"[/;,|、]+|\s+(?:or|或|及)\s+")
_PHONE_EXTENSION_RE = re.compile(r"\s*(?:转|分机|内线|extension|extn|ext|x|#)[\s.:：]*(\d{1,6})$", re.IGNORECASE)
_PHONE_LABEL_RE = re.compile(r"^[^\d+(]+")
_NON_DIGIT_RE = re.compile(r"[^0-9]+")
_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
}


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_phone(number: str, region: str) -> tuple[str, str] | None:
    """(E.164, kind) of a "+digits" or "digits" string, None when invalid."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    # number_type is what is_valid_number computes (UNKNOWN = invalid): call it once.
    number_type = phonenumbers.number_type(parsed)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, _PHONE_KINDS.get(number_type, "other")


def std_phone(raw: object, *, region: str = "CN") -> Standardized:
    """Phone number(s). value: E.164 of the first valid number; national
    numbers are read in `region`. Handles full-width digits, "(0755)",
    "+86-755-…", "0086…", "86 138…", labels like "Tel:" and explicit
    extensions ("转123", "ext. 123", "x123"; a bare "-8001" is not one).
    Several numbers ("/", ";", ",", "、", "or", new lines) → the first valid
    one; invalid pieces with 5+ digits are reported as problems.
    parts: {"kind": "mobile" | "fixed" | "other" (toll-free, VoIP, or lines
    that may be either, as in the US), "extension": digits or None,
    "others": comma-separated E.164 of the other valid numbers or None}.
    No valid number → value None and a problem."""
    text = _as_list_text(raw)
    if text is None:
        return _empty()
    region = region.upper()
    found: list[tuple[str, str, str | None]] = []
    problems: list[str] = list(_float_id_problems(raw))
    for piece in _PHONE_SPLIT_RE.split(text, maxsplit=_MAX_PIECES)[:_MAX_PIECES]:
        extension = None
        if (m := _PHONE_EXTENSION_RE.search(piece, max(0, len(piece) - 24))) is not None:
            extension, piece = m.group(1), piece[: m.start()]
        number = _PHONE_LABEL_RE.sub("", piece.strip())
        digits = _NON_DIGIT_RE.sub("", number)
        if len(digits) < 5:  # "0755-1234567/8" shorthand, labels, notes
            continue
        plus = number.startswith("+") or digits.startswith("00")
        key = "+" + digits.removeprefix("00") if plus else digits
        parsed = _parse_phone(key, region) if len(digits) <= 20 else None
        if parsed is None:
            problems.append(MSG_PHONE.format(raw=_quote(piece.strip())))
        elif all(parsed[0] != e164 for e164, _, _ in found):
            found.append((*parsed, extension))
    if not found:
        return Standardized(None, {}, (MSG_PHONE.format(raw=_quote(text)),))
    (e164, kind, extension), *others = found
    parts: dict[str, str | bool | None] = {
        "kind": kind,
        "extension": extension,
        "others": ",".join(other[0] for other in others) or None,
    }
    return Standardized(e164, parts, tuple(problems))


# ---------------------------------------------------------------------------
# email, url
# ---------------------------------------------------------------------------

_EMAIL_SPLIT_RE = re.compile(r"[\s,;/|、<>]+")  # "<>": "Zhang San <zs@x.com>"
_EMAIL_RE = re.compile(
    r"[\w!#$%&'*+=?^`{}~-]+(?:\.[\w!#$%&'*+=?^`{}~-]+)*"
    r"@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})"
)


def std_email(raw: object) -> Standardized:
    """E-mail address(es). value: the first valid address, lower-cased
    ("mailto:" and "Name <…>" wrappers removed; full-width ＠ handled).
    parts: {"domain": the address's domain, "others": comma-separated other
    valid addresses or None}. No valid address → value None and a problem;
    other pieces containing "@" that are invalid are reported too."""
    text = _as_list_text(raw)
    if text is None:
        return _empty()
    lowered = text.lower()
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for piece in _EMAIL_SPLIT_RE.split(lowered, maxsplit=_MAX_PIECES)[:_MAX_PIECES]:
        address = piece.strip("()[]\"'.:").removeprefix("mailto:")
        m = _EMAIL_RE.fullmatch(address) if len(address) <= 254 else None
        if m is not None:
            if all(address != known for known, _ in found):
                found.append((address, m.group(1)))
        elif "@" in address:
            problems.append(MSG_EMAIL.format(raw=_quote(piece)))
    if not found:
        return Standardized(None, {}, (MSG_EMAIL.format(raw=_quote(text)),))
    (address, domain), *others = found
    return Standardized(address, {"domain": domain, "others": ",".join(o[0] for o in others) or None}, tuple(problems))


_URL_SPLIT_RE = re.compile(r"[\s;,|]+")
_URL_SCHEME_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_URL_HOST_RE = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}|\d{1,3}(?:\.\d{1,3}){3}")
_URL_WWW_RE = re.compile(r"^www\d*\.")
# Second-level labels under a country TLD that are public suffixes
# (com.cn, co.uk, co.jp, com.au ...): the registrable domain has 3 labels.
_SECOND_LEVEL_LABELS = frozenset({"com", "net", "org", "gov", "edu", "co", "ac", "or", "ne", "go", "mil"})


def std_url(raw: object) -> Standardized:
    """Website. value: lower-case host without scheme, user info, port and
    "www.", plus the path (case kept) without query, fragment and trailing
    slash: "https://www.Huawei.com/cn/?x=1" → "huawei.com/cn".
    parts: {"domain": registrable domain: the last two host labels, or three
    under com.cn / co.uk style suffixes}. Invalid host → value None, problem."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    first = next(piece for piece in _URL_SPLIT_RE.split(text) if piece)
    rest = _URL_SCHEME_RE.sub("", first)
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    host, path = rest[:cut], rest[cut:]
    host = host.rpartition("@")[2].partition(":")[0].lower().rstrip(".")
    host = _URL_WWW_RE.sub("", host)
    if not _URL_HOST_RE.fullmatch(host):
        return Standardized(None, {}, (MSG_URL.format(raw=_quote(text)),))
    path = path.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    labels = host.split(".")
    if host.replace(".", "").isdigit():
        domain = host
    elif len(labels) >= 3 and labels[-2] in _SECOND_LEVEL_LABELS and len(labels[-1]) == 2:
        domain = ".".join(labels[-3:])
    else:
        domain = ".".join(labels[-2:])
    return Standardized(host + path, {"domain": domain})


# ---------------------------------------------------------------------------
# address, postcode, country
# ---------------------------------------------------------------------------

_ADDRESS_ABBREVIATIONS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "bldg": "building",
    "bld": "building",
    "no": "no",
    "rm": "room",
    "ste": "suite",
    "apt": "apartment",
    "ln": "lane",
    "hwy": "highway",
    "dist": "district",
    "ind": "industrial",
    "ctr": "center",
    "sq": "square",
    "dr": "drive",
}
# "St. Louis", "Dr. Sun Yat-sen Road": these two expand only when no word follows.
_ADDRESS_BEFORE_NAMES = frozenset({"st", "dr"})
_ADDRESS_ABBREVIATION_RE = re.compile(rf"(?<![\w.])({_alternation(_ADDRESS_ABBREVIATIONS)})(?!\w)\.?\s*", re.IGNORECASE)
_ADDRESS_FLOOR_RE = re.compile(
    r"(?<![\w.])(?:(\d+)(?:st|nd|rd|th)?\s*/?\s*(?:floor|flr|fl|f)|(?:floor|flr|fl)\.?\s*(\d+))(?!\w)\.?",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +([,;:)])")


def _expand_abbreviation(m: re.Match[str]) -> str:
    word = m.group(1).lower()
    after = m.string[m.end() : m.end() + 1]
    if word in _ADDRESS_BEFORE_NAMES and after.isalpha():
        return m.group()
    return _ADDRESS_ABBREVIATIONS[word] + " "


def std_address(raw: object) -> Standardized:
    """Street address. value: cleaned text (NFKC, full-width digits as ASCII)
    with English abbreviations spelled out in lower case (St→street, Rd→road,
    Ave→avenue, Bldg→building, Rm→room, No.→no …) and floors as "floor N"
    ("5F", "5/F", "5th Fl", "Fl. 5"); Chinese 号/号楼/室/楼 are kept.
    parts: {"folded": comparison form (casefolded, punctuation removed)}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ADDRESS_FLOOR_RE.sub(lambda m: f"floor {m.group(1) or m.group(2)}", text)
    value = _ADDRESS_ABBREVIATION_RE.sub(_expand_abbreviation, value)
    value = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", " ".join(value.split()))
    return Standardized(value, {"folded": _compare_form(value)})


_UK_POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}")
_CA_POSTCODE_RE = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")
_NL_POSTCODE_RE = re.compile(r"\d{4}[A-Z]{2}")


def std_postcode(raw: object) -> Standardized:
    """Postcode. value: NFKC, upper-cased, spaces removed except the one that
    belongs to the format (UK "SW1A 1AA", Canada "K1A 0B1", Netherlands
    "1234 AB"); hyphens kept ("100-0001"). Not validated: the country is not
    known here. parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    compact = "".join(text.upper().split())
    if _UK_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:-3]} {compact[-3:]}"
    elif _CA_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:3]} {compact[3:]}"
    elif _NL_POSTCODE_RE.fullmatch(compact):
        compact = f"{compact[:4]} {compact[4:]}"
    return Standardized(compact, {})


# ISO 3166-1 alpha-2, alpha-3, then names (English, local, simplified and
# traditional Chinese).
_COUNTRIES = """
CN CHN China;PRC;P.R.China;P.R.C.;People's Republic of China;Mainland China;中国;中华人民共和国;中国大陆;大陆;中國
HK HKG Hong Kong;Hongkong;Hong Kong SAR;Hong Kong, China;香港;中国香港;香港特别行政区
MO MAC Macau;Macao;澳门;中国澳门;澳門
TW TWN Taiwan;Taiwan, Province of China;Chinese Taipei;台湾;中国台湾;台湾省;臺灣;台灣
JP JPN Japan;Nippon;日本
KR KOR South Korea;Korea;Republic of Korea;Korea, Republic of;韩国;南韩;韓國
KP PRK North Korea;Democratic People's Republic of Korea;朝鲜
SG SGP Singapore;新加坡
MY MYS Malaysia;马来西亚
TH THA Thailand;泰国
VN VNM Vietnam;Viet Nam;越南
ID IDN Indonesia;印度尼西亚;印尼
PH PHL Philippines;菲律宾
IN IND India;印度
PK PAK Pakistan;巴基斯坦
BD BGD Bangladesh;孟加拉国;孟加拉
AU AUS Australia;澳大利亚;澳洲
NZ NZL New Zealand;新西兰
US USA United States;United States of America;U.S.;U.S.A.;America;美国;美利坚合众国;美國
CA CAN Canada;加拿大
MX MEX Mexico;México;墨西哥
BR BRA Brazil;Brasil;巴西
AR ARG Argentina;阿根廷
CL CHL Chile;智利
GB GBR United Kingdom;UK;U.K.;Great Britain;Britain;England;英国;大不列颠;英國
IE IRL Ireland;爱尔兰
DE DEU Germany;Deutschland;Federal Republic of Germany;德国;德國
FR FRA France;法国;法國
IT ITA Italy;Italia;意大利
ES ESP Spain;España;西班牙
PT PRT Portugal;葡萄牙
NL NLD Netherlands;The Netherlands;Holland;Nederland;荷兰
BE BEL Belgium;Belgique;België;比利时
LU LUX Luxembourg;卢森堡
CH CHE Switzerland;Schweiz;Suisse;瑞士
AT AUT Austria;Österreich;奥地利
SE SWE Sweden;Sverige;瑞典
NO NOR Norway;Norge;挪威
DK DNK Denmark;Danmark;丹麦
FI FIN Finland;Suomi;芬兰
PL POL Poland;Polska;波兰
CZ CZE Czech Republic;Czechia;捷克
HU HUN Hungary;匈牙利
RO ROU Romania;罗马尼亚
GR GRC Greece;希腊
TR TUR Turkey;Türkiye;土耳其
RU RUS Russia;Russian Federation;俄罗斯;俄罗斯联邦
UA UKR Ukraine;乌克兰
IL ISR Israel;以色列
SA SAU Saudi Arabia;沙特阿拉伯;沙特
AE ARE United Arab Emirates;UAE;阿联酋;阿拉伯联合酋长国
QA QAT Qatar;卡塔尔
EG EGY Egypt;埃及
ZA ZAF South Africa;南非
NG NGA Nigeria;尼日利亚
KE KEN Kenya;肯尼亚
KZ KAZ Kazakhstan;哈萨克斯坦
"""


def _country_key(text: str) -> str:
    key = _NON_WORD_RE.sub("", _strip_accents(text.casefold()))
    return key.removeprefix("the") if len(key) > 5 else key


def _build_countries() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for line in _COUNTRIES.split("\n"):
        if not line:
            continue
        alpha2, alpha3, names = line.split(" ", 2)
        for name in (alpha2, alpha3, *names.split(";")):
            lookup[_country_key(name)] = alpha2
    return lookup


_COUNTRY_LOOKUP = _build_countries()


def _build_country_heads() -> dict[str, str]:
    """Chinese spellings of foreign countries -> the first of them ("德國" -> "德国")."""
    lookup: dict[str, str] = {}
    for line in _COUNTRIES.split("\n"):
        if not line or line[:2] in ("CN", "HK", "MO", "TW"):
            continue
        names = [n for n in line.split(" ", 2)[2].split(";") if _is_cjk_word(n)]
        for name in names:
            lookup[_name_key(name)] = _name_key(names[0])
    return lookup


_COUNTRY_HEADS = _build_country_heads()
FOREIGN_COUNTRY_REGIONS = frozenset(_COUNTRY_HEADS.values())  # a company name's region: a foreign company
_COUNTRY_HEAD_RE = re.compile(_alternation(_COUNTRY_HEADS))


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
def _country_code(text: str) -> str | None:
    return _COUNTRY_LOOKUP.get(_country_key(text))


def std_country(raw: object) -> Standardized:
    """Country. value: ISO 3166-1 alpha-2 code from an ISO2/ISO3 code or an
    English, local or Chinese name ("CHN", "P.R.China", "中华人民共和国" →
    "CN"; "中国香港" → "HK"). Unknown → the upper-cased input and a problem.
    parts: {}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    code = _country_code(text)
    if code is None:
        return Standardized(text.upper(), {}, (MSG_COUNTRY.format(raw=_quote(text)),))
    return Standardized(code, {})


# ---------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------

_TIME = r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)? ?(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?"
_DATE_YMD_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, re.IGNORECASE)
_DATE_CN_RE = re.compile(
    r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?" + _TIME.replace("[T ]+", "[T ]*"), re.IGNORECASE
)
_DATE_DMY_RE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME, re.IGNORECASE)
_DATE_NAMED_DMY_RE = re.compile(r"(\d{1,2})[- ./]*([a-z]{3,9})\.?[- ./,]*(\d{4}|\d{2})" + _TIME, re.IGNORECASE)
_DATE_NAMED_MDY_RE = re.compile(r"([a-z]{3,9})\.? ?(\d{1,2})(?:st|nd|rd|th)?,? ?(\d{4})" + _TIME, re.IGNORECASE)
_DATE_WEEKDAY_RE = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? ?", re.IGNORECASE)
_DATE_ODATA_RE = re.compile(r"\\?/Date\((-?\d{1,15})([+-]\d{4})?\)\\?/")
_DATE_ZERO_CHARS = frozenset("-0/.: T")  # SAP "00000000", MySQL "0000-00-00 00:00:00"
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TIME_DIRECTIVE_RE = re.compile(r"%[HIMSfzpXcT]")


class _DateError(ValueError):
    """A date that cannot be read; args[0] is the problem message."""


def _format_datetime(value: dt.datetime) -> str:
    """Seconds precision; aware → UTC "+00:00"; naive midnight → date only
    (XLSX and ORMs hand dates over as midnight datetimes)."""
    value = value.replace(microsecond=0)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(dt.UTC).isoformat()
    if value.time() == dt.time():
        return value.date().isoformat()
    return value.isoformat()


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.lower() in ("z", "utc", "gmt"):
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return dt.timezone(-offset if text[0] == "-" else offset)


def _build_date(year: int, month: int, day: int, time: tuple[str | None, ...]) -> str:
    hour, minute, second, zone = time
    if hour is None:
        return dt.date(year, month, day).isoformat()
    value = dt.datetime(year, month, day, int(hour), int(minute or 0), int(second or 0), tzinfo=_zone(zone))
    return _format_datetime(value)


def _from_epoch(milliseconds: int) -> str:
    return _format_datetime(_EPOCH + dt.timedelta(milliseconds=milliseconds))


def _parse_date_text(text: str) -> str | None:
    """ISO 8601 value of a date string; raises _DateError."""
    if "0" in text and _DATE_ZERO_CHARS.issuperset(text):
        return None
    if text.isdigit() and text.isascii():
        if len(text) == 8:  # SAP DATS
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        if len(text) == 14:  # SAP timestamp YYYYMMDDhhmmss
            return _format_datetime(dt.datetime.strptime(text, "%Y%m%d%H%M%S"))
        if len(text) == 10:
            return _from_epoch(int(text) * 1000)
        if len(text) == 13:
            return _from_epoch(int(text))
        raise _DateError(MSG_DATE.format(raw=_quote(text)))
    if (m := _DATE_ODATA_RE.fullmatch(text)) is not None:
        # The OData v2 offset is informational: the milliseconds are UTC.
        return _from_epoch(int(m.group(1)))
    if (m := _DATE_YMD_RE.fullmatch(text) or _DATE_CN_RE.fullmatch(text)) is not None:
        return _build_date(int(m[1]), int(m[2]), int(m[3]), m.groups()[3:])
    if (m := _DATE_DMY_RE.fullmatch(text)) is not None:
        first, second = int(m[1]), int(m[3])
        # Dotted dates are day-first everywhere they are used (DE, RU, ...).
        if m[2] == "." or first > 12 or first == second:
            day, month = first, second
        elif second > 12:
            day, month = second, first
        else:
            raise _DateError(MSG_DATE_AMBIGUOUS.format(raw=_quote(text)))
        return _build_date(int(m[4]), month, day, m.groups()[4:])
    text = _DATE_WEEKDAY_RE.sub("", text)
    if (m := _DATE_NAMED_DMY_RE.fullmatch(text)) is not None and m[2].lower() in _MONTHS:
        year = int(m[3])
        if len(m[3]) == 2:  # Oracle DD-MON-RR
            year += 2000 if year < 50 else 1900
        return _build_date(year, _MONTHS[m[2].lower()], int(m[1]), m.groups()[3:])
    if (m := _DATE_NAMED_MDY_RE.fullmatch(text)) is not None and m[1].lower() in _MONTHS:
        return _build_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]), m.groups()[3:])
    raise _DateError(MSG_DATE.format(raw=_quote(text)))


@_cache_short
def _parse_date_cached(text: str) -> tuple[str | None, str | None]:
    """(value, problem) so that failures are cached too."""
    try:
        return _parse_date_text(text), None
    except _DateError as error:
        return None, error.args[0]
    except (ValueError, OverflowError):  # out-of-range parts: 2023-02-30, 25:00
        return None, MSG_DATE.format(raw=_quote(text))


def std_date(raw: object) -> Standardized:
    """Date or timestamp. value: "YYYY-MM-DD" for dates; for times
    "YYYY-MM-DDTHH:MM:SS+00:00" converted to UTC when a zone is known, else
    naive "YYYY-MM-DDTHH:MM:SS"; seconds precision; a naive midnight is a
    date. Reads date/datetime objects, ISO 8601 ("2023-05-01T10:00:00.000Z",
    "2023-05-01 10:00:00+08:00"), "2023/5/1", "2023.05.01", "2023年5月1日",
    SAP "20230501" / "20230501103000" ("00000000" is empty), epoch seconds
    (10 digits) and milliseconds (13 digits), OData "/Date(ms[+0800])/",
    day- or month-first dates when unambiguous ("25/12/2023", "01.05.2023"
    is day-first), and English month names ("1 May 2023", "01-MAY-23",
    "May 1, 2023"). Ambiguous ("01/05/2023") or unreadable → fatal. parts: {}."""
    if isinstance(raw, bool):
        return Standardized(None, {}, (MSG_DATE.format(raw=_quote(str(raw))),), fatal=True)
    if isinstance(raw, dt.datetime):
        return _empty() if raw != raw else Standardized(_format_datetime(raw), {})
    if isinstance(raw, dt.date):
        return Standardized(raw.isoformat(), {})
    text = _as_text(raw)
    if text is None:
        return _empty()
    value, problem = _parse_date_cached(text)
    if problem is not None:
        return Standardized(None, {}, (problem,), fatal=True)
    return Standardized(value, {})


def parse_date(raw: object, fmt: str) -> Standardized:
    """Date with an explicit strptime format (a profile's date_format).
    Output as `std_date`: a date when `fmt` has no time directive. date and
    datetime objects are taken as they are. A mismatch is fatal."""
    if isinstance(raw, dt.date):
        return std_date(raw)
    text = _as_text(raw)
    if text is None:
        return _empty()
    try:
        value = dt.datetime.strptime(text, fmt)
    except ValueError:
        problem = MSG_DATE_FORMAT.format(raw=_quote(text), fmt=_quote(fmt))
        return Standardized(None, {}, (problem,), fatal=True)
    if not _TIME_DIRECTIVE_RE.search(fmt):
        return Standardized(value.date().isoformat(), {})
    return Standardized(_format_datetime(value), {})


# ---------------------------------------------------------------------------
# number
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# bank_account, gtin
# ---------------------------------------------------------------------------

_IBAN_SHAPE_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def _iban_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def std_bank_account(raw: object) -> Standardized:
    """Bank account number. value: NFKC, spaces and hyphens removed,
    upper-cased. parts: {"iban_valid": the ISO 13616 mod-97 result when the
    value is IBAN-shaped (two letters, two digits, 11-30 alphanumerics), else
    None}. An invalid IBAN is kept and flagged."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text).upper()
    problems = _float_id_problems(raw)
    if not _IBAN_SHAPE_RE.fullmatch(value):
        return Standardized(value, {"iban_valid": None}, problems)
    valid = _iban_valid(value)
    if not valid:
        problems = (*problems, MSG_IBAN.format(raw=_quote(value)))
    return Standardized(value, {"iban_valid": valid}, problems)


def _gs1_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def std_gtin(raw: object) -> Standardized:
    """Barcode (GTIN-8/12/13/14, EAN, UPC). value: zero-padded GTIN-14 when
    the GS1 check digit is right, else the cleaned input. Numbers from
    spreadsheets may have lost leading zeros, so numeric cells of 7-14
    digits are checked as GTIN-14. parts: {"valid": bool}."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _ID_SEPARATORS_RE.sub("", text)
    numeric_cell = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    lengths = range(7, 15) if numeric_cell else (8, 12, 13, 14)
    if not (value.isdigit() and value.isascii() and len(value) in lengths):
        return Standardized(value, {"valid": False}, (MSG_GTIN_FORMAT.format(raw=_quote(text)),))
    padded = value.zfill(14)
    expected = _gs1_check_digit(padded[:13])
    if expected != padded[13]:
        return Standardized(value, {"valid": False}, (MSG_GTIN_CHECK.format(expected=expected, got=padded[13]),))
    return Standardized(padded, {"valid": True})


# ---------------------------------------------------------------------------
# unit
# ---------------------------------------------------------------------------

# Canonical code (UN/ECE Rec 20/21 style) and the spellings that map to it.
# Chinese measure words that count single items (台, 根, 条, 片, 支 ...) are PCE;
# parts["source_unit"] keeps what the source said.
_UNITS = """
PCE 个 只 件 台 根 条 片 支 块 把 枚 颗 粒 本 册 辆 部 座 pcs pc pce ea each piece st stk stuck h87 c62 unit nos
SET 套 组 set
CT 箱 carton ctn cs case kar
BX 盒 box boxes bx
PK 包 pack pak pk pkg package packet
BG 袋 bag bg
RO 卷 roll rl rol
PR 对 双 副 pair pr paa
KGM 千克 公斤 kg kgm kilo kilogram
GRM 克 g gr gram grm
TNE 吨 t ton tonne tne to mt
MTR 米 m mtr meter metre
CMT 厘米 cm cmt centimeter centimetre
MMT 毫米 mm mmt millimeter millimetre
LTR 升 公升 l ltr liter litre
MLT 毫升 ml mlt milliliter millilitre
MTK 平方米 平米 m2 mtk sqm
MTQ 立方米 m3 mtq cbm
BO 瓶 bottle bo bt btl
DR 桶 drum barrel dr
SH 张 sheet sh
DZN 打 dozen dzn dz
CA 罐 听 can ca
HUR 小时 h hr hour hur std
DAY 天 日 day
MON 月 month mon
ANN 年 year yr ann
KMT 千米 公里 km kmt
MGM 毫克 mg mgm
INH 英寸 inch inches in inh
FOT 英尺 ft foot feet fot
LBR 磅 lb lbs lbr
GLL 加仑 gal gallon gll
KWH 千瓦时 kwh
"""


def _unit_key(text: str) -> str:
    return _strip_accents(text.casefold()).replace(" ", "").replace(".", "")


def _build_units() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for line in _UNITS.split("\n"):
        if line:
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
    """Unit of measure. value: a canonical code (UN/ECE Rec 20/21 style):
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
_SPEC_TIMES_RE = re.compile(r"(?<=\d)((?i:mm|cm|m))? ?[xX×] ?(?=[\d.Φ])")
_SPEC_UNIT_SPACE_RE = re.compile(r"(?<=\d) (?=(?i:[pnuµmkg]?(?:Ω|hz|f|v|a|w)|mm|cm|m|kg|ml|l)(?![a-zA-Z]))")
_SPEC_RKM_RE = re.compile(r"(?<![\w.])(\d+)([RKkM])(\d+)Ω?(?![\w.])")  # IEC 60062: 6K8, 4R7, 2M2
_RKM_PREFIXES = {"R": "", "K": "k", "k": "k", "M": "M"}
_SPEC_R_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)R(?![\w.])")  # 100R
_SPEC_QUANTITY_RE = re.compile(r"(\d+(?:\.\d+)?)([a-zA-ZµΩ]*)")
_SPEC_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
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
    text = _SPEC_RKM_RE.sub(lambda m: f"{m[1]}.{m[3]}{_RKM_PREFIXES[m[2]]}Ω", text)
    text = _SPEC_R_RE.sub(r"\1Ω", text)
    pieces: list[str] = []
    last = 0
    for m in _SPEC_QUANTITY_RE.finditer(text):
        pieces.append(text[last : m.start()].translate(_ASCII_UPPER))
        pieces.append(_spec_quantity(m))
        last = m.end()
    pieces.append(text[last:].translate(_ASCII_UPPER))
    return "".join(pieces).replace("×", "x")


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
    (M/m case is kept for Ω, W and F); "1/4W" stays a fraction.
    parts: {"numbers": the numbers of the value in order, space-separated
    ("M6x20" → "6 20", "6.8kΩ" → "6.8")}.
    """
    text = _as_text(raw)
    if text is None:
        return _empty()
    value = _canonical_spec(text)
    return Standardized(value, {"numbers": " ".join(_SPEC_NUMBER_RE.findall(value)) or None})


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

STANDARDIZERS: dict[str, Callable[..., Standardized]] = {
    "text": std_text,
    "code": std_code,
    "company_name": std_company_name,
    "tax_id": std_tax_id,
    "phone": std_phone,
    "email": std_email,
    "url": std_url,
    "address": std_address,
    "postcode": std_postcode,
    "country": std_country,
    "date": std_date,
    "number": std_number,
    "bank_account": std_bank_account,
    "gtin": std_gtin,
    "unit": std_unit,
    "spec": std_spec,
}


def standardize(type_name: str, raw: object, *, phone_region: str = "CN") -> Standardized:
    """Standardize `raw` with the standardizer registered as `type_name`.
    `phone_region` is the default region for national phone numbers.
    Raises KeyError naming the known types when `type_name` is unknown."""
    try:
        function = STANDARDIZERS[type_name]
    except KeyError:
        known = ", ".join(sorted(STANDARDIZERS))
        raise KeyError(f"unknown standardizer type {type_name!r}; known types: {known}") from None
    if function is std_phone:
        return std_phone(raw, region=phone_region)
    return function(raw)
