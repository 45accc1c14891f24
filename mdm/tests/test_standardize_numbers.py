"""mdm.standardize.numbers: numbers; table-driven, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mdm.standardize import Standardized, standardize


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
    assert standardize("number", raw) == Standardized(value, {})


@pytest.mark.parametrize(
    "raw", ["12kg", "¥100", "100%", "abc", "1,2,3", "12 34", "1.2.3,4,5", "--5", "1e999", float("inf"), True, 10**400]
)
def test_it_rejects_non_numbers_as_fatal(raw: object) -> None:
    result = standardize("number", raw)
    assert result.value is None and result.fatal
    assert result.problems[0].startswith("not a number: '")
