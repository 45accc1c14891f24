"""Product entities (industrial, electronic, office, MRO items) and how four kinds of system
write them. The spec lives in free text; each style writes it its own way."""

from __future__ import annotations

import math
import random

FULLWIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZxX*-/.% ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺｘＸ＊－／．％　",
)


def ean13(rng: random.Random) -> str:
    body = "69" + "".join(rng.choice("0123456789") for _ in range(10))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def times(rng):
    return rng.choice(["x", "X", "*", "×", " x ", "x"])


# ------------------------------------------------------------------ fasteners
FASTENER_TYPES = {
    "912": ("Socket head cap screw", "内六角圆柱头螺钉", "ZYL-SCHR", True),
    "933": ("Hex head bolt full thread", "外六角螺栓 全牙", "SKT-SCHR", True),
    "931": ("Hex head bolt partial thread", "外六角螺栓 半牙", "SKT-SCHR", True),
    "7991": ("Countersunk socket screw", "内六角沉头螺钉", "SENK-SCHR", True),
    "934": ("Hex nut", "六角螺母", "6KT-MU", False),
    "125": ("Flat washer", "平垫圈", "U-SCHEIBE", False),
}
FASTENER_MAT = {
    "A2-70": (
        ["A2-70", "SS304", "stainless A2", "Stainless steel A2-70"],
        ["304不锈钢", "不锈钢304", "SUS304", "A2-70"],
        "A2-70",
    ),
    "A4-80": (["A4-80", "SS316", "stainless A4"], ["316不锈钢", "不锈钢316", "A4-80"], "A4-80"),
    "8.8Zn": (["8.8 zinc plated", "Gr.8.8 ZP", "8.8 galv."], ["8.8级 镀锌", "8.8级镀锌", "碳钢8.8级 镀锌"], "8.8 VZ"),
    "10.9": (["10.9 black", "Gr 10.9 black oxide"], ["10.9级 发黑", "10.9级发黑"], "10.9 BLANK"),
    "12.9": (["12.9", "Gr.12.9 alloy steel"], ["12.9级", "12.9级 合金钢"], "12.9"),
}
WASHER_ID = {3: 3.2, 4: 4.3, 5: 5.3, 6: 6.4, 8: 8.4, 10: 10.5, 12: 13, 16: 17, 20: 21}
FASTENER_BRANDS = [None, None, None, ("Würth", "伍尔特"), ("Bossard", "博莎"), ("Jinyi", "晋亿")]


def fastener(rng):
    kind = rng.choice(list(FASTENER_TYPES))
    d = rng.choice([3, 4, 5, 6, 8, 10, 12, 16, 20])
    length = (
        rng.choice([l for l in (6, 8, 10, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100) if 2 * d <= l <= 10 * d])
        if FASTENER_TYPES[kind][3]
        else None
    )
    mat = rng.choice(list(FASTENER_MAT))
    return {"family": "FAST", "kind": kind, "d": d, "l": length, "mat": mat, "brand": rng.choice(FASTENER_BRANDS)}


def fastener_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["l", "l", "mat", "d", "kind"])
    if what == "l" and e["l"]:
        e["l"] = e["l"] + rng.choice([-5, 5, 10]) if e["l"] > 10 else e["l"] + 2
    elif what == "mat":
        e["mat"] = rng.choice([m for m in FASTENER_MAT if m != e["mat"]])
    elif what == "d":
        e["d"] = {3: 4, 4: 5, 5: 6, 6: 8, 8: 10, 10: 12, 12: 10, 16: 12, 20: 16}[e["d"]]
    else:
        e["kind"] = {"912": "7991", "7991": "912", "933": "931", "931": "933", "934": "125", "125": "934"}[e["kind"]]
        if FASTENER_TYPES[e["kind"]][3] and not e["l"]:
            e["l"] = 4 * e["d"]
        if not FASTENER_TYPES[e["kind"]][3]:
            e["l"] = None
    return e


def fastener_render(e, style, rng):
    en, cn, sap, _ = FASTENER_TYPES[e["kind"]]
    en_mat, cn_mat, sap_mat = FASTENER_MAT[e["mat"]]
    d, length = e["d"], e["l"]
    size = f"M{d}" + (f"{times(rng)}{length}" if length else "")
    din = rng.choice([f"DIN{e['kind']}", f"DIN {e['kind']}"])
    if e["kind"] == "125":
        size = rng.choice([f"M{d}", f"{WASHER_ID[d]}", f"M{d} ({WASHER_ID[d]})"])
    brand = e["brand"]
    if style == "odoo":
        name = rng.choice(
            [
                f"{en} {size} {din} {rng.choice(en_mat)}",
                f"{size} {en} {rng.choice(en_mat)} {din}",
                f"{en.split()[0]} {size}{'mm' if length else ''} {din} {rng.choice(en_mat)}",
            ]
        )
        return {
            "name": name,
            "brand": brand[0] if brand and rng.random() < 0.6 else "",
            "unit": rng.choice(["Units", "pc", "PCS"]),
        }
    if style == "kis":
        spec = f"{size} {rng.choice(cn_mat)}" + (f" {din}" if rng.random() < 0.5 else "")
        if rng.random() < 0.3:  # spec typed into the name, spec column left empty
            return {
                "name": f"{cn} {spec}",
                "spec": "",
                "brand": brand[1] if brand else "",
                "unit": rng.choice(["个", "只", "PCS"]),
            }
        return {
            "name": cn,
            "spec": spec,
            "brand": (rng.choice(brand) if brand and rng.random() < 0.7 else ""),
            "unit": rng.choice(["个", "只", "件"]),
        }
    if style == "sap":
        size = size.replace(" ", "").replace("*", "X").replace("×", "X").upper()
        return {"name": f"{sap} DIN{e['kind']} {size} {sap_mat}"[:40], "unit": "ST"}
    desc = rng.choice(
        [f"{en}, {din}, {size} mm, {rng.choice(en_mat)}", f"{din} {size} {en.lower()} {rng.choice(en_mat)}"]
    )
    return {
        "name": desc + (f", {brand[0]}" if brand and rng.random() < 0.5 else ""),
        "manufacturer": brand[0] if brand else "",
        "unit": rng.choice(["EA", "PCS"]),
    }


