"""Product features: spec forms that are one spec, and what is kept out of the spec."""

from __future__ import annotations

import pytest

from matching.features.product import features as product_features
from mdm.standardize import std_spec


def _features(name: str, spec: str | None) -> dict:
    return product_features({"name": name, "spec": std_spec(spec).value if spec else None})


@pytest.mark.parametrize("glued, separated", [("62042RS", "6204-2RS"), ("608ZZ", "608-ZZ"), ("62052Z", "6205/2Z")])
def test_it_reads_a_bearing_seal_code_glued_to_the_number(glued, separated):
    a, b = _features("深沟球轴承", glued), _features("深沟球轴承", separated)
    assert a["sp_key"] == b["sp_key"]
    assert a["sp_nums"] == b["sp_nums"]


def test_it_keeps_other_seals_apart():
    assert _features("深沟球轴承", "6204ZZ")["sp_key"] != _features("深沟球轴承", "6204-2RS")["sp_key"]


def test_it_takes_the_dielectric_out_of_the_spec():
    eia = _features("贴片电容 103 25V 1206", "103 25V 1206")
    written = _features("贴片电容", "1206 10nF 25V X7R")
    assert eia["sp_key"] == written["sp_key"] == "10000 1206 25V"
    assert eia["pd_dielectric"] is None
    assert written["pd_dielectric"] == "x7r"
    assert _features("贴片电容", "0805-1UF-50V-COG")["pd_dielectric"] == "c0g"  # letter O for zero
    assert _features("贴片电容 0805 1uF 50V NPO", "0805 1µF 50V")["pd_dielectric"] == "np0"  # from the name


@pytest.mark.parametrize("written", ["1206-1M-F", "1M 1% 1206", "1MOHM ±1% 1206", "1206 1000kΩ 1%"])
def test_it_reads_a_resistance_the_standardizer_took_for_metres_next_to_a_tolerance(written):
    expected = _features("贴片电阻", "1206 1MΩ ±1%")["sp_key"]
    assert _features("贴片电阻", written)["sp_key"] == expected == "1% 1000000 1206"


@pytest.mark.parametrize("spec, key", [("1M", "1m"), ("K-type 2M", "2m K TYPE"), ("USB-C 1M", "1m C USB"),
                                       ("HDMI A-D 2M", "2m A D HDMI"), ("USB2.0 A-B 1.5M", "1.5m B USB2A")])
def test_a_length_without_a_tolerance_stays_a_length(spec, key):
    assert _features("数据线", spec)["sp_key"] == key


@pytest.mark.parametrize("written", ["0402 470RΩ 1%", "0402-470R-F", "470Ω 1%0402"])
def test_it_reads_r_notation_followed_by_an_ohm_sign(written):
    assert _features("贴片电阻", written)["sp_key"] == "0402 1% 470"


@pytest.mark.parametrize("spec", ["M5(GB)", "M5 GB/T 97.1", "M5 国标", "M5 DIN125"])
def test_it_ignores_a_standard_named_in_the_spec(spec):
    assert _features("平垫圈", spec)["sp_key"] == "M5"


def test_it_notes_the_script_a_brand_is_written_in():
    assert product_features({"name": "x", "brand": "恒固"})["pd_brand_script"] == "cjk"
    henggu = product_features({"name": "x", "brand": "Henggu"})["brand"]
    assert henggu == product_features({"name": "x", "brand": "恒固"})["brand"]
    assert product_features({"name": "x", "brand": "SKF"})["pd_brand_script"] == "latin"
    assert product_features({"name": "x"})["pd_brand_script"] is None
