"""Product source systems: SAP ECC MARA+MAKT (shipped profile sap_mara), a 用友 U8 item
master (GB18030 CSV), a PLM item export (tab separated, English) and a shop / CRM product
catalogue (JSON API)."""

from __future__ import annotations

import datetime as dt
import random

from bench.heldout.companies import weighted
from bench.heldout.org_systems import Rec, ymd
from bench.heldout.products import BEARING_DIMS, BRANDS, UNIT_LABELS, Product, render, text_noise

SAP_MATKL = {
    "FAST": "101010",
    "ELEC": "201010",
    "BEAR": "102010",
    "SEAL": "102020",
    "CABL": "202010",
    "VALV": "103010",
    "PART": "300010",
    "CONS": "900010",
    "CHEM": "901010",
    "FOOD": "902010",
}
SAP_MTART = {
    "FAST": "ROH",
    "ELEC": "ROH",
    "BEAR": "ERSA",
    "SEAL": "ERSA",
    "CABL": "ROH",
    "VALV": "ERSA",
    "PART": "HALB",
    "CONS": "HIBE",
    "CHEM": "HIBE",
    "FOOD": "UNBW",
}
MARA_COLUMNS = [
    "MATNR",
    "MTART",
    "MBRSH",
    "MATKL",
    "BISMT",
    "MEINS",
    "BSTME",
    "MAKTX",
    "GROES",
    "WRKST",
    "NORMT",
    "ZEINR",
    "ZEIVR",
    "MFRNR",
    "MFRPN",
    "EAN11",
    "NUMTP",
    "NTGEW",
    "BRGEW",
    "GEWEI",
    "ERSDA",
    "ERNAM",
    "LAEDA",
    "AENAM",
    "LVORM",
]


def product_dates(p: Product, rng, golive: dt.date, until=dt.date(2025, 5, 31)):
    created = min(max(p.created, golive), until)
    changed = dt.date.fromordinal(rng.randint(created.toordinal(), until.toordinal()))
    return created, changed


def mara_row(p: Product, rec: Rec, rng: random.Random) -> dict:
    style = "zh" if rng.random() < 0.7 else "nm"
    r = render(p, style, rng)
    text = text_noise(r["name"], rng, style == "zh", 0.15)
    if rec.dup and rng.random() < 0.3:
        text = rng.choice(["不用-", "作废 ", "*", "DUP "]) + text
    a = p.a
    groes = ""
    if rng.random() < 0.3:
        if p.family == "fastener":
            groes = f"M{a['d']}X{a['l']}" if a.get("l") else f"M{a['d']}"
        elif p.family == "bearing":
            d, od, width = BEARING_DIMS[a["series"]][a["bore"]]
            groes = f"{d}X{od}X{width}"
        elif p.family in ("resistor", "mlcc"):
            groes = a["size"]
        elif p.family == "seal":
            groes = f"{a['id']}X{a.get('cs', a.get('od'))}"
        elif p.family == "valve":
            groes = f"DN{a['dn']}"
    mfrpn = r.get("mpn", "") if p.family in ("resistor", "mlcc", "bearing") and rng.random() < 0.45 else ""
    ean = p.barcode if p.barcode and rng.random() < 0.35 else ""
    weight = p.weight if p.weight is not None and rng.random() < 0.6 else None
    return {
        "MATNR": rec.key,
        "MTART": SAP_MTART[p.cat],
        "MBRSH": "M",
        "MATKL": SAP_MATKL[p.cat],
        "BISMT": rec.extra.get("old", ""),
        "MEINS": UNIT_LABELS[p.unit][0],
        "BSTME": "",
        "MAKTX": text[:40].rstrip(),  # MAKT-MAKTX holds 40 characters
        "GROES": groes,
        "WRKST": r.get("material", "") if rng.random() < 0.3 else "",
        "NORMT": r.get("std", "") if rng.random() < 0.5 else "",
        "ZEINR": r.get("drawing", "") if rng.random() < 0.8 else "",
        "ZEIVR": r.get("rev", "") if r.get("drawing") else "",
        "MFRNR": f"{rng.randint(300000, 309999):010d}" if mfrpn else "",
        "MFRPN": mfrpn,
        "EAN11": ean,
        "NUMTP": "HE" if ean else "",
        "NTGEW": weight,
        "BRGEW": round(weight * 1.1, 3) if weight else None,
        "GEWEI": "KG" if weight else "",
        "ERSDA": ymd(rec.created),
        "ERNAM": "SAPMIGR"
        if rec.created == dt.date(2011, 7, 4)
        else rng.choice(["MM_LIU", "MM_ZHANG", "WANGJ", "PLM_IF"]),
        "LAEDA": ymd(rec.changed),
        "AENAM": rng.choice(["MM_LIU", "MM_ZHANG", "WANGJ", "BATCH"]),
        "LVORM": "X" if rec.deleted else "",
    }


