"""Product texts in the forms ERP and CRM masters write them: pairs that are one item, and
look-alikes that are not (another value, package, tolerance, seal, material, maker,
revision). Each pair is read by the product features and judged the way the product
model's spec and maker comparisons judge it."""

from __future__ import annotations

import pytest

from matching.declarations.product import DETAILS
from matching.features.product import features
from matching.features.product_text import TEXT_CHARS, read_product


def _row(text: str) -> dict:
    return features({"name": text})


def _one_item(a: str, b: str) -> bool:
    """Same main value, no detail that both give differs, makers not in conflict."""
    left, right = _row(a), _row(b)
    if left["px_block"] is None or left["px_block"] != right["px_block"]:
        return False
    if not set(left["px_vals"]) & set(right["px_vals"]):
        return False
    for column in DETAILS:
        if left[column] is not None and right[column] is not None and left[column] != right[column]:
            return False
    if left["px_material"] and right["px_material"] and not set(left["px_material"]) & set(right["px_material"]):
        return False
    makers = left["px_maker"], right["px_maker"]
    scripts = left["px_maker_script"], right["px_maker_script"]
    return None in makers or makers[0] == makers[1] or scripts[0] != scripts[1]


SAME = [
    ("SCREW,HEX SOCKET,M6X20,SS304", "内六角圆柱头螺钉 M6*20 304不锈钢"),
    ("六角头螺栓 M24x80 SUS304", "HEX BOLT M24 X 80 A2-70"),
    ("电阻1206/270K/J/国巨", "RC1206JR-07270KL"),
    ("电阻1206/270K/J/国巨", "RES 1206 274 5% YAGEO"),
    ("MLCC 1206 475 25V X5R 国巨", "贴片电容 1206 4.7uF 25V X5R YAGEO"),
    ("电阻0402/1002/F", "片式电阻 0402 10KΩ ±1%"),
    ("电阻 0603 4K7 5%", "RES,SMD,4.7K,5%,1/10W,0603"),
    ("电阻 0805 R47 1%", "0805 0.47Ω F 电阻"),
    ("CAP,CER,SMD,100NF,50V,X7R,10%,0603", "GRM188R71H104KA93D 村田"),
    ("CAP,CER,SMD,22PF,50V,C0G,5%,0402", "CL05C220JB5NNNC SAMSUNG"),
    ("CAP 0603 0.1uF 16V X7R", "C1608X7R1C104K TDK"),
    ("MLCC 0603 0.01ΜF 50V X7R", "贴片电容 0603 10nF 50V X7R"),  # an upper-cased micro sign
    ("CAP 0603 22NF 50V", "MLCC 0603 0.022µF 50V"),
    ("CAP CER .022ΜF 10V X7R 1206", "贴片电容 1206 223 10V X7R"),  # no leading zero; a value code
    ("MLCC 0603 100pF25V X7R", "Samsung MLCC 100pF 25V X7R 0603"),
    ("贴片电容 1206 475K 6V3 X5R", "MLCC 4.7uF 6.3V X5R 1206"),  # a voltage code, a dielectric after it
    ("轴承-6311-ZZ-FAG", "深沟球轴承 6311-2Z 舍弗勒"),
    ("深沟球轴承 6204-2RS SKF", "BEARING,BALL,DEEP GROOVE,62042RS1,斯凯孚"),
    ("轴承 80311", "深沟球轴承 6311ZZ"),
    ("O型圈 20×2.4 丁腈", "O-RING ID20 X CS2.4 NBR"),
    ("骨架油封 TC 35*52*7 NBR", "OIL SEAL,TC,35X52X7,丁腈橡胶"),
    ("支架(ZJ-2025-2572B)", "BRACKET,DWG ZJ-2025-2572,REV B"),
    ("电缆 RVV 3×1.5mm2", "CABLE,RVV,3C X 1.5MM2,300/500V"),
    ("法兰球阀 Q41F-16P DN50", "BALL VALVE,FLANGED,DN50,PN16,CF8"),
    ("异丙醇(分析纯)500ml/瓶", "ISOPROPANOL,AR,500ML"),
    ("Ball valve 2-1/2\" PN25 carbon steel WCB flanged", "KUGELHAHN DN65 PN25 GS-C25"),
    ("Butterfly valve wafer 6\" PN25 cast iron flanged", "铸铁法兰对夹蝶阀 D71X-25Z DN150"),
    ("RUECKSCHLAGVENTIL DN15 PN25 1.4408", "Swing check valve 1/2\" PN25 stainless CF8M (316)"),
    ("DREHSTROMMOTOR 1,5KW 2P B35 IE3", "电机 YE3-90S-2 1.5kW B35"),  # poles from the frame
    ("Motor 2.2 kW 970 rpm B5 WEG", "三相异步电动机 YE3-112M-6 2.2千瓦 B5"),  # and from the speed
    ("3-phase induction motor 0.75kW 2-pole B3", "电机 750W 2极 B3"),
    ("KABEL RVV 2X0,75 300/500V", "RVV 2x0.75mm2 300/500V Flexible sheathed cable"),
    ("Cable RVVP 3 core 1.5 sq mm 300/300V", "屏蔽护套线 RVVP 3X1.5平方"),
    ("Cable BVR 1 core 10 sq mm 450/750V, yellow-green", "单芯软线 BVR 1x10mm2 黄绿双色"),
    ("Bearing62062RS", "深沟球轴承 6206-2RS1"),  # a type word glued on; SKF's 2RS1
    ("RILLENKUGELLAGER 62042RS-C3", "HRB 6204-2RS-C3 ball bearing"),
    ("bearing 6206-2ZR", "轴承 6206ZZ"),
    ("HP 88A black toner cartridge CC388A", "Genuine toner for HP CC388A"),  # the part number, not 88A
    ("BATTERIE AAA LR03 4ER PACK", "南孚7号碱性电池 AAA 4粒/卡"),
    ("Acrylic enamel RAL 7035 20kg", "丙烯酸磁漆 RAL7035 20kg/桶"),
    ("KOPIERPAPIER A4 80G 500 BL", "Copy paper A4 80gsm 500 sheets"),
    # SAP's German abbreviations, a standard's ISO and DIN names, a washer by its hole
    ("SKT-SCHR DIN931 M6X30 8.8 VZ", "外六角螺栓 半牙 M6x30 8.8级 镀锌"),
    ("ISO 4017 M5x45 10.9", "SKT-SCHR DIN933 M5X45 10.9"),
    ("ZYL-SCHR DIN912 M4X16 A4-80", "内六角圆柱头螺钉 M4x16 A4-80"),
    ("U-SCHEIBE DIN125 6.4 A4-80", "M6 Flat washer A4-80 DIN 125"),
    ("平垫圈 17 A2-70", "Flat washer M16 DIN125 A2-70"),
]