# ------------------------------------------------------------------ bearings
BEARING_BRANDS = {
    "SKF": ("斯凯孚", "2RS1", "2Z"),
    "FAG": ("舍弗勒", "2RSR", "2ZR"),
    "NSK": ("恩斯克", "DDU", "ZZ"),
    "NTN": ("恩梯恩", "LLU", "ZZ"),
    "HRB": ("哈轴", "2RS", "ZZ"),
    "ZWZ": ("瓦轴", "2RS", "ZZ"),
    "LYC": ("洛轴", "2RS", "ZZ"),
}


def bearing(rng):
    series = rng.choice(["60", "62", "63"])
    return {
        "family": "BEAR",
        "series": series,
        "size": rng.choice(["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]),
        "seal": rng.choice(["", "2RS", "2RS", "ZZ", "ZZ"]),
        "c3": rng.random() < 0.25,
        "brand": rng.choice(list(BEARING_BRANDS)),
    }


def bearing_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["seal", "size", "series", "c3"])
    if what == "seal":
        e["seal"] = rng.choice([s for s in ("", "2RS", "ZZ") if s != e["seal"]])
    elif what == "size":
        e["size"] = f"{(int(e['size']) + rng.choice([1, 2])) % 13:02d}"
    elif what == "series":
        e["series"] = rng.choice([s for s in ("60", "62", "63") if s != e["series"]])
    else:
        e["c3"] = not e["c3"]
    return e


def bearing_render(e, style, rng):
    code = e["series"][0] + e["series"][1] + e["size"]
    cn_brand, rs, z = BEARING_BRANDS[e["brand"]]
    generic = {"2RS": "2RS", "ZZ": "ZZ", "": ""}[e["seal"]]
    maker = {"2RS": rs, "ZZ": z, "": ""}[e["seal"]]
    seal = maker if rng.random() < 0.5 else generic
    sep = rng.choice(["-", "", " "]) if seal else ""
    desig = code + sep + seal + (rng.choice(["/C3", " C3", "-C3"]) if e["c3"] else "")
    bore = {"00": 10, "01": 12, "02": 15, "03": 17}.get(e["size"], int(e["size"]) * 5)
    if style == "odoo":
        return {
            "name": rng.choice(
                [
                    f"Deep groove ball bearing {desig} {e['brand']}",
                    f"Bearing {desig}",
                    f"{e['brand']} {desig} ball bearing",
                ]
            ),
            "brand": e["brand"] if rng.random() < 0.5 else "",
            "unit": "Units",
        }
    if style == "kis":
        if (
            rng.random() < 0.15 and e["seal"] and not e["c3"]
        ):  # old Chinese GB designation: 6204-2RS = 180204, 6204ZZ = 80204
            desig = ("180" if e["seal"] == "2RS" else "80") + {"60": "1", "62": "2", "63": "3"}[e["series"]] + e["size"]
        b = rng.choice([e["brand"], cn_brand, f"{cn_brand}{e['brand']}", ""])
        if rng.random() < 0.4:
            return {"name": f"{desig} 轴承 {b}".strip(), "spec": "", "brand": "", "unit": rng.choice(["套", "个"])}
        return {
            "name": "深沟球轴承",
            "spec": desig + (f" 内径{bore}mm" if rng.random() < 0.2 else ""),
            "brand": b,
            "unit": rng.choice(["套", "个", "盘"]),
        }
    if style == "sap":
        return {
            "name": f"RILLENKUGELLAGER {desig}".upper()[:40],
            "mfrpn": f"{code}-{maker}" if maker else code,
            "unit": "ST",
        }
    return {
        "name": f"{e['brand']} {desig} deep groove ball bearing, bore {bore} mm",
        "manufacturer": e["brand"],
        "unit": "EA",
    }


# ------------------------------------------------------------------ resistors / capacitors
E_VALUES = [1.0, 1.5, 2.2, 2.7, 3.3, 4.7, 5.1, 6.8, 8.2]
RES_BRANDS = [("Yageo", "国巨"), ("UniOhm", "厚声"), ("Vishay", "威世"), ("Walsin", "华新科")]
CAP_BRANDS = [("Murata", "村田"), ("Samsung", "三星"), ("TDK", "TDK"), ("Yageo", "国巨")]


def fmt_num(v):
    return f"{v:g}"


def res_text(ohm, rng):
    """10K, 10k, 4K7, 4R7, 470R, 470Ω, 1M ..."""
    if ohm >= 1e6:
        base, unit = fmt_num(ohm / 1e6), "M"
    elif ohm >= 1e3:
        base, unit = fmt_num(ohm / 1e3), rng.choice(["K", "k"])
    else:
        base, unit = fmt_num(ohm), ""
    if "." in base and rng.random() < 0.4:
        return base.replace(".", unit or "R")
    return base + unit + (rng.choice(["", "Ω", "ohm"]) if unit else rng.choice(["R", "Ω", "ohm", "Ω"]))


def res_code(ohm, digits):
    """EIA code: 3 digits (103) or 4 digits (1002); 4R7 below 10 ohm."""
    if ohm < 10:
        return fmt_num(ohm).replace(".", "R") if "." in fmt_num(ohm) else fmt_num(ohm) + "R0"
    mant = round(ohm)
    s = str(mant)
    sig = s[: digits - 1].ljust(digits - 1, "0")
    exp = len(s) - (digits - 1)
    return sig + str(exp)


def resistor(rng):
    ohm = round(rng.choice(E_VALUES) * 10 ** rng.randint(0, 6), 6)
    return {
        "family": "ELEC",
        "kind": "R",
        "ohm": ohm,
        "tol": rng.choice([1, 5]),
        "pkg": rng.choice(["0402", "0603", "0603", "0805", "1206"]),
        "brand": rng.choice(RES_BRANDS),
    }


def resistor_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["x10", "x10", "val", "tol", "pkg"])
    if what == "x10":
        e["ohm"] = round(e["ohm"] * rng.choice([10, 0.1]), 6) if e["ohm"] >= 10 else e["ohm"] * 10
    elif what == "val":
        exp = math.floor(math.log10(e["ohm"]) + 1e-9)
        other = rng.choice([v for v in E_VALUES if abs(v * 10**exp - e["ohm"]) > 1e-6])
        e["ohm"] = round(other * 10**exp, 6)
    elif what == "tol":
        e["tol"] = 6 - e["tol"] if e["tol"] in (1, 5) else 1
    else:
        e["pkg"] = rng.choice([p for p in ("0402", "0603", "0805", "1206") if p != e["pkg"]])
    return e