U8_COLUMNS = [
    "存货编码",
    "存货名称",
    "规格型号",
    "存货代码",
    "存货分类编码",
    "存货分类名称",
    "计量单位组",
    "主计量单位",
    "是否外购",
    "是否自制",
    "是否停用",
    "参考成本",
    "建档人",
    "建档日期",
    "变更日期",
    "备注",
]
U8_CLASS = {
    "FAST": ("0101", "紧固件"),
    "ELEC": ("0102", "电子元器件"),
    "BEAR": ("0103", "轴承"),
    "SEAL": ("0104", "密封件"),
    "CABL": ("0105", "电线电缆"),
    "VALV": ("0106", "阀门管件"),
    "PART": ("0201", "机加工件"),
    "CONS": ("0301", "低值易耗品"),
    "CHEM": ("0302", "化学品"),
    "FOOD": ("0401", "食堂用品"),
}


def u8_row(p: Product, rec: Rec, rng: random.Random) -> dict:
    style = "split" if rng.random() < 0.55 else "zh"
    r = render(p, style, rng)
    name = text_noise(r["name"], rng, True, 0.12)
    spec = text_noise(r.get("spec", ""), rng, True, 0.12) if style == "split" else ""
    code, cls = U8_CLASS[p.cat]
    unit = UNIT_LABELS[p.unit][1]
    if p.unit == "pc" and rng.random() < 0.4:
        unit = rng.choice(["只", "件", "PCS", "pcs", "个"])
    return {
        "存货编码": rec.key,
        "存货名称": name,
        "规格型号": spec,
        "存货代码": "",
        "存货分类编码": code,
        "存货分类名称": cls,
        "计量单位组": "01" if p.unit == "pc" else "02",
        "主计量单位": unit,
        "是否外购": "是" if p.cat != "PART" else "否",
        "是否自制": "是" if p.cat == "PART" else "否",
        "是否停用": "是" if rec.deleted else "否",
        "参考成本": f"{rng.uniform(0.01, 500):.2f}" if rng.random() < 0.4 else "",
        "建档人": rng.choice(["刘会计", "王仓管", "张采购", "demo"]),
        "建档日期": rec.created.isoformat(),
        "变更日期": rec.changed.isoformat(),
        "备注": rng.choice(["", "", "", "常用", "代用料", "客供"]),
    }


PLM_COLUMNS = [
    "Item Number",
    "Revision",
    "Description",
    "Item Type",
    "Category",
    "Lifecycle Phase",
    "UOM",
    "Manufacturer",
    "Manufacturer Part Number",
    "Drawing Number",
    "Drawing Rev",
    "Material",
    "Created",
    "Last Modified",
]
PLM_CATEGORY = {
    "FAST": "Mechanical/Fastener",
    "ELEC": "Electrical/Passive",
    "BEAR": "Mechanical/Bearing",
    "SEAL": "Mechanical/Seal",
    "CABL": "Electrical/Cable",
    "VALV": "Fluid/Valve",
    "PART": "Mechanical/Machined Part",
    "CONS": "MRO/Consumable",
    "CHEM": "MRO/Chemical",
    "FOOD": "MRO/Other",
}


