"""How one source system sees a company: which name it keeps (Chinese or English, the one
before the rename, a short name), how its people typed it, which phone, which tax id in
which shape, which address (before or after the move), which contact.

`snapshot()` returns a plain dict of facts for one record; the system modules lay those
facts out in their own columns.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bench.heldout import noise
from bench.heldout.companies import Company, Phone, format_phone, weighted
from bench.heldout.vocab import CN_DEPARTMENTS, CN_LEGAL, COUNTRIES


@dataclass
class Quality:
    """How carefully a system's users key data (probabilities per record)."""

    clean: float = 0.55  # no name noise at all
    heavy: float = 0.1  # 2-3 name changes instead of 1
    tax_missing: float = 0.1
    phone_missing: float = 0.05
    email_missing: float = 0.2
    address_missing: float = 0.03
    contact_missing: float = 0.2
    invalid_phone: float = 0.02
    mobile_as_phone: float = 0.1
    update_lag: float = 0.7  # a record older than a rename/move keeps the old value


# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------
def zh_name(c: Company, rng: random.Random, ops: int, base: str | None = None, crm: bool | str = False) -> str:
    name = base or c.name
    p = c.parts
    for _ in range(ops):
        kinds = [
            ("noregion", 14),
            ("lf", 14),
            ("bracket", 8),
            ("homophone", 16),
            ("space", 8),
            ("short", 7),
            ("addregion", 4),
            ("fullwidth", 4),
        ]
        if crm:
            kinds += [("remark", 8)]
        remarks = (
            ["（老供应商）", "(备用)", "-已签框架", "（原厂）", "(新)"]
            if crm == "supplier"
            else [
                "(新)",
                "（老客户）",
                "（重复）",
                f"（{rng.choice(CN_DEPARTMENTS)}）",
                f"-{rng.choice(CN_DEPARTMENTS)}",
            ]
        )
        k = weighted(rng, kinds)
        if k == "noregion":
            for pre in (p.get("city", "") + "市", p.get("city", ""), p.get("prov", "")):
                if pre and name.startswith(pre) and len(name) > len(pre) + 4:
                    name = name[len(pre) :]
                    break
            else:
                name = name.replace(f"（{p.get('city', '')}）", "").replace(f"({p.get('city', '')})", "")
        elif k == "lf":
            if name.endswith("股份有限公司"):
                name = name[:-6] + rng.choice(["有限公司", "股份公司", "股份有限公司"])
            elif name.endswith("有限责任公司"):
                name = name[:-6] + "有限公司"
            elif name.endswith("有限公司"):
                name = name[:-4] + rng.choice(["有限责任公司", "", "公司", "有限公司 "])
        elif k == "bracket":
            if "（" in name or "(" in name:
                name = noise.brackets(name, rng)
            elif p.get("pattern") == "city" and name.startswith(p["city"]):  # 恒达（济南）机械有限公司
                rest = name[len(p["city"]) :].removeprefix("市")
                if rest.startswith(p["trade"]):
                    name = (
                        p["trade"]
                        + rng.choice(["（", "("])
                        + p["city"]
                        + rng.choice(["）", ")"])
                        + rest[len(p["trade"]) :]
                    )
        elif k == "homophone":
            name = noise.homophone(name, rng)
        elif k == "space":
            for lf in ("股份有限公司", "有限责任公司", "有限公司"):
                if name.endswith(lf):
                    name = name[: -len(lf)] + " " + lf
                    break
            else:
                name = name + " "
        elif k == "short":
            return c.short
        elif k == "addregion":
            if p.get("pattern") == "city" and name.startswith(p.get("city", "?")) and p.get("prov") != p.get("city"):
                name = p["prov"] + rng.choice(["", "省"]) * (p["prov"] not in ("北京", "上海", "天津", "重庆")) + name
        elif k == "fullwidth":
            name = noise.fullwidth(name)
        elif k == "remark":
            name += rng.choice(
                remarks
                + ([f"-{c.contacts[0].family}{c.contacts[0].title}"] if c.contacts and crm != "supplier" else [])
            )
    return name.strip() if rng.random() < 0.9 else name


