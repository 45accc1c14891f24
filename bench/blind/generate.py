"""Write a blind benchmark folder: CRM/ERP/procurement exports of customers, suppliers and
products, their profiles, a manifest and the ground truth.

    python -m bench.blind.generate --seed 1 --out /tmp/blind-1 [--customers N] [--suppliers N] [--products N]

The sizes are approximate record counts per domain. Deterministic per seed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

import openpyxl
import yaml

from bench.blind import companies as co
from bench.blind import products as pr

CATS = ["FAST", "BEAR", "ELEC", "CABL", "VALV", "MOTR", "OFFC", "CHEM"]
ODOO_CAT = {
    "FAST": "All / Purchase / Fasteners",
    "BEAR": "All / Purchase / Bearings",
    "ELEC": "All / Purchase / Electronic Components",
    "CABL": "All / Purchase / Cables & Wires",
    "VALV": "All / Purchase / Valves",
    "MOTR": "All / Purchase / Motors & Drives",
    "OFFC": "All / Expenses / Office Supplies",
    "CHEM": "All / Purchase / Chemicals & Paints",
}
KIS_CAT = {
    "FAST": "紧固件",
    "BEAR": "轴承",
    "ELEC": "电子元器件",
    "CABL": "电线电缆",
    "VALV": "阀门管件",
    "MOTR": "电机",
    "OFFC": "办公用品",
    "CHEM": "化工辅料",
}
SAP_CAT = {
    "FAST": "Z110",
    "BEAR": "Z120",
    "ELEC": "Z310",
    "CABL": "Z320",
    "VALV": "Z130",
    "MOTR": "Z330",
    "OFFC": "Z900",
    "CHEM": "Z410",
}
UNSPSC = {
    "FAST": "31161500",
    "BEAR": "31171500",
    "ELEC": "32121500",
    "CABL": "26121600",
    "VALV": "40141600",
    "MOTR": "26101100",
    "OFFC": "44120000",
    "CHEM": "12352100",
}
CN_PAY = {"NT30": "月结30天", "NT60": "月结60天", "NT90": "月结90天", "PREPAID": "预付款", "COD": "货到付款"}
SAP_PAY = {"NT30": "Z030", "NT60": "Z060", "NT90": "Z090", "PREPAID": "Z000", "COD": "0001"}
COUPA_PAY = {"NT30": "Net 30", "NT60": "Net 60", "NT90": "Net 90", "PREPAID": "Prepayment", "COD": "Cash on delivery"}
BANKS = [
    ("中国工商银行", "ICBC"),
    ("中国建设银行", "China Construction Bank"),
    ("招商银行", "China Merchants Bank"),
    ("中国银行", "Bank of China"),
]
FOREIGN_BANKS = {
    "DE": "Deutsche Bank",
    "US": "JPMorgan Chase",
    "JP": "MUFG Bank",
    "GB": "HSBC UK",
    "FR": "BNP Paribas",
    "IT": "UniCredit",
    "KR": "Shinhan Bank",
    "SG": "DBS Bank",
    "NL": "ABN AMRO",
    "IN": "HDFC Bank",
}


def stamp(rng: random.Random) -> dt.datetime:
    return dt.datetime(2019, 1, 1) + dt.timedelta(minutes=rng.randrange(0, 6 * 365 * 24 * 60))


def pick_systems(rng, weights: dict[str, float]) -> list[str]:
    chosen = [s for s, w in weights.items() if rng.random() < w]
    return chosen or [rng.choice(list(weights))]


class Out:
    """Collects the rows of each file and the ground truth."""

    def __init__(self, base: Path):
        self.base = base
        self.truth: list[tuple] = []
        self.files: list[dict] = []

    def add_truth(self, domain, system, key, entity, deleted):
        self.truth.append((domain, system, str(key), entity, int(deleted)))

    def csv(self, domain, system, name, header, rows, encoding, delimiter, profile, system_name):
        path = self.base / domain / f"{system}_{domain}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding=encoding, newline="") as f:
            w = csv.writer(f, delimiter=delimiter)
            w.writerow(header)
            for r in rows:
                w.writerow([r.get(h, "") for h in header])
        self._file(path, domain, system, system_name, "csv", rows, profile, encoding=encoding, delimiter=delimiter)

    def xlsx(self, domain, system, header, rows, profile, system_name):
        path = self.base / domain / f"{system}_{domain}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Sheet1")
        ws.append(header)
        for r in rows:
            ws.append([r.get(h, "") for h in header])
        wb.save(path)
        self._file(path, domain, system, system_name, "xlsx", rows, profile)

    def json(self, domain, system, doc, rows, profile, system_name):
        path = self.base / domain / f"{system}_{domain}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        self._file(path, domain, system, system_name, "json", rows, profile)

    def _file(self, path, domain, system, system_name, fmt, rows, profile, **extra):
        pdir = self.base / "profiles"
        pdir.mkdir(parents=True, exist_ok=True)
        (pdir / f"{profile['name']}.yaml").write_text(
            yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        entry = {
            "path": str(path.relative_to(self.base)),
            "domain": domain,
            "system": system,
            "system_name": system_name,
            "format": fmt,
        }
        entry.update(extra)
        entry.update(profile=f"profiles/{profile['name']}.yaml", records=len(rows))
        self.files.append(entry)


def duplicate_count(rng, n, share=0.03):
    return [rng.random() < share for _ in range(n)]


# ================================================================== products
def gen_products(out: Out, n_records: int, rng: random.Random):
    weights = {"odoo": 0.55, "kis": 0.6, "sap": 0.45, "ariba": 0.35}
    entities = pr.make_entities(max(10, round(n_records / 2.0)), rng)
    rows = {s: [] for s in weights}
    counters = dict.fromkeys(weights, 0)
    for i, e in enumerate(entities):
        eid = f"P{i:06d}"
        e["ean"] = pr.ean13(rng) if e["family"] in ("OFFC", "CHEM") and rng.random() < 0.7 else ""
        e["kg"] = (
            round(rng.uniform(0.001, 30), 3)
            if e["family"] in ("MOTR", "VALV", "CHEM")
            else round(rng.uniform(0.0001, 0.5), 4)
        )
        for s in pick_systems(rng, weights):
            for copy in range(2 if rng.random() < 0.03 else 1):
                counters[s] += 1
                rows[s].append(product_row(s, e, eid, counters[s], copy, rng))
    for s, rs in rows.items():
        rng.shuffle(rs)
        for r in rs:
            out.add_truth("product", s, r["_key"], r["_entity"], r["_deleted"])
    write_products(out, rows)


def product_row(system, e, eid, n, copy, rng):
    v = pr.render(e, system, rng)
    level = 0.12 + 0.1 * copy
    deleted = rng.random() < 0.02
    when = stamp(rng)
    if system == "odoo":
        key = f"__export__.product_template_{1000 + n}_{rng.getrandbits(24):06x}"
        return {
            "_key": key,
            "_entity": eid,
            "_deleted": deleted,
            "ID": key,
            "Internal Reference": f"MRO-{n:05d}" if rng.random() < 0.4 else "",
            "Name": pr.noisy(v["name"], rng, level),
            "Product Category": ODOO_CAT[e["family"]] if rng.random() < 0.85 else "All",
            "Unit of Measure": v["unit"],
            "Barcode": e["ean"] if rng.random() < 0.5 else "",
            "Brand": v.get("brand", ""),
            "Weight": e["kg"] if rng.random() < 0.4 else "",
            "Sales Price": round(rng.uniform(0.01, 900), 2),
            "Active": "False" if deleted else "True",
            "Last Updated on": when.strftime("%Y-%m-%d %H:%M:%S"),
            "Responsible": rng.choice(["Mitchell Admin", "Marc Demo", ""]),
        }
    if system == "kis":
        key = f"{CATS.index(e['family']) + 1:02d}.{rng.randint(1, 9):02d}.{n:05d}"
        name, spec = v["name"], v.get("spec", "")
        return {
            "_key": key,
            "_entity": eid,
            "_deleted": deleted,
            "代码": key,
            "名称": pr.noisy(name, rng, level),
            "规格型号": pr.noisy(spec, rng, level),
            "计量单位": v["unit"],
            "品牌": v.get("brand", ""),
            "物料类别": KIS_CAT[e["family"]] if rng.random() < 0.95 else "",
            "备注": rng.choice(["", "", "", "常用件", "替代料见备注", "停产待确认"]),
            "创建人": rng.choice(["王芳", "admin", "李强"]),
            "禁用": "是" if deleted else "否",
            "最后修改日期": f"{when.year}/{when.month}/{when.day}",
            "安全库存": rng.choice(["", "0", "100", "500"]),
        }
    if system == "sap":
        key = f"{10000000 + n * 7:018d}" if rng.random() < 0.8 else f"{10000000 + n * 7}"
        return {
            "_key": key,
            "_entity": eid,
            "_deleted": deleted,
            "MATNR": key,
            "MAKTX": pr.noisy(v["name"], rng, level / 2)[:40],
            "MEINS": v["unit"],
            "MATKL": SAP_CAT[e["family"]],
            "GROES": v.get("groes", ""),
            "MFRPN": v.get("mfrpn", "") if rng.random() < 0.7 else "",
            "EAN11": e["ean"] if rng.random() < 0.2 else "",
            "NTGEW": e["kg"] if rng.random() < 0.6 else "",
            "GEWEI": "KG",
            "LVORM": "X" if deleted else "",
            "LAEDA": when.strftime("%Y%m%d"),
            "ERNAM": rng.choice(["MMUELLER", "JSCHMIDT", "BATCH01"]),
            "MTART": "ERSA",
        }
    key = f"CI-{200000 + n}"
    return {
        "_key": key,
        "_entity": eid,
        "_deleted": deleted,
        "ItemId": key,
        "Description": pr.noisy(v["name"], rng, level),
        "ManufacturerName": v.get("manufacturer", "") if rng.random() < 0.8 else "",
        "ManufacturerPartId": v.get("mpn", ""),
        "UnitOfMeasure": v["unit"],
        "UNSPSC": UNSPSC[e["family"]] if rng.random() < 0.8 else "",
        "GTIN": e["ean"] if rng.random() < 0.4 else "",
        "Status": "Inactive" if deleted else "Active",
        "LastModified": when.strftime("%m/%d/%Y"),
        "Price": {"Amount": round(rng.uniform(0.01, 900), 2), "Currency": rng.choice(["USD", "EUR", "CNY"])},
        "LeadTimeDays": rng.randint(1, 60),
    }


def write_products(out: Out, rows):
    strip = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows["odoo"]]
    out.csv(
        "product",
        "odoo",
        None,
        list(strip[0]),
        strip,
        "utf-8",
        ",",
        {
            "name": "blind_odoo_product",
            "description": "Odoo product templates exported with the export dialog (labels as headers).",
            "domain": "product",
            "csv_delimiter": ",",
            "key": "ID",
            "deleted": {"field": "Active", "equals": "False"},
            "fields": {
                "name": "Name",
                "unit": "Unit of Measure",
                "category": {"field": "Product Category", "map": {v: k for k, v in ODOO_CAT.items()}},
                "brand": "Brand",
                "barcode": "Barcode",
                "weight_kg": "Weight",
                "changed_at": {"field": "Last Updated on", "date_format": "%Y-%m-%d %H:%M:%S"},
            },
        },
        "Odoo Inventory",
    )
    strip = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows["kis"]]
    out.csv(
        "product",
        "kis",
        None,
        list(strip[0]),
        strip,
        "gb18030",
        ",",
        {
            "name": "blind_kis_material",
            "description": "金蝶KIS-style 物料 list, GB18030 CSV with Chinese headers.",
            "domain": "product",
            "csv_delimiter": ",",
            "key": "代码",
            "deleted": {"field": "禁用", "equals": "是"},
            "fields": {
                "name": "名称",
                "spec": "规格型号",
                "unit": "计量单位",
                "brand": "品牌",
                "category": {"field": "物料类别", "map": {v: k for k, v in KIS_CAT.items()}},
                "changed_at": {"field": "最后修改日期", "date_format": "%Y/%m/%d"},
            },
        },
        "金蝶KIS",
    )
    strip = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows["sap"]]
    out.xlsx(
        "product",
        "sap",
        list(strip[0]),
        strip,
        {
            "name": "blind_sap_material",
            "description": "SAP MARA+MAKT (EN) spreadsheet export, spec mostly inside MAKTX.",
            "domain": "product",
            "key": "MATNR",
            "deleted": {"field": "LVORM", "equals": "X"},
            "fields": {
                "name": "MAKTX",
                "spec": ["GROES", "MFRPN"],
                "unit": "MEINS",
                "category": {"field": "MATKL", "map": {v: k for k, v in SAP_CAT.items()}},
                "barcode": "EAN11",
                "weight_kg": "NTGEW",
                "changed_at": {"field": "LAEDA", "date_format": "%Y%m%d"},
            },
        },
        "SAP ECC material master",
    )
    strip = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows["ariba"]]
    out.json(
        "product",
        "ariba",
        {"catalog": {"version": "2.1", "items": strip}},
        strip,
        {
            "name": "blind_ariba_catalog",
            "description": "Procurement catalog items (JSON), UNSPSC classification.",
            "domain": "product",
            "records": "catalog.items",
            "key": "ItemId",
            "deleted": {"field": "Status", "equals": "Inactive"},
            "fields": {
                "name": "Description",
                "brand": "ManufacturerName",
                "spec": "ManufacturerPartId",
                "unit": "UnitOfMeasure",
                "category": {"field": "UNSPSC", "map": {v: k for k, v in UNSPSC.items()}},
                "barcode": "GTIN",
                "changed_at": {"field": "LastModified", "date_format": "%m/%d/%Y"},
            },
        },
        "Procurement catalog",
    )


# ================================================================== customers and suppliers
def company_names(e, rng, system, copy):
    """(name, short name, English name) as this system's users typed them."""
    if e["country"] != "CN":
        name = co.foreign_name_variant(e, rng)
        return name, e["name"] if rng.random() < 0.5 else "", name if system in ("k3",) and rng.random() < 0.4 else ""
    r = rng.random() - 0.1 * copy
    english = system in ("hubspot",) and rng.random() < 0.65 or system in ("sap", "coupa") and rng.random() < 0.2
    if english:
        name = co.en_name(e, rng)
        if rng.random() < 0.1:
            name = name.upper()
    elif r < 0.08:
        name = co.cn_name(e, rng, "nocity")
    elif r < 0.15:
        name = co.cn_name(e, rng, "nolegal")
    elif r < 0.2:
        name = co.cn_name(e, rng, "paren")
    elif r < 0.26:
        name = co.typo(co.cn_name(e, rng), rng)
    else:
        name = co.cn_name(e, rng)
    short = co.cn_name(e, rng, "short") if rng.random() < 0.6 else ""
    en = co.en_name(e, rng) if rng.random() < 0.3 else ""
    return name, short, en