def resistor_render(e, style, rng):
    val = res_text(e["ohm"], rng)
    tol = f"{e['tol']}%"
    watt = {"0402": "1/16W", "0603": "1/10W", "0805": "1/8W", "1206": "1/4W"}[e["pkg"]]
    brand = e["brand"]
    if style == "odoo":
        return {
            "name": rng.choice(
                [
                    f"RES SMD {val} {tol} {watt} {e['pkg']}",
                    f"Resistor {e['pkg']} {val} {tol}",
                    f"Chip resistor {val} ±{tol} {e['pkg']} {brand[0]}",
                ]
            ),
            "brand": brand[0] if rng.random() < 0.4 else "",
            "unit": "Units",
        }
    if style == "kis":
        code = res_code(e["ohm"], 4 if e["tol"] == 1 else 3)
        spec = rng.choice(
            [
                f"{e['pkg']} {val} ±{tol}",
                f"{e['pkg']} {code} {'F' if e['tol'] == 1 else 'J'}",
                f"{e['pkg']}-{val}-{tol}",
                f"{val}/{tol}/{e['pkg']}",
            ]
        )
        return {
            "name": rng.choice(["贴片电阻", "电阻", "片式电阻器"]),
            "spec": spec,
            "brand": rng.choice([brand[1], brand[0], ""]),
            "unit": rng.choice(["个", "只", "PCS"]),
        }
    if style == "sap":
        return {"name": f"WIDERSTAND SMD {e['pkg']} {val.upper()} {tol}"[:40], "unit": "ST"}
    mpn = ""
    if brand[0] == "Yageo":
        value = res_text(e["ohm"], random.Random(1)).replace("Ω", "").replace("ohm", "").upper()
        mpn = f"RC{e['pkg']}{'F' if e['tol'] == 1 else 'J'}R-07{value}L"
    return {
        "name": f"{brand[0]} {mpn} thick film resistor {val} {tol} {e['pkg']}".replace("  ", " "),
        "manufacturer": brand[0],
        "mpn": mpn,
        "unit": "EA",
    }


CAP_VALUES_PF = [
    10,
    22,
    100,
    470,
    1000,
    4700,
    10000,
    22000,
    100000,
    470000,
    1000000,
    2200000,
    4700000,
    10000000,
    22000000,
]


def cap_text(pf, rng):
    options = []
    if pf < 1000:
        options.append(f"{pf}pF")
    if 1000 <= pf < 1e6:
        options.append(f"{fmt_num(pf / 1000)}nF")
    if pf >= 10000:
        options.append(f"{fmt_num(pf / 1e6)}{rng.choice(['uF', 'µF', 'UF'])}")
    return rng.choice(options)


def cap_code(pf):
    s = str(int(pf))
    return s[:2] + str(len(s) - 2) if len(s) > 2 else s + "0" if len(s) == 1 else s[:2] + "0"