DIFFERENT = [
    ("电阻1206/27K/J/国巨", "电阻1206/270K/J/国巨"),  # 27 kΩ vs 270 kΩ
    ("电阻1206/270K/J/国巨", "电阻1206/270K/F/国巨"),  # 5% vs 1%
    ("电阻1206/270K/J/国巨", "电阻0805/270K/J/国巨"),  # another package
    ("MLCC 1206 475 25V X5R 国巨", "MLCC 1206 475 25V X5R SAMSUNG"),  # another maker
    ("MLCC 1206 475 25V X5R", "MLCC 1206 475 16V X5R"),  # 25 V vs 16 V
    ("MLCC 0805 104 50V X7R", "MLCC 0805 104 50V Y5V"),  # another dielectric
    ("贴片电容 1206 105K 10V0 X7R", "Samsung MLCC 1uF 10V X5R 1206"),  # X7R after a voltage code
    ("贴片电容 1206 105K 10V0 X7R", "Samsung MLCC 1uF 25V X7R 1206"),  # 10 V vs 25 V
    ("SCREW,HEX SOCKET,M6X20,SS304", "SCREW,HEX SOCKET,M6X20,SS316"),
    ("SCREW,HEX SOCKET,M6X20,SS304", "SCREW,HEX SOCKET,M6X25,SS304"),
    ("六角螺母 M12 黄铜", "六角螺母 M12 尼龙"),  # brass vs plastic
    ("六角头螺栓 M10x30 8.8级", "内六角圆柱头螺钉 M10x30 8.8级"),  # another kind
    ("深沟球轴承 6204-2RS", "深沟球轴承 6204ZZ"),  # seals vs shields
    ("深沟球轴承 6204/C3", "深沟球轴承 6204"),  # C3 clearance vs normal
    ("支架(ZJ-2025-2572B)", "支架(ZJ-2025-2572C)"),  # the next revision
    ("支架(ZJ-2025-2572B)", "支架(ZJ-2025-2573B)"),  # the neighbouring drawing
    ("O型圈 20×2.4 NBR70", "O型圈 20×2.4 FKM75"),
    ("法兰球阀 DN50 PN16", "法兰球阀 DN65 PN16"),
    ("法兰球阀 Q41F-16P DN50", "法兰球阀 Q41F-16R DN50"),  # 304 vs 316 body
    ("异丙醇(分析纯)500ml/瓶", "异丙醇(分析纯)2.5L/瓶"),
    ("打印纸 A4 70g", "打印纸 A4 80g"),
    ("KUGELHAHN DN65 PN25 GS-C25", "KUGELHAHN DN65 PN25 GG25"),  # carbon steel vs cast iron body
    ("Ball valve 2\" PN16 cast iron", "Gate valve 2\" PN16 cast iron"),
    ("球阀 Q41F-16Z DN50", "球阀 Q41F-16C DN50"),
    ("DREHSTROMMOTOR 4KW 4P B3", "DREHSTROMMOTOR 4KW 6P B3"),
    ("Motor 4 kW 1450 rpm B3", "Motor 4 kW 1450 rpm B5"),  # foot or flange mounted
    ("电机 4千瓦 4极", "电机 5.5千瓦 4极"),
    ("单芯软线 BVR 1x10mm2 红色", "Cable BVR 1 core 10 sq mm, blue"),
    ("RILLENKUGELLAGER 62042RS-C3", "RILLENKUGELLAGER 6204-2RS"),  # C3 clearance vs normal
    ("兼容墨粉盒 惠普 Q2612A", "HP Q2612A toner original"),  # compatible vs original
    ("Nanfu AA batteries, pack of 10", "Nanfu alkaline battery AA 4-pack"),
    ("SKT-SCHR DIN931 M6X30 8.8", "SKT-SCHR DIN933 M6X30 8.8"),  # partial vs full thread
    ("外六角螺栓 半牙 M6x30 8.8级", "Hex head bolt full thread, DIN 933, M6x30 mm, 8.8"),
    ("M6x30 8.8 DIN 912", "M6x30 8.8 DIN 933"),  # socket head vs hex head
    ("SENK-SCHR DIN7991 M6X30 8.8", "ZYL-SCHR DIN912 M6X30 8.8"),
]