def addr(e, rng, lang):
    if e["country"] == "CN":
        city, prov = e["city"][0], e["city"][1]
        street = e["street"]
        if e["branch"]:
            city, prov = e["branch"][0], e["branch"][1]
        if lang == "en":
            return (
                f"No.{''.join(c for c in street if c.isdigit())}, {e['city'][4]}",
                (e["branch"] or e["city"])[4],
                "",
                (e["branch"] or e["city"])[3],
            )
        full = rng.random() < 0.4
        return (
            (f"{prov}{city}市{street}" if full else street),
            city + ("市" if rng.random() < 0.3 else ""),
            prov,
            (e["branch"] or e["city"])[3],
        )
    city = e["city"]
    return e["street"], city[0], city[1], city[3] + co.digits(rng, 5 - len(city[3])) if city[3] else ""


def company_row(domain, system, e, eid, n, copy, rng):
    name, short, en = company_names(e, rng, system, copy)
    deleted = rng.random() < 0.02 and system != "hubspot"  # a CRM export leaves deleted companies out
    when = stamp(rng)
    has_tax = rng.random() < {"hubspot": 0.15, "k3": 0.7, "sap": 0.6, "coupa": 0.75}[system] - 0.2 * copy
    tax = e["tax"] if has_tax else ""
    if tax and rng.random() < 0.05:
        tax = tax.lower() if rng.random() < 0.5 else " ".join(tax[i : i + 4] for i in range(0, len(tax), 4))
    ph = co.phone(e, rng, system) if rng.random() < 0.8 else ""
    street, city, prov, post = addr(
        e, rng, "en" if system in ("hubspot", "coupa", "sap") and e["country"] == "CN" and rng.random() < 0.5 else "cn"
    )
    if rng.random() < 0.12:
        street = ""
    country = e["country"]
    pay = e.setdefault("pay", rng.choice(list(CN_PAY)))
    bank = e.setdefault(
        "bank",
        (rng.choice(BANKS), co.digits(rng, 19))
        if country == "CN"
        else ((FOREIGN_BANKS[country],) * 2, co.iban(rng, country)),
    )
    base = {"_entity": eid, "_deleted": deleted}
    if system == "hubspot":
        key = str(5000000000 + n * 37 + rng.randint(0, 30))
        return {
            **base,
            "_key": key,
            "Record ID": key,
            "Company name": name,
            "Company Domain Name": e["domain"] if rng.random() < 0.7 else "",
            "Phone Number": ph,
            "Street Address": street,
            "City": city if not city.endswith("市") else city[:-1],
            "State/Region": prov,
            "Postal Code": post if rng.random() < 0.6 else "",
            "Country/Region": rng.choice([co.FOREIGN[country]["en"], country])
            if country != "CN"
            else rng.choice(["China", "China", "CN", ""]),
            "Industry": rng.choice(["MACHINERY", "ELECTRICAL_ELECTRONIC_MANUFACTURING", "WHOLESALE", ""]),
            "VAT Number": tax,
            "Create Date": when.strftime("%Y-%m-%d %H:%M"),
            "Last Activity Date": "",
            "Lifecycle Stage": rng.choice(["customer", "opportunity", "lead"]),
            "Company owner": rng.choice(["Lisa Wang", "Tom Becker", ""]),
            "Number of Employees": rng.choice(["", "50", "200", "1000"]),
            "Annual Revenue": "",
        }
    if system == "k3":
        prefix = "C" if domain == "customer" else "V"
        key = f"{prefix}{n:06d}" if rng.random() < 0.9 else f"{prefix}.{n:06d}"
        row = {
            **base,
            "_key": key,
            "编码": key,
            "名称": name,
            "简称": short,
            "英文名称": en,
            "税号": tax,
            "联系电话": ph,
            "手机": (e.get("mobile") or "") if rng.random() < 0.3 else "",
            "地址": street,
            "城市": city,
            "省份": prov,
            "国家": co.FOREIGN[country]["cn"] if country != "CN" else rng.choice(["中国", "中国", ""]),
            "联系人": e["contact"] if rng.random() < 0.6 else "",
            "禁用状态": "是" if deleted else "否",
            "修改日期": f"{when.year}/{when.month}/{when.day}",
            "业务员": rng.choice(["刘洋", "陈静", ""]),
            "信用额度": rng.choice(["", "100000", "500000"]),
        }
        if domain == "supplier":
            row.update(
                {
                    "开户银行": (bank[0][0] + (e["city"][0] + "分行" if country == "CN" and rng.random() < 0.5 else ""))
                    if rng.random() < 0.7
                    else "",
                    "银行账号": (
                        bank[1]
                        if rng.random() < 0.8
                        else " ".join(bank[1][i : i + 4] for i in range(0, len(bank[1]), 4))
                    )
                    if rng.random() < 0.7
                    else "",
                    "付款条件": CN_PAY[pay] if rng.random() < 0.8 else "",
                }
            )
        return row
    if system == "sap":
        key = f"{(1000000 if domain == 'customer' else 2000000) + n * 3:010d}"
        name1, name2 = name, ""
        if len(name) > 35:
            cut = name.rfind(" ", 0, 35)
            cut = cut if cut > 10 else 35
            name1, name2 = name[:cut].rstrip(), name[cut:].strip()
        vat = tax if country not in ("CN", "US", "JP", "KR", "SG", "IN") else ""
        row = {
            **base,
            "_key": key,
            ("KUNNR" if domain == "customer" else "LIFNR"): key,
            "NAME1": name1,
            "NAME2": name2,
            "SORTL": (short or name)[:10].upper(),
            "STRAS": street,
            "ORT01": city,
            "PSTLZ": post,
            "LAND1": country,
            "REGIO": rng.choice(["", "10", "020", "BW", "IL"]) if rng.random() < 0.5 else "",
            "TELF1": ph[:16],
            "STCEG": vat,
            "STCD5": "" if vat else tax,
            "LOEVM": "X" if deleted else "",
            "ERDAT": when.strftime("%Y%m%d"),
            "KTOKD": "Z001",
        }
        if domain == "supplier":
            row.update(
                {
                    "BANKS": country,
                    "BANKN": (bank[1][-10:] if country in ("DE", "FR", "IT", "NL", "GB") else bank[1])
                    if rng.random() < 0.6
                    else "",
                    "ZTERM": SAP_PAY[pay],
                    "SPERR": "",
                }
            )
        return row
    key = 10000 + n
    return {
        **base,
        "_key": str(key),
        "id": key,
        "name": name,
        "display-name": short or name,
        "number": f"S-{key}",
        "tax-id": tax,
        "status": "inactive" if deleted else "active",
        "created-at": when.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "primary-address": {
            "street1": street,
            "city": city,
            "state": prov,
            "postal-code": post,
            "country": {"code": country},
        },
        "primary-contact": {
            "name-given": e["contact"],
            "phone-work": {"number": ph} if ph else None,
            "email": f"sales@{e['domain']}" if rng.random() < 0.5 else "",
        },
        "payment-term": {"code": COUPA_PAY[pay]} if rng.random() < 0.85 else None,
        "remit-to": [{"bank-name": bank[0][1], "bank-account-number": bank[1]}] if rng.random() < 0.5 else [],
        "commodity": {"name": rng.choice(["MRO", "Electronics", "Logistics", "Packaging"])},
        "on-hold": False,
    }


