"""mdm.standardize.units: units of measure and product specifications; table-driven, no database."""

from __future__ import annotations

import pytest

from mdm.standardize import Standardized, standardize
from mdm.standardize.text import _clean

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
    result = standardize("unit", raw)
    assert result.value == code, raw
    assert result.problems == ()
    assert result.parts == {"source_unit": _clean(raw)}


def test_it_keeps_the_source_unit_for_measure_words() -> None:
    assert standardize("unit", "台") == Standardized("PCE", {"source_unit": "台"})


def test_it_flags_unknown_units() -> None:
    assert standardize("unit", "foo/bar") == Standardized(
        "FOO/BAR", {"source_unit": "foo/bar"}, ("unknown unit 'foo/bar'",)
    )


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
        # upper-casing the micro sign gives Greek capital mu
        (["0.01µF", "0.01uF", "0.01ΜF", "0.01μF", "10nF", "10NF"], "10nF", "10"),
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
        result = standardize("spec", raw)
        assert (result.value, result.parts["numbers"]) == (value, numbers), raw


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
    assert standardize("spec", left).value != standardize("spec", right).value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("YE3-132M2-6", "YE3-132M2-6"),  # a motor frame, not 132.2 MΩ
        ("YE3-132M-6", "YE3-132M-6"),  # not 132 metres
        ("Q41F-16R", "Q41F-16R"),  # a valve model, not 16 Ω
        ("Q2612A", "Q2612A"),  # a toner part number, not 2.612 kA
        ("ZJ-2025-2572B", "ZJ-2025-2572B"),
        ("10.2030.100", "10.2030.100"),  # a drawing number, not a decimal to trim
        ("RES-4K7-1%", "RES-4.7kΩ-1%"),  # a value code standing alone still is one
        ("0.1uF/50V/X7R", "100nF/50V/X7R"),
        ("1206 105K 10V0 X7R", "1206 105K 10V0 X7R"),  # a capacitance code and a dielectric, not 105 kΩ by 7
        ("RES 0603 105K 1%", "RES 0603 105kΩ 1%"),  # without a dielectric a bare k still reads as ohms
    ],
)
def test_it_keeps_part_numbers_and_model_codes_as_written(raw: str, value: str) -> None:
    assert standardize("spec", raw).value == value