def capacitor(rng):
    return {
        "family": "ELEC",
        "kind": "C",
        "pf": rng.choice(CAP_VALUES_PF),
        "v": rng.choice([10, 16, 25, 50, 50, 100]),
        "diel": rng.choice(["X7R", "X7R", "X5R", "C0G"]),
        "pkg": rng.choice(["0402", "0603", "0603", "0805", "1206"]),
        "brand": rng.choice(CAP_BRANDS),
    }


def capacitor_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["pf", "pf", "v", "diel", "pkg"])
    if what == "pf":
        i = CAP_VALUES_PF.index(e["pf"])
        e["pf"] = CAP_VALUES_PF[i + 1] if i + 1 < len(CAP_VALUES_PF) else CAP_VALUES_PF[i - 1]
    elif what == "v":
        e["v"] = rng.choice([v for v in (10, 16, 25, 50, 100) if v != e["v"]])
    elif what == "diel":
        e["diel"] = rng.choice([d for d in ("X7R", "X5R", "C0G") if d != e["diel"]])
    else:
        e["pkg"] = rng.choice([p for p in ("0402", "0603", "0805", "1206") if p != e["pkg"]])
    return e


def capacitor_render(e, style, rng):
    val = cap_text(e["pf"], rng)
    v = f"{e['v']}V"
    brand = e["brand"]
    if style == "odoo":
        return {
            "name": rng.choice(
                [
                    f"CAP CER {val.upper()} {v} {e['diel']} {e['pkg']}",
                    f"MLCC {e['pkg']} {val} {v} {e['diel']}",
                    f"Ceramic capacitor {val} {v} {e['diel']} {e['pkg']} {brand[0]}",
                ]
            ),
            "brand": brand[0] if rng.random() < 0.4 else "",
            "unit": "Units",
        }
    if style == "kis":
        code = cap_code(e["pf"]) + rng.choice(["K", "", "M"] if e["diel"] != "C0G" else ["J", ""])
        spec = rng.choice(
            [f"{e['pkg']} {code} {v} {e['diel']}", f"{e['pkg']} {val} {v} {e['diel']} ±10%", f"{val}/{v}/{e['pkg']}"]
        )
        return {
            "name": rng.choice(["贴片电容", "贴片陶瓷电容", "电容"]),
            "spec": spec,
            "brand": rng.choice([brand[1], brand[0], ""]),
            "unit": rng.choice(["个", "只", "PCS"]),
        }
    if style == "sap":
        return {"name": f"KONDENSATOR KER {e['pkg']} {val.upper()} {v} {e['diel']}"[:40], "unit": "ST"}
    mpn = ""
    if brand[0] == "Murata":
        mpn = (
            "GRM"
            + {"0402": "15", "0603": "18", "0805": "21", "1206": "31"}[e["pkg"]]
            + "8"
            + {"X7R": "R7", "X5R": "R6", "C0G": "5C"}[e["diel"]]
            + {10: "1A", 16: "1C", 25: "1E", 50: "1H", 100: "2A"}[e["v"]]
            + cap_code(e["pf"])
            + "KA01D"
        )
    return {
        "name": f"{brand[0]} {mpn} MLCC {val} {v} {e['diel']} {e['pkg']}".replace("  ", " "),
        "manufacturer": brand[0],
        "mpn": mpn,
        "unit": "EA",
    }


# ------------------------------------------------------------------ cables
CABLES = {
    "RVV": ("Flexible sheathed cable", "护套软线", "300/500V"),
    "RVVP": ("Shielded flexible cable", "屏蔽护套线", "300/300V"),
    "YJV": ("XLPE power cable", "交联电力电缆", "0.6/1kV"),
    "KVVP": ("Control cable shielded", "控制电缆", "450/750V"),
    "BVR": ("Single core flexible wire", "单芯软线", "450/750V"),
}
CABLE_BRANDS = [None, None, ("Far East", "远东"), ("Qifan", "起帆"), ("Panda", "熊猫")]


def cable(rng):
    t = rng.choice(list(CABLES))
    cores = 1 if t == "BVR" else rng.choice([2, 3, 4, 5] if t != "YJV" else [3, 4])
    cs = rng.choice(
        [0.5, 0.75, 1, 1.5, 2.5] if t in ("RVV", "RVVP", "KVVP") else [1.5, 2.5, 4, 6, 10, 16, 25, 35, 50, 95]
    )
    colour = rng.choice(["red", "blue", "yellow-green", "black"]) if t == "BVR" else None
    return {"family": "CABL", "type": t, "cores": cores, "cs": cs, "colour": colour, "brand": rng.choice(CABLE_BRANDS)}


def cable_sibling(e, rng):
    e = dict(e)
    if e["type"] == "BVR" and rng.random() < 0.5:
        e["colour"] = rng.choice([c for c in ("red", "blue", "yellow-green", "black") if c != e["colour"]])
    elif rng.random() < 0.5 and e["type"] != "BVR":
        e["cores"] = e["cores"] + 1 if e["cores"] < 5 else e["cores"] - 1
    else:
        e["cs"] = {
            0.5: 0.75,
            0.75: 1,
            1: 1.5,
            1.5: 2.5,
            2.5: 4,
            4: 6,
            6: 10,
            10: 16,
            16: 25,
            25: 35,
            35: 50,
            50: 95,
            95: 50,
        }[e["cs"]]
    return e