def gen_companies(out: Out, domain: str, n_records: int, rng: random.Random):
    systems = {
        "customer": {"hubspot": 0.55, "k3": 0.65, "sap": 0.45},
        "supplier": {"k3": 0.65, "sap": 0.5, "coupa": 0.45},
    }[domain]
    entities = co.make_entities(max(10, round(n_records / 1.72)), rng)
    rows = {s: [] for s in systems}
    counters = dict.fromkeys(systems, 0)
    for i, e in enumerate(entities):
        eid = f"{domain[0].upper()}{i:06d}"
        weights = dict(systems)
        if e["country"] != "CN" and "k3" in weights:
            weights["k3"] = 0.35
        for s in pick_systems(rng, weights):
            for copy in range(2 if rng.random() < 0.035 else 1):
                counters[s] += 1
                rows[s].append(company_row(domain, s, e, eid, counters[s], copy, rng))
    for s, rs in rows.items():
        rng.shuffle(rs)
        for r in rs:
            out.add_truth(domain, s, r["_key"], r["_entity"], r["_deleted"])
    write_companies(out, domain, rows)


COUNTRY_EN = {v["en"]: k for k, v in co.FOREIGN.items()} | {"China": "CN"}
COUNTRY_CN = {v["cn"]: k for k, v in co.FOREIGN.items()} | {"中国": "CN"}