@pytest.mark.parametrize("a, b", SAME)
def test_it_reads_two_writings_of_one_item_alike(a, b):
    assert _one_item(a, b), (_row(a), _row(b))


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_it_keeps_look_alikes_apart(a, b):
    assert not _one_item(a, b), (_row(a), _row(b))


@pytest.mark.parametrize("text, value", [
    ("MLCC 1206 475 25V X5R", "4700000"),  # 475 = 4.7 µF, in pF
    ("电阻 1002 0603 1%", "10000"),  # 1002 = 10 kΩ
    ("电阻 0603 4K7", "4700"),
    ("电阻 0603 2R2 5%", "2.2"),
    ("贴片电容 0402 1nF 50V", "1000"),
])
def test_it_reads_value_codes(text, value):
    assert read_product(text).main == value


def test_it_reads_nothing_from_nothing():
    empty = read_product(None, "", "   ")
    assert empty.main is None and empty.family is None


def test_it_reads_each_text_only_as_far_as_a_spec_runs():
    """The number patterns cost the square of a text's length: 20,000 digits took 29 s."""
    spec = "电阻 1206 10K 1%"
    assert read_product(spec, "1" * 20 * TEXT_CHARS) == read_product(spec)
    assert read_product(" " * TEXT_CHARS + spec).main is None
    assert read_product(" " * TEXT_CHARS, spec).main == read_product(spec).main == "10000"


def test_it_gives_a_kind_of_one_standard_that_standard():
    """A socket head cap screw is a DIN 912 one: the text that says so and the one that
    does not have one spec signature (the exact level), not only compatible details."""
    assert _row("内六角圆柱头螺钉 M8x40 12.9级")["px_sig"] == _row("ZYL-SCHR DIN912 M8X40 12.9")["px_sig"]