def en_name(c: Company, rng: random.Random, ops: int, base: str | None = None) -> str:
    name = base or c.name_en
    p = c.parts
    lf = p.get("lf_en", "")
    for _ in range(ops):
        kinds = [
            ("lf_variant", 18),
            ("lf_drop", 7),
            ("case", 12),
            ("spacing", 12),
            ("abbrev", 10),
            ("typo", 14),
            ("order", 6),
            ("translit", 6),
        ]
        if c.country == "CN":
            kinds += [("pinyin", 8), ("alt", 8)]
        k = weighted(rng, kinds)
        if k == "lf_variant" and lf and lf in name:
            if c.country == "CN" and p.get("legal") in CN_LEGAL:
                name = name.replace(lf, rng.choice(CN_LEGAL[p["legal"]][1]))
            elif p.get("lf_variants"):
                other = [v for v in p["lf_variants"] if not any("\u3000" <= ch <= "\u9fff" for ch in v)]
                if other:
                    name = name.replace(lf, rng.choice(other))
        elif k == "lf_drop" and lf and name.endswith(lf):
            name = name[: -len(lf)].rstrip(" ,")
        elif k == "case":
            name = noise.case(name, rng)
        elif k == "spacing":
            name = noise.spacing(name, rng)
        elif k == "abbrev":
            name = noise.abbreviate(name, rng)
        elif k == "typo":
            name = noise.typo_text(name, rng)
        elif k == "order":
            if c.country == "CN" and p.get("city_en") and name.startswith(p["city_en"] + " "):
                rest = name[len(p["city_en"]) + 1 :]
                if lf and rest.endswith(lf):  # Hengda Machinery (Jinan) Co., Ltd.
                    name = f"{rest[: -len(lf)].strip()} ({p['city_en']}) {lf}"
            elif c.country == "FR" and lf and name.endswith(" " + lf):
                name = f"{lf} {name[: -len(lf) - 1]}"  # SARL Mergen Manufacturing
            elif lf and name.startswith(lf + " "):
                name = f"{name[len(lf) + 1 :]} {lf}"
            elif name.lower().startswith("the "):
                name = name[4:]
            elif c.country in ("US", "GB"):
                name = "The " + name
        elif k == "translit":
            name = noise.transliterate(name, rng)
        elif k == "pinyin" and p.get("trade_cut"):
            t, cut = p["trade_en"], p["trade_cut"]
            if t in name:
                name = name.replace(
                    t,
                    rng.choice(
                        [
                            f"{t[:cut]} {t[cut:].capitalize()}",
                            f"{t[:cut]}{t[cut:].capitalize()}",
                            f"{t[:cut]}-{t[cut:]}",
                        ]
                    ),
                )
        elif k == "alt" and p.get("ind_en") and p.get("ind_alt") and p["ind_en"] in name:
            name = name.replace(p["ind_en"], p["ind_alt"])
    return " ".join(name.split()) if rng.random() < 0.95 else name


def jp_local_name(c: Company, rng: random.Random, ops: int) -> str:
    name = c.name
    for _ in range(ops):
        r = rng.random()
        if r < 0.3:
            name = name.replace("株式会社", rng.choice(["(株)", "㈱", "（株）"]))
        elif r < 0.5:
            name = name.replace("株式会社", "")
        elif r < 0.7:
            body = name.replace("株式会社", "")
            name = (
                ("株式会社" + body)
                if name.endswith("株式会社")
                else (body + "株式会社")
                if "株式会社" in name
                else name
            )
        else:
            name = noise.fullwidth(name) if rng.random() < 0.3 else name + " "
    return name.strip()


def record_name(
    c: Company, rng: random.Random, lang: str, q: Quality, when: dt.date, crm: bool | str = False
) -> tuple[str, str]:
    """(name, the English name) a record holds: lang 'zh'/'local' or 'en'."""
    ops = 0 if rng.random() < q.clean else (rng.randint(2, 3) if rng.random() < q.heavy / (1 - q.clean) else 1)
    old = c.renamed and when < c.renamed and rng.random() < q.update_lag
    base_local = c.former_name if old else c.name
    base_en = c.former_name_en if old else c.name_en
    if c.country == "CN":
        if lang == "en":
            return en_name(c, rng, ops, base_en), base_en
        return zh_name(c, rng, ops, base_local, crm), base_en
    if lang == "en":
        return en_name(c, rng, ops, base_en), base_en
    if c.country == "JP":
        return (jp_local_name(c, rng, ops) if not old else base_local), base_en
    return en_name(c, rng, ops, base_local), base_en


