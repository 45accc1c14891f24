"""Products (materials) and how each system writes them.

A Product holds its real attributes (type, size, value, material, maker, drawing and
revision, pack size). Variant groups are the hard negatives: the same item one length
longer, in SS316 instead of SS304, 27 kOhm instead of 270 kOhm, from another maker, the
next drawing revision. Rendering turns a product into the free text a system keeps:

  zh     Chinese free text as keyed into an ERP (螺钉 M6X20 SUS304, 电阻1206/270K/J/国巨)
  nm     English noun-modifier text of old ERP catalogues (SCREW,HEX SOCKET CAP,M6X20,SS304)
  desc   English descriptive text of a PLM or a catalogue (Hex socket head cap screw M6 x 20 ...)
  split  a Chinese name plus a separate spec text (用友 U8: 存货名称 + 规格型号)
  web    a shop or CRM catalogue title

Most systems have no barcode, no brand and no spec column: everything is in the text.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from bench.heldout import ids, noise
from bench.heldout.companies import rand_date, weighted

BRANDS = {  # key: (Chinese, English, other spellings)
    "yageo": ("国巨", "YAGEO", ["Yageo"]),
    "uniroyal": ("厚声", "UNI-ROYAL", ["Uniroyal", "UniOhm"]),
    "fenghua": ("风华", "FH", ["Fenghua", "风华高科"]),
    "samsung": ("三星", "SAMSUNG", ["Samsung", "SEMCO"]),
    "walsin": ("华新科", "WALSIN", ["Walsin"]),
    "murata": ("村田", "MURATA", ["Murata", "muRata"]),
    "tdk": ("东电化", "TDK", ["TDK"]),
    "taiyo": ("太阳诱电", "TAIYO YUDEN", ["Taiyo Yuden"]),
    "skf": ("斯凯孚", "SKF", ["SKF"]),
    "fag": ("舍弗勒", "FAG", ["Schaeffler", "INA/FAG"]),
    "nsk": ("恩斯克", "NSK", ["NSK"]),
    "ntn": ("恩梯恩", "NTN", ["NTN"]),
    "hrb": ("哈轴", "HRB", ["哈尔滨轴承"]),
    "zwz": ("瓦轴", "ZWZ", ["瓦房店"]),
    "lyc": ("洛轴", "LYC", ["洛阳轴承"]),
    "nok": ("NOK", "NOK", ["恩欧凯"]),
    "parker": ("派克", "PARKER", ["Parker"]),
    "freud": ("科德宝", "FREUDENBERG", ["Freudenberg"]),
    "jinyi": ("晋亿", "JINYI", ["Jinyi"]),
    "wurth": ("伍尔特", "WURTH", ["Würth", "Wuerth"]),
    "bossard": ("博萨德", "BOSSARD", ["Bossard"]),
    "fareast": ("远东", "FAR EAST", ["Far East Cable"]),
    "qifan": ("起帆", "QIFAN", ["Qifan"]),
    "baosheng": ("宝胜", "BAOSHENG", ["Baosheng"]),
    "lapp": ("缆普", "LAPP", ["Lapp Kabel"]),
    "suvalve": ("苏阀", "SUFA", ["Suzhou Valve"]),
    "lianggong": ("良工", "LIANGGONG", ["Shanghai Lianggong"]),
    "kitz": ("北泽", "KITZ", ["Kitz"]),
    "ammex": ("爱马斯", "AMMEX", ["Ammex"]),
    "intco": ("英科", "INTCO", ["Intco"]),
    "deli": ("得力", "DELI", ["Deli"]),
    "mg": ("晨光", "M&G", ["M & G"]),
    "doublea": ("Double A", "DOUBLE A", ["达伯埃"]),
    "bosch": ("博世", "BOSCH", ["Bosch"]),
    "3m": ("3M", "3M", ["3M中国"]),
    "klingspor": ("克林斯伯", "KLINGSPOR", ["Klingspor"]),
    "sinopharm": ("国药", "SINOPHARM", ["国药集团", "SCR"]),
    "xilong": ("西陇", "XILONG", ["西陇科学"]),
    "aladdin": ("阿拉丁", "ALADDIN", ["Aladdin"]),
    "loctite": ("乐泰", "LOCTITE", ["Loctite", "汉高乐泰"]),
    "wd40": ("WD-40", "WD-40", ["WD40"]),
    "shell": ("壳牌", "SHELL", ["Shell"]),
    "mobil": ("美孚", "MOBIL", ["Mobil"]),
    "arawana": ("金龙鱼", "ARAWANA", ["Arawana"]),
    "nongfu": ("农夫山泉", "NONGFU SPRING", ["Nongfu"]),
    "nestle": ("雀巢", "NESTLE", ["Nestlé"]),
    "taikoo": ("太古", "TAIKOO", ["Taikoo"]),
    "cofco": ("福临门", "COFCO", ["中粮福临门"]),
    "hellermann": ("海瑞曼", "HELLERMANN", ["HellermannTyton"]),
    "chint": ("正泰", "CHINT", ["Chint"]),
}
UNIT_LABELS = {  # canonical unit: SAP internal, U8 Chinese, PLM, shop
    "pc": ("ST", "个", "EA", "件"),
    "m": ("M", "米", "M", "米"),
    "kg": ("KG", "千克", "KG", "千克"),
    "l": ("L", "升", "L", "升"),
    "box": ("PAK", "盒", "BX", "盒"),
    "pack": ("PAK", "包", "PK", "包"),
    "bottle": ("ST", "瓶", "EA", "瓶"),
    "roll": ("ROL", "卷", "RL", "卷"),
    "set": ("ST", "套", "SET", "套"),
    "barrel": ("ST", "桶", "DR", "桶"),
    "case": ("KAR", "箱", "CS", "箱"),
    "bag": ("PAK", "袋", "BG", "袋"),
}
CATEGORIES = {
    "FAST": "紧固件",
    "ELEC": "电子元器件",
    "BEAR": "轴承",
    "SEAL": "密封件",
    "CABL": "电线电缆",
    "VALV": "阀门",
    "PART": "机加工件",
    "CONS": "低值易耗品",
    "CHEM": "化学品",
    "FOOD": "食品",
}


@dataclass
class Product:
    id: str
    family: str
    a: dict
    unit: str
    cat: str
    brand: str = ""
    mpn: str = ""
    barcode: str = ""
    weight: float | None = None
    group: str = ""  # variant group: products that differ in one attribute
    created: dt.date = dt.date(2015, 1, 1)


def sep_dim(rng, a, b, zh=False) -> str:
    s = rng.choice(["X", "x", "*", "×", "X", "x"] + (["*", "×"] if zh else []))
    return f"{a}{s}{b}"


def fmt_num(x: float) -> str:
    return f"{x:g}"


def bname(key: str, rng, lang: str) -> str:
    zh, en, alt = BRANDS[key]
    if lang == "zh":
        return rng.choice([zh, zh, zh, en] + alt[:1])
    return rng.choice([en, en] + alt)


# ---------------------------------------------------------------------------------------
# Fasteners
# ---------------------------------------------------------------------------------------
FASTENER_TYPES = {
    "cap": (
        ["内六角圆柱头螺钉", "内六角螺钉", "内六角螺丝", "杯头螺丝"],
        "SCREW,HEX SOCKET CAP",
        "Hex socket head cap screw",
        ["GB/T 70.1", "GB70.1", "DIN912", "ISO 4762", "DIN 912"],
        True,
    ),
    "bolt": (
        ["六角头螺栓", "外六角螺栓", "六角螺栓", "外六角螺丝"],
        "BOLT,HEX HEAD",
        "Hex head bolt",
        ["GB/T 5783", "GB5783", "DIN933", "ISO 4017", "DIN 933"],
        True,
    ),
    "nut": (
        ["六角螺母", "六角螺帽", "螺母"],
        "NUT,HEX",
        "Hex nut",
        ["GB/T 6170", "GB6170", "DIN934", "ISO 4032"],
        False,
    ),
    "washer": (
        ["平垫圈", "平垫", "平介子"],
        "WASHER,FLAT",
        "Flat washer",
        ["GB/T 97.1", "GB97.1", "DIN125", "ISO 7089"],
        False,
    ),
    "spring": (
        ["弹簧垫圈", "弹垫", "弹簧垫片"],
        "WASHER,SPRING LOCK",
        "Spring lock washer",
        ["GB/T 93", "GB93", "DIN127"],
        False,
    ),
    "csk": (
        ["十字沉头螺钉", "十字平头螺丝", "沉头螺钉"],
        "SCREW,CROSS RECESSED CSK",
        "Cross recessed countersunk screw",
        ["GB/T 819.1", "GB819", "DIN965", "ISO 7046"],
        True,
    ),
    "set": (
        ["内六角紧定螺钉", "机米螺丝", "无头内六角螺丝"],
        "SCREW,SET,HEX SOCKET,FLAT PT",
        "Hex socket set screw flat point",
        ["GB/T 77", "GB77", "DIN913", "ISO 4026"],
        True,
    ),
}
FASTENER_MATERIALS = {
    "ss304": (
        ["SUS304", "SS304", "304", "A2-70", "不锈钢304", "304不锈钢"],
        ["SS304", "A2-70", "STAINLESS STEEL 304", "SST 304"],
    ),
    "ss316": (
        ["SUS316", "SS316", "316", "A4-80", "不锈钢316", "316不锈钢"],
        ["SS316", "A4-80", "STAINLESS STEEL 316", "SST 316"],
    ),
    "g88": (
        ["8.8级镀锌", "8.8级 镀锌", "8.8 镀彩锌", "碳钢8.8级镀锌", "8.8级蓝白锌"],
        ["GR8.8 ZINC PLATED", "8.8 ZN", "CL8.8 ZINC"],
    ),
    "g129": (
        ["12.9级发黑", "12.9级 黑", "12.9级", "合金钢12.9级发黑"],
        ["GR12.9 BLACK OXIDE", "12.9 BLK", "CL12.9 BLACK"],
    ),
    "brass": (["黄铜", "H62黄铜", "铜"], ["BRASS", "BRASS CuZn37"]),
    "nylon": (["尼龙", "PA66", "尼龙PA66"], ["NYLON", "NYLON PA66", "PA66"]),
}
M_SIZES = [3, 4, 5, 6, 8, 10, 12, 16, 20, 24]
LENGTHS = [6, 8, 10, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 120, 150]


def fastener_make(rng):
    t = weighted(rng, [("cap", 30), ("bolt", 25), ("nut", 12), ("washer", 10), ("spring", 5), ("csk", 10), ("set", 8)])
    d = rng.choice(M_SIZES[:8] if t in ("csk", "set") else M_SIZES)
    has_len = FASTENER_TYPES[t][4]
    length = rng.choice([x for x in LENGTHS if 1.5 * d <= x <= 8 * d] or [20]) if has_len else None
    mat = weighted(rng, [("ss304", 35), ("ss316", 12), ("g88", 25), ("g129", 10), ("brass", 8), ("nylon", 6)])
    if t in ("cap", "set") and mat == "g88":
        mat = "g129"
    brand = rng.choice(["", "", "", "", "jinyi", "wurth", "bossard"])
    return {"t": t, "d": d, "l": length, "mat": mat, "brand": brand}


def fastener_vary(a, rng):
    out = []
    if a["l"]:
        i = LENGTHS.index(a["l"])
        for j in (i - 1, i + 1):
            if 0 <= j < len(LENGTHS):
                out.append(dict(a, l=LENGTHS[j]))
    i = M_SIZES.index(a["d"])
    if i + 1 < len(M_SIZES):
        out.append(dict(a, d=M_SIZES[i + 1]))
    other = {"ss304": "ss316", "ss316": "ss304", "g88": "ss304", "g129": "g88", "brass": "nylon", "nylon": "brass"}[
        a["mat"]
    ]
    out.append(dict(a, mat=other))
    return out


def fastener_render(p: Product, style, rng):
    a = p.a
    zh_types, nm, desc, stds, _ = FASTENER_TYPES[a["t"]]
    mz, men = FASTENER_MATERIALS[a["mat"]]
    size_zh = f"M{a['d']}" if not a["l"] else sep_dim(rng, f"M{a['d']}", a["l"], True)
    size_en = (
        f"M{a['d']}"
        if not a["l"]
        else rng.choice(
            [f"M{a['d']}X{a['l']}", f"M{a['d']}x{a['l']}", f"M{a['d']} x {a['l']}", f"M{a['d']}X{a['l']}MM"]
        )
    )
    std = rng.choice(stds) if rng.random() < 0.35 else ""
    brand_zh = bname(a["brand"], rng, "zh") if a["brand"] and rng.random() < 0.5 else ""
    out = {}
    if style == "zh":
        t = rng.choice(zh_types)
        m = rng.choice(mz)
        parts = weighted(
            rng,
            [
                ([t, size_zh, m], 5),
                ([t, std, size_zh, m], 2),
                ([t, m, size_zh], 2),
                ([(std + "-" if std else "") + size_zh.replace("X", "*"), m, t], 1),
            ],
        )
        text = rng.choice([" ", " ", " ", " ", "-", ",", ""]).join(x for x in parts if x)
        out["name"] = (text + (" " + brand_zh if brand_zh else "")).strip()
    elif style == "nm":
        out["name"] = f"{nm},{size_en.replace(' ', '')},{rng.choice(men)}" + (f",{std.replace(' ', '')}" if std else "")
        out["name"] = out["name"].upper()
    elif style == "desc":
        material = rng.choice(men).title() if rng.random() < 0.5 else rng.choice(men)
        out["name"] = f"{desc} {std + ' ' if std else ''}{size_en} {material}"
    elif style == "split":
        out["name"] = rng.choice(zh_types) + (rng.choice(mz) if rng.random() < 0.2 else "")
        out["spec"] = rng.choice([" ", "  ", "-", "/"]).join(
            x for x in [std if rng.random() < 0.5 else "", size_zh, rng.choice(mz)] if x
        )
    else:
        out["name"] = f"{rng.choice(mz) if rng.random() < 0.5 else ''}{rng.choice(zh_types)} {size_zh}"
    out["material"] = men[0]
    out["brand"] = a["brand"]
    out["std"] = std
    return out


# ---------------------------------------------------------------------------------------
# Chip resistors and MLCC
# ---------------------------------------------------------------------------------------
E24 = [
    1.0,
    1.1,
    1.2,
    1.3,
    1.5,
    1.6,
    1.8,
    2.0,
    2.2,
    2.4,
    2.7,
    3.0,
    3.3,
    3.6,
    3.9,
    4.3,
    4.7,
    5.1,
    5.6,
    6.2,
    6.8,
    7.5,
    8.2,
    9.1,
]
CHIP_SIZES = {
    "0402": ("1005", "1/16W"),
    "0603": ("1608", "1/10W"),
    "0805": ("2012", "1/8W"),
    "1206": ("3216", "1/4W"),
    "2512": ("6432", "1W"),
}


def ohm_text(v: float, style: str) -> str:
    """270000 -> 270K / 270KΩ / 270kohm / 274 (3-digit) / 2703 (4-digit) / R-notation 4K7."""
    if v >= 1e6:
        base, suf = v / 1e6, "M"
    elif v >= 1e3:
        base, suf = v / 1e3, "K"
    else:
        base, suf = v, "R"
    b = fmt_num(round(base, 3))
    if style == "plain":
        return b + ("" if suf == "R" else suf)
    if style == "ohm":
        return b + ("" if suf == "R" else suf) + "Ω"
    if style == "lower":
        return b + {"K": "k", "M": "M", "R": ""}[suf] + "Ω"
    if style == "word":
        return b + ("" if suf == "R" else suf) + " OHM"
    if style == "rnot":  # 4K7, 100R, 1M0
        if "." in b:
            return b.replace(".", suf)
        return b + suf
    if style in ("code3", "code4"):
        sig = 2 if style == "code3" else 3
        digits = f"{v:.{sig - 1}e}"
        mant, exp = digits.split("e")
        mant = mant.replace(".", "")
        e = int(exp) - (sig - 1)
        if e < 0:
            return b.replace(".", "R") if "." in b else b + "R"
        return mant + str(e)
    return b


def resistor_make(rng):
    size = weighted(rng, [("0402", 15), ("0603", 35), ("0805", 25), ("1206", 20), ("2512", 5)])
    v = rng.choice(E24[:: rng.choice([1, 2])]) * 10 ** rng.randint(0, 6)
    tol = weighted(rng, [("J", 5), ("F", 5)])
    brand = weighted(rng, [("yageo", 35), ("uniroyal", 25), ("fenghua", 15), ("samsung", 12), ("walsin", 13)])
    return {"size": size, "v": round(v, 3), "tol": tol, "brand": brand}


def resistor_vary(a, rng):
    return [
        dict(a, v=round(a["v"] * 10, 3)) if a["v"] < 1e6 else dict(a, v=round(a["v"] / 10, 3)),
        dict(a, tol="F" if a["tol"] == "J" else "J"),
        dict(
            a, brand=rng.choice([b for b in ("yageo", "uniroyal", "fenghua", "samsung", "walsin") if b != a["brand"]])
        ),
        dict(a, size=rng.choice([s for s in CHIP_SIZES if s != a["size"]])),
    ]


def resistor_mpn(a) -> str:
    v, size, tol = a["v"], a["size"], a["tol"]
    code = ohm_text(v, "code3" if tol == "J" else "code4")
    rn = ohm_text(v, "rnot")
    b = a["brand"]
    if b == "yageo":
        return f"RC{size}{tol}R-07{rn}L"
    if b == "uniroyal":
        return f"{size}W{'A' if size in ('0402', '0603') else '8'}{tol}{code.zfill(4)}T5E"
    if b == "fenghua":
        return f"RC-{ {'0402': '01', '0603': '02', '0805': '05', '1206': '06', '2512': '12'}[size] }W{code}{tol}T"
    if b == "samsung":
        return f"RC{CHIP_SIZES[size][0]}{tol}{code}CS"
    size_code = {"0402": "04", "0603": "06", "0805": "08", "1206": "12", "2512": "25"}[size]
    return f"WR{size_code}X{code}{'JTL' if tol == 'J' else 'FTL'}"


def resistor_render(p: Product, style, rng):
    a = p.a
    tolp = {"J": "5%", "F": "1%"}[a["tol"]]
    size = a["size"] if rng.random() < 0.92 else CHIP_SIZES[a["size"]][0]
    val = ohm_text(
        a["v"], rng.choice(["plain", "ohm", "lower", "plain", "rnot", "code3" if a["tol"] == "J" else "code4"])
    )
    out = {"brand": a["brand"], "material": ""}
    bz, be = bname(a["brand"], rng, "zh"), bname(a["brand"], rng, "en")
    if style == "zh":
        tmpl = rng.randrange(5)
        if tmpl == 0:
            out["name"] = f"电阻{size}/{val}/{a['tol']}/{bz}"
        elif tmpl == 1:
            out["name"] = (
                f"贴片电阻 {size} {val} ±{tolp} {CHIP_SIZES[a['size']][1] if rng.random() < 0.5 else ''}".strip()
            )
        elif tmpl == 2:
            out["name"] = f"{rng.choice(['贴片电阻', '片式电阻', 'SMD电阻'])}-{size}-{val}-{tolp}-{bz}"
        elif tmpl == 3:
            out["name"] = f"{p.mpn} {bz}" if p.mpn else f"电阻 {size} {val}"
        else:
            out["name"] = f"{size} {val} {a['tol']} 电阻 {bz}"
    elif style == "nm":
        out["name"] = f"RES,SMD,{ohm_text(a['v'], 'plain')},{tolp},{CHIP_SIZES[a['size']][1]},{size}".upper()
    elif style == "desc":
        out["name"] = f"Thick film chip resistor {ohm_text(a['v'], rng.choice(['lower', 'word']))} {tolp} {size}"
    elif style == "split":
        out["name"] = rng.choice(["贴片电阻", "电阻", "片式电阻"])
        out["spec"] = rng.choice(
            [f"{size}-{val}-{tolp}", f"{size} {val} {a['tol']}", f"{p.mpn}", f"{size}/{val}/{tolp}/{bz}"]
        )
    else:
        out["name"] = f"{be} {size} {val} {tolp} chip resistor"
    out["mpn"] = p.mpn
    return out


MLCC_DIELECTRIC = {"C0G": ("5C", "C", "NPO"), "X7R": ("R7", "B", "X7R"), "X5R": ("R6", "A", "X5R")}
MLCC_VOLT = {
    6.3: ("0J", "Q", "5"),
    10: ("1A", "P", "6"),
    16: ("1C", "O", "7"),
    25: ("1E", "A", "8"),
    50: ("1H", "B", "9"),
}
MLCC_CAPS = [
    22,
    47,
    100,
    220,
    470,
    1000,
    2200,
    4700,
    10000,
    22000,
    47000,
    100000,
    220000,
    470000,
    1000000,
    2200000,
    4700000,
    10000000,
    22000000,
]


def cap_code(pf: int) -> str:
    s = str(pf)
    return s[:2] + str(len(s) - 2) if pf >= 10 else s


def cap_text(pf: int, style: str) -> str:
    if style == "code":
        return cap_code(pf)
    if pf >= 1_000_000 or (pf >= 100_000 and style == "uf"):
        v = fmt_num(pf / 1e6)
        return rng_free_choice(style, v, "u")
    if pf >= 1000:
        v = fmt_num(pf / 1e3)
        return rng_free_choice(style, v, "n")
    return f"{pf}pF" if style != "upper" else f"{pf}PF"


def rng_free_choice(style, v, unit):
    if unit == "u":
        return {"upper": f"{v}UF", "micro": f"{v}μF", "mu": f"{v}µF", "uf": f"{v}uF"}.get(style, f"{v}uF")
    return {"upper": f"{v}NF", "uf": f"{fmt_num(float(v) / 1000)}uF"}.get(style, f"{v}nF")


def mlcc_make(rng):
    pf = rng.choice(MLCC_CAPS)
    diel = "C0G" if pf <= 4700 and rng.random() < 0.6 else ("X7R" if pf <= 1_000_000 or rng.random() < 0.3 else "X5R")
    size = weighted(rng, [("0402", 25), ("0603", 35), ("0805", 20), ("1206", 20)])
    volt = rng.choice([6.3, 10, 16, 25, 50] if pf >= 1_000_000 else [16, 25, 50, 50])
    tol = "J" if diel == "C0G" else rng.choice(["K", "K", "M"])
    brand = weighted(rng, [("murata", 30), ("samsung", 25), ("yageo", 20), ("tdk", 10), ("taiyo", 5), ("fenghua", 10)])
    return {"pf": pf, "diel": diel, "size": size, "volt": volt, "tol": tol, "brand": brand}


def mlcc_vary(a, rng):
    volts = [v for v in MLCC_VOLT if v != a["volt"]]
    i = MLCC_CAPS.index(a["pf"])
    out = [
        dict(a, volt=rng.choice(volts)),
        dict(a, brand=rng.choice([b for b in ("murata", "samsung", "yageo", "tdk") if b != a["brand"]])),
    ]
    if i + 1 < len(MLCC_CAPS):
        out.append(dict(a, pf=MLCC_CAPS[i + 1]))
    if a["diel"] != "C0G":
        out.append(dict(a, diel="X5R" if a["diel"] == "X7R" else "X7R"))
    return out


def mlcc_mpn(a) -> str:
    code, size, b = cap_code(a["pf"]), a["size"], a["brand"]
    d, v = MLCC_DIELECTRIC[a["diel"]], MLCC_VOLT[a["volt"]]
    if b == "murata":
        size_code = {"0402": "15", "0603": "18", "0805": "21", "1206": "31"}[size]
        return f"GRM{size_code}{'C' if size == '1206' else 'B'}{d[0]}{v[0]}{code}{a['tol']}A01D"
    if b == "samsung":
        return f"CL{ {'0402': '05', '0603': '10', '0805': '21', '1206': '31'}[size] }{d[1]}{code}{a['tol']}{v[1]}NNNC"
    if b == "yageo":
        return f"CC{size}{a['tol']}R{d[2]}{v[2]}B{'N' if d[2] == 'NPO' else 'B'}{code}"
    if b == "tdk":
        return f"C{CHIP_SIZES[size][0]}{a['diel']}{v[0]}{code}{a['tol']}"
    if b == "taiyo":
        series = "EMK" if a["volt"] >= 16 else "JMK"
        size_code = {"0402": "105", "0603": "107", "0805": "212", "1206": "316"}[size]
        diel = a["diel"][1] if a["diel"] != "C0G" else "C"
        return f"{series}{size_code}B{diel}{code}{a['tol']}L-T"
    return f"{size}{'N' if a['diel'] == 'C0G' else 'B'}{code}{a['tol']}{int(a['volt'] * 10):03d}NT"


def mlcc_render(p: Product, style, rng):
    a = p.a
    volt = f"{fmt_num(a['volt'])}V"
    diel = a["diel"] if a["diel"] != "C0G" or rng.random() < 0.6 else rng.choice(["NPO", "NP0", "COG"])
    cap = cap_text(a["pf"], rng.choice(["code", "uf", "upper", "micro", "nf", "code"]))
    bz, be = bname(a["brand"], rng, "zh"), bname(a["brand"], rng, "en")
    tolp = {"J": "5%", "K": "10%", "M": "20%"}[a["tol"]]
    out = {"brand": a["brand"], "material": ""}
    if style == "zh":
        tmpl = rng.randrange(5)
        if tmpl == 0:
            out["name"] = f"MLCC {a['size']} {cap} {volt} {diel} {bz}"
        elif tmpl == 1:
            out["name"] = f"贴片电容 {a['size']} {cap}{a['tol'] if rng.random() < 0.5 else ''} {volt} {diel}"
        elif tmpl == 2:
            out["name"] = (
                f"{rng.choice(['陶瓷电容', '贴片电容', '多层陶瓷电容'])}-{a['size']}-{cap}-{volt}-{tolp}-{diel}"
            )
        elif tmpl == 3:
            out["name"] = f"{p.mpn}({bz})"
        else:
            out["name"] = f"电容{a['size']}/{cap}/{volt}/{diel}/{bz}"
    elif style == "nm":
        out["name"] = f"CAP,CER,SMD,{cap_text(a['pf'], 'upper')},{volt},{diel},{tolp},{a['size']}".upper()
    elif style == "desc":
        out["name"] = f"Ceramic capacitor MLCC {cap_text(a['pf'], 'uf')} {volt} {diel} {tolp} {a['size']}"
    elif style == "split":
        out["name"] = rng.choice(["贴片电容", "电容", "陶瓷电容"])
        out["spec"] = rng.choice(
            [
                f"{a['size']}-{cap}-{volt}-{diel}",
                p.mpn,
                f"{a['size']} {cap} {volt}",
                f"{a['size']}/{cap}/{volt}/{diel}/{bz}",
            ]
        )
    else:
        out["name"] = f"{be} MLCC {a['size']} {cap} {volt} {diel}"
    out["mpn"] = p.mpn
    return out


# ---------------------------------------------------------------------------------------
# Bearings
# ---------------------------------------------------------------------------------------
BEARING_DIMS = {
    "60": [
        (10, 26, 8),
        (12, 28, 8),
        (15, 32, 9),
        (17, 35, 10),
        (20, 42, 12),
        (25, 47, 12),
        (30, 55, 13),
        (35, 62, 14),
        (40, 68, 15),
        (45, 75, 16),
        (50, 80, 16),
        (55, 90, 18),
        (60, 95, 18),
    ],
    "62": [
        (10, 30, 9),
        (12, 32, 10),
        (15, 35, 11),
        (17, 40, 12),
        (20, 47, 14),
        (25, 52, 15),
        (30, 62, 16),
        (35, 72, 17),
        (40, 80, 18),
        (45, 85, 19),
        (50, 90, 20),
        (55, 100, 21),
        (60, 110, 22),
        (65, 120, 23),
        (70, 125, 24),
        (75, 130, 25),
    ],
    "63": [
        (10, 35, 11),
        (12, 37, 12),
        (15, 42, 13),
        (17, 47, 14),
        (20, 52, 15),
        (25, 62, 17),
        (30, 72, 19),
        (35, 80, 21),
        (40, 90, 23),
        (45, 100, 25),
        (50, 110, 27),
        (55, 120, 29),
        (60, 130, 31),
        (65, 140, 33),
        (70, 150, 35),
        (75, 160, 37),
    ],
}
BEARING_SEAL_SUFFIX = {  # seal: brand -> designation suffix
    "open": {"skf": "", "fag": "", "nsk": "", "ntn": "", "hrb": "", "zwz": "", "lyc": ""},
    "zz": {"skf": "-2Z", "fag": "-2Z", "nsk": "ZZ", "ntn": "ZZ", "hrb": "-2Z", "zwz": "-2Z", "lyc": "-ZZ"},
    "2rs": {"skf": "-2RS1", "fag": "-2RSR", "nsk": "DDU", "ntn": "LLU", "hrb": "-2RS", "zwz": "-2RS", "lyc": "-2RS"},
}


def bearing_make(rng):
    series = weighted(rng, [("62", 45), ("63", 35), ("60", 20)])
    bore = rng.randrange(len(BEARING_DIMS[series]))
    seal = weighted(rng, [("open", 25), ("zz", 45), ("2rs", 30)])
    c3 = rng.random() < 0.3
    brand = weighted(rng, [("skf", 25), ("fag", 15), ("nsk", 18), ("ntn", 10), ("hrb", 12), ("zwz", 12), ("lyc", 8)])
    return {"series": series, "bore": bore, "seal": seal, "c3": c3, "brand": brand}


def bearing_vary(a, rng):
    out = [
        dict(a, seal=rng.choice([s for s in BEARING_SEAL_SUFFIX if s != a["seal"]])),
        dict(a, brand=rng.choice([b for b in ("skf", "fag", "nsk", "hrb", "zwz") if b != a["brand"]])),
        dict(a, c3=not a["c3"]),
    ]
    if a["bore"] + 1 < len(BEARING_DIMS[a["series"]]):
        out.append(dict(a, bore=a["bore"] + 1))
    other = "63" if a["series"] == "62" else "62"
    if a["bore"] < len(BEARING_DIMS[other]):
        out.append(dict(a, series=other))
    return out


def bearing_designation(a, brand=None, rng=None) -> str:
    base = f"{a['series']}{a['bore']:02d}"
    brand = brand or a["brand"]
    suffix = BEARING_SEAL_SUFFIX[a["seal"]][brand]
    c3 = ""
    if a["c3"]:
        c3 = {"skf": "/C3", "fag": "-C3", "nsk": "C3", "ntn": "/C3"}.get(brand, "/C3")
    if brand == "hrb" and rng is not None and rng.random() < 0.3 and a["seal"] != "open" and a["series"] != "60":
        # old Chinese designation: 80000 = two shields, 180000 = two seals
        return ("80" if a["seal"] == "zz" else "180") + base[1:] + (" C3" if a["c3"] else "")
    return base + suffix + c3


def bearing_render(p: Product, style, rng):
    a = p.a
    d, od, width = BEARING_DIMS[a["series"]][a["bore"]]
    des = bearing_designation(a, rng=rng)
    if rng.random() < 0.3:  # the generic designation, whatever the maker
        des = (
            f"{a['series']}{a['bore']:02d}"
            + {
                "open": "",
                "zz": rng.choice(["ZZ", "-ZZ", "-2Z", "2Z"]),
                "2rs": rng.choice(["-2RS", "2RS", "-RS", "RS"]),
            }[a["seal"]]
            + (rng.choice(["/C3", "C3", "-C3"]) if a["c3"] else "")
        )
    dims = sep_dim(rng, sep_dim(rng, d, od, True), width, True)
    bz, be = bname(a["brand"], rng, "zh"), bname(a["brand"], rng, "en")
    out = {"brand": a["brand"], "material": "", "mpn": bearing_designation(a)}
    if style == "zh":
        tmpl = rng.randrange(5)
        if tmpl == 0:
            out["name"] = f"轴承-{des}-{be if rng.random() < 0.6 else bz}"
        elif tmpl == 1:
            out["name"] = f"深沟球轴承 {des} {bz} {dims if rng.random() < 0.5 else ''}".strip()
        elif tmpl == 2:
            out["name"] = f"{bz}轴承{des}"
        elif tmpl == 3:
            out["name"] = f"{des} {be} 轴承"
        else:
            out["name"] = f"轴承 {des}（{dims}）{bz}"
    elif style == "nm":
        out["name"] = f"BEARING,BALL,DEEP GROOVE,{des},{be}".upper()
    elif style == "desc":
        out["name"] = f"Deep groove ball bearing {des} {d}x{od}x{width}mm {be}"
    elif style == "split":
        out["name"] = rng.choice(["深沟球轴承", "轴承", "球轴承"])
        out["spec"] = rng.choice([f"{des} {bz}", f"{des}/{be}", des + " " + dims, f"{be} {des}"])
    else:
        out["name"] = f"{be} {des} 深沟球轴承 {d}*{od}*{width}"
    return out


# ---------------------------------------------------------------------------------------
# Seals
# ---------------------------------------------------------------------------------------
ORING_ID = [5, 6, 8, 10, 12, 14, 15, 16, 18, 20, 22, 25, 28, 30, 32, 35, 40, 45, 50, 55, 60, 70, 80, 100]
ORING_CS = [1.5, 1.8, 1.9, 2, 2.4, 2.5, 2.65, 3, 3.1, 3.5, 5.3, 5.7]
SEAL_MAT = {
    "NBR70": (["丁腈橡胶", "丁腈", "NBR"], "NBR70"),
    "NBR90": (["丁腈90", "NBR90"], "NBR90"),
    "FKM75": (["氟橡胶", "氟胶", "FKM", "Viton"], "FKM75"),
    "EPDM70": (["三元乙丙", "EPDM"], "EPDM70"),
    "VMQ70": (["硅胶", "硅橡胶", "VMQ"], "VMQ70"),
}


def seal_make(rng):
    if rng.random() < 0.7:
        return {
            "kind": "oring",
            "id": rng.choice(ORING_ID),
            "cs": rng.choice(ORING_CS),
            "mat": weighted(rng, [("NBR70", 50), ("NBR90", 8), ("FKM75", 25), ("EPDM70", 10), ("VMQ70", 7)]),
            "brand": rng.choice(["", "", "", "nok", "parker"]),
        }
    d = rng.choice([15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70, 80])
    return {
        "kind": "oilseal",
        "id": d,
        "od": d + rng.choice([12, 15, 17, 20, 22]),
        "w": rng.choice([7, 8, 10, 12]),
        "type": rng.choice(["TC", "TC", "TG", "SC"]),
        "mat": rng.choice(["NBR70", "NBR70", "FKM75"]),
        "brand": rng.choice(["", "nok", "freud"]),
    }


def seal_vary(a, rng):
    other_mat = rng.choice([m for m in SEAL_MAT if m != a["mat"]])
    if a["kind"] == "oring":
        i = ORING_CS.index(a["cs"])
        out = [dict(a, mat=other_mat), dict(a, cs=ORING_CS[(i + 1) % len(ORING_CS)])]
        j = ORING_ID.index(a["id"])
        if j + 1 < len(ORING_ID):
            out.append(dict(a, id=ORING_ID[j + 1]))
        return out
    return [
        dict(a, mat="FKM75" if a["mat"] == "NBR70" else "NBR70"),
        dict(a, w=a["w"] + 2),
        dict(a, type="TG" if a["type"] == "TC" else "TC"),
    ]


def seal_render(p: Product, style, rng):
    a = p.a
    mz, me = SEAL_MAT[a["mat"]]
    mat_zh = rng.choice(mz + [me])
    out = {"brand": a["brand"], "material": me}
    bz = bname(a["brand"], rng, "zh") if a["brand"] and rng.random() < 0.6 else ""
    cs = fmt_num(a.get("cs", 0))
    if a["kind"] == "oring":
        dims_zh = rng.choice(
            [sep_dim(rng, a["id"], cs, True), f"Φ{a['id']}×{cs}", f"{a['id']}*{cs}", f"ID{a['id']}*{cs}"]
        )
        if style == "zh":
            out["name"] = (
                f"{rng.choice(['O型圈', 'O形圈', 'O型密封圈', '密封圈', 'O-RING'])} {dims_zh} {mat_zh} {bz}".strip()
            )
        elif style == "nm":
            out["name"] = f"O-RING {a['id']}X{cs} {me}" if rng.random() < 0.5 else f"O-RING,{a['id']}X{cs},{me}"
        elif style == "desc":
            out["name"] = f"O-ring ID {a['id']} mm x CS {cs} mm {me}"
        elif style == "split":
            out["name"] = rng.choice(["O型圈", "O形密封圈", "密封圈"])
            out["spec"] = f"{dims_zh} {mat_zh}"
        else:
            out["name"] = f"O型圈 {a['id']}x{cs}mm {mat_zh} {bz}".strip()
    else:
        dims = rng.choice(
            [
                f"{a['id']}*{a['od']}*{a['w']}",
                f"{a['id']}X{a['od']}X{a['w']}",
                f"{a['id']}-{a['od']}-{a['w']}",
                f"{a['id']}×{a['od']}×{a['w']}",
            ]
        )
        if style == "zh":
            out["name"] = (
                f"{rng.choice(['骨架油封', '油封', '骨架密封'])} {a['type']}{rng.choice(['', ' ', '-'])}"
                f"{dims} {mat_zh} {bz}"
            ).strip()
        elif style == "nm":
            out["name"] = f"OIL SEAL,{a['type']},{a['id']}X{a['od']}X{a['w']},{me}"
        elif style == "desc":
            out["name"] = f"Radial shaft seal {a['type']} {a['id']}x{a['od']}x{a['w']} {me}"
        elif style == "split":
            out["name"] = "骨架油封"
            out["spec"] = f"{a['type']}{dims} {mat_zh}"
        else:
            out["name"] = f"油封 {a['type']} {dims} {mat_zh}"
    return out


# ---------------------------------------------------------------------------------------
# Cables
# ---------------------------------------------------------------------------------------
CABLE_TYPES = {
    "RVV": ("护套线", "0.3/0.5kV", "300/500V"),
    "RVVP": ("屏蔽线", "300/300V", "300/300V"),
    "YJV": ("电力电缆", "0.6/1kV", "0.6/1kV"),
    "KVVP": ("控制电缆", "450/750V", "450/750V"),
    "BV": ("电线", "450/750V", "450/750V"),
    "H05VV-F": ("软电缆", "300/500V", "300/500V"),
}
SECTIONS = [0.5, 0.75, 1.0, 1.5, 2.5, 4, 6, 10, 16, 25, 35, 50, 70, 95]


def cable_make(rng):
    t = weighted(rng, [("RVV", 35), ("RVVP", 15), ("YJV", 15), ("KVVP", 10), ("BV", 15), ("H05VV-F", 10)])
    cores = 1 if t == "BV" else rng.choice([2, 3, 4, 5] if t != "KVVP" else [4, 7, 10])
    sec = rng.choice(SECTIONS[4:] if t == "YJV" else SECTIONS[:7])
    brand = rng.choice(["", "fareast", "qifan", "baosheng", "lapp" if t == "H05VV-F" else "chint"])
    return {"t": t, "cores": cores, "sec": sec, "brand": brand}


def cable_vary(a, rng):
    i = SECTIONS.index(a["sec"])
    out = [dict(a, sec=SECTIONS[i + 1] if i + 1 < len(SECTIONS) else SECTIONS[i - 1])]
    if a["t"] != "BV":
        out.append(dict(a, cores=a["cores"] + 1))
    if a["t"] in ("RVV", "RVVP"):
        out.append(dict(a, t="RVVP" if a["t"] == "RVV" else "RVV"))
    return out


def cable_render(p: Product, style, rng):
    a = p.a
    zh, volt_zh, volt_en = CABLE_TYPES[a["t"]]
    sec = fmt_num(a["sec"])
    if a["t"] == "H05VV-F":
        core = f"{a['cores']}G{sec}"
    elif a["cores"] == 1:
        core = rng.choice([f"{sec}mm²", f"{sec}平方", f"1*{sec}", f"{sec}MM2"])
    else:
        core = rng.choice(
            [
                f"{a['cores']}×{sec}mm²",
                f"{a['cores']}*{sec}",
                f"{a['cores']}X{sec}",
                f"{a['cores']}芯{sec}平方",
                f"{a['cores']}x{sec}mm2",
            ]
        )
    bz = bname(a["brand"], rng, "zh") if a["brand"] and rng.random() < 0.6 else ""
    out = {"brand": a["brand"], "material": "CU"}
    if style == "zh":
        out["name"] = rng.choice(
            [
                f"电缆 {a['t']} {core}",
                f"{a['t']}{core} {zh}",
                f"{bz}{a['t']}-{core}-{volt_zh}",
                f"{zh} {a['t']} {core} {bz}",
            ]
        ).strip()
    elif style == "nm":
        out["name"] = f"CABLE,{a['t']},{a['cores']}C X {sec}MM2,{volt_en}"
    elif style == "desc":
        out["name"] = f"{a['t']} cable {a['cores']} x {sec} mm² {volt_en}, copper, PVC sheath"
    elif style == "split":
        out["name"] = rng.choice(["电缆", "电线", zh])
        out["spec"] = f"{a['t']} {core}" + (f" {volt_zh}" if rng.random() < 0.3 else "")
    else:
        out["name"] = f"{bz}{zh} {a['t']} {core} 国标 按米"
    return out


# ---------------------------------------------------------------------------------------
# Valves
# ---------------------------------------------------------------------------------------
VALVE_TYPES = {
    "ball": ("Q41F", ["球阀", "法兰球阀"], "BALL VALVE,FLANGED", "Flanged ball valve"),
    "gate": ("Z41H", ["闸阀", "法兰闸阀"], "GATE VALVE,FLANGED", "Flanged gate valve"),
    "butterfly": ("D71X", ["蝶阀", "对夹蝶阀"], "BUTTERFLY VALVE,WAFER", "Wafer butterfly valve"),
    "check": ("H44H", ["止回阀", "旋启式止回阀"], "CHECK VALVE,SWING", "Swing check valve"),
    "globe": ("J41H", ["截止阀", "法兰截止阀"], "GLOBE VALVE,FLANGED", "Flanged globe valve"),
}
VALVE_MAT = {
    "C": (["碳钢", "WCB"], "WCB"),
    "P": (["304", "不锈钢304", "CF8"], "CF8"),
    "R": (["316", "不锈钢316", "CF8M"], "CF8M"),
    "Q": (["球墨铸铁", "QT450"], "DUCTILE IRON"),
}
DNS = [15, 20, 25, 32, 40, 50, 65, 80, 100, 125, 150, 200]


def valve_make(rng):
    t = weighted(rng, [("ball", 40), ("gate", 20), ("butterfly", 20), ("check", 10), ("globe", 10)])
    mat = "Q" if t == "butterfly" and rng.random() < 0.7 else weighted(rng, [("C", 40), ("P", 35), ("R", 25)])
    return {
        "t": t,
        "dn": rng.choice(DNS if t != "butterfly" else DNS[5:]),
        "pn": rng.choice([16, 16, 16, 25, 40]),
        "mat": mat,
        "brand": rng.choice(["", "suvalve", "lianggong", "kitz"]),
    }


def valve_vary(a, rng):
    i = DNS.index(a["dn"])
    out = [dict(a, dn=DNS[i + 1] if i + 1 < len(DNS) else DNS[i - 1]), dict(a, pn=25 if a["pn"] == 16 else 16)]
    if a["mat"] in ("P", "R"):
        out.append(dict(a, mat="R" if a["mat"] == "P" else "P"))
    else:
        out.append(dict(a, mat="P"))
    return out


def valve_render(p: Product, style, rng):
    a = p.a
    code, zh, nm, desc = VALVE_TYPES[a["t"]]
    model = f"{code}-{a['pn']}{a['mat']}"
    mz, me = VALVE_MAT[a["mat"]]
    bz = bname(a["brand"], rng, "zh") if a["brand"] and rng.random() < 0.5 else ""
    out = {"brand": a["brand"], "material": me}
    if style == "zh":
        out["name"] = rng.choice(
            [
                f"{rng.choice(zh)} {model} DN{a['dn']}",
                f"{rng.choice(mz)}{rng.choice(zh)} DN{a['dn']} PN{a['pn']}",
                f"{rng.choice(zh)}{model}-DN{a['dn']} {bz}",
                f"{bz}{rng.choice(zh)} DN{a['dn']} {model}",
            ]
        ).strip()
    elif style == "nm":
        out["name"] = f"{nm},DN{a['dn']},PN{a['pn']},{me}"
    elif style == "desc":
        out["name"] = f"{desc} DN{a['dn']} PN{a['pn']} body {me} ({model})"
    elif style == "split":
        out["name"] = rng.choice(zh)
        out["spec"] = rng.choice(
            [f"{model} DN{a['dn']}", f"DN{a['dn']} PN{a['pn']} {rng.choice(mz)}", f"{model}/DN{a['dn']}"]
        )
    else:
        out["name"] = f"{bz}{rng.choice(mz)}{rng.choice(zh)} DN{a['dn']} {model}"
    return out


# ---------------------------------------------------------------------------------------
# Drawing-numbered machined parts
# ---------------------------------------------------------------------------------------
PART_TYPES = [
    ("支架", "BRACKET", "ZJ"),
    ("法兰", "FLANGE", "FL"),
    ("轴", "SHAFT", "Z"),
    ("端盖", "END COVER", "DG"),
    ("底座", "BASE PLATE", "DZ"),
    ("连接板", "CONNECTING PLATE", "LJB"),
    ("套筒", "SLEEVE", "TT"),
    ("垫块", "SPACER BLOCK", "DK"),
    ("齿轮", "GEAR", "CL"),
    ("护罩", "GUARD", "HZ"),
    ("安装板", "MOUNTING PLATE", "AZB"),
    ("导轨座", "RAIL SEAT", "DGZ"),
]
PART_MAT = [
    ("Q235", "Q235"),
    ("45#", "C45"),
    ("6061-T6", "AL6061-T6"),
    ("SUS304", "SS304"),
    ("40Cr", "40CR"),
    ("POM", "POM"),
]
REVS = "ABCDEFG"


def part_make(rng):
    t = rng.randrange(len(PART_TYPES))
    fmt = rng.choice(["pre", "pre", "num", "dot"])
    return {
        "t": t,
        "fmt": fmt,
        "year": rng.choice([2016, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025]),
        "no": rng.randint(1000, 9999),
        "rev": rng.randrange(4),
        "mat": rng.randrange(len(PART_MAT)),
        "proj": rng.randint(1000, 9999),
    }


def part_vary(a, rng):
    out = [dict(a, rev=a["rev"] + 1)]  # the next revision: a different part
    out.append(dict(a, no=a["no"] + 1))  # the neighbouring drawing
    return out


def drawing_no(a) -> str:
    zh, en, abbr = PART_TYPES[a["t"]]
    if a["fmt"] == "pre":
        return f"{abbr}-{a['year']}-{a['no']}"
    if a["fmt"] == "num":
        return f"{a['proj']}-{a['no']}-{a['t'] + 1:02d}"
    return f"{a['proj'] // 100}.{a['no']}.{a['t'] + 100}"


def part_render(p: Product, style, rng):
    a = p.a
    zh, en, _ = PART_TYPES[a["t"]]
    dwg = drawing_no(a)
    rev = REVS[a["rev"]]
    mz, me = PART_MAT[a["mat"]]
    out = {"drawing": dwg, "rev": rev, "material": me, "brand": ""}
    rev_zh = rng.choice([rev, f"{rev}版", f"Rev.{rev}", f"-{rev}", f"({rev})"])
    if style == "zh":
        tmpl = rng.randrange(5)
        if tmpl == 0:
            out["name"] = f"{zh}({dwg}{rev})"  # 支架(ZJ-2025-2572B)
        elif tmpl == 1:
            out["name"] = f"{zh} {dwg} {rev_zh}"
        elif tmpl == 2:
            out["name"] = f"{zh} 图号{dwg} {rev_zh} {mz}"
        elif tmpl == 3:
            out["name"] = f"{dwg}{rng.choice(['-', '_', ' '])}{rev} {zh}"
        else:
            out["name"] = f"{zh}（{dwg}-{rev}）{mz if rng.random() < 0.5 else ''}"
    elif style == "nm":
        out["name"] = f"{en},DWG {dwg},REV {rev}" + (f",{me}" if rng.random() < 0.5 else "")
    elif style == "desc":
        out["name"] = f"{en.capitalize()}, machined, {me}"
    elif style == "split":
        out["name"] = zh
        out["spec"] = rng.choice([f"{dwg} {rev_zh}", f"{dwg}{rev}", f"{dwg}/{rev} {mz}"])
    else:
        out["name"] = f"{zh} {dwg}{rev}"
    return out


# ---------------------------------------------------------------------------------------
# Consumables, chemicals, food (these carry barcodes in the shop)
# ---------------------------------------------------------------------------------------
def consumable_make(rng):
    k = weighted(rng, [("glove", 30), ("tie", 25), ("paper", 15), ("disc", 20), ("sand", 10)])
    if k == "glove":
        return {
            "k": k,
            "type": rng.choice(["nitrile", "latex", "pvc"]),
            "size": rng.choice(["S", "M", "L", "XL"]),
            "pack": 100,
            "brand": rng.choice(["ammex", "intco"]),
        }
    if k == "tie":
        w, l = rng.choice([(3, 100), (3, 150), (4, 200), (5, 200), (5, 300), (8, 400)])
        return {
            "k": k,
            "w": w,
            "l": l,
            "color": rng.choice(["白", "黑"]),
            "pack": 100,
            "brand": rng.choice(["", "hellermann"]),
        }
    if k == "paper":
        return {
            "k": k,
            "gsm": rng.choice([70, 80]),
            "size": rng.choice(["A4", "A4", "A3"]),
            "brand": rng.choice(["deli", "mg", "doublea"]),
        }
    if k == "disc":
        d, t, h = rng.choice([(105, 1.2, 16), (125, 1.2, 22.2), (100, 2.5, 16), (355, 3, 25.4), (180, 2, 22.2)])
        return {"k": k, "d": d, "t": t, "h": h, "brand": rng.choice(["bosch", "3m", "klingspor"])}
    return {
        "k": k,
        "grit": rng.choice([80, 120, 180, 240, 320, 400, 600, 800, 1000]),
        "brand": rng.choice(["3m", "klingspor"]),
    }


def consumable_vary(a, rng):
    k = a["k"]
    if k == "glove":
        return [
            dict(a, size=rng.choice([s for s in "S M L XL".split() if s != a["size"]])),
            dict(a, type="latex" if a["type"] == "nitrile" else "nitrile"),
        ]
    if k == "tie":
        return [dict(a, color="黑" if a["color"] == "白" else "白"), dict(a, l=a["l"] + 50)]
    if k == "paper":
        return [dict(a, gsm=80 if a["gsm"] == 70 else 70), dict(a, brand="deli" if a["brand"] != "deli" else "mg")]
    if k == "disc":
        return [dict(a, brand="3m" if a["brand"] != "3m" else "bosch"), dict(a, t=a["t"] + 0.4)]
    return [dict(a, grit=a["grit"] + (40 if a["grit"] < 400 else 200))]


GLOVE = {
    "nitrile": ("丁腈手套", "NITRILE GLOVES", "Nitrile disposable gloves"),
    "latex": ("乳胶手套", "LATEX GLOVES", "Latex disposable gloves"),
    "pvc": ("PVC手套", "PVC GLOVES", "PVC disposable gloves"),
}


def consumable_render(p: Product, style, rng):
    a = p.a
    k = a["k"]
    bz, be = (bname(a["brand"], rng, "zh"), bname(a["brand"], rng, "en")) if a.get("brand") else ("", "")
    out = {"brand": a.get("brand", ""), "material": ""}
    if k == "glove":
        zh, nm, desc = GLOVE[a["type"]]
        size = rng.choice([a["size"], a["size"] + "号", f"{a['size']}码"])
        z = [
            f"{zh} {size} 100只/盒 {bz}",
            f"{bz}{zh}{a['size']}码",
            f"一次性{zh}-{a['size']}-{bz}",
            f"{zh}（{a['size']}）",
        ]
        e = f"{nm},DISPOSABLE,SIZE {a['size']},100/BOX"
        d = f"{desc}, powder-free, size {a['size']}, box of 100 ({be})"
    elif k == "tie":
        color_en = "WHITE" if a["color"] == "白" else "BLACK"
        dims = sep_dim(rng, a["w"], a["l"], True)
        z = [
            f"尼龙扎带 {dims} {a['color']}色 100条/包",
            f"扎带{dims}{a['color']}",
            f"{a['color']}色扎带 {dims}mm {bz}".strip(),
            f"自锁式尼龙扎带-{dims}-{a['color']}",
        ]
        e = f"CABLE TIE,NYLON,{a['w']}X{a['l']}MM,{color_en}"
        d = f"Nylon cable tie {a['w']} x {a['l']} mm {color_en.lower()}, bag of 100"
    elif k == "paper":
        z = [
            f"{bz}复印纸 {a['size']} {a['gsm']}g 500张/包",
            f"{a['size']}复印纸{a['gsm']}克 {bz}",
            f"{bz} {a['size']} {a['gsm']}G 打印纸",
            f"复印纸-{a['size']}-{a['gsm']}g-{bz}",
        ]
        e = f"PAPER,COPY,{a['size']},{a['gsm']}GSM,{be}"
        d = f"{be} copy paper {a['size']} {a['gsm']} g/m², ream of 500"
    elif k == "disc":
        dims = f"{a['d']}{rng.choice(['*', 'x', '×'])}{fmt_num(a['t'])}{rng.choice(['*', 'x', '×'])}{fmt_num(a['h'])}"
        z = [f"切割片 {dims} {bz}", f"{bz}树脂切割片{dims}", f"砂轮切割片-{dims}-{be}", f"{be}切割片 {dims}mm"]
        e = f"DISC,CUTTING,{a['d']}X{fmt_num(a['t'])}X{fmt_num(a['h'])},{be}"
        d = f"{be} cutting disc {a['d']} x {fmt_num(a['t'])} x {fmt_num(a['h'])} mm"
    else:
        z = [
            f"砂纸 P{a['grit']} {bz}",
            f"{bz}干磨砂纸{a['grit']}目",
            f"水砂纸 {a['grit']}# {be}",
            f"砂纸-{a['grit']}目-230*280",
        ]
        e = f"ABRASIVE PAPER,P{a['grit']},230X280MM,{be}"
        d = f"{be} abrasive paper P{a['grit']} 230 x 280 mm"
    if style in ("zh", "web"):
        out["name"] = rng.choice(z).strip()
    elif style == "nm":
        out["name"] = e
    elif style == "desc":
        out["name"] = d
    else:
        full = rng.choice(z).strip()
        head = full.split(" ")[0]
        out["name"], out["spec"] = (head, full[len(head) :].strip()) if " " in full else (full, "")
    return out


CHEMS = {
    "ethanol": ("无水乙醇", "ETHANOL ABSOLUTE", "Ethanol absolute", "64-17-5"),
    "ipa": ("异丙醇", "ISOPROPANOL", "Isopropyl alcohol", "67-63-0"),
    "acetone": ("丙酮", "ACETONE", "Acetone", "67-64-1"),
}
GRADES = {"AR": ("分析纯", "AR"), "CP": ("化学纯", "CP"), "GR": ("优级纯", "GR")}


def chemical_make(rng):
    k = weighted(rng, [("reagent", 45), ("loctite", 30), ("lube", 25)])
    if k == "reagent":
        return {
            "k": k,
            "sub": rng.choice(list(CHEMS)),
            "grade": rng.choice(["AR", "AR", "CP", "GR"]),
            "size": rng.choice(["500ml", "500ml", "2.5L", "4L"]),
            "brand": rng.choice(["sinopharm", "xilong", "aladdin"]),
        }
    if k == "loctite":
        no = rng.choice([243, 262, 263, 270, 271, 401, 406, 495, 518, 567, 638])
        return {
            "k": k,
            "no": no,
            "size": rng.choice(["20g", "50g"]) if no in (401, 406, 495) else rng.choice(["50ml", "250ml"]),
            "brand": "loctite",
        }
    sub = rng.choice(["wd40", "gadus", "mobilux"])
    if sub == "wd40":
        return {"k": k, "sub": sub, "size": rng.choice(["333ml", "400ml"]), "brand": "wd40"}
    if sub == "gadus":
        return {
            "k": k,
            "sub": sub,
            "grade": rng.choice(["S2 V220 2", "S2 V220 0", "S3 V220C 2"]),
            "size": "18kg",
            "brand": "shell",
        }
    return {
        "k": k,
        "sub": sub,
        "grade": rng.choice(["EP 2", "EP 1", "EP 3"]),
        "size": rng.choice(["16kg", "180kg"]),
        "brand": "mobil",
    }


def chemical_vary(a, rng):
    if a["k"] == "reagent":
        return [
            dict(a, grade="CP" if a["grade"] == "AR" else "AR"),
            dict(a, size="2.5L" if a["size"] == "500ml" else "500ml"),
            dict(a, brand="xilong" if a["brand"] != "xilong" else "sinopharm"),
        ]
    if a["k"] == "loctite":
        return [
            dict(
                a,
                no={
                    243: 263,
                    262: 263,
                    263: 262,
                    270: 271,
                    271: 270,
                    401: 406,
                    406: 401,
                    495: 401,
                    518: 567,
                    567: 518,
                    638: 648,
                }[a["no"]],
            )
        ]
    if a["sub"] == "wd40":
        return [dict(a, size="400ml" if a["size"] == "333ml" else "333ml")]
    return [dict(a, grade=a["grade"][:-1] + ("3" if a["grade"][-1] == "2" else "2"))]


def chemical_render(p: Product, style, rng):
    a = p.a
    bz, be = bname(a["brand"], rng, "zh"), bname(a["brand"], rng, "en")
    out = {"brand": a["brand"], "material": ""}
    size = a["size"]
    size_zh = (
        size.replace("ml", rng.choice(["ml", "ML", "毫升"])).replace("L", rng.choice(["L", "升"]))
        if rng.random() < 0.4
        else size
    )
    if a["k"] == "reagent":
        zh, nm, desc, cas = CHEMS[a["sub"]]
        gz, ge = GRADES[a["grade"]]
        z = [
            f"{zh} {ge} {size_zh} {bz}",
            f"{zh}（{gz}）{size_zh}/瓶",
            f"{bz}{zh} {gz}{ge} {size_zh}",
            f"{zh}-{ge}-{size}-{bz}",
        ]
        e = f"{nm},{ge},{size.upper()},{be}"
        d = f"{desc} {ge} grade, CAS {cas}, {size} bottle ({be})"
    elif a["k"] == "loctite":
        z = [
            f"乐泰{a['no']}螺纹胶 {size_zh}",
            f"LOCTITE {a['no']} {size}",
            f"{bz} {a['no']} {size_zh}",
            f"胶水 乐泰{a['no']}/{size}",
        ]
        if a["no"] in (401, 406, 495):
            z = [f"乐泰{a['no']}瞬干胶 {size_zh}", f"LOCTITE{a['no']} {size}", f"{bz}{a['no']}快干胶水{size_zh}"]
        e = f"ADHESIVE,LOCTITE {a['no']},{size.upper()}"
        d = f"Loctite {a['no']} {'instant adhesive' if a['no'] in (401, 406, 495) else 'threadlocker'} {size}"
    elif a["sub"] == "wd40":
        z = [f"WD-40 防锈润滑剂 {size_zh}", f"WD40除锈剂{size_zh}", f"防锈油 WD-40 {size}"]
        e = f"LUBRICANT SPRAY,WD-40,{size.upper()}"
        d = f"WD-40 multi-use lubricant spray {size}"
    else:
        name_en = "Shell Gadus" if a["sub"] == "gadus" else "Mobilux"
        z = [
            f"{bz}润滑脂 {name_en} {a['grade']} {size_zh}",
            f"{name_en} {a['grade']} {size}",
            f"黄油 {be} {a['grade']} {size_zh}",
        ]
        e = f"GREASE,{name_en.upper()} {a['grade']},{size.upper()}"
        d = f"{name_en} {a['grade']} grease {size}"
    if style in ("zh", "web"):
        out["name"] = rng.choice(z)
    elif style == "nm":
        out["name"] = e
    elif style == "desc":
        out["name"] = d
    else:
        full = rng.choice(z)
        head = full.split(" ")[0]
        out["name"], out["spec"] = (head, full[len(head) :].strip()) if " " in full else (full, "")
    return out


FOODS = {
    "oil": (
        "arawana",
        [("调和油", "Blended oil"), ("花生油", "Peanut oil"), ("玉米油", "Corn oil")],
        ["5L", "1.8L", "4L"],
    ),
    "water": ("nongfu", [("饮用天然水", "Natural water")], ["550ml*24", "380ml*24", "4L*6"]),
    "coffee": (
        "nestle",
        [
            ("1+2原味咖啡", "Coffee 1+2 Original"),
            ("1+2特浓咖啡", "Coffee 1+2 Extra Strong"),
            ("醇品速溶咖啡", "Classic instant coffee"),
        ],
        ["15g*100", "15g*30", "500g"],
    ),
    "sugar": ("taikoo", [("白砂糖", "White sugar"), ("方糖", "Sugar cubes")], ["1kg", "454g"]),
    "rice": ("cofco", [("大米", "Rice"), ("五常大米", "Wuchang rice")], ["5kg", "10kg"]),
}


def food_make(rng):
    k = rng.choice(list(FOODS))
    brand, kinds, sizes = FOODS[k]
    return {"k": k, "v": rng.randrange(len(kinds)), "size": rng.choice(sizes), "brand": brand}


def food_vary(a, rng):
    brand, kinds, sizes = FOODS[a["k"]]
    out = [dict(a, size=rng.choice([s for s in sizes if s != a["size"]]))]
    if len(kinds) > 1:
        out.append(dict(a, v=(a["v"] + 1) % len(kinds)))
    return out


def food_render(p: Product, style, rng):
    a = p.a
    brand, kinds, _ = FOODS[a["k"]]
    zh, en = kinds[a["v"]]
    bz, be = bname(brand, rng, "zh"), bname(brand, rng, "en")
    size = a["size"]
    size_zh = size.replace("*", rng.choice(["*", "×", "x"])).replace("ml", rng.choice(["ml", "毫升"]))
    out = {"brand": brand, "material": ""}
    if style in ("zh", "web"):
        out["name"] = rng.choice(
            [
                f"{bz}{zh} {size_zh}",
                f"{bz} {zh}{size_zh}",
                f"{zh}（{bz}）{size_zh}",
                f"{bz}{zh}{size_zh}/{'箱' if '*' in size else '桶' if 'L' in size else '袋'}",
            ]
        )
    elif style == "nm":
        out["name"] = f"{en.upper()},{be},{size.upper()}"
    elif style == "desc":
        out["name"] = f"{be} {en} {size}"
    else:
        out["name"], out["spec"] = f"{bz}{zh}", size_zh
    return out


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------
@dataclass
class Family:
    key: str
    cat: str
    weight: float
    make: object
    vary: object
    render: object
    unit: object  # a -> canonical unit
    mpn: object = None
    barcode: bool = False
    vary_p: float = 0.3  # share of products that get variant siblings
    systems: dict = field(default_factory=dict)


FAMILIES = [
    Family(
        "fastener",
        "FAST",
        22,
        fastener_make,
        fastener_vary,
        fastener_render,
        lambda a: "pc",
        vary_p=0.3,
        systems={"sap_ecc": 8, "u8": 7, "plm": 3, "shop": 1},
    ),
    Family(
        "resistor",
        "ELEC",
        12,
        resistor_make,
        resistor_vary,
        resistor_render,
        lambda a: "pc",
        resistor_mpn,
        vary_p=0.3,
        systems={"sap_ecc": 7, "u8": 6, "plm": 7, "shop": 1},
    ),
    Family(
        "mlcc",
        "ELEC",
        12,
        mlcc_make,
        mlcc_vary,
        mlcc_render,
        lambda a: "pc",
        mlcc_mpn,
        vary_p=0.3,
        systems={"sap_ecc": 7, "u8": 6, "plm": 7, "shop": 1},
    ),
    Family(
        "bearing",
        "BEAR",
        10,
        bearing_make,
        bearing_vary,
        bearing_render,
        lambda a: "pc",
        vary_p=0.25,
        systems={"sap_ecc": 8, "u8": 6, "plm": 2, "shop": 4},
    ),
    Family(
        "seal",
        "SEAL",
        8,
        seal_make,
        seal_vary,
        seal_render,
        lambda a: "pc",
        vary_p=0.2,
        systems={"sap_ecc": 8, "u8": 6, "plm": 2, "shop": 3},
    ),
    Family(
        "cable",
        "CABL",
        6,
        cable_make,
        cable_vary,
        cable_render,
        lambda a: "m",
        vary_p=0.2,
        systems={"sap_ecc": 7, "u8": 7, "plm": 3, "shop": 3},
    ),
    Family(
        "valve",
        "VALV",
        6,
        valve_make,
        valve_vary,
        valve_render,
        lambda a: "pc",
        vary_p=0.2,
        systems={"sap_ecc": 8, "u8": 6, "plm": 3, "shop": 2},
    ),
    Family(
        "part",
        "PART",
        10,
        part_make,
        part_vary,
        part_render,
        lambda a: "pc",
        vary_p=0.3,
        systems={"sap_ecc": 8, "u8": 5, "plm": 9, "shop": 0},
    ),
    Family(
        "consumable",
        "CONS",
        6,
        consumable_make,
        consumable_vary,
        consumable_render,
        lambda a: {"glove": "box", "tie": "pack", "paper": "pack", "disc": "pc", "sand": "pc"}[a["k"]],
        barcode=True,
        vary_p=0.2,
        systems={"sap_ecc": 5, "u8": 7, "plm": 0, "shop": 7},
    ),
    Family(
        "chemical",
        "CHEM",
        5,
        chemical_make,
        chemical_vary,
        chemical_render,
        lambda a: "barrel" if a.get("size", "").endswith("kg") else "bottle",
        barcode=True,
        vary_p=0.2,
        systems={"sap_ecc": 6, "u8": 6, "plm": 1, "shop": 6},
    ),
    Family(
        "food",
        "FOOD",
        3,
        food_make,
        food_vary,
        food_render,
        lambda a: "case" if "*" in a["size"] else ("barrel" if "L" in a["size"] else "bag"),
        barcode=True,
        vary_p=0.2,
        systems={"sap_ecc": 2, "u8": 6, "plm": 0, "shop": 8},
    ),
]
FAMILY = {f.key: f for f in FAMILIES}


WEIGHT_KG = {
    "fastener": (0.001, 0.3),
    "resistor": (0.00001, 0.0001),
    "mlcc": (0.00001, 0.0001),
    "bearing": (0.02, 3.5),
    "seal": (0.001, 0.1),
    "cable": (0.02, 3.0),
    "valve": (0.5, 60.0),
    "part": (0.05, 25.0),
    "consumable": (0.05, 3.0),
    "chemical": (0.05, 20.0),
    "food": (0.5, 12.0),
}


def _key(a: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in a.items()))


def build(rng: random.Random, n: int) -> list[Product]:
    """About n products; a share come with variant siblings (the hard negatives)."""
    seen: set = set()
    out: list[Product] = []
    groups = 0

    def add(fam: Family, a: dict, group: str):
        k = (fam.key, _key(a))
        if fam.key == "part":  # a drawing number and revision name one part
            k = ("part", drawing_no(a), a["rev"])
        if k in seen:
            return None
        seen.add(k)
        p = Product(
            id=f"PRD{len(out) + 1:06d}",
            family=fam.key,
            a=a,
            unit=fam.unit(a),
            cat=fam.cat,
            brand=a.get("brand", ""),
            group=group,
            created=rand_date(rng, 2008, 2025),
        )
        if fam.mpn:
            p.mpn = fam.mpn(a)
        if fam.barcode and a.get("brand"):
            foreign = a["brand"] in (
                "wd40",
                "loctite",
                "shell",
                "mobil",
                "3m",
                "bosch",
                "klingspor",
                "nestle",
                "doublea",
                "ammex",
                "hellermann",
            )
            p.barcode = ids.gtin13(
                rng,
                rng.choice(["400", "501", "761", "885", "000"])
                if foreign
                else rng.choice(["690", "692", "693", "694", "695", "697"]),
            )
        lo, hi = WEIGHT_KG[fam.key]
        p.weight = round(rng.uniform(lo, hi), 5 if hi < 0.01 else 3) if rng.random() < 0.6 else None
        out.append(p)
        return p

    weights = [f.weight for f in FAMILIES]
    while len(out) < n:
        fam = rng.choices(FAMILIES, weights=weights)[0]
        a = fam.make(rng)
        if rng.random() < fam.vary_p:
            groups += 1
            g = f"VG{groups:05d}"
            if add(fam, a, g):
                sibs = fam.vary(a, rng)
                for s in rng.sample(sibs, min(len(sibs), rng.choice([1, 1, 2, 3]))):
                    add(fam, s, g)
        else:
            add(fam, a, "")
    return out


def render(p: Product, style: str, rng: random.Random) -> dict:
    out = FAMILY[p.family].render(p, style, rng)
    out.setdefault("spec", "")
    out.setdefault("mpn", p.mpn)
    out.setdefault("brand", p.brand)
    out["name"] = " ".join(out["name"].split()) if rng.random() < 0.95 else out["name"]
    return out


def text_noise(text: str, rng: random.Random, zh: bool, p: float) -> str:
    """Keying noise on a product text: case, full-width characters, a typo in a word,
    separators, an abbreviation."""
    if rng.random() > p:
        return text
    r = rng.random()
    if r < 0.25:
        return text.upper() if rng.random() < 0.7 else text.lower()
    if r < 0.45 and zh:
        return noise.fullwidth(text, rng, 0.5)
    if r < 0.6:
        return noise.typo_text(text, rng)
    if r < 0.75:
        return text.replace(" ", rng.choice(["", "_", "-", ","]), rng.randint(1, 3))
    if r < 0.85:
        for a, b in (
            ("STAINLESS STEEL", "S/S"),
            ("不锈钢", "不锈"),
            ("BEARING", "BRG"),
            ("SCREW", "SCR"),
            ("WASHER", "WSHR"),
            ("VALVE", "VLV"),
            ("RESISTOR", "RES"),
            ("CAPACITOR", "CAP"),
            ("内六角", "内六方"),
            ("螺钉", "螺丝"),
        ):
            if a in text:
                return text.replace(a, b, 1)
        return text
    return text.replace("×", "x").replace("*", "X") if rng.random() < 0.5 else text.replace("x", "*").replace("X", "*")