CN_COLOUR = {"red": "红色", "blue": "蓝色", "yellow-green": "黄绿双色", "black": "黑色"}


def cable_render(e, style, rng):
    en, cn, volt = CABLES[e["type"]]
    cs = fmt_num(e["cs"])
    cc = f"{e['cores']}{times(rng)}{cs}"
    brand = e["brand"]
    col = e["colour"]
    if style == "odoo":
        return {
            "name": f"{e['type']} {cc}mm² {volt} {en}" + (f" {col}" if col else ""),
            "brand": brand[0] if brand else "",
            "unit": rng.choice(["m", "Meters"]),
        }
    if style == "kis":
        spec = f"{e['type']} {cc}" + rng.choice(["", "平方", "mm²", "mm2"]) + (f" {CN_COLOUR[col]}" if col else "")
        in_name = rng.random() < 0.4
        return {
            "name": f"{cn} {spec}" if in_name else cn,
            "spec": "" if in_name and rng.random() < 0.5 else spec,
            "brand": brand[1] if brand else "",
            "unit": rng.choice(["米", "M", "m"]),
        }
    if style == "sap":
        cc = cc.replace("*", "X").replace("×", "X").replace(" ", "").replace(".", ",")
        return {"name": f"KABEL {e['type']} {cc} {volt}"[:40], "groes": col.upper() if col else "", "unit": "M"}
    return {
        "name": f"Cable {e['type']} {e['cores']} core {cs} sq mm {volt}" + (f", {col}" if col else ""),
        "manufacturer": brand[0] if brand else "",
        "unit": "M",
    }


# ------------------------------------------------------------------ valves
VALVES = {
    "ball": ("Ball valve", "球阀", "KUGELHAHN", "Q41F"),
    "gate": ("Gate valve", "闸阀", "ABSPERRSCHIEBER", "Z41H"),
    "check": ("Swing check valve", "止回阀", "RUECKSCHLAGVENTIL", "H44H"),
    "butterfly": ("Butterfly valve wafer", "对夹蝶阀", "ABSPERRKLAPPE", "D71X"),
}
VALVE_MAT = {
    "CI": ("cast iron", "铸铁", "GG25", "Z"),
    "WCB": ("carbon steel WCB", "碳钢", "GS-C25", "C"),
    "SS304": ("stainless CF8 (304)", "304不锈钢", "1.4308", "P"),
    "SS316": ("stainless CF8M (316)", "316不锈钢", "1.4408", "R"),
}
INCH = {
    15: '1/2"',
    20: '3/4"',
    25: '1"',
    32: '1-1/4"',
    40: '1-1/2"',
    50: '2"',
    65: '2-1/2"',
    80: '3"',
    100: '4"',
    150: '6"',
}


def valve(rng):
    return {
        "family": "VALV",
        "type": rng.choice(list(VALVES)),
        "dn": rng.choice(list(INCH)),
        "pn": rng.choice([16, 16, 25, 40]),
        "mat": rng.choice(list(VALVE_MAT)),
    }


def valve_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["dn", "pn", "mat", "type"])
    dns = list(INCH)
    if what == "dn":
        i = dns.index(e["dn"])
        e["dn"] = dns[i + 1] if i + 1 < len(dns) else dns[i - 1]
    elif what == "pn":
        e["pn"] = rng.choice([p for p in (16, 25, 40) if p != e["pn"]])
    elif what == "mat":
        e["mat"] = rng.choice([m for m in VALVE_MAT if m != e["mat"]])
    else:
        e["type"] = rng.choice([t for t in VALVES if t != e["type"]])
    return e


def valve_render(e, style, rng):
    en, cn, de, model = VALVES[e["type"]]
    men, mcn, mde, mcode = VALVE_MAT[e["mat"]]
    dn, pn = e["dn"], e["pn"]
    if style == "odoo":
        size = f"DN{dn}" if rng.random() < 0.6 else INCH[dn]
        return {"name": f"{en} {size} PN{pn} {men} flanged", "unit": "Units", "brand": ""}
    if style == "kis":
        spec = rng.choice([f"{model}-{pn}{mcode} DN{dn}", f"DN{dn} PN{pn} {mcn}", f"{model}-{pn}{mcode} DN{dn} {mcn}"])
        return {
            "name": rng.choice([f"{mcn}法兰{cn}", cn, f"法兰{cn}"]),
            "spec": spec,
            "brand": "",
            "unit": rng.choice(["台", "个", "只"]),
        }
    if style == "sap":
        return {"name": f"{de} DN{dn} PN{pn} {mde}"[:40], "unit": "ST"}
    return {"name": f"{en}, {INCH[dn]} (DN{dn}), class PN{pn}, body {men}", "unit": "EA", "manufacturer": ""}


