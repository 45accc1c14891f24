"""mdm.standardize: the interface every standardizer keeps; table-driven, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from mdm.standardize import STANDARDIZERS, Standardized, standardize

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
    "birth_date": set(),
    "national_id": {"valid"},
    "number": set(),
    "bank_account": {"iban_valid"},
    "gtin": {"valid"},
    "unit": {"source_unit"},
    "spec": {"numbers", "text"},
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


def test_it_registers_every_type_under_its_name() -> None:
    assert set(STANDARDIZERS) == set(PARTS_KEYS)
    for name, function in STANDARDIZERS.items():
        assert function.__name__ == f"std_{name}"


def test_it_rejects_unknown_types_with_a_clear_message() -> None:
    with pytest.raises(KeyError, match=r"unknown standardizer type 'colour'.*company_name"):
        standardize("colour", "red")


def test_it_returns_frozen_results() -> None:
    result = standardize("text", "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = "b"  # type: ignore[misc]


def test_it_does_not_share_parts_between_cached_results() -> None:
    first = standardize("company_name", "华为技术有限公司")
    first.parts["core"] = "changed"
    assert standardize("company_name", "华为技术有限公司").parts["core"] == "华为技术"


@pytest.mark.parametrize("type_name", sorted(STANDARDIZERS))
@pytest.mark.parametrize("raw", EMPTY_INPUTS, ids=repr)
def test_it_treats_missing_values_as_empty(type_name: str, raw: object) -> None:
    assert standardize(type_name, raw) == Standardized(None, {}, (), False)


@pytest.mark.parametrize("type_name", sorted(STANDARDIZERS))
@pytest.mark.parametrize("raw", NASTY_INPUTS, ids=lambda raw: repr(raw)[:30])
def test_it_survives_nasty_input_and_keeps_the_parts_contract(type_name: str, raw: object) -> None:
    result = standardize(type_name, raw)
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
        ("birth_date", "23 October 1967"),
        ("birth_date", "19731392"),
        ("national_id", "123-45-6789"),
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
    once = standardize(type_name, raw)
    twice = standardize(type_name, once.value)
    assert twice.value == once.value
    if type_name not in ("unit", "phone", "email", "spec"):  # these parts describe the source text
        assert twice.parts == once.parts