# ---------------------------------------------------------------------------------------
# Phones, e-mails, web
# ---------------------------------------------------------------------------------------
INVALID_PHONES = ["无", "-", "0", "N/A", "TBD", "00000000", "1234567", "见合同", "暂无"]


def record_phone(c: Company, rng, q: Quality, when: dt.date, style: str) -> str:
    if rng.random() < q.phone_missing:
        return ""
    p: Phone = c.old_phone if (c.moved and when < c.moved and c.old_phone and rng.random() < q.update_lag) else c.phone
    if c.contacts and rng.random() < q.mobile_as_phone:
        p = c.contacts[rng.randrange(len(c.contacts))].mobile
    s = format_phone(p, rng, style)
    if rng.random() < q.invalid_phone:
        r = rng.random()
        if r < 0.4:
            digits = [i for i, ch in enumerate(s) if ch.isdigit()]
            i = digits[-1]
            s = s[:i] + s[i + 1 :]  # a digit lost
        elif r < 0.6 and c.country == "CN":
            s = s + "/" + str(int(p.number[-2:]) + 1).zfill(2) if p.number else s  # 0531-32177036/37
        else:
            s = rng.choice(INVALID_PHONES if c.country == "CN" else ["N/A", "-", "TBD", "0", "000-000-0000"])
    return s


def record_email(c: Company, rng, q: Quality, contact=None) -> str:
    if rng.random() < q.email_missing:
        return ""
    pool = [p.email for p in c.contacts] + c.generic_emails
    if contact is not None and rng.random() < 0.7:
        e = contact.email
    else:
        e = rng.choice(pool) if pool else ""
    r = rng.random()
    if r < 0.05:
        e = e.upper()
    elif r < 0.08 and len(pool) > 1:
        e = "; ".join(rng.sample(pool, 2))
    elif r < 0.1:
        e = " " + e if rng.random() < 0.5 else e + " "
    return e


def record_website(c: Company, rng) -> str:
    if not c.website:
        return ""
    host = c.website
    return rng.choice([host, host, f"http://{host}", f"https://{host}/", host.replace("www.", ""), host.upper()])


def record_contact(c: Company, rng, q: Quality, latin: bool = False):
    if not c.contacts or rng.random() < q.contact_missing:
        return None, ""
    p = rng.choice(c.contacts)
    if c.country == "CN" and not latin:
        r = rng.random()
        text = p.name if r < 0.7 else f"{p.family}{p.title}" if r < 0.9 else f"{p.name}（{p.title}）"
    elif c.country == "CN":
        text = rng.choice([p.latin, " ".join(reversed(p.latin.split())), p.latin.upper()])
    elif c.country == "JP" and not latin:
        text = p.name
    else:
        text = p.latin
        if rng.random() < 0.1:
            text = noise.transliterate(text, rng)
    return p, text


# ---------------------------------------------------------------------------------------
# Tax ids
# ---------------------------------------------------------------------------------------
def cn_tax(c: Company, rng, q: Quality, when: dt.date, legacy_ok: bool = True) -> tuple[str, str]:
    """(value, kind): kind uscc, org (9-char code), taxreg (15-char), '' (missing)."""
    if rng.random() < q.tax_missing:
        return "", ""
    if legacy_ok and c.org_code and when < dt.date(2016, 6, 1) and rng.random() < 0.7:
        return (c.org_code, "org") if rng.random() < 0.5 else (c.old_tax_reg or c.org_code, "taxreg")
    v = c.tax_id
    r = rng.random()
    if r < 0.04:
        v = v.lower()
    elif r < 0.07:
        v = (
            " ".join(v[i : i + 4] for i in range(0, 18, 4))
            if rng.random() < 0.5
            else f"{v[:2]} {v[2:8]} {v[8:17]} {v[17]}"
        )
    elif r < 0.09:
        i = rng.randrange(2, 17)  # mistyped: an invalid code
        v = v[:i] + rng.choice("0123456789ABCDEFGH") + v[i + 1 :]
    elif r < 0.1:
        v = v[:17]  # last character lost
    elif r < 0.12 and "0" in v[8:]:
        v = v[:8] + v[8:].replace("0", "O", 1)  # letter O for zero
    elif r < 0.14:
        v = noise.fullwidth(v)
    return v, "uscc"