def write_companies(out: Out, domain: str, rows):
    strip = lambda rs: [{k: v for k, v in r.items() if not k.startswith("_")} for r in rs]  # noqa: E731
    if "hubspot" in rows:
        rs = strip(rows["hubspot"])
        out.csv(
            domain,
            "hubspot",
            None,
            list(rs[0]),
            rs,
            "utf-8-sig",
            ",",
            {
                "name": f"blind_hubspot_{domain}",
                "description": "HubSpot companies export (CSV, property labels as headers).",
                "domain": domain,
                "csv_delimiter": ",",
                "key": "Record ID",
                "fields": {
                    "name": "Company name",
                    "website": "Company Domain Name",
                    "phone": "Phone Number",
                    "address": "Street Address",
                    "city": "City",
                    "province": "State/Region",
                    "postcode": "Postal Code",
                    "country": {"field": "Country/Region", "map": COUNTRY_EN},
                    "industry": "Industry",
                    "tax_id": "VAT Number",
                    "changed_at": {"field": "Create Date", "date_format": "%Y-%m-%d %H:%M"},
                },
            },
            "HubSpot CRM",
        )
    rs = strip(rows["k3"])
    header = list(dict.fromkeys(k for r in rs[:50] for k in r))
    fields = {
        "name": "名称",
        "short_name": "简称",
        "name_en": "英文名称",
        "tax_id": "税号",
        "phone": "联系电话",
        "address": "地址",
        "city": "城市",
        "province": "省份",
        "country": {"field": "国家", "map": COUNTRY_CN},
        "contact": "联系人",
        "changed_at": {"field": "修改日期", "date_format": "%Y/%m/%d"},
    }
    if domain == "supplier":
        fields.update(
            bank_name="开户银行",
            bank_account="银行账号",
            payment_terms={"field": "付款条件", "map": {v: k for k, v in CN_PAY.items()}},
        )
    out.csv(
        domain,
        "k3",
        None,
        header,
        rs,
        "gb18030",
        ",",
        {
            "name": f"blind_k3_{domain}",
            "description": "Chinese ERP list export (GB18030 CSV, Chinese headers).",
            "domain": domain,
            "csv_delimiter": ",",
            "key": "编码",
            "deleted": {"field": "禁用状态", "equals": "是"},
            "fields": fields,
        },
        "金蝶K/3 WISE",
    )
    rs = strip(rows["sap"])
    header = list(dict.fromkeys(k for r in rs[:50] for k in r))
    fields = {
        "name": ["NAME1", "NAME2"],
        "address": "STRAS",
        "city": "ORT01",
        "postcode": "PSTLZ",
        "country": "LAND1",
        "phone": "TELF1",
        "tax_id": ["STCEG", "STCD5"],
        "changed_at": {"field": "ERDAT", "date_format": "%Y%m%d"},
    }
    if domain == "supplier":
        fields.update(bank_account="BANKN", payment_terms={"field": "ZTERM", "map": {v: k for k, v in SAP_PAY.items()}})
    out.xlsx(
        domain,
        "sap",
        header,
        rs,
        {
            "name": f"blind_sap_{domain}",
            "description": "SAP KNA1/LFA1 spreadsheet export.",
            "domain": domain,
            "key": "KUNNR" if domain == "customer" else "LIFNR",
            "deleted": {"field": "LOEVM", "equals": "X"},
            "fields": fields,
        },
        "SAP ECC",
    )
    if "coupa" in rows:
        rs = strip(rows["coupa"])
        out.json(
            domain,
            "coupa",
            {"suppliers": rs},
            rs,
            {
                "name": f"blind_coupa_{domain}",
                "description": "Procurement suite suppliers API answer (JSON, nested).",
                "domain": domain,
                "records": "suppliers",
                "key": "id",
                "deleted": {"field": "status", "equals": "inactive"},
                "fields": {
                    "name": "name",
                    "short_name": "display-name",
                    "tax_id": "tax-id",
                    "address": "primary-address.street1",
                    "city": "primary-address.city",
                    "province": "primary-address.state",
                    "postcode": "primary-address.postal-code",
                    "country": "primary-address.country.code",
                    "phone": "primary-contact.phone-work.number",
                    "email": "primary-contact.email",
                    "contact": "primary-contact.name-given",
                    "payment_terms": {"field": "payment-term.code", "map": {v: k for k, v in COUPA_PAY.items()}},
                    "bank_name": "remit-to.0.bank-name",
                    "bank_account": "remit-to.0.bank-account-number",
                    "changed_at": "created-at",
                },
            },
            "Procurement suite",
        )


def generate(seed: int, out_dir: Path, customers: int = 6500, suppliers: int = 5500, products: int = 7000) -> Path:
    out = Out(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gen_companies(out, "customer", customers, random.Random(f"{seed}-customer"))
    gen_companies(out, "supplier", suppliers, random.Random(f"{seed}-supplier"))
    gen_products(out, products, random.Random(f"{seed}-product"))
    (out_dir / "manifest.yaml").write_text(
        yaml.safe_dump(
            {"seed": seed, "generator": "bench.blind", "files": out.files}, allow_unicode=True, sort_keys=False
        ),
        encoding="utf-8",
    )
    with (out_dir / "ground_truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["domain", "system", "source_key", "entity_id", "deleted"])
        w.writerows(out.truth)
    return out_dir


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--customers", type=int, default=6500)
    ap.add_argument("--suppliers", type=int, default=5500)
    ap.add_argument("--products", type=int, default=7000)
    ap.add_argument("--final", action="store_true", help="allow the held-out seeds (100 and more)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.seed >= 100 and not a.final:
        ap.error("seeds of 100 and more are held out: pass --final to use one")
    generate(a.seed, a.out, a.customers, a.suppliers, a.products)
    if not a.quiet:
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
