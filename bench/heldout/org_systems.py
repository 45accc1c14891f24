"""Customer and supplier source systems: one row builder per export layout.

Customers: SAP ECC KNA1 (shipped profile sap_kna1), SAP S/4HANA business partners over
OData (shipped sap_a_businesspartner), a Chinese CRM (GB18030 CSV, Chinese headers), a
Dynamics 365 account export (XLSX) and a Salesforce Account extract (CSV, UTF-8 with BOM).
Suppliers: SAP ECC LFA1+LFBK+BNKA+LFB1 (shipped sap_lfa1, tab separated), a Chinese SRM's
JSON API, a European procurement suite (CSV with ';'), and the purchasing team's own
supplier register (XLSX).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from bench.heldout import noise
from bench.heldout.companies import Company, format_phone, weighted
from bench.heldout.orgview import (
    Quality,
    cn_full_address,
    cn_tax,
    country_name,
    en_street,
    intl_tax,
    record_address,
    record_contact,
    record_email,
    record_name,
    record_phone,
    record_website,
)
from bench.heldout.vocab import CN_DEPARTMENTS, COUNTRIES


@dataclass
class Rec:
    """One record of an entity in one system."""

    entity: Company
    system: str
    key: str = ""
    dup: int = 0  # 0: the entity's first record in this system; 1..: keyed again
    created: dt.date = dt.date(2020, 1, 1)
    changed: dt.date = dt.date(2020, 1, 1)
    migrated: bool = False
    deleted: bool = False
    extra: dict = field(default_factory=dict)


def ymd(d: dt.date | None) -> str:
    return d.strftime("%Y%m%d") if d else ""


def sap_cut(text: str, n: int = 35) -> str:
    return text[:n]


def sap_split_name(name: str, rng) -> tuple[str, str]:
    """NAME1 holds 35 characters; the rest goes to NAME2, cut where the field ends or at a space."""
    if len(name) <= 35:
        return name, ""
    if rng.random() < 0.5:
        cut = name.rfind(" ", 0, 36)
        if cut > 10:
            return name[:cut], name[cut + 1 :][:35]
    return name[:35], name[35:].lstrip()[:35]


def region_text(a, lang: str, rng) -> str:
    if lang == "zh":
        return rng.choice([a.province, a.province.rstrip("省市"), a.province])
    return a.province_en


def cn_city_text(a, rng, lang="zh") -> str:
    if lang == "en":
        return a.city_en
    return a.city if rng.random() < 0.6 else a.city.rstrip("市")


def street_parts(street: str, country: str) -> tuple[str, str, str]:
    """(street name, house number, rest) as S/4 keeps them."""
    if country == "CN":
        m = re.match(r"^(.*?[路道街])(\d+号)(.*)$", street)
        if m:
            return m.group(1), m.group(2), m.group(3)
        return street, "", ""
    m = re.match(r"^(\D+?)\s+(\d+\s?[a-z]?)$", street)
    if m and country in ("DE", "NL", "SE", "IT"):
        return m.group(1).rstrip(","), m.group(2), ""
    m = re.match(r"^(\d+[a-z]?)[, ]+(.+)$", street)
    if m and country in ("FR", "US", "GB", "AU"):
        return m.group(2), m.group(1), ""
    return street, "", ""


# ---------------------------------------------------------------------------------------
# SAP ECC: KNA1 / LFA1
# ---------------------------------------------------------------------------------------
SAP_QUALITY = Quality(
    clean=0.7,
    heavy=0.05,
    tax_missing=0.1,
    phone_missing=0.05,
    email_missing=1.0,
    contact_missing=1.0,
    invalid_phone=0.01,
    mobile_as_phone=0.05,
    update_lag=0.6,
)
SAP_GOLIVE = dt.date(2011, 7, 4)
SAP_USERS = ["ZHANGL", "WANGXM", "LIUY", "CHENJ", "MDM_BATCH", "HUBERT", "SCHMIDTA", "LIJ01", "ZHAOQ"]


def _sap_tax_cols(c: Company, rec: Rec, rng, q: Quality) -> dict:
    cols = dict.fromkeys(("STCD1", "STCD2", "STCD3", "STCD4", "STCD5", "STCEG"), "")
    if c.country == "CN":
        if rec.migrated and c.org_code and rng.random() < 0.6:
            if rng.random() < 0.7:
                cols["STCD1"] = c.old_tax_reg  # 税务登记证号, 15 characters
            else:
                cols["STCD2"] = c.org_code  # 组织机构代码 XXXXXXXX-X
            if rng.random() < 0.3:
                cols["STCD5"] = c.tax_id  # filled in later, after the 2015 reform
            return cols
        value, kind = cn_tax(c, rng, q, rec.changed, legacy_ok=False)
        if not value:
            return cols
        where = weighted(rng, [("STCD5", 55), ("STCEG", 17), ("STCD3", 12), ("both", 6), ("STCD4", 5)])
        if where == "both":
            cols["STCD5"] = cols["STCEG"] = value
        else:
            cols[where] = value
        return cols
    if rng.random() < q.tax_missing:
        return cols
    cc, ids_ = c.country, c.ids
    vat, _ = intl_tax(c, rng, Quality(tax_missing=0.0), "vat")
    if cc == "DE":
        cols["STCEG"] = vat
        if rng.random() < 0.4:
            cols["STCD1"] = ids_["steuernummer"]
    elif cc == "FR":
        cols["STCEG"] = vat
        cols["STCD1"] = ids_["siret"] if rng.random() < 0.6 else ids_["siren"]
    elif cc == "GB":
        cols["STCEG"] = vat
        if rng.random() < 0.3:
            cols["STCD1"] = ids_["crn"]
    elif cc == "US":
        cols["STCD2"] = c.tax_id  # EIN in tax number 2
    elif cc == "AU":
        cols["STCD1"] = c.tax_id  # ABN
    elif cc == "JP":
        cols["STCD1"] = c.tax_id if rng.random() < 0.6 else ""
        if rng.random() < 0.4:
            cols["STCEG"] = ids_["invoice_no"]  # qualified invoice issuer number (2023)
    elif cc == "IT":
        cols["STCEG"] = vat
        cols["STCD1"] = ids_["codice_fiscale"]
    elif cc == "ES":
        cols["STCD1"] = ids_["nif"]
        cols["STCEG"] = vat if rng.random() < 0.8 else ""
    elif cc == "SE":
        cols["STCEG"] = vat
        cols["STCD2"] = ids_["orgnr"] if rng.random() < 0.5 else ""
    elif cc == "NL":
        cols["STCEG"] = vat
        cols["STCD3"] = ids_["kvk"] if rng.random() < 0.3 else ""
    return cols


def _sap_common(c: Company, rec: Rec, rng, account_group: str) -> dict:
    q = SAP_QUALITY
    lang = "zh" if c.country == "CN" and rng.random() < 0.85 else "local"
    if c.country == "CN" and lang == "local":
        lang = "en"
    if c.country == "JP" and rng.random() < 0.5:
        lang = "en"
    name, name_en = record_name(c, rng, lang, q, rec.changed)
    if rec.migrated and c.country != "CN" and c.country != "JP" and rng.random() < 0.3:
        name = name.upper()  # legacy system keyed everything in capitals
    if rec.dup and rng.random() < 0.5:
        name = rng.choice(["作废-", "不用 ", "*停用*", "(DUP) ", "ZZ ", "DO NOT USE - "]) + name
    n1, n2 = sap_split_name(name, rng)
    n3 = n4 = ""
    if not n2:
        r = rng.random()
        if r < 0.08:
            n2 = (
                rng.choice(CN_DEPARTMENTS)
                if c.country == "CN"
                else rng.choice(
                    [
                        "Abt. Einkauf",
                        "Attn. Accounts Payable",
                        "c/o " + rng.choice(["DB Schenker", "Kuehne + Nagel", "DHL"]),
                        "Werk 2",
                        "Purchasing Dept.",
                    ]
                )
            )
        elif r < 0.12 and c.country == "CN" and c.contacts:
            n2 = f"收件人：{c.contacts[0].name}"
    if c.country in ("CN", "JP") and lang != "en" and rng.random() < 0.25:
        n3, extra = sap_split_name(name_en, rng)
        n4 = extra
    if c.renamed and rec.changed >= c.renamed and c.former_name and rng.random() < 0.3 and not n4:
        n4 = sap_cut(("原名：" if c.country == "CN" else "formerly ") + c.former_name)
    a = record_address(c, rng, q, rec.changed)
    if c.country == "CN":
        street, city, district = a.street, cn_city_text(a, rng), a.district
        if lang == "en":
            street, city, district = a.street_en, a.city_en, a.district_en
    else:
        street, city, district = en_street(a.street, c.country, rng), a.city, a.district
    if c.country == "JP" and lang == "en":
        street, city, district = a.street_en, a.city_en, a.district_en
    sortl = c.parts.get("trade_en") or c.parts.get("trade") or c.short
    sortl = noise.strip_accents(sortl).upper().replace(" ", "")[:10] if rng.random() < 0.7 else c.short[:10]
    phone = record_phone(c, rng, q, rec.changed, "local")[:16]
    fax = format_phone(c.fax, rng, "local")[:31] if c.fax and rng.random() < 0.7 else ""
    row = {
        "MANDT": "800",
        "LAND1": c.country,
        "NAME1": n1,
        "NAME2": n2,
        "NAME3": n3,
        "NAME4": n4,
        "SORTL": sortl,
        "ORT01": city,
        "ORT02": district,
        "PSTLZ": a.postcode if rng.random() > 0.03 else "",
        "REGIO": a.regio if rng.random() > 0.05 else "",
        "STRAS": sap_cut(street),
        "PFACH": "",
        "TELF1": phone,
        "TELF2": "",
        "TELFX": fax,
        "SPRAS": {"CN": "1", "DE": "D", "JP": "J", "FR": "F", "IT": "I", "ES": "S", "NL": "N", "SE": "V"}.get(
            c.country, "E"
        ),
        "BRSCH": c.brsch if rng.random() < 0.7 else "",
        "ERDAT": ymd(rec.created),
        "ERNAM": "SAPMIGR" if rec.migrated else rng.choice(SAP_USERS),
        "LOEVM": "X" if rec.deleted else "",
        "SPERR": "X" if rec.dup and rng.random() < 0.4 else "",
    }
    if c.contacts and rng.random() < 0.15:
        row["TELF2"] = format_phone(c.contacts[0].mobile, rng, "local")[:16]
    row.update(_sap_tax_cols(c, rec, rng, q))
    row["_account_group"] = account_group
    return row


KNA1_COLUMNS = [
    "MANDT",
    "KUNNR",
    "LAND1",
    "NAME1",
    "NAME2",
    "NAME3",
    "NAME4",
    "ANRED",
    "SORTL",
    "ORT01",
    "ORT02",
    "PSTLZ",
    "REGIO",
    "STRAS",
    "PFACH",
    "TELF1",
    "TELF2",
    "TELFX",
    "ADRNR",
    "KTOKD",
    "BRSCH",
    "STCD1",
    "STCD2",
    "STCD3",
    "STCD4",
    "STCD5",
    "STCEG",
    "STKZN",
    "KNURL",
    "SPRAS",
    "ERDAT",
    "ERNAM",
    "LOEVM",
    "SPERR",
    "AUFSD",
    "LIFNR",
]


def kna1_row(c: Company, rec: Rec, rng) -> dict:
    row = _sap_common(c, rec, rng, "")
    row.pop("_account_group")
    row.update(
        {
            "KUNNR": rec.key,
            "ANRED": {"CN": "公司", "DE": "Firma", "FR": "Société", "JP": "会社"}.get(c.country, "Company"),
            "ADRNR": f"{rng.randrange(10**9):010d}",
            "KTOKD": "Z001" if c.country == "CN" else "Z002",
            "STKZN": "",
            "KNURL": record_website(c, rng) if rng.random() < 0.5 else "",
            "AUFSD": "01" if rec.dup and rng.random() < 0.3 else "",
            "LIFNR": rec.extra.get("vendor", ""),
        }
    )
    if c.kind == "cn_sole" or c.kind == "cn_inst":
        row["KTOKD"] = "Z003"
    return {k: row.get(k, "") for k in KNA1_COLUMNS}


LFA1_COLUMNS = [
    "MANDT",
    "LIFNR",
    "LAND1",
    "NAME1",
    "NAME2",
    "NAME3",
    "NAME4",
    "SORTL",
    "ORT01",
    "ORT02",
    "PSTLZ",
    "REGIO",
    "STRAS",
    "PFACH",
    "TELF1",
    "TELF2",
    "TELFX",
    "STCD1",
    "STCD2",
    "STCD3",
    "STCD4",
    "STCD5",
    "STCEG",
    "KTOKK",
    "KUNNR",
    "BRSCH",
    "ERDAT",
    "ERNAM",
    "LOEVM",
    "SPERR",
    "SPERM",
    "BANKS",
    "BANKL",
    "BANKN",
    "BKONT",
    "BKREF",
    "KOINH",
    "BANKA",
    "ZTERM",
]
SAP_ZTERM = [("Z030", 35), ("Z060", 20), ("Z090", 10), ("Z000", 5), ("ZPRE", 5), ("0001", 10), ("Z045", 8), ("ZN30", 7)]


def lfa1_row(c: Company, rec: Rec, rng) -> dict:
    row = _sap_common(c, rec, rng, "")
    row.pop("_account_group")
    b = c.bank
    bankn, bkref = b.get("account", ""), ""
    if len(bankn) > 18:  # LFBK-BANKN holds 18 characters; SAP
        bankn, bkref = bankn[:18], bankn[18:]  # keeps the rest in the reference field
    holder = b.get("holder", c.name)
    if c.renamed and rec.changed < c.renamed:
        holder = c.former_name
    has_bank = rng.random() < 0.88
    row.update(
        {
            "LIFNR": rec.key,
            "KTOKK": "Z001" if c.country == "CN" else "Z002",
            "KUNNR": rec.extra.get("customer", ""),
            "SPERM": "X" if rec.deleted and rng.random() < 0.5 else "",
            "BANKS": b.get("country", "") if has_bank else "",
            "BANKL": b.get("code", "") if has_bank else "",
            "BANKN": bankn if has_bank else "",
            "BKONT": f"{rng.randrange(100):02d}" if has_bank and c.country == "FR" else "",
            "BKREF": bkref if has_bank else "",
            "KOINH": sap_cut(holder, 60) if has_bank else "",
            "BANKA": sap_cut(b.get("name", ""), 60) if has_bank else "",
            "ZTERM": weighted(rng, SAP_ZTERM) if rng.random() < 0.95 else "",
        }
    )
    return {k: row.get(k, "") for k in LFA1_COLUMNS}


# ---------------------------------------------------------------------------------------
# SAP S/4HANA business partner (OData JSON)
# ---------------------------------------------------------------------------------------
S4_QUALITY = Quality(
    clean=0.75,
    heavy=0.04,
    tax_missing=0.08,
    phone_missing=0.06,
    email_missing=0.4,
    contact_missing=1.0,
    invalid_phone=0.01,
    mobile_as_phone=0.05,
    update_lag=0.5,
)
S4_GOLIVE = dt.date(2021, 1, 4)


def odata_date(d: dt.date | None):
    if d is None:
        return None
    return f"/Date({int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() * 1000)})/"


def _s4_taxes(c: Company, rec: Rec, rng) -> list[dict]:
    q = S4_QUALITY
    out = []
    if c.country == "CN":
        if c.old_tax_reg and rng.random() < 0.25:
            out.append(("CN1", c.old_tax_reg))  # kept from the ECC migration
        if rng.random() > q.tax_missing:
            out.append(("CN5", cn_tax(c, rng, Quality(tax_missing=0), rec.changed, legacy_ok=False)[0]))
    elif rng.random() > q.tax_missing:
        cc = c.country
        table = {
            "DE": [("DE0", c.tax_id), ("DE1", c.ids.get("steuernummer"))],
            "FR": [("FR0", c.tax_id), ("FR1", c.ids.get("siren")), ("FR2", c.ids.get("siret"))],
            "GB": [("GB0", c.tax_id)],
            "NL": [("NL0", c.tax_id), ("NL2", c.ids.get("kvk"))],
            "IT": [("IT0", c.tax_id), ("IT1", c.ids.get("codice_fiscale"))],
            "ES": [("ES0", c.tax_id), ("ES1", c.ids.get("nif"))],
            "SE": [("SE0", c.tax_id), ("SE1", c.ids.get("orgnr"))],
            "US": [("US2", c.tax_id)],
            "AU": [("AU1", c.tax_id)],
            "JP": [("JP1", c.tax_id), ("JP2", c.ids.get("invoice_no"))],
        }[cc]
        first = table[0]
        out.append(first)
        for t in table[1:]:
            if rng.random() < 0.5:
                out.append(t)
    return [
        {
            "BusinessPartner": rec.key,
            "BPTaxType": t,
            "BPTaxNumber": v if len(v) <= 20 else "",
            "BPTaxLongNumber": v if len(v) > 20 else "",
            "__metadata": {"type": "API_BUSINESS_PARTNER.A_BusinessPartnerTaxNumberType"},
        }
        for t, v in sorted(out)
        if v
    ]


def s4_bp_row(c: Company, rec: Rec, rng) -> dict:
    q = S4_QUALITY
    lang = (
        "zh"
        if c.country == "CN" and rng.random() < 0.9
        else ("en" if c.country in ("CN", "JP") and rng.random() < 0.5 else "local")
    )
    name, name_en = record_name(c, rng, lang, q, rec.changed)
    n1, n2 = sap_split_name(name, rng)
    n3 = name_en[:40] if c.country in ("CN", "JP") and lang != "en" and rng.random() < 0.3 else ""
    a = record_address(c, rng, q, rec.changed)
    use_en = lang == "en" and c.country in ("CN", "JP")
    street = a.street_en if use_en else a.street
    sname, house, rest = street_parts(street, c.country if not use_en else "XX")
    phone_raw = record_phone(c, rng, q, rec.changed, "local")
    ext = ""
    if "-" in phone_raw and c.country == "CN" and phone_raw.count("-") >= 2:
        phone_raw, ext = phone_raw.rsplit("-", 1)  # the extension has its own field
    phones = []
    if phone_raw:
        phones.append(
            {
                "AddressID": rec.extra["addr_id"],
                "Person": "",
                "OrdinalNumber": "1",
                "DestinationLocationCountry": c.country,
                "IsDefaultPhoneNumber": True,
                "PhoneNumber": phone_raw,
                "PhoneNumberExtension": ext,
                "InternationalPhoneNumber": "",
                "PhoneNumberType": "1",
            }
        )
    email = record_email(c, rng, q)
    emails = (
        [
            {
                "AddressID": rec.extra["addr_id"],
                "OrdinalNumber": "1",
                "IsDefaultEmailAddress": True,
                "EmailAddress": email.strip(),
            }
        ]
        if email
        else []
    )
    changed = rec.changed if rec.changed > rec.created and rng.random() < 0.7 else None
    address = {
        "BusinessPartner": rec.key,
        "AddressID": rec.extra["addr_id"],
        "Country": c.country,
        "Region": a.regio,
        "CityName": a.city_en if use_en else (cn_city_text(a, rng) if c.country == "CN" else a.city),
        "District": a.district_en if use_en else a.district,
        "StreetName": sname,
        "HouseNumber": house,
        "StreetSuffixName": rest.strip(),
        "PostalCode": a.postcode,
        "Language": "ZH" if c.country == "CN" else "EN",
        "AddressTimeZone": "UTC+8" if c.country == "CN" else "CET",
        "to_EmailAddress": {"results": emails},
        "to_PhoneNumber": {"results": phones},
        "to_FaxNumber": {"results": [{"FaxNumber": format_phone(c.fax, rng, "local")}] if c.fax else []},
        "to_URLAddress": {
            "results": [{"WebsiteURL": record_website(c, rng)}] if c.website and rng.random() < 0.5 else []
        },
    }
    return {
        "__metadata": {
            "id": f"https://s4.example.internal/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner('{rec.key}')",
            "type": "API_BUSINESS_PARTNER.A_BusinessPartnerType",
        },
        "BusinessPartner": rec.key,
        "Customer": rec.key,
        "Supplier": "",
        "BusinessPartnerCategory": "2",
        "BusinessPartnerFullName": (n1 + n2)[:81],
        "BusinessPartnerGrouping": "BP02" if c.country == "CN" else "BP03",
        "BusinessPartnerName": (n1 + " " + n2).strip()[:81],
        "OrganizationBPName1": n1,
        "OrganizationBPName2": n2,
        "OrganizationBPName3": n3,
        "OrganizationBPName4": "",
        "SearchTerm1": noise.strip_accents(c.parts.get("trade_en") or c.short).upper()[:20],
        "SearchTerm2": c.short[:20] if rng.random() < 0.3 else "",
        "Language": "ZH" if c.country == "CN" else "EN",
        "LegalForm": "",
        "Industry": "",
        "CreationDate": odata_date(rec.created),
        "CreatedByUser": "CB9980000" + str(rng.randint(10, 99)),
        "LastChangeDate": odata_date(changed),
        "IsMarkedForArchiving": rec.deleted,
        "BusinessPartnerIsBlocked": bool(rec.dup and rng.random() < 0.3),
        "to_BusinessPartnerAddress": {"results": [address]},
        "to_BusinessPartnerTax": {"results": _s4_taxes(c, rec, rng)},
    }


# ---------------------------------------------------------------------------------------
# Chinese CRM (GB18030 CSV)
# ---------------------------------------------------------------------------------------
CRM_CN_QUALITY = Quality(
    clean=0.45,
    heavy=0.15,
    tax_missing=0.35,
    phone_missing=0.08,
    email_missing=0.35,
    contact_missing=0.1,
    invalid_phone=0.04,
    mobile_as_phone=0.25,
    update_lag=0.8,
)
CRM_CN_COLUMNS = [
    "客户编号",
    "客户名称",
    "客户简称",
    "英文名称",
    "客户类型",
    "客户级别",
    "所属行业",
    "税号",
    "国家",
    "省份",
    "城市",
    "区县",
    "详细地址",
    "邮编",
    "公司电话",
    "传真",
    "联系人",
    "联系人手机",
    "联系人邮箱",
    "公司网址",
    "负责人",
    "所属部门",
    "客户状态",
    "创建时间",
    "最后修改时间",
    "备注",
]
CN_SALES = ["张磊", "王芳", "刘洋", "陈静", "李强", "杨帆", "赵敏", "周杰", "孙丽", "吴昊"]


def times(rec: Rec, rng) -> tuple[dt.datetime, dt.datetime]:
    """Creation and change timestamps, the change never before the creation."""
    a = dt.datetime(
        rec.created.year, rec.created.month, rec.created.day, rng.randint(8, 13), rng.randint(0, 59), rng.randint(0, 59)
    )
    b = dt.datetime(
        rec.changed.year, rec.changed.month, rec.changed.day, rng.randint(8, 19), rng.randint(0, 59), rng.randint(0, 59)
    )
    if b < a:
        b = a + dt.timedelta(minutes=rng.randint(1, 300))
    return a, b


def crm_time(t: dt.datetime) -> str:
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"


def crm_cn_row(c: Company, rec: Rec, rng) -> dict:
    q = CRM_CN_QUALITY
    if c.country == "CN":
        name, name_en = record_name(c, rng, "zh" if rng.random() < 0.95 else "en", q, rec.changed, crm=True)
    else:
        name, name_en = record_name(c, rng, "local", q, rec.changed)
    a = record_address(c, rng, q, rec.changed)
    person, contact = record_contact(c, rng, q)
    tax, _ = cn_tax(c, rng, q, rec.created) if c.country == "CN" else intl_tax(c, rng, q)
    if c.country == "CN":
        full = cn_full_address(a, rng) if rng.random() > q.address_missing else ""
        prov, city, district = region_text(a, "zh", rng), cn_city_text(a, rng), a.district
    else:
        full, prov, city, district = a.street, a.province, a.city, ""
    en = ""
    if c.country == "CN" and rng.random() < 0.2:
        en = noise.case(name_en, rng) if rng.random() < 0.2 else name_en
        if rng.random() < 0.08:
            en = noise.fullwidth(en, rng, 0.8)  # typed with a Chinese IME in full-width mode
    level = weighted(rng, [("A", 2), ("B", 4), ("C", 4), ("VIP", 1), ("", 3)])
    t0, t1 = times(rec, rng)
    status = "已作废" if rec.deleted else weighted(rng, [("正常", 6), ("已成交", 3), ("潜在", 1)])
    remark = ""
    if rec.dup:
        remark = rng.choice(["", "", "重复录入", "同" + name[:6], "新业务员建档"])
    return {
        "客户编号": rec.key,
        "客户名称": name,
        "客户简称": c.short if rng.random() < 0.6 else "",
        "英文名称": en,
        "客户类型": weighted(rng, [("企业客户", 6), ("经销商", 2), ("终端客户", 2), ("代理商", 1)]),
        "客户级别": level,
        "所属行业": {
            "MECH": "机械制造",
            "ELEC": "电子电气",
            "TECH": "信息技术",
            "TRAD": "批发零售",
            "LOGI": "交通物流",
            "PHAR": "医药",
            "CHEM": "化工",
            "AUTO": "汽车",
            "FOOD": "食品饮料",
        }.get(c.brsch, "其他")
        if rng.random() < 0.7
        else "",
        "税号": tax,
        "国家": country_name(c.country, rng, "zh") if c.country != "CN" or rng.random() < 0.7 else "",
        "省份": prov,
        "城市": city,
        "区县": district if rng.random() < 0.7 else "",
        "详细地址": full,
        "邮编": a.postcode if rng.random() < 0.35 else "",
        "公司电话": record_phone(c, rng, q, rec.changed, "local"),
        "传真": format_phone(c.fax, rng, "local") if c.fax and rng.random() < 0.5 else "",
        "联系人": contact,
        "联系人手机": person.mobile.number if person and rng.random() < 0.8 else "",
        "联系人邮箱": record_email(c, rng, q, person),
        "公司网址": record_website(c, rng) if rng.random() < 0.4 else "",
        "负责人": rng.choice(CN_SALES),
        "所属部门": rng.choice(["华东销售部", "华北销售部", "华南销售部", "海外事业部", "大客户部"]),
        "客户状态": status,
        "创建时间": crm_time(t0),
        "最后修改时间": crm_time(t1),
        "备注": remark,
    }


# ---------------------------------------------------------------------------------------
# Dynamics 365 account export (XLSX)
# ---------------------------------------------------------------------------------------
DYN_QUALITY = Quality(
    clean=0.5,
    heavy=0.12,
    tax_missing=0.45,
    phone_missing=0.06,
    email_missing=0.25,
    contact_missing=0.15,
    invalid_phone=0.02,
    mobile_as_phone=0.1,
    update_lag=0.75,
)
DYN_COLUMNS = [
    "(Do Not Modify) Account",
    "(Do Not Modify) Row Checksum",
    "(Do Not Modify) Modified On",
    "Account Name",
    "Account Number",
    "Main Phone",
    "Other Phone",
    "Fax",
    "Website",
    "Email",
    "Address 1: Street 1",
    "Address 1: Street 2",
    "Address 1: City",
    "Address 1: State/Province",
    "Address 1: ZIP/Postal Code",
    "Address 1: Country/Region",
    "Primary Contact",
    "Industry",
    "VAT Number",
    "Relationship Type",
    "Owner",
    "Status",
    "Created On",
]
DYN_INDUSTRY = {
    "MECH": "Manufacturing",
    "ELEC": "Electronics",
    "TECH": "Consulting",
    "TRAD": "Wholesale",
    "LOGI": "Transportation",
    "PHAR": "Healthcare",
    "CHEM": "Chemicals",
    "AUTO": "Automotive",
    "FOOD": "Food and Beverage",
}


def guid(rng) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.randrange(4)]}{h[17:20]}-{h[20:32]}"


def dyn_account_row(c: Company, rec: Rec, rng) -> dict:
    q = DYN_QUALITY
    lang = "en" if c.country == "CN" or (c.country == "JP" and rng.random() < 0.8) else "local"
    name, _ = record_name(c, rng, lang, q, rec.changed)
    a = record_address(c, rng, q, rec.changed)
    if c.country in ("CN", "JP"):
        s1, city, prov = a.street_en, a.city_en, a.province_en
        s2 = a.district_en if rng.random() < 0.6 else ""
    else:
        s1, city, prov = en_street(a.street, c.country, rng), a.city if rng.random() < 0.7 else a.city_en, a.province
        s2 = ""
        if "," in s1 and rng.random() < 0.5:
            s1, s2 = [x.strip() for x in s1.split(",", 1)]
    person, contact = record_contact(c, rng, q, latin=True)
    tax, _ = cn_tax(c, rng, q, rec.changed, legacy_ok=False) if c.country == "CN" else intl_tax(c, rng, q)
    modified = dt.datetime(
        rec.changed.year, rec.changed.month, rec.changed.day, rng.randint(6, 20), rng.randint(0, 59), rng.randint(0, 59)
    )
    checksum = base64.b64encode(hashlib.md5(rec.key.encode()).digest()).decode()[:22] + "=="
    return {
        "(Do Not Modify) Account": rec.key,
        "(Do Not Modify) Row Checksum": checksum,
        "(Do Not Modify) Modified On": modified,
        "Account Name": name,
        "Account Number": rec.extra.get("accnum", ""),
        "Main Phone": record_phone(c, rng, q, rec.changed, "intl" if rng.random() < 0.7 else "local"),
        "Other Phone": format_phone(person.mobile, rng, "intl") if person and rng.random() < 0.2 else "",
        "Fax": format_phone(c.fax, rng, "intl") if c.fax and rng.random() < 0.3 else "",
        "Website": record_website(c, rng),
        "Email": record_email(c, rng, q, person),
        "Address 1: Street 1": s1,
        "Address 1: Street 2": s2,
        "Address 1: City": city,
        "Address 1: State/Province": prov if rng.random() < 0.6 else "",
        "Address 1: ZIP/Postal Code": a.postcode if rng.random() < 0.85 else "",
        "Address 1: Country/Region": country_name(c.country, rng),
        "Primary Contact": contact,
        "Industry": DYN_INDUSTRY.get(c.brsch, "") if rng.random() < 0.6 else "",
        "VAT Number": tax,
        "Relationship Type": weighted(rng, [("Customer", 7), ("Prospect", 2), ("Partner", 1)]),
        "Owner": rng.choice(
            ["Anna Weber", "James Miller", "Li Na", "Sophie Martin", "Kenji Sato", "# CRM Integration"]
        ),
        "Status": "Inactive" if rec.deleted else "Active",
        "Created On": dt.datetime(
            rec.created.year, rec.created.month, rec.created.day, rng.randint(6, 20), rng.randint(0, 59)
        ),
    }


# ---------------------------------------------------------------------------------------
# Salesforce Account (Data Loader CSV, UTF-8 with BOM)
# ---------------------------------------------------------------------------------------
SFDC_QUALITY = Quality(
    clean=0.5,
    heavy=0.12,
    tax_missing=0.55,
    phone_missing=0.05,
    email_missing=1.0,
    contact_missing=1.0,
    invalid_phone=0.03,
    mobile_as_phone=0.1,
    update_lag=0.7,
)
SFDC_COLUMNS = [
    "Id",
    "IsDeleted",
    "Name",
    "Local_Name__c",
    "Type",
    "ParentId",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
    "Phone",
    "Fax",
    "Website",
    "Industry",
    "AccountNumber",
    "Tax_ID__c",
    "Description",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
]
_SF_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sfdc_id(rng, prefix="001") -> str:
    body = prefix + "5g00000" + "".join(rng.choice(_SF_CHARS) for _ in range(5))
    suffix = ""
    for i in range(3):
        chunk = body[i * 5 : (i + 1) * 5]
        bits = sum(1 << j for j, ch in enumerate(chunk) if ch.isupper())
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return body + suffix


def sf_time(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sfdc_account_row(c: Company, rec: Rec, rng) -> dict:
    q = SFDC_QUALITY
    lang = "en" if c.country in ("CN", "JP") and rng.random() < 0.75 else ("zh" if c.country == "CN" else "local")
    name, name_en = record_name(c, rng, lang, q, rec.changed)
    local = ""
    if c.country in ("CN", "JP") and lang == "en" and rng.random() < 0.5:
        local = c.name if not (c.renamed and rec.changed < c.renamed) else c.former_name
    a = record_address(c, rng, q, rec.changed)
    if c.country in ("CN", "JP") and (lang == "en" or rng.random() < 0.5):
        street, city, state = a.street_en, a.city_en, a.province_en
        if a.district_en and rng.random() < 0.6:
            street = f"{street}\n{a.district_en}" if rng.random() < 0.5 else f"{street}, {a.district_en}"
    else:
        street, city, state = en_street(a.street, c.country, rng), a.city, a.province
        if c.country == "CN":
            street = a.district + a.street
        if ", " in street and rng.random() < 0.4:
            street = street.replace(", ", "\n", 1)  # two lines in one text area
    tax, _ = cn_tax(c, rng, q, rec.changed, legacy_ok=False) if c.country == "CN" else intl_tax(c, rng, q)
    t0, t1 = times(rec, rng)
    desc = ""
    if rng.random() < 0.1:
        desc = rng.choice(
            [
                "Key account",
                "Migrated from legacy CRM",
                f"Parent: {c.parts.get('trade_en', '')} group",
                "Do not contact before Q3",
                "Duplicate? check with finance",
            ]
        )
    return {
        "Id": rec.key,
        "IsDeleted": "true" if rec.deleted else "false",
        "Name": name,
        "Local_Name__c": local,
        "Type": weighted(rng, [("Customer - Direct", 6), ("Customer - Channel", 2), ("Prospect", 2)]),
        "ParentId": "",
        "BillingStreet": street,
        "BillingCity": city,
        "BillingState": state if rng.random() < 0.7 else "",
        "BillingPostalCode": a.postcode if rng.random() < 0.8 else "",
        "BillingCountry": country_name(c.country, rng),
        "Phone": record_phone(c, rng, q, rec.changed, "intl" if rng.random() < 0.6 else "local"),
        "Fax": format_phone(c.fax, rng, "intl") if c.fax and rng.random() < 0.3 else "",
        "Website": record_website(c, rng),
        "Industry": DYN_INDUSTRY.get(c.brsch, "") if rng.random() < 0.5 else "",
        "AccountNumber": rec.extra.get("accnum", ""),
        "Tax_ID__c": tax,
        "Description": desc,
        "OwnerId": "0055g00000" + rng.choice(["AbCdE", "XyZ12", "QwErT", "LmNoP"]) + "AAA",
        "CreatedDate": sf_time(t0),
        "LastModifiedDate": sf_time(t1),
    }


# ---------------------------------------------------------------------------------------
# Chinese SRM (JSON API)
# ---------------------------------------------------------------------------------------
SRM_QUALITY = Quality(
    clean=0.6,
    heavy=0.08,
    tax_missing=0.08,
    phone_missing=0.05,
    email_missing=0.3,
    contact_missing=0.05,
    invalid_phone=0.02,
    mobile_as_phone=0.3,
    update_lag=0.5,
)
CN_PAY = [
    ("月结30天", 35),
    ("月结60天", 25),
    ("月结90天", 10),
    ("货到付款", 8),
    ("预付款", 8),
    ("票到30天", 7),
    ("款到发货", 7),
]
SUPPLY_CATS = [
    "紧固件",
    "电子元器件",
    "轴承",
    "密封件",
    "电线电缆",
    "阀门",
    "机加工件",
    "劳保用品",
    "化学品",
    "包装材料",
    "办公用品",
    "物流服务",
]


def srm_cn_row(c: Company, rec: Rec, rng) -> dict:
    q = SRM_QUALITY
    if c.country == "CN":
        name, name_en = record_name(c, rng, "zh", q, rec.changed)
        tax, _ = cn_tax(c, rng, q, rec.changed, legacy_ok=False)
    else:
        name, name_en = record_name(c, rng, "local", q, rec.changed)
        tax, _ = intl_tax(c, rng, q)
    a = record_address(c, rng, q, rec.changed)
    person, contact = record_contact(c, rng, q)
    contacts = []
    people = ([person] + [p for p in c.contacts if p is not person]) if person else list(c.contacts)
    for p in people[: rng.choice([1, 1, 2])]:
        contacts.append(
            {
                "name": p.name if c.country == "CN" else p.latin,
                "mobile": p.mobile.number if c.country == "CN" else format_phone(p.mobile, rng, "intl"),
                "email": p.email if rng.random() > q.email_missing else "",
                "position": rng.choice(["销售经理", "业务员", "总经理", "财务", ""]),
                "isPrimary": not contacts,
            }
        )
    if person is not None and contacts:
        contacts[0]["name"] = contact
    b = c.bank
    banks = []
    if b and rng.random() < 0.9:
        acct = b["iban"] or b["account"]
        if c.country == "CN" and rng.random() < 0.3:
            acct = " ".join(acct[i : i + 4] for i in range(0, len(acct), 4))
        banks.append(
            {
                "bankName": b["name"] if rng.random() < 0.6 else b["short"],
                "bankAccount": acct,
                "accountName": c.former_name if c.renamed and rec.changed < c.renamed else c.name,
                "cnapsCode": b["code"] if c.country == "CN" else "",
                "swiftCode": b.get("bic", ""),
                "isDefault": True,
            }
        )
    status = "淘汰" if rec.deleted else weighted(rng, [("合格", 7), ("潜在", 2), ("冻结", 1)])
    t0, t1 = times(rec, rng)
    return {
        "id": rec.extra["id"],
        "supplierCode": rec.key,
        "supplierName": name,
        "supplierShortName": c.short if rng.random() < 0.7 else "",
        "englishName": name_en
        if c.country == "CN" and rng.random() < 0.3
        else ("" if c.country == "CN" else c.name_en),
        "creditCode": tax,
        "legalPerson": c.contacts[0].name if c.contacts and rng.random() < 0.5 else "",
        "registeredCapital": f"{rng.choice([50, 100, 200, 500, 1000, 3000, 5000])}万元人民币"
        if c.country == "CN"
        else "",
        "establishDate": c.created.isoformat() if rng.random() < 0.6 else None,
        "supplierType": weighted(rng, [("生产商", 5), ("贸易商", 3), ("服务商", 1)]),
        "categoryNames": rng.sample(SUPPLY_CATS, rng.choice([1, 1, 2, 3])),
        "status": status,
        "telephone": record_phone(c, rng, q, rec.changed, "local"),
        "address": {
            "country": "中国" if c.country == "CN" else COUNTRIES[c.country]["zh"],
            "province": a.province if c.country == "CN" else a.province,
            "city": a.city,
            "district": a.district,
            "detail": a.street,
        },
        "contacts": contacts,
        "bankAccounts": banks,
        "paymentTerm": weighted(rng, CN_PAY) if rng.random() < 0.9 else "",
        "createTime": t0.strftime("%Y-%m-%d %H:%M:%S"),
        "updateTime": t1.strftime("%Y-%m-%d %H:%M:%S"),
    }


# ---------------------------------------------------------------------------------------
# European procurement suite (CSV, ';', UTF-8 with BOM)
# ---------------------------------------------------------------------------------------
PROC_QUALITY = Quality(
    clean=0.55,
    heavy=0.1,
    tax_missing=0.2,
    phone_missing=0.1,
    email_missing=0.15,
    contact_missing=0.1,
    invalid_phone=0.02,
    mobile_as_phone=0.1,
    update_lag=0.7,
)
PROC_COLUMNS = [
    "Supplier Number",
    "Supplier Name",
    "Display Name",
    "Status",
    "Tax ID",
    "DUNS",
    "Primary Contact",
    "Primary Contact Email",
    "Primary Phone",
    "Address Line 1",
    "Address Line 2",
    "Postal Code",
    "City",
    "State",
    "Country Code",
    "IBAN",
    "BIC",
    "Bank Name",
    "Account Number",
    "Payment Terms",
    "Currency",
    "Last Updated",
]
EN_PAY = [
    ("Net 30", 30),
    ("Net 60", 20),
    ("NET30", 8),
    ("30 days net", 8),
    ("Net 90", 6),
    ("2/10 Net 30", 6),
    ("Prepayment", 6),
    ("Immediate", 4),
    ("Net 45", 6),
    ("60 days end of month", 6),
]


def proc_row(c: Company, rec: Rec, rng) -> dict:
    q = PROC_QUALITY
    lang = "en" if c.country in ("CN", "JP") else "local"
    name, _ = record_name(c, rng, lang, q, rec.changed)
    a = record_address(c, rng, q, rec.changed)
    if c.country in ("CN", "JP"):
        l1, l2, city, state = a.street_en, a.district_en, a.city_en, a.province_en
    else:
        l1, l2, city, state = en_street(a.street, c.country, rng), "", a.city, a.province
    person, contact = record_contact(c, rng, q, latin=True)
    tax, _ = cn_tax(c, rng, q, rec.changed, legacy_ok=False) if c.country == "CN" else intl_tax(c, rng, q, "local")
    b = c.bank
    has_bank = b and rng.random() < 0.85
    iban_v = b.get("iban", "") if has_bank else ""
    if iban_v and rng.random() < 0.5:
        iban_v = " ".join(iban_v[i : i + 4] for i in range(0, len(iban_v), 4))
    return {
        "Supplier Number": rec.key,
        "Supplier Name": name,
        "Display Name": c.short if rng.random() < 0.3 else "",
        "Status": "inactive" if rec.deleted else "active",
        "Tax ID": tax,
        "DUNS": f"{rng.randrange(10**9):09d}" if rng.random() < 0.2 else "",
        "Primary Contact": contact,
        "Primary Contact Email": record_email(c, rng, q, person),
        "Primary Phone": record_phone(c, rng, q, rec.changed, "intl"),
        "Address Line 1": l1,
        "Address Line 2": l2,
        "Postal Code": a.postcode,
        "City": city,
        "State": state if rng.random() < 0.5 else "",
        "Country Code": c.country,
        "IBAN": iban_v,
        "BIC": b.get("bic", "") if has_bank else "",
        "Bank Name": b.get("name", "") if has_bank and c.country != "CN" else (b.get("short", "") if has_bank else ""),
        "Account Number": b.get("account", "") if has_bank and not b.get("iban") else "",
        "Payment Terms": weighted(rng, EN_PAY) if rng.random() < 0.92 else "",
        "Currency": {"CN": "CNY", "US": "USD", "GB": "GBP", "JP": "JPY", "AU": "AUD", "SE": "SEK"}.get(
            c.country, "EUR"
        ),
        "Last Updated": rec.changed.strftime("%d.%m.%Y"),
    }


# ---------------------------------------------------------------------------------------
# Purchasing team's supplier register (XLSX)
# ---------------------------------------------------------------------------------------
REG_QUALITY = Quality(
    clean=0.4,
    heavy=0.2,
    tax_missing=0.25,
    phone_missing=0.05,
    email_missing=0.7,
    contact_missing=0.05,
    invalid_phone=0.05,
    mobile_as_phone=0.45,
    update_lag=0.85,
)
REG_COLUMNS = [
    "序号",
    "供应商编号",
    "供应商全称",
    "简称",
    "税号",
    "开户行",
    "账号",
    "联系人",
    "电话",
    "邮箱",
    "地址",
    "主营产品",
    "合作状态",
    "付款方式",
    "录入日期",
    "备注",
]


def register_row(c: Company, rec: Rec, rng) -> dict:
    q = REG_QUALITY
    if c.country == "CN":
        name, _ = record_name(c, rng, "zh", q, rec.changed, crm="supplier")
        tax, _ = cn_tax(c, rng, q, rec.created)
    else:
        name, _ = record_name(c, rng, "en", q, rec.changed)
        tax, _ = intl_tax(c, rng, q)
    a = record_address(c, rng, q, rec.changed)
    person, contact = record_contact(c, rng, q)
    phone = record_phone(c, rng, q, rec.changed, "local")
    if person and rng.random() < 0.2 and c.country == "CN":
        phone = f"{phone} / {person.mobile.number}" if phone else person.mobile.number
    b = c.bank
    acct = (b.get("iban") or b.get("account", "")) if b and rng.random() < 0.8 else ""
    if acct and rng.random() < 0.3:
        acct = " ".join(acct[i : i + 4] for i in range(0, len(acct), 4))
    elif acct.isdigit() and rng.random() < 0.15:
        acct = int(acct) if len(acct) <= 15 else float(acct)  # typed into a number cell: Excel keeps 15 digits
    if phone.isdigit() and len(phone) == 11 and rng.random() < 0.3:
        phone = int(phone)  # a mobile number in a number cell
    return {
        "序号": rec.extra["row"],
        "供应商编号": rec.key,
        "供应商全称": name,
        "简称": c.short if rng.random() < 0.4 else "",
        "税号": tax,
        "开户行": (b.get("short") or "") if acct else "",
        "账号": acct,
        "联系人": contact,
        "电话": phone,
        "邮箱": record_email(c, rng, q, person),
        "地址": cn_full_address(a, rng, 0.3) if c.country == "CN" else f"{a.street}, {a.postcode} {a.city}",
        "主营产品": "、".join(rng.sample(SUPPLY_CATS, rng.choice([1, 2]))),
        "合作状态": "已停止合作" if rec.deleted else "合作中",
        "付款方式": weighted(rng, CN_PAY) if rng.random() < 0.8 else "",
        "录入日期": dt.datetime(rec.created.year, rec.created.month, rec.created.day),
        "备注": rng.choice(["", "", "", "年度评审A", "需补资质", "独家供应", "价格偏高"]),
    }