def _clock(rng: random.Random) -> str:
    """A time of day in office hours, HH:MM:SS."""
    return f"{rng.randint(7, 19):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def plm_row(p: Product, rec: Rec, rng: random.Random) -> dict:
    style = "desc" if rng.random() < 0.65 else "nm"
    r = render(p, style, rng)
    text = text_noise(r["name"], rng, False, 0.1)
    brand = r.get("brand") or ""
    maker = ""
    if brand and p.family in ("resistor", "mlcc", "bearing") and rng.random() < 0.85:
        zh, en, alt = BRANDS[brand]
        maker = rng.choice([en, en] + alt)
    elif brand and rng.random() < 0.3:
        maker = BRANDS[brand][1]
    drawing = r.get("drawing", "")
    return {
        "Item Number": rec.extra["item"],
        "Revision": rec.extra["rev"],
        "Description": text,
        "Item Type": "Part" if p.cat == "PART" else "Purchased Part",
        "Category": PLM_CATEGORY[p.cat],
        "Lifecycle Phase": "Obsolete"
        if rec.deleted
        else weighted(rng, [("Production", 8), ("Prototype", 1), ("Pre-Production", 1)]),
        "UOM": UNIT_LABELS[p.unit][2],
        "Manufacturer": maker,
        "Manufacturer Part Number": r.get("mpn", "") if maker and p.family in ("resistor", "mlcc", "bearing") else "",
        "Drawing Number": drawing,
        "Drawing Rev": r.get("rev", "") if drawing else "",
        "Material": r.get("material", "") if rng.random() < 0.6 else "",
        "Created": f"{rec.created.isoformat()} {_clock(rng)}",
        "Last Modified": f"{rec.changed.isoformat()} {_clock(rng)}",
    }


SHOP_CATS = {
    "FAST": "紧固件",
    "ELEC": "电子元件",
    "BEAR": "轴承",
    "SEAL": "密封件",
    "CABL": "电线电缆",
    "VALV": "阀门",
    "PART": "零部件",
    "CONS": "劳保耗材",
    "CHEM": "化工用品",
    "FOOD": "食品饮料",
}


def shop_row(p: Product, rec: Rec, rng: random.Random) -> dict:
    style = "web" if rng.random() < 0.6 else rng.choice(["zh", "desc"])
    r = render(p, style, rng)
    title = text_noise(r["name"], rng, True, 0.1)
    brand = ""
    if r.get("brand") and rng.random() < 0.75:
        zh, en, alt = BRANDS[r["brand"]]
        brand = rng.choice([zh, en, f"{en}/{zh}", zh])
    specs = []
    if r.get("spec"):
        specs.append({"name": "规格", "value": r["spec"]})
    elif rng.random() < 0.3:
        spec = render(p, "split", rng).get("spec", "")
        if spec:
            specs.append({"name": "规格", "value": spec})
    if p.unit != "pc" and rng.random() < 0.5:
        specs.append({"name": "包装", "value": UNIT_LABELS[p.unit][3]})
    return {
        "skuId": rec.extra["id"],
        "skuCode": rec.key,
        "spuCode": "SPU" + rec.key[3:9],
        "skuName": title,
        "subTitle": rng.choice(["", "", "现货速发", "厂家直供", "量大从优", "正品保障"]),
        "brandName": brand,
        "category": {"id": 1000 + list(SHOP_CATS).index(p.cat), "name": SHOP_CATS[p.cat]},
        "barCode": p.barcode if p.barcode and rng.random() < 0.8 else "",
        "unitName": UNIT_LABELS[p.unit][3],
        "specs": specs,
        "price": round(rng.uniform(0.05, 900), 2),
        "stock": rng.randint(0, 5000),
        "status": "DELETED" if rec.deleted else weighted(rng, [("ON_SALE", 8), ("OFF_SHELF", 2)]),
        "createdAt": f"{rec.created.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+08:00",
        "updatedAt": f"{rec.changed.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+08:00",
    }
