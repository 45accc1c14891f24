"""mdm.standardize.address: street addresses and postcodes; table-driven, no database."""

from __future__ import annotations

import pytest

from mdm.standardize import Standardized, standardize


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
    assert standardize("address", raw) == Standardized(value, {"folded": folded})


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
    assert standardize("postcode", raw) == Standardized(value, {})
