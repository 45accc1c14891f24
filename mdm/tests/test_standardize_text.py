"""mdm.standardize.text: fold_text and the text and code types; table-driven, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mdm.standardize import Standardized, fold_text, standardize


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
    assert standardize("text", raw) == Standardized(value, {"folded": folded})


@pytest.mark.parametrize(
    ("raw", "value"),
    [(" net 30 ", "NET30"), ("ａｂ－１", "AB-1"), ("z 001\u200b", "Z001"), (100, "100")],
)
def test_it_normalises_codes(raw: object, value: str) -> None:
    assert standardize("code", raw) == Standardized(value, {})
