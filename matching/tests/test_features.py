"""Product features: spec forms that are one spec, read from the name, the spec and the brand."""

from __future__ import annotations

import pytest

from matching.features.product import features as product_features
from mdm.domains import get_domain
from mdm.ingest.profiles import get_profile
from mdm.standardize import std_spec


def _features(name: str, spec: str | None = None, brand: str | None = None) -> dict:
    row = {"name": name, "brand": brand}
    if spec:
        standardized = std_spec(spec)
        row.update(spec=standardized.value, spec__text=standardized.parts.get("text"))
    return product_features(row)


@pytest.mark.parametrize("glued, separated", [("62042RS", "6204-2RS"), ("608ZZ", "608-ZZ"), ("62052Z", "6205/2Z")])
def test_it_reads_a_bearing_seal_code_glued_to_the_number(glued, separated):
    a, b = _features("深沟球轴承", glued), _features("深沟球轴承", separated)
    assert a["px_sig"] == b["px_sig"]
    assert a["px_main"] == b["px_main"]


def test_it_keeps_other_seals_apart():
    shielded, sealed = _features("深沟球轴承", "6204ZZ"), _features("深沟球轴承", "6204-2RS")
    assert shielded["px_main"] == sealed["px_main"] == "6204"
    assert shielded["px_variant"] != sealed["px_variant"]


def test_it_keeps_the_dielectric_apart_from_the_value():
    eia = _features("贴片电容 103 25V 1206", "103 25V 1206")
    written = _features("贴片电容", "1206 10nF 25V X7R")
    assert eia["px_main"] == written["px_main"] == "10000"  # pF
    assert eia["px_dielectric"] is None
    assert written["px_dielectric"] == "X7R"
    assert _features("贴片电容", "0805-1UF-50V-COG")["px_dielectric"] == "C0G"  # letter O for zero
    assert _features("贴片电容 0805 1uF 50V NPO", "0805 1µF 50V")["px_dielectric"] == "C0G"  # from the name


@pytest.mark.parametrize("written", ["1206-1M-F", "1M 1% 1206", "1MOHM ±1% 1206", "1206 1000kΩ 1%"])
def test_it_reads_a_resistance_written_every_way(written):
    expected = _features("贴片电阻", "1206 1MΩ ±1%")
    got = _features("贴片电阻", written)
    assert (got["px_main"], got["px_package"], got["px_tolerance"]) == (expected["px_main"], "1206", "1")
    assert expected["px_main"] == "1000000"


@pytest.mark.parametrize("written", ["0402 470RΩ 1%", "0402-470R-F", "470Ω 1%0402"])
def test_it_reads_r_notation(written):
    assert _features("贴片电阻", written)["px_main"] == "470"


@pytest.mark.parametrize("spec", ["M5(GB)", "M5 GB/T 97.1", "M5 国标", "M5 DIN125"])
def test_it_ignores_a_standard_named_in_the_spec(spec):
    assert _features("平垫圈", spec)["px_main"] == "M5"


def test_it_notes_how_a_maker_is_known():
    assert _features("x", brand="SKF")["px_maker"] == _features("x", brand="斯凯孚")["px_maker"] == "skf"
    assert _features("x", brand="SKF")["px_maker_script"] == "known"
    henggu = _features("x", brand="Henggu")
    assert henggu["px_maker"] == _features("x", brand="恒固")["px_maker"] == "?henggu"
    assert henggu["px_maker_script"] == "latin"
    assert _features("x", brand="恒固")["px_maker_script"] == "cjk"
    assert _features("x")["px_maker_script"] is None


def test_it_never_raises_on_odd_input():
    for name in ["", "   ", "M", "x" * 500, "电阻", "RC", "6", "%%%", "1/0", "DN", "图号", "M99999999x0", "0.0.0.0"]:
        assert isinstance(_features(name, name or None), dict)


def test_it_reads_the_maker_material_and_drawing_of_an_sap_material_from_its_own_fields():
    # MARA has no brand column; its manufacturer part number names the maker, and WRKST
    # and ZEINR the material and drawing the short text leaves out
    profile, domain = get_profile("sap_mara"), get_domain("product")

    def read(**fields: str) -> dict:
        row = {"MATNR": "10000001", "MAKTX": "", **fields}
        attributes, _ = domain.standardize(profile.extract(row), phone_region="CN")
        return product_features(attributes)

    cap = read(MAKTX="CAP,CER,SMD,22NF,50V,X7R,20%,0805", MFRPN="CL21B223MBANNNC")
    assert (cap["px_maker"], cap["px_main"], cap["px_package"]) == ("samsung", "22000", "0805")
    screw = read(MAKTX="内六角圆柱头螺钉", GROES="M8X60", WRKST="SS316")
    assert (screw["px_main"], screw["px_material"]) == ("M8x60", ["ss316"])
    part = read(MAKTX="支架", ZEINR="ZJ-2025-2572", ZEIVR="B")
    assert (part["px_main"], part["px_revision"]) == ("ZJ-2025-2572", "B")