# ------------------------------------------------------------------ motors
MOTOR_FRAME = {
    (0.75, 4): "80M2",
    (1.5, 4): "90L",
    (2.2, 4): "100L1",
    (4, 4): "112M",
    (5.5, 4): "132S",
    (7.5, 4): "132M",
    (11, 4): "160M",
    (15, 4): "160L",
    (0.75, 2): "80M1",
    (1.5, 2): "90S",
    (2.2, 2): "90L",
    (4, 2): "112M",
    (5.5, 2): "132S1",
    (7.5, 2): "132S2",
    (11, 2): "160M1",
    (15, 2): "160M2",
    (0.75, 6): "90S",
    (1.5, 6): "100L",
    (2.2, 6): "112M",
    (4, 6): "132M1",
    (5.5, 6): "132M2",
    (7.5, 6): "160M",
    (11, 6): "160L",
    (15, 6): "180L",
}
MOTOR_BRANDS = [("ABB", "ABB"), ("Siemens", "西门子"), ("WEG", "WEG"), ("Wannan", "皖南"), ("Dazhong", "大中")]
RPM = {2: 2900, 4: 1450, 6: 970}


def motor(rng):
    kw, poles = rng.choice(list(MOTOR_FRAME))
    return {
        "family": "MOTR",
        "kw": kw,
        "poles": poles,
        "mount": rng.choice(["B3", "B3", "B5", "B35"]),
        "brand": rng.choice(MOTOR_BRANDS),
    }


def motor_sibling(e, rng):
    e = dict(e)
    what = rng.choice(["kw", "poles", "mount"])
    if what == "kw":
        kws = [0.75, 1.5, 2.2, 4, 5.5, 7.5, 11, 15]
        i = kws.index(e["kw"])
        e["kw"] = kws[i + 1] if i + 1 < len(kws) else kws[i - 1]
    elif what == "poles":
        e["poles"] = rng.choice([p for p in (2, 4, 6) if p != e["poles"]])
    else:
        e["mount"] = rng.choice([m for m in ("B3", "B5", "B35") if m != e["mount"]])
    return e


def motor_render(e, style, rng):
    kw = fmt_num(e["kw"])
    frame = MOTOR_FRAME[(e["kw"], e["poles"])]
    b = e["brand"]
    if style == "odoo":
        return {
            "name": rng.choice(
                [
                    f"3-phase induction motor {kw}kW {e['poles']}-pole {e['mount']} 380V IE3",
                    f"Motor {kw} kW {RPM[e['poles']]} rpm {e['mount']} {b[0]}",
                ]
            ),
            "brand": b[0] if rng.random() < 0.5 else "",
            "unit": "Units",
        }
    if style == "kis":
        return {
            "name": rng.choice(["三相异步电动机", "电机", "YE3电机"]),
            "spec": f"YE3-{frame}-{e['poles']} {kw}{rng.choice(['KW', 'kW', '千瓦'])} {e['mount']}",
            "brand": rng.choice([b[1], b[0], ""]),
            "unit": "台",
        }
    if style == "sap":
        return {"name": f"DREHSTROMMOTOR {kw.replace('.', ',')}KW {e['poles']}P {e['mount']} IE3"[:40], "unit": "ST"}
    return {
        "name": f"{b[0]} electric motor {kw} kW, {RPM[e['poles']]} rpm, frame {frame}, {e['mount']}",
        "manufacturer": b[0],
        "unit": "EA",
    }


# ------------------------------------------------------------------ office supplies
PAPER_BRANDS = [("Double A", "达伯埃"), ("Deli", "得力"), ("M&G", "晨光"), ("Navigator", "领航")]
TONERS = {
    "CF226A": ("26A", "HP"),
    "Q2612A": ("12A", "HP"),
    "CC388A": ("88A", "HP"),
    "CF217A": ("17A", "HP"),
    "TN-2325": ("TN2325", "Brother"),
}
BATTERY_BRANDS = [("Duracell", "金霸王"), ("Panasonic", "松下"), ("Nanfu", "南孚")]


def office(rng):
    kind = rng.choice(["paper", "paper", "toner", "battery"])
    if kind == "paper":
        return {
            "family": "OFFC",
            "kind": kind,
            "size": rng.choice(["A4", "A4", "A3"]),
            "gsm": rng.choice([70, 80]),
            "pack": rng.choice([1, 5]),
            "brand": rng.choice(PAPER_BRANDS),
        }
    if kind == "toner":
        return {"family": "OFFC", "kind": kind, "model": rng.choice(list(TONERS)), "compatible": rng.random() < 0.4}
    return {
        "family": "OFFC",
        "kind": kind,
        "size": rng.choice(["AA", "AAA"]),
        "pack": rng.choice([2, 4, 10]),
        "brand": rng.choice(BATTERY_BRANDS),
    }


def office_sibling(e, rng):
    e = dict(e)
    if e["kind"] == "paper":
        k = rng.choice(["gsm", "pack", "size"])
        e[k] = {
            "gsm": lambda: 150 - e["gsm"],
            "pack": lambda: 6 - e["pack"],
            "size": lambda: "A3" if e["size"] == "A4" else "A4",
        }[k]()
    elif e["kind"] == "toner":
        if rng.random() < 0.6:
            e["compatible"] = not e["compatible"]
        else:
            e["model"] = rng.choice([m for m in TONERS if m != e["model"]])
    else:
        k = rng.choice(["size", "pack"])
        e[k] = {
            "size": lambda: "AAA" if e["size"] == "AA" else "AA",
            "pack": lambda: rng.choice([p for p in (2, 4, 10) if p != e["pack"]]),
        }[k]()
    return e