def intl_tax(c: Company, rng, q: Quality, style: str = "vat") -> tuple[str, str]:
    """A VAT or national id as a system holds it. style vat: VAT where the country has it."""
    if rng.random() < q.tax_missing:
        return "", ""
    v = c.tax_id
    cc = c.country
    if cc in ("US", "AU", "JP"):
        if cc == "AU":
            return rng.choice([v, f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}"]), "abn"
        if cc == "JP":
            return (c.ids["invoice_no"] if rng.random() < 0.3 else v), "corp"
        return (v if rng.random() < 0.8 else v.replace("-", "")), "ein"
    r = rng.random()
    if style == "local" and rng.random() < 0.5:
        local = {
            "DE": "steuernummer",
            "FR": "siret",
            "NL": "kvk",
            "GB": "crn",
            "IT": "codice_fiscale",
            "ES": "nif",
            "SE": "orgnr",
        }[cc]
        return c.ids[local], local
    if r < 0.15:
        v = v[2:]  # without the country prefix
    elif r < 0.3:
        body = v[2:]
        if cc == "DE":
            v = f"DE {body[:3]} {body[3:6]} {body[6:]}"
        elif cc == "FR":
            v = f"FR {body[:2]} {body[2:5]} {body[5:8]} {body[8:]}"
        elif cc == "GB":
            v = f"GB {body[:3]} {body[3:7]} {body[7:]}"
        else:
            v = f"{v[:2]} {body}"
    elif r < 0.33:
        v = v.lower()
    elif r < 0.35:
        v = v[:2] + "." + v[2:] if cc != "NL" else v.replace("B", ".B")
    elif r < 0.37:
        i = rng.randrange(3, len(v) - 1)
        v = v[:i] + v[i + 1] + v[i] + v[i + 2 :]  # two digits swapped
    return v, "vat"


# ---------------------------------------------------------------------------------------
# Addresses, places, dates
# ---------------------------------------------------------------------------------------
def record_address(c: Company, rng, q: Quality, when: dt.date):
    if c.moved and when < c.moved and c.old_addr and rng.random() < q.update_lag:
        return c.old_addr
    if c.addr_office and rng.random() < 0.4:
        return c.addr_office
    return c.addr


def cn_full_address(a, rng, with_prov: float = 0.5) -> str:
    prefix = ""
    if rng.random() < with_prov and a.province not in ("北京市", "上海市", "天津市", "重庆市"):
        prefix += a.province
    if rng.random() < 0.8:
        prefix += a.city if rng.random() < 0.8 else a.city.rstrip("市")
    return prefix + (a.district if rng.random() < 0.85 else "") + a.street


def en_street(street: str, country: str, rng) -> str:
    if country == "DE":
        r = rng.random()
        if r < 0.25:
            return street.replace("straße", "str.").replace("Straße", "Str.")
        if r < 0.4:
            return street.replace("ß", "ss")
    if country in ("FR", "ES", "SE", "IT") and rng.random() < 0.2:
        return noise.strip_accents(street).replace("avenue", "av.").replace("boulevard", "bd")
    if country == "US" and rng.random() < 0.2:
        return street.replace(" St", " Street").replace(" Ave", " Avenue").replace("Suite", "Ste")
    return street


def country_name(code: str, rng, lang: str = "en") -> str:
    if code == "CN":
        if lang == "zh":
            return rng.choice(["中国", "中国", "中国", "中华人民共和国", ""])
        return rng.choice(["China", "China", "China", "People's Republic of China", "PRC", "CHINA", "P.R. China"])
    if lang == "zh":
        return COUNTRIES[code]["zh"]
    return rng.choice(COUNTRIES[code]["names"][:3])


def record_dates(
    c: Company, rng, golive: dt.date, until: dt.date = dt.date(2025, 5, 31)
) -> tuple[dt.date, dt.date, bool]:
    """(created in the system, last changed, migrated at go-live)."""
    start = min(max(c.created, dt.date(1995, 1, 1)), until)
    created = dt.date.fromordinal(rng.randint(start.toordinal(), until.toordinal()))
    migrated = created < golive
    if migrated:
        created = golive
    changed = dt.date.fromordinal(rng.randint(created.toordinal(), until.toordinal()))
    if rng.random() < 0.4:
        changed = created
    return created, changed, migrated
