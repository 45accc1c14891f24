"""mdm.standardize.country: countries; table-driven, no database."""

from __future__ import annotations

import pytest

from mdm.standardize import Standardized, standardize


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
    assert standardize("country", raw) == Standardized(code, {})


def test_it_flags_unknown_countries() -> None:
    assert standardize("country", "Atlantis") == Standardized("ATLANTIS", {}, ("unknown country: 'Atlantis'",))