def office_render(e, style, rng):
    if e["kind"] == "paper":
        b = e["brand"]
        sheets = 500 * e["pack"]
        if style == "odoo":
            pack = "500 sheets/ream" if e["pack"] == 1 else "5 reams/box"
            return {
                "name": f"Copy paper {e['size']} {e['gsm']}gsm {pack} {b[0]}",
                "brand": b[0],
                "unit": "Ream" if e["pack"] == 1 else "Box",
            }
        if style == "kis":
            pack = rng.choice(["500张/包", "500张"]) if e["pack"] == 1 else rng.choice(["5包/箱", "2500张/箱"])
            return {
                "name": rng.choice([f"{b[1]}{e['size']}复印纸", f"{e['size']}复印纸", "复印纸"]),
                "spec": f"{e['size']} {e['gsm']}g {pack}",
                "brand": b[1] if rng.random() < 0.6 else "",
                "unit": "包" if e["pack"] == 1 else "箱",
            }
        if style == "sap":
            return {
                "name": f"KOPIERPAPIER {e['size']} {e['gsm']}G {sheets} BL"[:40],
                "unit": "PAK" if e["pack"] == 1 else "KAR",
            }
        return {
            "name": f"{b[0]} {e['size']} copy paper {e['gsm']} g/m2, {sheets} sheets",
            "manufacturer": b[0],
            "unit": "BOX" if e["pack"] > 1 else "REAM",
        }
    if e["kind"] == "toner":
        short, maker = TONERS[e["model"]]
        comp = e["compatible"]
        if style == "odoo":
            return {
                "name": f"{maker} {short} black toner cartridge {e['model']}" + (" (compatible)" if comp else ""),
                "brand": "" if comp else maker,
                "unit": "Units",
            }
        if style == "kis":
            mk = {"HP": "惠普", "Brother": "兄弟"}[maker]
            return {
                "name": ("兼容" if comp else "原装") + rng.choice(["硒鼓", "墨粉盒"]),
                "spec": f"{mk} {e['model']} 黑色",
                "brand": "" if comp else mk,
                "unit": "个",
            }
        if style == "sap":
            return {"name": f"TONER {e['model']} SW {'KOMPATIBEL' if comp else 'ORIGINAL'}", "unit": "ST"}
        return {
            "name": f"{'Compatible' if comp else 'Genuine'} toner for {maker} {e['model']}",
            "manufacturer": "" if comp else maker,
            "unit": "EA",
        }
    b = e["brand"]
    cn_size = {"AA": "5号", "AAA": "7号"}[e["size"]]
    if style == "odoo":
        return {"name": f"{b[0]} alkaline battery {e['size']} {e['pack']}-pack", "brand": b[0], "unit": "Pack"}
    if style == "kis":
        return {
            "name": f"{b[1]}{cn_size}碱性电池",
            "spec": f"{e['size']} {e['pack']}粒/卡",
            "brand": b[1],
            "unit": "卡",
        }
    if style == "sap":
        return {
            "name": f"BATTERIE {e['size']} LR{'6' if e['size'] == 'AA' else '03'} {e['pack']}ER PACK".upper(),
            "unit": "PAK",
        }
    return {"name": f"{b[0]} {e['size']} batteries, pack of {e['pack']}", "manufacturer": b[0], "unit": "PACK"}


# ------------------------------------------------------------------ chemicals / paints
CHEMS = {
    "ipa": (
        "Isopropyl alcohol 99%",
        "异丙醇 99%",
        "ISOPROPANOL 99%",
        [("500ml", "500毫升"), ("5L", "5升"), ("20L", "20升")],
        [("Sinopharm", "国药"), None],
    ),
    "wd40": (
        "WD-40 multi-use lubricant",
        "WD-40 防锈润滑剂",
        "WD-40 MULTIFUNKTIONSOEL",
        [("100ml", "100毫升"), ("350ml", "350毫升"), ("400ml", "400毫升")],
        [("WD-40", "WD-40")],
    ),
    "lt243": (
        "Loctite 243 threadlocker medium strength",
        "乐泰243螺纹胶",
        "LOCTITE 243 SCHRAUBENSICHERUNG",
        [("50ml", "50毫升"), ("250ml", "250毫升")],
        [("Loctite", "乐泰")],
    ),
    "lt270": (
        "Loctite 270 threadlocker high strength",
        "乐泰270螺纹锁固剂",
        "LOCTITE 270 SCHRAUBENSICHERUNG",
        [("50ml", "50毫升"), ("250ml", "250毫升")],
        [("Loctite", "乐泰")],
    ),
    "lt401": (
        "Loctite 401 instant adhesive",
        "乐泰401瞬干胶",
        "LOCTITE 401 SEKUNDENKLEBER",
        [("20g", "20克"), ("50g", "50克")],
        [("Loctite", "乐泰")],
    ),
    "primer": (
        "Epoxy zinc-rich primer grey",
        "环氧富锌底漆 灰色",
        "EPOXID-ZINKSTAUBGRUND GRAU",
        [("5kg", "5公斤"), ("20kg", "20公斤")],
        [("Jotun", "佐敦"), ("Hempel", "海虹老人"), None],
    ),
    "enamel": (
        "Acrylic enamel",
        "丙烯酸磁漆",
        "ACRYL-DECKLACK",
        [("5kg", "5公斤"), ("20kg", "20公斤")],
        [("Jotun", "佐敦"), ("Nippon", "立邦")],
    ),
}
RAL = ["RAL 7035", "RAL 5015", "RAL 9005", "RAL 3000", "RAL 1023"]


