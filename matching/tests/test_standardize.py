"""Tests for matching.standardize: table-driven, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest

from matching import standardize as s
from matching.standardize import STANDARDIZERS, Standardized, fold_text, parse_date, standardize

# Keys every non-empty result carries, per type (the interface other code stores).
PARTS_KEYS = {
    "text": {"folded"},
    "code": set(),
    "company_name": {"core", "distinct", "legal_form", "region", "branch"},
    "tax_id": {"kind", "valid"},
    "phone": {"kind", "extension", "others"},
    "email": {"domain", "others"},
    "url": {"domain"},
    "address": {"folded"},
    "postcode": set(),
    "country": set(),
    "date": set(),
    "number": set(),
    "bank_account": {"iban_valid"},
    "gtin": {"valid"},
    "unit": {"source_unit"},
    "spec": {"numbers"},
}

EMPTY_INPUTS = [None, "", "   ", "\t\n", "\u3000\u3000", "\u200b\ufeff", float("nan"), "N/A", "-", "NULL", "无", "#N/A"]

NASTY_INPUTS = [
    "x" * 100_000,
    "有限公司" * 25_000,
    "(" * 100_000,
    "0" * 100_000,
    "1," * 50_000,
    "科技" * 50_000,
    "a@" * 50_000,
    "13800138000/" * 9_000,
    "M6x" * 33_000,
    " \u200b" * 50_000,
    "1" * 99_999 + "F",
    "st. " * 25_000,
    "😀🚀💥",
    "华为Huawei技術Ｃｏ．😀",
    "\x00\x07\x1b[31m",
    "ʕ•ᴥ•ʔ",
    "مرحبا",
    "Ω µ μ Φ ×",
    True,
    0,
    -1,
    3.14159,
    1e300,
    dt.date(2023, 5, 1),
    dt.datetime(2023, 5, 1, 10, 30),
    Decimal("12.50"),
]


def std(type_name: str, raw: object) -> Standardized:
    return standardize(type_name, raw)


# --- interface --------------------------------------------------------------


def test_it_registers_every_type_under_its_name() -> None:
    assert set(STANDARDIZERS) == set(PARTS_KEYS)
    for name, function in STANDARDIZERS.items():
        assert function.__name__ == f"std_{name}"


def test_it_rejects_unknown_types_with_a_clear_message() -> None:
    with pytest.raises(KeyError, match=r"unknown standardizer type 'colour'.*company_name"):
        standardize("colour", "red")


def test_it_returns_frozen_results() -> None:
    result = std("text", "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = "b"  # type: ignore[misc]


def test_it_does_not_share_parts_between_cached_results() -> None:
    first = std("company_name", "华为技术有限公司")
    first.parts["core"] = "changed"
    assert std("company_name", "华为技术有限公司").parts["core"] == "华为技术"


@pytest.mark.parametrize("type_name", sorted(STANDARDIZERS))
@pytest.mark.parametrize("raw", EMPTY_INPUTS, ids=repr)
def test_it_treats_missing_values_as_empty(type_name: str, raw: object) -> None:
    assert std(type_name, raw) == Standardized(None, {}, (), False)


@pytest.mark.parametrize("type_name", sorted(STANDARDIZERS))
@pytest.mark.parametrize("raw", NASTY_INPUTS, ids=lambda raw: repr(raw)[:30])
def test_it_survives_nasty_input_and_keeps_the_parts_contract(type_name: str, raw: object) -> None:
    result = std(type_name, raw)
    assert isinstance(result, Standardized)
    assert isinstance(result.value, (str, float, type(None)))
    assert all(isinstance(problem, str) and len(problem) < 400 for problem in result.problems)
    if result.value is None:
        assert result.parts == {}
    else:
        assert set(result.parts) == PARTS_KEYS[type_name]
        assert not result.fatal
    if result.fatal:
        assert type_name in ("date", "number") and result.problems


@pytest.mark.parametrize(
    ("type_name", "raw"),
    [
        ("text", "  Ｈｅｌｌｏ\u200b  World "),
        ("code", "net 30"),
        ("company_name", "（深圳）ＡＢＣ科技有限公司"),
        ("company_name", "Shenzhen Huawei Technologies Co., Ltd."),
        ("tax_id", "9144 0300 7084 6113 6T"),
        ("phone", "0755-28780808 转 123"),
        ("email", "Zhang San <Zhang@Huawei.COM>"),
        ("url", "https://www.Huawei.com/cn/"),
        ("address", "Room 501, 5F, Bldg A, No.8 Keji Rd."),
        ("postcode", "sw1a1aa"),
        ("country", "P.R.China"),
        ("date", "2023-05-01 10:00:00+08:00"),
        ("date", "2023年5月1日"),
        ("number", "1,234.50"),
        ("bank_account", "de89 3704 0044 0532 0130 00"),
        ("gtin", "4006381333931"),
        ("unit", "pcs"),
        ("spec", "φ48*2,50"),
        ("spec", "6800 ohm 1/4w"),
        ("spec", "0.1uF 50v"),
        ("spec", "M6 X 20MM"),
    ],
)
def test_it_is_idempotent(type_name: str, raw: object) -> None:
    once = std(type_name, raw)
    twice = std(type_name, once.value)
    assert twice.value == once.value
    if type_name not in ("unit", "phone", "email"):  # these parts describe the source text
        assert twice.parts == once.parts


# --- fold_text, text, code ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "abc co.,ltd."),
        ("  Hello \t\n World  ", "hello world"),
        ("Zero\u200bWidth\u200d\ufeff", "zerowidth"),
        ("Straße", "strasse"),
        ("华为　技术", "华为 技术"),
        ("１２３", "123"),
    ],
)
def test_it_folds_text(raw: str, expected: str) -> None:
    assert fold_text(raw) == expected
    assert fold_text(expected) == expected


@pytest.mark.parametrize(
    ("raw", "value", "folded"),
    [
        ("  Hello\u200b  World ", "Hello World", "hello world"),
        ("ＡＢＣ\u3000公司", "ABC 公司", "abc公司"),
        ("O'Brien & Co.", "O'Brien & Co.", "obrien co"),
        ("Café  Müller", "Café Müller", "cafe muller"),
        ("line\none\x00", "line one", "line one"),
        ("深圳 南山", "深圳 南山", "深圳南山"),
        ("***", "***", None),
        ("I ❤ NY", "I ❤ NY", "i ny"),
        (12, "12", "12"),
        (2.0, "2", "2"),
        (2.5, "2.5", "2 5"),
        (True, "True", "true"),
        (dt.date(2023, 5, 1), "2023-05-01", "2023 05 01"),
    ],
)
def test_it_cleans_text(raw: object, value: str, folded: str | None) -> None:
    assert std("text", raw) == Standardized(value, {"folded": folded})


@pytest.mark.parametrize(
    ("raw", "value"),
    [(" net 30 ", "NET30"), ("ａｂ－１", "AB-1"), ("z 001\u200b", "Z001"), (100, "100")],
)
def test_it_normalises_codes(raw: object, value: str) -> None:
    assert std("code", raw) == Standardized(value, {})


# --- company_name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "core", "distinct", "legal_form", "region", "branch"),
    [
        ("华为技术有限公司", "华为技术有限公司", "华为技术", "华为", "co_ltd", None, None),
        # 终端 (devices) is not an industry word: it tells Huawei's device company apart.
        ("华为终端有限公司", "华为终端有限公司", "华为终端", "华为终端", "co_ltd", None, None),
        ("华为 技术 有限 公司", "华为 技术 有限 公司", "华为技术", "华为", "co_ltd", None, None),
        (
            "深圳市腾讯计算机系统有限公司",
            "深圳市腾讯计算机系统有限公司",
            "腾讯计算机系统",
            "腾讯",
            "co_ltd",
            "深圳",
            None,
        ),
        ("广东省深圳市华为技术有限公司", "广东省深圳市华为技术有限公司", "华为技术", "华为", "co_ltd", "深圳", None),
        ("阿里巴巴（中国）有限公司", "阿里巴巴(中国)有限公司", "阿里巴巴", "阿里巴巴", "co_ltd", "中国", None),
        ("阿里巴巴【中国】有限公司", "阿里巴巴(中国)有限公司", "阿里巴巴", "阿里巴巴", "co_ltd", "中国", None),
        (
            "百度在线网络技术（北京）有限公司",
            "百度在线网络技术(北京)有限公司",
            "百度在线网络技术",
            "百度在线",
            "co_ltd",
            "北京",
            None,
        ),
        ("ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "ABC Co.,Ltd.", "abc", "abc", "co_ltd", None, None),
        ("Siemens AG", "Siemens AG", "siemens", "siemens", "joint_stock", None, None),
        ("SAP SE", "SAP SE", "sap", "sap", "joint_stock", None, None),
        ("Bosch GmbH & Co. KG", "Bosch GmbH & Co. KG", "bosch", "bosch", "gmbh_co_kg", None, None),
        ("Robert Bosch GmbH", "Robert Bosch GmbH", "robertbosch", "robertbosch", "gmbh", None, None),
        ("Apple Inc.", "Apple Inc.", "apple", "apple", "inc", None, None),
        ("Foo Holdings Limited", "Foo Holdings Limited", "fooholdings", "foo", "co_ltd", None, None),
        ("Acme Corp.", "Acme Corp.", "acme", "acme", "corp", None, None),
        ("Acme LLC", "Acme LLC", "acme", "acme", "llc", None, None),
        (
            "Société Générale S.A.",
            "Société Générale S.A.",
            "societegenerale",
            "societegenerale",
            "joint_stock",
            None,
            None,
        ),
        ("Foo Co., Ltd. (joint stock)", "Foo Co., Ltd. (joint stock)", "foo", "foo", "joint_stock", None, None),
        (
            "Foo Import & Export Co., Ltd.",
            "Foo Import & Export Co., Ltd.",
            "fooimportexport",
            "foo",
            "co_ltd",
            None,
            None,
        ),
        (
            "Shenzhen Huawei Technologies Co., Ltd.",
            "Shenzhen Huawei Technologies Co., Ltd.",
            "huaweitechnologies",
            "huawei",
            "co_ltd",
            "shenzhen",
            None,
        ),
        ("Alibaba (China) Co., Ltd.", "Alibaba (China) Co., Ltd.", "alibaba", "alibaba", "co_ltd", "china", None),
        ("Foo Co., Ltd. Shanghai Branch", "Foo Co., Ltd. Shanghai Branch", "foo", "foo", "co_ltd", None, "shanghai"),
        (
            "上海振华重工（集团）股份有限公司",
            "上海振华重工(集团)股份有限公司",
            "振华重工",
            "振华",
            "group_joint_stock",
            "上海",
            None,
        ),
        (
            "中国平安保险（集团）股份有限公司",
            "中国平安保险(集团)股份有限公司",
            "中国平安保险",
            "中国平安",
            "group_joint_stock",
            None,
            None,
        ),
        ("美的集团股份有限公司", "美的集团股份有限公司", "美的", "美的", "group_joint_stock", None, None),
        ("海尔集团有限公司", "海尔集团有限公司", "海尔", "海尔", "group", None, None),
        ("美的集团", "美的集团", "美的", "美的", "group", None, None),
        (
            "招商银行股份有限公司深圳分行",
            "招商银行股份有限公司深圳分行",
            "招商银行",
            "招商",
            "joint_stock",
            None,
            "深圳",
        ),
        ("招商银行南山支行", "招商银行南山支行", "招商银行", "招商", None, None, "南山"),
        ("华为技术有限公司上海分公司", "华为技术有限公司上海分公司", "华为技术", "华为", "co_ltd", None, "上海"),
        ("华为技术有限公司（北京分公司）", "华为技术有限公司(北京分公司)", "华为技术", "华为", "co_ltd", None, "北京"),
        ("某某电子有限公司第三分厂", "某某电子有限公司第三分厂", "某某电子", "某某", "co_ltd", None, "第三"),
        ("某某机械厂办事处", "某某机械厂办事处", "某某机械厂", "某某机械厂", None, None, "办事处"),
        ("珠海格力电器股份有限公司", "珠海格力电器股份有限公司", "格力电器", "格力", "joint_stock", "珠海", None),
        # A region is only stripped when a distinctive name remains.
        ("北京银行", "北京银行", "北京银行", "北京银行", None, None, None),
        (
            "上海电气集团股份有限公司",
            "上海电气集团股份有限公司",
            "上海电气",
            "上海电气",
            "group_joint_stock",
            None,
            None,
        ),
        ("北京科技有限公司", "北京科技有限公司", "北京科技", "北京科技", "co_ltd", None, None),
        ("中国建设银行股份有限公司", "中国建设银行股份有限公司", "中国建设银行", "中国建设", "joint_stock", None, None),
        (
            "XX会计师事务所（特殊普通合伙）",
            "XX会计师事务所(特殊普通合伙)",
            "xx会计师事务所",
            "xx会计师事务所",
            "llp",
            None,
            None,
        ),
        ("某某投资合伙企业（有限合伙）", "某某投资合伙企业(有限合伙)", "某某投资", "某某", "partnership", None, None),
        ("张三五金店（个体工商户）", "张三五金店(个体工商户)", "张三五金店", "张三五金店", "sole", None, None),
        ("株式会社日立製作所", "株式会社日立製作所", "日立制作所", "日立制作所", "kk", None, None),
        ("トヨタ自動車株式会社", "トヨタ自動車株式会社", "トヨタ自动车", "トヨタ自动车", "kk", None, None),
        # A foreign company's Chinese name starts with its country: the country is its region,
        # unless too little would be left (日本电气 is NEC, 瑞士达 a Chinese brand).
        ("德国施耐德测量技术有限公司", "德国施耐德测量技术有限公司", "施耐德测量技术", "施耐德测量", "co_ltd", "德国", None),
        ("德國科勒機械製造有限公司", "德國科勒機械製造有限公司", "科勒机械制造", "科勒", "co_ltd", "德国", None),
        ("日本电气株式会社", "日本电气株式会社", "日本电气", "日本", "kk", None, None),
        ("瑞士达科技有限公司", "瑞士达科技有限公司", "瑞士达科技", "瑞士达", "co_ltd", None, None),
        # Traditional characters: the display keeps them, the matching keys are simplified.
        ("台灣積體電路製造股份有限公司", "台灣積體電路製造股份有限公司", "积体电路制造", "积体电路", "joint_stock", "台湾", None),
        # The core never becomes empty: it falls back to the whole folded name.
        ("有限公司", "有限公司", "有限公司", "有限公司", None, None, None),
        ("Company Limited", "Company Limited", "companylimited", "companylimited", None, None, None),
        ("（北京）", "(北京)", "北京", "北京", None, "北京", None),
        ("华为😀技术有限公司", "华为😀技术有限公司", "华为技术", "华为", "co_ltd", None, None),
    ],
)
def test_it_splits_company_names(
    raw: str, value: str, core: str, distinct: str, legal_form: str | None, region: str | None, branch: str | None
) -> None:
    parts = {"core": core, "distinct": distinct, "legal_form": legal_form, "region": region, "branch": branch}
    assert std("company_name", raw) == Standardized(value, parts)


@pytest.mark.parametrize(
    "variants",
    [
        [
            "华为技术有限公司",
            "华为技术有限责任公司",
            "深圳市华为技术有限公司",
            "华为技术（深圳）有限公司",
            "  华为技术有限公司\u200b",
        ],
        ["ABC Co., Ltd.", "ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "abc company limited", "ABC Ltd", "ABC Co.,Ltd", "ABC Limited"],
        ["Huawei Technologies Co., Ltd.", "Shenzhen Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD"],
        ["鸿海精密工业股份有限公司", "鴻海精密工業股份有限公司"],
        ["株式会社三和精機", "三和精机株式会社", "日本三和精机株式会社"],
    ],
)
def test_it_gives_name_variants_the_same_core(variants: list[str]) -> None:
    assert len({std("company_name", name).parts["core"] for name in variants}) == 1


@pytest.mark.parametrize("raw", ["😀", "***", "（）"])
def test_it_rejects_company_names_without_letters(raw: str) -> None:
    result = std("company_name", raw)
    assert result.value is None
    assert result.problems == (s.MSG_COMPANY_NO_WORDS.format(raw=f"'{s._clean(raw)}'"),)
    assert not result.fatal


# --- tax_id -------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def independent_uscc_check(body: str) -> str:
    """GB 32100-2015 written differently: the weights are 3**i mod 31."""
    total = sum(USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def random_uscc_bodies(count: int) -> list[str]:
    rng = random.Random(32100)
    bodies = []
    for _ in range(count):
        area = "".join(rng.choice("0123456789") for _ in range(6))
        org = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        bodies.append(rng.choice("159Y") + rng.choice("123") + area + org)
    return bodies


# Published codes (check characters verified with independent_uscc_check).
REAL_USCC = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91440300100012316L": "中国平安保险（集团）股份有限公司",
}


@pytest.mark.parametrize("code", sorted(REAL_USCC))
def test_it_accepts_real_unified_social_credit_codes(code: str) -> None:
    assert independent_uscc_check(code[:17]) == code[17]
    assert std("tax_id", code) == Standardized(code, {"kind": "uscc", "valid": True})
    assert std("tax_id", f" {code[:4]}-{code[4:10]} {code[10:].lower()} ").value == code


def test_it_validates_generated_codes_against_an_independent_checksum() -> None:
    for body in random_uscc_bodies(300):
        code = body + independent_uscc_check(body)
        assert std("tax_id", code).parts == {"kind": "uscc", "valid": True}, code
        wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[17]) + 1) % 31]
        result = std("tax_id", body + wrong)
        assert result.value == body + wrong
        assert result.problems == (s.MSG_USCC_CHECK.format(expected=code[17], got=wrong),)


@pytest.mark.parametrize(
    ("raw", "value", "kind", "valid", "problems"),
    [
        (
            "91440300708461136X",
            "91440300708461136X",
            "uscc",
            False,
            ("invalid unified social credit code check character: expected T, got X",),
        ),
        (
            "9144030070846113OT",
            "9144030070846113OT",
            "uscc",
            False,
            ("invalid characters in unified social credit code: O",),
        ),
        ("９１４４０３００１９２２０３８２１６", "914403001922038216", "uscc", True, ()),
        ("440301103097413", "440301103097413", "cn_old_licence", None, ()),
        ("11010519491231002X", "11010519491231002X", "cn_resident_id", True, ()),
        ("DE 123 456 789", "DE123456789", "other", None, ()),
        ("GB123.4567.89", "GB123456789", "other", None, ()),
        ("70846113-6", "708461136", "other", None, ()),
        (440301103097413, "440301103097413", "cn_old_licence", None, ()),
    ],
)
def test_it_classifies_tax_ids(
    raw: object, value: str, kind: str, valid: bool | None, problems: tuple[str, ...]
) -> None:
    assert std("tax_id", raw) == Standardized(value, {"kind": kind, "valid": valid}, problems)


def test_it_flags_tax_ids_that_went_through_a_float() -> None:
    result = std("tax_id", 9.14403001922038e17)
    assert "floating-point" in result.problems[0]


# --- phone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "kind", "extension", "others"),
    [
        ("0755-28780808", "+8675528780808", "fixed", None, None),
        ("(0755)28780808", "+8675528780808", "fixed", None, None),
        ("（０７５５）２８７８０８０８", "+8675528780808", "fixed", None, None),
        ("+86-755-28780808", "+8675528780808", "fixed", None, None),
        ("+86 (0) 755 2878 0808", "+8675528780808", "fixed", None, None),
        ("0086 755 28780808", "+8675528780808", "fixed", None, None),
        ("13800138000", "+8613800138000", "mobile", None, None),
        ("86 138 0013 8000", "+8613800138000", "mobile", None, None),
        ("１３８ ００１３ ８０００", "+8613800138000", "mobile", None, None),
        ("Tel: 138-0013-8000", "+8613800138000", "mobile", None, None),
        ("手机：13800138000", "+8613800138000", "mobile", None, None),
        (13800138000, "+8613800138000", "mobile", None, None),
        (13800138000.0, "+8613800138000", "mobile", None, None),
        ("0755-28780808转123", "+8675528780808", "fixed", "123", None),
        ("0755-28780808 分机 8001", "+8675528780808", "fixed", "8001", None),
        ("+86 755 2878 0808 ext. 123", "+8675528780808", "fixed", "123", None),
        ("0755-28780808-8001", None, None, None, None),  # a bare "-8001" is not an extension
        ("010-12345678 / 13800138000", "+861012345678", "fixed", None, "+8613800138000"),
        ("13800138000；13900139000、13700137000", "+8613800138000", "mobile", None, "+8613900139000,+8613700137000"),
        ("13800138000\n13800138000", "+8613800138000", "mobile", None, None),
        ("0755-28780808/9", "+8675528780808", "fixed", None, None),
        ("400-820-8820", "+864008208820", "other", None, None),
        ("+1 650 253 0000", "+16502530000", "other", None, None),
        ("+49 30 1234567", "+49301234567", "fixed", None, None),
    ],
)
def test_it_parses_phone_numbers(
    raw: object, value: str | None, kind: str | None, extension: str | None, others: str | None
) -> None:
    result = std("phone", raw)
    assert result.value == value
    if value is None:
        assert result.parts == {}
        assert result.problems
    else:
        assert result.parts == {"kind": kind, "extension": extension, "others": others}


@pytest.mark.parametrize("raw", ["123", "abc", "12345678901234567890123", "0000000", True])
def test_it_rejects_invalid_phone_numbers(raw: object) -> None:
    result = std("phone", raw)
    assert result == Standardized(None, {}, (s.MSG_PHONE.format(raw=f"'{s._as_text(raw)}'"),))


def test_it_reports_invalid_pieces_beside_a_valid_number() -> None:
    result = std("phone", "12345 / 13800138000")
    assert result.value == "+8613800138000"
    assert result.problems == ("not a valid phone number: '12345'",)


def test_it_reads_national_numbers_in_the_given_region() -> None:
    assert standardize("phone", "030 1234567", phone_region="DE").value == "+49301234567"
    assert standardize("phone", "(650) 253-0000", phone_region="us").value == "+16502530000"
    assert standardize("phone", "+86 138 0013 8000", phone_region="DE").value == "+8613800138000"


# --- email, url -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "domain", "others"),
    [
        ("Zhang@Huawei.com", "zhang@huawei.com", "huawei.com", None),
        (" zhang＠huawei．com ", "zhang@huawei.com", "huawei.com", None),
        ("mailto:a.b+tag@sub.example.com.cn", "a.b+tag@sub.example.com.cn", "sub.example.com.cn", None),
        ("a@b.com; c@d.org, e@f.net", "a@b.com", "b.com", "c@d.org,e@f.net"),
        ("a@b.com / a@b.com", "a@b.com", "b.com", None),
        ("Zhang San <zs@x.com>", "zs@x.com", "x.com", None),
        ("a@b.com, Zhang<z@x.com>", "a@b.com", "b.com", "z@x.com"),
        ("张三 <zs@x.com>；李四 <ls@x.com>", "zs@x.com", "x.com", "ls@x.com"),
        ("\u200binfo@example.de.", "info@example.de", "example.de", None),
        ("用户@例子.中国", "用户@例子.中国", "例子.中国", None),
    ],
)
def test_it_parses_email_addresses(raw: str, value: str, domain: str, others: str | None) -> None:
    assert std("email", raw) == Standardized(value, {"domain": domain, "others": others})


@pytest.mark.parametrize("raw", ["bad@", "a@b", "x y", "a@@b.com", "@b.com", "a@b..com", "a@-b.com", "a@b.c"])
def test_it_rejects_invalid_email_addresses(raw: str) -> None:
    result = std("email", raw)
    assert result.value is None and result.parts == {}
    assert s.MSG_EMAIL.format(raw=f"'{raw}'") in result.problems


@pytest.mark.parametrize(
    ("raw", "value", "domain"),
    [
        ("https://www.Huawei.com/cn/", "huawei.com/cn", "huawei.com"),
        ("HTTP://WWW.HUAWEI.COM", "huawei.com", "huawei.com"),
        ("huawei.com", "huawei.com", "huawei.com"),
        ("www.huawei.com/", "huawei.com", "huawei.com"),
        ("http://www.example.com.cn/a/B?b=1#c", "example.com.cn/a/B", "example.com.cn"),
        ("https://user:pw@shop.bbc.co.uk:8080/news/", "shop.bbc.co.uk/news", "bbc.co.uk"),
        ("//cdn.example.org/x", "cdn.example.org/x", "example.org"),
        ("ｗｗｗ．ｔｅｎｃｅｎｔ．ｃｏｍ", "tencent.com", "tencent.com"),
        ("www.a.com; www.b.com", "a.com", "a.com"),
        ("http://192.168.1.1/admin", "192.168.1.1/admin", "192.168.1.1"),
    ],
)
def test_it_normalises_urls(raw: str, value: str, domain: str) -> None:
    assert std("url", raw) == Standardized(value, {"domain": domain})


@pytest.mark.parametrize("raw", ["foo", "http://", "见官网", "localhost"])
def test_it_rejects_invalid_urls(raw: str) -> None:
    assert std("url", raw) == Standardized(None, {}, (s.MSG_URL.format(raw=f"'{raw}'"),))


# --- address, postcode, country -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "folded"),
    [
        ("123 Main St.", "123 Main street", "123 main street"),
        ("123 Main St, Springfield", "123 Main street, Springfield", "123 main street springfield"),
        ("1 St. Louis Rd", "1 St. Louis road", "1 st louis road"),
        ("88 Dr. Sun Yat-sen Ave.", "88 Dr. Sun Yat-sen avenue", "88 dr sun yat sen avenue"),
        (
            "Room 501, 5F, Bldg A, No.8 Keji Rd",
            "Room 501, floor 5, building A, no 8 Keji road",
            "room 501 floor 5 building a no 8 keji road",
        ),
        ("Fl. 12, 88 Queensway", "floor 12, 88 Queensway", "floor 12 88 queensway"),
        ("12/F Tower 2", "floor 12 Tower 2", "floor 12 tower 2"),
        ("3rd Floor", "floor 3", "floor 3"),
        ("100 Feet Road", "100 Feet Road", "100 feet road"),
        ("深圳市南山区科技园１２号楼３０１室", "深圳市南山区科技园12号楼301室", "深圳市南山区科技园12号楼301室"),
        ("北京市 海淀区  中关村大街 1 号", "北京市 海淀区 中关村大街 1 号", "北京市海淀区中关村大街1号"),
    ],
)
def test_it_normalises_addresses(raw: str, value: str, folded: str) -> None:
    assert std("address", raw) == Standardized(value, {"folded": folded})


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("518000", "518000"),
        (" ５１８ ０００ ", "518000"),
        (518000, "518000"),
        (518000.0, "518000"),
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A  1AA", "SW1A 1AA"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("k1a0b1", "K1A 0B1"),
        ("1234ab", "1234 AB"),
        ("100-0001", "100-0001"),
        ("10115", "10115"),
        ("94043-1351", "94043-1351"),
    ],
)
def test_it_normalises_postcodes(raw: object, value: str) -> None:
    assert std("postcode", raw) == Standardized(value, {})


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("CN", "CN"),
        ("cn", "CN"),
        ("CHN", "CN"),
        ("China", "CN"),
        ("中国", "CN"),
        ("中华人民共和国", "CN"),
        ("PRC", "CN"),
        ("P.R.China", "CN"),
        ("P. R. China", "CN"),
        ("People's Republic of China", "CN"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("DEU", "DE"),
        ("Deutschland", "DE"),
        ("德国", "DE"),
        ("US", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("美国", "US"),
        ("HK", "HK"),
        ("Hong Kong", "HK"),
        ("香港", "HK"),
        ("中国香港", "HK"),
        ("TW", "TW"),
        ("台湾", "TW"),
        ("中国台湾", "TW"),
        ("JP", "JP"),
        ("日本", "JP"),
        ("KR", "KR"),
        ("韩国", "KR"),
        ("South Korea", "KR"),
        ("SG", "SG"),
        ("新加坡", "SG"),
        ("GB", "GB"),
        ("UK", "GB"),
        ("英国", "GB"),
        ("United Kingdom", "GB"),
        ("FR", "FR"),
        ("法国", "FR"),
        ("The Netherlands", "NL"),
        ("Österreich", "AT"),
        ("ＣＨＮ", "CN"),
        ("Viet Nam", "VN"),
        ("阿联酋", "AE"),
        ("中國", "CN"),
        ("臺灣", "TW"),
    ],
)
def test_it_maps_countries_to_iso_codes(raw: str, code: str) -> None:
    assert std("country", raw) == Standardized(code, {})


def test_it_flags_unknown_countries() -> None:
    assert std("country", "Atlantis") == Standardized("ATLANTIS", {}, ("unknown country: 'Atlantis'",))


# --- date -----------------------------------------------------------------------

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2023-05-01", "2023-05-01"),
        ("2023-5-1", "2023-05-01"),
        ("2023-05-01T10:00:00Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01T10:00:00.000Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01T10:00:00.123456789Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01 10:00:00+08:00", "2023-05-01T02:00:00+00:00"),
        ("2023-05-01T01:00:00+0800", "2023-04-30T17:00:00+00:00"),
        ("2023-05-01T10:00", "2023-05-01T10:00:00"),
        ("2023-05-01T10:00:00", "2023-05-01T10:00:00"),
        ("2023-05-01 00:00:00", "2023-05-01"),
        ("20230501", "2023-05-01"),
        ("20230501103000", "2023-05-01T10:30:00"),
        ("2023/5/1", "2023-05-01"),
        ("2023.05.01", "2023-05-01"),
        ("2023年5月1日", "2023-05-01"),
        ("2023 年 05 月 01 日", "2023-05-01"),
        ("2023年5月1日 10:30", "2023-05-01T10:30:00"),
        ("２０２３－０５－０１", "2023-05-01"),
        ("1682899200000", "2023-05-01T00:00:00+00:00"),
        ("1682899200", "2023-05-01T00:00:00+00:00"),
        (1682899200000, "2023-05-01T00:00:00+00:00"),
        (1682899200, "2023-05-01T00:00:00+00:00"),
        (1682899200000.0, "2023-05-01T00:00:00+00:00"),
        (20230501, "2023-05-01"),
        ("/Date(1682899200000)/", "2023-05-01T00:00:00+00:00"),
        ("/Date(1682899200000+0800)/", "2023-05-01T00:00:00+00:00"),
        ("\\/Date(1682899200000)\\/", "2023-05-01T00:00:00+00:00"),
        ("/Date(-86400000)/", "1969-12-31T00:00:00+00:00"),
        ("25/12/2023", "2023-12-25"),
        ("12/25/2023", "2023-12-25"),
        ("05/05/2023", "2023-05-05"),
        ("01.05.2023", "2023-05-01"),
        ("1 May 2023", "2023-05-01"),
        ("01-MAY-23", "2023-05-01"),
        ("01-Jan-99", "1999-01-01"),
        ("May 1, 2023", "2023-05-01"),
        ("September 30th, 2023", "2023-09-30"),
        ("Mon, 01 May 2023 10:00:00 GMT", "2023-05-01T10:00:00+00:00"),
        ("99991231", "9999-12-31"),
        (dt.date(2023, 5, 1), "2023-05-01"),
        (dt.datetime(2023, 5, 1), "2023-05-01"),
        (dt.datetime(2023, 5, 1, 10, 30, 15, 999), "2023-05-01T10:30:15"),
        (dt.datetime(2023, 5, 1, 10, 0, tzinfo=BEIJING), "2023-05-01T02:00:00+00:00"),
        (dt.datetime(2023, 5, 1, 0, 0, tzinfo=dt.UTC), "2023-05-01T00:00:00+00:00"),
    ],
)
def test_it_parses_dates(raw: object, value: str) -> None:
    assert std("date", raw) == Standardized(value, {})


@pytest.mark.parametrize("raw", ["00000000", "0000-00-00", "0000-00-00 00:00:00", "00.00.0000", "0"])
def test_it_reads_zero_dates_as_empty(raw: str) -> None:
    assert std("date", raw) == Standardized(None, {})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("01/05/2023", "ambiguous date '01/05/2023': give the profile a date_format"),
        ("1-5-2023", "ambiguous date '1-5-2023': give the profile a date_format"),
        ("2023-02-30", "unparseable date: '2023-02-30'"),
        ("2023-13-01", "unparseable date: '2023-13-01'"),
        ("2023-05-01T25:00:00", "unparseable date: '2023-05-01T25:00:00'"),
        ("20231301", "unparseable date: '20231301'"),
        ("garbage", "unparseable date: 'garbage'"),
        ("2023-05", "unparseable date: '2023-05'"),
        ("01/05/23", "unparseable date: '01/05/23'"),
        ("1 Foo 2023", "unparseable date: '1 Foo 2023'"),
        ("123456", "unparseable date: '123456'"),
        (45047, "unparseable date: '45047'"),
        (True, "unparseable date: 'True'"),
        (1.5, "unparseable date: '1.5'"),
    ],
)
def test_it_rejects_unreadable_dates_as_fatal(raw: object, problem: str) -> None:
    assert std("date", raw) == Standardized(None, {}, (problem,), fatal=True)


@pytest.mark.parametrize(
    ("raw", "fmt", "value"),
    [
        ("01/05/2023", "%d/%m/%Y", "2023-05-01"),
        ("01/05/2023", "%m/%d/%Y", "2023-01-05"),
        ("01/05/2023 10:30", "%d/%m/%Y %H:%M", "2023-05-01T10:30:00"),
        ("01/05/2023 10:30 +0800", "%d/%m/%Y %H:%M %z", "2023-05-01T02:30:00+00:00"),
        ("2023-05-01 00:00", "%Y-%m-%d %H:%M", "2023-05-01"),
        (dt.date(2023, 5, 1), "%d/%m/%Y", "2023-05-01"),
    ],
)
def test_it_parses_dates_with_an_explicit_format(raw: object, fmt: str, value: str) -> None:
    assert parse_date(raw, fmt) == Standardized(value, {})


def test_it_rejects_dates_that_do_not_match_the_format() -> None:
    problem = "date '2023-05-01' does not match format '%d/%m/%Y'"
    assert parse_date("2023-05-01", "%d/%m/%Y") == Standardized(None, {}, (problem,), fatal=True)
    assert parse_date("  ", "%d/%m/%Y") == Standardized(None, {})


# --- number -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1234", 1234.0),
        ("1,234.50", 1234.5),
        ("1,234", 1234.0),
        ("1,234,567.891", 1234567.891),
        ("1 234,5", 1234.5),
        ("1\u00a0234.5", 1234.5),
        ("1\u202f234,5", 1234.5),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1'234.50", 1234.5),
        ("1,5", 1.5),
        ("0,123", 0.123),
        ("1.234", 1.234),
        (".5", 0.5),
        ("5.", 5.0),
        ("１２３．４", 123.4),
        ("－５", -5.0),
        ("\u22125", -5.0),
        ("+5", 5.0),
        ("- 5", -5.0),
        ("1,234.50-", -1234.5),
        ("(1,234.50)", -1234.5),
        ("1e3", 1000.0),
        ("1.5E-3", 0.0015),
        (5, 5.0),
        (2.5, 2.5),
        (-0.0, -0.0),
        (Decimal("12.50"), 12.5),
    ],
)
def test_it_parses_numbers(raw: object, value: float) -> None:
    assert std("number", raw) == Standardized(value, {})


@pytest.mark.parametrize(
    "raw", ["12kg", "¥100", "100%", "abc", "1,2,3", "12 34", "1.2.3,4,5", "--5", "1e999", float("inf"), True, 10**400]
)
def test_it_rejects_non_numbers_as_fatal(raw: object) -> None:
    result = std("number", raw)
    assert result.value is None and result.fatal
    assert result.problems[0].startswith("not a number: '")


# --- bank_account, gtin -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "iban_valid", "problems"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", True, ()),
        ("gb82-west-1234-5698-7654-32", "GB82WEST12345698765432", True, ()),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", True, ()),
        ("NL91ABNA0417164300", "NL91ABNA0417164300", True, ()),
        (
            "DE89370400440532013001",
            "DE89370400440532013001",
            False,
            ("invalid IBAN check digits: 'DE89370400440532013001'",),
        ),
        ("6222 0212 3456 7890 123", "6222021234567890123", None, ()),
        ("６２２２－０２１２", "62220212", None, ()),
        (6222021234567890, "6222021234567890", None, ()),
    ],
)
def test_it_normalises_bank_accounts(
    raw: object, value: str, iban_valid: bool | None, problems: tuple[str, ...]
) -> None:
    assert std("bank_account", raw) == Standardized(value, {"iban_valid": iban_valid}, problems)


def test_it_flags_bank_accounts_that_went_through_a_float() -> None:
    result = std("bank_account", 6.222021234567891e18)
    assert result.parts == {"iban_valid": None}
    assert "floating-point" in result.problems[0]


def independent_gs1_check(body: str) -> str:
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))][::-1]  # 3 on the digit next to the check
    return str((10 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 10) % 10)


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("4006381333931", "04006381333931", True),
        ("9780306406157", "09780306406157", True),
        ("036000291452", "00036000291452", True),
        ("96385074", "00000096385074", True),
        ("10614141000415", "10614141000415", True),
        ("4006-3813-3393-1", "04006381333931", True),
        ("４００６３８１３３３９３１", "04006381333931", True),
        (4006381333931, "04006381333931", True),
        (36000291452, "00036000291452", True),  # UPC-A whose leading zero a spreadsheet dropped
        (4006381333931.0, "04006381333931", True),
    ],
)
def test_it_validates_gtins(raw: object, value: str, valid: bool) -> None:
    assert std("gtin", raw) == Standardized(value, {"valid": valid})


def test_it_agrees_with_an_independent_gs1_check() -> None:
    rng = random.Random(1)
    for length in (8, 12, 13, 14):
        for _ in range(100):
            body = "".join(rng.choice("0123456789") for _ in range(length - 1))
            good = body + independent_gs1_check(body)
            assert std("gtin", good) == Standardized(good.zfill(14), {"valid": True})
            bad = body + str((int(good[-1]) + 1) % 10)
            assert std("gtin", bad).parts == {"valid": False}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("4006381333932", "invalid GTIN check digit: expected 1, got 2"),
        ("36000291452", "not a GTIN (8, 12, 13 or 14 digits): '36000291452'"),
        ("abc123", "not a GTIN (8, 12, 13 or 14 digits): 'abc123'"),
        ("123456789012345", "not a GTIN (8, 12, 13 or 14 digits): '123456789012345'"),
    ],
)
def test_it_flags_invalid_gtins(raw: str, problem: str) -> None:
    result = std("gtin", raw)
    assert result.parts == {"valid": False}
    assert result.problems == (problem,)
    assert result.value == raw


# --- unit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        *[(raw, "PCE") for raw in ["个", "只", "件", "pcs", "PCS.", "pc", "PC", "EA", "ea", "each", "piece", "Pieces"]],
        *[(raw, "PCE") for raw in ["ST", "Stück", "台", "根", "条", "片", "支", "PCE", "H87"]],
        ("套", "SET"),
        ("set", "SET"),
        ("Sets", "SET"),
        *[(raw, "CT") for raw in ["箱", "carton", "CTN", "CS", "case"]],
        *[(raw, "BX") for raw in ["盒", "box", "BX", "Boxes"]],
        *[(raw, "PK") for raw in ["包", "pack", "PAK", "PK"]],
        *[(raw, "BG") for raw in ["袋", "bag"]],
        *[(raw, "RO") for raw in ["卷", "roll", "RL"]],
        *[(raw, "PR") for raw in ["对", "双", "pair", "PR"]],
        *[(raw, "KGM") for raw in ["千克", "公斤", "kg", "KG", "KGS", "KGM", "㎏"]],
        *[(raw, "GRM") for raw in ["克", "g", "GRM"]],
        *[(raw, "TNE") for raw in ["吨", "t", "TNE", "ton", "Tons"]],
        *[(raw, "MTR") for raw in ["米", "m", "MTR", "M"]],
        *[(raw, "CMT") for raw in ["厘米", "cm"]],
        *[(raw, "MMT") for raw in ["毫米", "mm", "MM"]],
        *[(raw, "LTR") for raw in ["升", "L", "l", "LTR", "litres"]],
        *[(raw, "MLT") for raw in ["毫升", "ml", "mL", "MLT"]],
        *[(raw, "MTK") for raw in ["平方米", "㎡", "m2", "M2", "m²"]],
        *[(raw, "MTQ") for raw in ["立方米", "m3", "M3", "m³"]],
        *[(raw, "BO") for raw in ["瓶", "bottle"]],
        *[(raw, "DR") for raw in ["桶", "drum", "barrel"]],
        *[(raw, "SH") for raw in ["张", "sheet"]],
        *[(raw, "DZN") for raw in ["打", "dozen", "DZN"]],
        ("ｐｃｓ", "PCE"),
        (" Kg ", "KGM"),
    ],
)
def test_it_maps_units(raw: str, code: str) -> None:
    result = std("unit", raw)
    assert result.value == code, raw
    assert result.problems == ()
    assert result.parts == {"source_unit": s._clean(raw)}


def test_it_keeps_the_source_unit_for_measure_words() -> None:
    assert std("unit", "台") == Standardized("PCE", {"source_unit": "台"})


def test_it_flags_unknown_units() -> None:
    assert std("unit", "foo/bar") == Standardized("FOO/BAR", {"source_unit": "foo/bar"}, ("unknown unit 'foo/bar'",))


# --- spec -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "value", "numbers"),
    [
        (["M6x20", "M6*20", "M6×20", "m6 x 20", "M6X20", "Ｍ６＊２０", "M6✕20", "m6x20"], "M6x20", "6 20"),
        (["M6x25"], "M6x25", "6 25"),
        (["M6X20MM", "m6x20mm", "M6 x 20 mm"], "M6x20mm", "6 20"),
        (
            ["Φ48×2.5", "φ48*2.5", "ø48x2.5", "Ø48X2.5", "Φ48x2,5", "Φ 48 × 2.50", "⌀48x2.5", "ϕ48x2.5"],
            "Φ48x2.5",
            "48 2.5",
        ),
        (["Φ48×3.0", "Φ48x3"], "Φ48x3", "48 3"),
        (["DN48×2.5", "dn48x2.5"], "DN48x2.5", "48 2.5"),
        (
            ["6.8k", "6K8", "6k8", "6.8kΩ", "6800Ω", "6800 ohm", "6.8 kΩ", "6.8KΩ", "6800 Ohms", "6.8 kohm", "6.80k"],
            "6.8kΩ",
            "6.8",
        ),
        (["68k", "68kΩ", "68000Ω"], "68kΩ", "68"),
        (["4R7", "4.7Ω", "4.7 ohm"], "4.7Ω", "4.7"),
        (["2M2", "2.2MΩ", "2200kΩ"], "2.2MΩ", "2.2"),
        (["10uF", "10μF", "10µF", "10 uF", "10UF"], "10µF", "10"),
        (["0.1uF", "100nF", "100000pF", "100NF", "0.1 UF"], "100nF", "100"),
        (["10pF", "10PF", "10 pf"], "10pF", "10"),
        (["2200uF 25V", "2200µF 25v"], "2200µF 25V", "2200 25"),
        (["1/4W"], "1/4W", "1 4"),
        (["20MM", "20mm", "20 mm"], "20mm", "20"),
        (["50HZ", "50Hz", "50 hz"], "50Hz", "50"),
        (["2.4GHz", "2400MHz"], "2.4GHz", "2.4"),
        (["500mA", "0.5A", "500MA", "500 ma"], "500mA", "500"),
        (["100MHz", "100MHZ", "100mhz", "0.1GHz"], "100MHz", "100"),
        (["10mH", "10MH", "10000uH"], "10mH", "10"),
        (["6204-2RS", "6204 - 2rs"], "6204-2RS", "6204 2"),
        (["304不锈钢"], "304不锈钢", "304"),
        (["红色"], "红色", None),
    ],
)
def test_it_canonicalises_specs(variants: list[str], value: str, numbers: str | None) -> None:
    for raw in variants:
        assert std("spec", raw) == Standardized(value, {"numbers": numbers}), raw


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("M6x20", "M6x25"),
        ("M6x20", "M8x20"),
        ("6.8k", "68k"),
        ("6.8k", "6.8M"),
        ("Φ48×2.5", "Φ48×3.0"),
        ("10uF", "10nF"),
        ("10mΩ", "10MΩ"),
        ("1/4W", "1/2W"),
        ("M6x20", "M6x2"),
    ],
)
def test_it_keeps_different_specs_apart(left: str, right: str) -> None:
    assert std("spec", left).value != std("spec", right).value