def chem(rng):
    k = rng.choice(list(CHEMS))
    return {
        "family": "CHEM",
        "kind": k,
        "pack": rng.randrange(len(CHEMS[k][3])),
        "brand": rng.choice(CHEMS[k][4]),
        "ral": rng.choice(RAL) if k == "enamel" else None,
    }


def chem_sibling(e, rng):
    e = dict(e)
    if e["ral"] and rng.random() < 0.5:
        e["ral"] = rng.choice([r for r in RAL if r != e["ral"]])
    elif len(CHEMS[e["kind"]][3]) > 1 and rng.random() < 0.7:
        e["pack"] = (e["pack"] + 1) % len(CHEMS[e["kind"]][3])
    else:
        e["kind"] = {
            "lt243": "lt270",
            "lt270": "lt243",
            "ipa": "wd40",
            "wd40": "ipa",
            "lt401": "lt243",
            "primer": "enamel",
            "enamel": "primer",
        }[e["kind"]]
        e["pack"] = min(e["pack"], len(CHEMS[e["kind"]][3]) - 1)
        e["brand"] = CHEMS[e["kind"]][4][0]
        e["ral"] = RAL[0] if e["kind"] == "enamel" else None
    return e


def chem_render(e, style, rng):
    en, cn, de, packs, _ = CHEMS[e["kind"]]
    pen, pcn = packs[e["pack"]]
    b = e["brand"]
    ral = e["ral"] or ""
    if style == "odoo":
        return {
            "name": f"{en} {ral} {pen}".replace("  ", " "),
            "brand": b[0] if b else "",
            "unit": rng.choice(["Units", "Can", "Bottle"]),
        }
    if style == "kis":
        return {
            "name": f"{cn} {ral.replace('RAL ', 'RAL')}".strip(),
            "spec": rng.choice([pcn, pen, f"{pen}/桶", f"{pen}/瓶"]),
            "brand": b[1] if b and rng.random() < 0.7 else "",
            "unit": rng.choice(["桶", "瓶", "罐", "支"]),
        }
    if style == "sap":
        return {"name": f"{de} {ral} {pen.upper()}".replace("  ", " ")[:40], "unit": rng.choice(["ST", "DS", "KAN"])}
    return {
        "name": f"{(b[0] + ' ') if b and b[0] not in en else ''}{en}{', ' + ral if ral else ''}, {pen}",
        "manufacturer": b[0] if b else "",
        "unit": "EA",
    }


FAMILIES = [
    (fastener, fastener_sibling, fastener_render, 24),
    (bearing, bearing_sibling, bearing_render, 14),
    (resistor, resistor_sibling, resistor_render, 14),
    (capacitor, capacitor_sibling, capacitor_render, 12),
    (cable, cable_sibling, cable_render, 9),
    (valve, valve_sibling, valve_render, 8),
    (motor, motor_sibling, motor_render, 6),
    (office, office_sibling, office_render, 7),
    (chem, chem_sibling, chem_render, 6),
]
RENDER = {f[0].__name__: f[2] for f in FAMILIES}


def entity_key(e) -> str:
    """Items are told apart by their spec: two entities never differ by brand alone, as many
    exports leave the brand out and such a pair could not be told apart from them."""
    return repr(sorted((k, v) for k, v in e.items() if k not in ("maker", "brand")))


def make_entities(n: int, rng: random.Random) -> list[dict]:
    """n distinct product entities; about a third come with siblings that differ in one spec value."""
    seen, out = set(), []
    weights = [f[3] for f in FAMILIES]
    while len(out) < n:
        make, sibling, _, _ = rng.choices(FAMILIES, weights)[0]
        group = [make(rng)]
        if rng.random() < 0.35:
            for _ in range(rng.choice([1, 1, 2, 3])):
                group.append(sibling(rng.choice(group), rng))
        for e in group:
            e["maker"] = make.__name__
            k = entity_key(e)
            if k not in seen and len(out) < n:
                seen.add(k)
                out.append(e)
    return out


def noisy(text: str, rng: random.Random, level: float) -> str:
    """Typing noise: full-width characters, case, doubled spaces, a dropped or swapped character."""
    if not text:
        return text
    r = rng.random()
    if r < level * 0.25:
        text = text.translate(FULLWIDTH)
    elif r < level * 0.5:
        text = text.lower() if rng.random() < 0.5 else text.upper()
    elif r < level * 0.75 and len(text) > 8:
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :] if rng.random() < 0.5 else text[:i] + text[i + 1 :]
    elif r < level:
        text = text.replace(" ", "  ", 1)
    return text


def render(e: dict, style: str, rng: random.Random) -> dict:
    return RENDER[e["maker"]](e, style, rng)
