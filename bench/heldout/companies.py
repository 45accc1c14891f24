"""The real-world organisations behind customer and supplier records.

A Company is the truth: its legal name in the local language and its official English
name, tax ids, addresses, phones, contacts, bank. Families of companies make the hard
negatives: a group's sister companies and branches (same trade name, other city, other
industry word, own tax id), foreign groups whose subsidiaries share an e-mail domain and a
switchboard, unrelated companies that happen to carry the same name in another city.
History makes the hard positives: firms renamed (same tax id, new name) and movers.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field

from bench.heldout import ids
from bench.heldout.noise import strip_accents
from bench.heldout.vocab import (
    CN_BANKS,
    CN_BUILDINGS,
    CN_CITIES,
    CN_CITY_WEIGHTS,
    CN_FREE_MAIL,
    CN_GIVEN,
    CN_INDUSTRIES,
    CN_INSTITUTIONS,
    CN_LEGAL,
    CN_LEGAL_WEIGHTS,
    CN_MOBILE_PREFIX,
    CN_ROADS,
    CN_SOLE_SUFFIX,
    CN_SURNAMES,
    CN_TITLES,
    CN_TRADE_CHARS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    GROUP_INDUSTRIES,
    GROUP_LEGAL,
    GROUP_TRADES,
)


@dataclass
class Phone:
    cc: str
    area: str  # without trunk prefix for most countries; CN keeps the 0 (0531)
    number: str
    ext: str = ""
    mobile: bool = False


@dataclass
class Address:
    street: str  # local-language street line
    street_en: str
    district: str
    district_en: str
    city: str
    city_en: str
    province: str
    province_en: str
    regio: str  # SAP T005S key
    postcode: str


@dataclass
class Person:
    name: str  # as written locally (张伟, Thomas Müller, 田中健一)
    latin: str  # Zhang Wei / Thomas Müller / Kenichi Tanaka
    family: str  # local family name (for 张经理)
    title: str
    mobile: Phone
    email: str


@dataclass
class Company:
    id: str
    country: str
    kind: str  # cn, cn_sole, cn_inst, cn_branch, cn_foreign, intl
    name: str  # legal name, local script
    name_en: str  # official English / romanised name
    short: str  # short name as colleagues say it
    parts: dict  # pieces to rebuild name variants
    tax_id: str = ""
    org_code: str = ""  # CN pre-2015 organisation code XXXXXXXX-X
    old_tax_reg: str = ""  # CN 15-char tax registration number (admin code + org code)
    ids: dict = field(default_factory=dict)
    addr: Address | None = None
    addr_office: Address | None = None  # a second (operating) address some systems hold
    old_addr: Address | None = None  # before the move
    phone: Phone | None = None
    fax: Phone | None = None
    old_phone: Phone | None = None
    domain: str = ""  # e-mail / web domain ('' = free mail only)
    website: str = ""
    generic_emails: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    brsch: str = ""
    created: dt.date = dt.date(2010, 1, 1)
    renamed: dt.date | None = None
    former_name: str = ""
    former_name_en: str = ""
    moved: dt.date | None = None
    bank: dict = field(default_factory=dict)
    family: str = ""  # family id (hard negatives share it)
    family_role: str = ""


def weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def rand_date(rng: random.Random, start: int, end: int) -> dt.date:
    a, b = dt.date(start, 1, 1).toordinal(), dt.date(end, 12, 31).toordinal()
    return dt.date.fromordinal(rng.randint(a, b))


# ---------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------
def cn_landline(rng, city, ext_p=0.25) -> Phone:
    n = city[6]
    number = str(rng.randint(2, 8)) + "".join(rng.choice(string.digits) for _ in range(n - 1))
    ext = str(rng.randint(100, 9999)) if rng.random() < ext_p else ""
    return Phone("86", city[5], number, ext)


def cn_mobile(rng) -> Phone:
    return Phone("86", "", rng.choice(CN_MOBILE_PREFIX) + f"{rng.randrange(10**8):08d}", mobile=True)


_INTL_SUBSCRIBER = {"DE": (6, 8), "FR": (8, 8), "NL": (7, 7), "US": (7, 7), "AU": (8, 8), "SE": (6, 8)}


def intl_phone(rng, country, area, ext_p=0.1) -> Phone:
    if country in _INTL_SUBSCRIBER:
        lo, hi = _INTL_SUBSCRIBER[country]
        n = rng.randint(lo, hi)
    elif country == "GB":
        n = 8 if len(area) == 2 else 7
    elif country == "JP":
        n = 9 - len(area)
    elif country == "IT":
        n = 10 - len(area)
    elif country == "ES":
        n = 9 - len(area)
    else:
        n = 8
    first = str(rng.randint(2, 9))
    number = first + "".join(rng.choice(string.digits) for _ in range(n - 1))
    ext = str(rng.randint(10, 999)) if rng.random() < ext_p else ""
    return Phone(COUNTRIES[country]["cc"], area, number, ext)


def intl_mobile(rng, country) -> Phone:
    if country == "US":
        return intl_phone(rng, "US", rng.choice(["312", "646", "415", "713"]), 0)
    prefix = rng.choice(
        {
            "DE": ["151", "152", "160", "170", "171", "176"],
            "FR": ["6", "7"],
            "NL": ["6"],
            "GB": ["7"],
            "AU": ["4"],
            "JP": ["90", "80", "70"],
            "IT": ["320", "333", "347", "340"],
            "ES": ["6"],
            "SE": ["70", "72", "73", "76"],
        }[country]
    )
    length = {"DE": 8, "FR": 8, "NL": 8, "GB": 9, "AU": 8, "JP": 8, "IT": 7, "ES": 8, "SE": 7}[country]
    return Phone(
        COUNTRIES[country]["cc"], prefix, "".join(rng.choice(string.digits) for _ in range(length)), mobile=True
    )


def _split(s: str, sizes) -> list[str]:
    out, i = [], 0
    for n in sizes:
        if i >= len(s):
            break
        out.append(s[i : i + n])
        i += n
    if i < len(s):
        out[-1] += s[i:]
    return out


def format_phone(p: Phone, rng: random.Random, style: str = "any") -> str:
    """A phone as people write it. style: 'intl' (+cc), 'local' (as dialled at home), 'any'."""
    if style == "any":
        style = "intl" if rng.random() < 0.45 else "local"
    cc = p.cc
    if cc == "86":
        return _format_cn(p, rng, style)
    ext = ""
    if p.ext:
        ext = rng.choice([f" ext. {p.ext}", f" x{p.ext}", f"-{p.ext}", f" Ext {p.ext}"])
    a, n = p.area, p.number
    r = rng.random()
    if cc == "49":
        grouped = n if r < 0.5 else "-".join(_split(n, [len(n) - 2, 2])) if len(n) > 6 else n
        if style == "intl":
            s = rng.choice([f"+49 {a} {grouped}", f"+49 (0){a} {grouped}", f"+49-{a}-{n}", f"0049 {a} {n}"])
        else:
            s = rng.choice([f"0{a} {grouped}", f"0{a}/{grouped}", f"(0{a}) {n}", f"0{a}-{n}"])
    elif cc == "33":
        pairs = " ".join(_split(n, [2, 2, 2, 2]))
        s = (
            f"+33 {a} {pairs}"
            if style == "intl"
            else rng.choice([f"0{a} {pairs}", f"0{a}{n}", f"0{a}.{pairs.replace(' ', '.')}"])
        )
    elif cc == "31":
        s = (
            f"+31 {a} {n[:3]} {n[3:]}"
            if style == "intl"
            else rng.choice([f"0{a}-{n}", f"0{a} {n[:3]} {n[3:]}", f"(0{a}) {n}"])
        )
    elif cc == "44":
        g = f"{n[:4]} {n[4:]}" if len(n) == 8 else f"{n[:3]} {n[3:]}"
        s = f"+44 {a} {g}" if style == "intl" else rng.choice([f"0{a} {g}", f"(0{a}) {n}", f"0{a}{n}"])
        if style == "intl" and rng.random() < 0.3:
            s = f"+44 (0){a} {g}"
    elif cc == "1":
        s = rng.choice([f"({a}) {n[:3]}-{n[3:]}", f"{a}-{n[:3]}-{n[3:]}", f"{a}.{n[:3]}.{n[3:]}"])
        if style == "intl":
            s = rng.choice([f"+1 {a} {n[:3]} {n[3:]}", f"+1 ({a}) {n[:3]}-{n[3:]}", f"+1-{a}-{n[:3]}-{n[3:]}"])
    elif cc == "61":
        g = f"{n[:4]} {n[4:]}"
        s = f"+61 {a} {g}" if style == "intl" else rng.choice([f"(0{a}) {g}", f"0{a} {g}", f"0{a}{n}"])
    elif cc == "81":
        mid = len(n) - 4
        s = (
            f"+81-{a}-{n[:mid]}-{n[mid:]}"
            if style == "intl"
            else rng.choice([f"0{a}-{n[:mid]}-{n[mid:]}", f"0{a}({n[:mid]}){n[mid:]}", f"0{a}{n}"])
        )
    elif cc == "39":
        s = f"+39 {a} {n}" if style == "intl" else rng.choice([f"{a} {n}", f"{a}-{n}", f"{a}/{n}"])
    elif cc == "34":
        full = a + n
        s = (
            f"+34 {full[:3]} {full[3:6]} {full[6:]}"
            if style == "intl"
            else rng.choice(
                [full, f"{full[:3]} {full[3:6]} {full[6:]}", f"{full[:2]} {full[2:5]} {full[5:7]} {full[7:]}"]
            )
        )
    elif cc == "46":
        g = " ".join(_split(n, [3, 2, 2, 2])) if len(n) > 6 else " ".join(_split(n, [2, 2, 2]))
        s = f"+46 {a} {g}" if style == "intl" else rng.choice([f"0{a}-{g}", f"0{a} {n}", f"0{a}-{n}"])
    else:
        s = f"+{cc} {a} {n}"
    return s + ext


def _format_cn(p: Phone, rng, style) -> str:
    n = p.number
    if p.mobile:
        r = rng.random()
        if style == "intl":
            return rng.choice([f"+86 {n}", f"+86-{n}", f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"86-{n}"])
        return n if r < 0.75 else rng.choice([f"{n[:3]}-{n[3:7]}-{n[7:]}", f"{n[:3]} {n[3:7]} {n[7:]}"])
    a = p.area
    ext = ""
    if p.ext:
        ext = rng.choice([f"-{p.ext}", f"-{p.ext}", f"转{p.ext}", f" ext.{p.ext}", f"*{p.ext}", f"-{p.ext}"])
    if style == "intl":
        s = rng.choice([f"+86-{a[1:]}-{n}", f"+86 {a[1:]} {n}", f"+86({a[1:]}){n}", f"0086-{a[1:]}-{n}"])
    else:
        half = len(n) // 2
        s = rng.choice([f"{a}-{n}", f"{a}-{n}", f"({a}){n}", f"{a} {n}", f"{a}{n}", f"{a}-{n[:half]} {n[half:]}"])
    return s + ext


# ---------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------
def cn_city(rng, exclude=()):
    pool = [c for c in CN_CITIES if c[0] not in exclude]
    return rng.choices(pool, weights=[CN_CITY_WEIGHTS.get(c[0], 1) for c in pool])[0]


def cn_address(rng, city, district=None) -> Address:
    district = district or rng.choice(city[8])
    road, road_en = rng.choice(CN_ROADS)
    no = rng.choice([rng.randint(1, 300), rng.randint(1, 300), rng.randint(1, 3000)])
    street, street_en = f"{road}{no}号", f"No. {no} {road_en}"
    r = rng.random()
    if r < 0.35:
        b, b_en = rng.choice(CN_BUILDINGS)
        x, y = rng.sample(CN_TRADE_CHARS, 2)
        b, b_en = x[0] + y[0] + b, f"{(x[1] + y[1]).capitalize()} {b_en}"
        floor, room = rng.randint(2, 28), rng.randint(1, 20)
        street += f"{b}{floor}楼{floor}{room:02d}室"
        street_en = f"Room {floor}{room:02d}, {floor}F, {b_en}, " + street_en
    elif r < 0.55:
        n = rng.randint(1, 30)
        street += f"{n}号厂房"
        street_en = f"Workshop {n}, " + street_en
    postcode = city[7] + rng.choice("0011") + f"{rng.randrange(100):02d}"
    return Address(
        street, street_en, district[0], district[1], city[0] + "市", city[1], city[2], city[3], city[4], postcode
    )


def intl_postcode(rng, country, seed) -> str:
    if country == "DE":
        return seed + f"{rng.randrange(1000):03d}"
    if country == "FR":
        return seed + rng.choice(["000", "100", "200", "300", "400", "500", "700", "800"])
    if country == "NL":
        letters = "ABCDEGHJKLMNPRTVWXZ"
        return f"{seed}{rng.randrange(10, 99)} {rng.choice(letters)}{rng.choice(letters)}"
    if country == "GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{rng.choice(seed.split())} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    if country == "US":
        return seed + f"{rng.randrange(100):02d}"
    if country == "AU":
        return seed + f"{rng.randrange(200):03d}"
    if country == "JP":
        return f"{seed}{rng.randrange(100):02d}-{rng.randrange(10000):04d}"
    if country in ("IT", "ES"):
        return seed + f"{rng.randrange(100):02d}"
    if country == "SE":
        digits = seed + "".join(rng.choice(string.digits) for _ in range(5 - len(seed)))
        return f"{digits[:3]} {digits[3:]}"
    return ""


def intl_address(rng, country, city) -> Address:
    c = COUNTRIES[country]
    name, name_en, region, regio, pc_seed, _ = city
    no = rng.randint(1, 250)
    district = district_en = ""
    if country == "DE":
        street = f"{rng.choice(c['streets'])} {no}{rng.choice(['', '', '', 'a', 'b'])}"
    elif country == "FR":
        st = rng.choice(c["streets"])
        street = rng.choice([f"{no} {st}", f"{no}, {st}", f"ZI des Marches, {no} {st}", f"{no} bis {st}"])
    elif country in ("NL", "SE"):
        street = f"{rng.choice(c['streets'])} {no}"
    elif country == "GB":
        st = rng.choice(c["streets"])
        street = rng.choice(
            [
                f"{no} {st}",
                f"Unit {rng.randint(1, 40)}, "
                f"{rng.choice(['Riverside', 'Kingsway', 'Westfield', 'Hillington'])} Industrial Estate",
                f"{rng.choice(['Kingsway House', 'Albion Court', 'Mill House'])}, {no} {st}",
            ]
        )
    elif country == "US":
        street = (
            f"{rng.randint(100, 9999)} {rng.choice(c['streets'])} "
            f"{rng.choice(['St', 'Ave', 'Blvd', 'Rd', 'Dr', 'Pkwy'])}"
        )
        if rng.random() < 0.35:
            street += f", Suite {rng.randint(1, 9)}{rng.randint(0, 9)}0"
    elif country == "AU":
        st = rng.choice(c["streets"])
        street = rng.choice(
            [f"Level {rng.randint(1, 30)}, {no} {st}", f"Unit {rng.randint(1, 20)}, {no} {st}", f"{no} {st}"]
        )
    elif country == "JP":
        ward, ward_en = rng.choice(c["wards"][name])
        town, town_en = rng.choice(c["towns"])
        a, b, d = rng.randint(1, 9), rng.randint(1, 30), rng.randint(1, 20)
        street = f"{town}{a}-{b}-{d}"
        district, district_en = ward, ward_en
        en = f"{a}-{b}-{d} {town_en}, {ward_en}"
        return Address(
            street,
            en,
            district,
            district_en,
            name,
            name_en,
            region,
            region,
            regio,
            intl_postcode(rng, country, pc_seed),
        )
    elif country == "IT":
        street = rng.choice([f"{rng.choice(c['streets'])}, {no}", f"{rng.choice(c['streets'])} {no}"])
    elif country == "ES":
        st = rng.choice(c["streets"])
        street = f"{st}, Nave {rng.randint(1, 40)}" if st.startswith("Polígono") else f"{st}, {no}"
    else:
        street = f"{no} {rng.choice(c['streets'])}"
    return Address(
        street,
        street,
        district,
        district_en,
        name,
        name_en,
        region,
        region,
        regio,
        intl_postcode(rng, country, pc_seed),
    )


# ---------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------
def cn_person(rng, domain: str) -> Person:
    sur, sur_py = rng.choice(CN_SURNAMES)
    given, given_py = rng.choice(CN_GIVEN)
    mobile = cn_mobile(rng)
    user = rng.choice([f"{sur_py}{given_py}".lower(), f"{given_py}.{sur_py}".lower(), f"{sur_py[0]}{given_py}".lower()])
    user = user.replace("ü", "v")
    if domain and rng.random() < 0.7:
        email = f"{user}@{domain}"
    elif rng.random() < 0.5:
        email = f"{rng.randint(10000, 3999999999)}@qq.com"
    else:
        email = f"{user}{rng.randint(1, 999)}@{rng.choice(CN_FREE_MAIL)}"
    return Person(sur + given, f"{sur_py} {given_py}", sur, rng.choice(CN_TITLES), mobile, email)


def intl_person(rng, country: str, domain: str) -> Person:
    c = COUNTRIES[country]
    if country == "JP":
        fam, fam_en = rng.choice(c["trade"][:11])
        giv, giv_en = rng.choice(c["first"])
        latin = f"{giv_en} {fam_en}"
        name, family = fam + giv, fam
    else:
        first = rng.choice(c["first"])
        last = rng.choice([t for t in c["trade"] if " " not in t or country == "NL"][:20])
        name = latin = f"{first} {last}"
        family = last
    user = strip_accents(latin.lower()).replace(" ", ".").replace("'", "")
    email = f"{user}@{domain}" if domain else f"{user.replace('.', '')}{rng.randint(1, 99)}@gmail.com"
    title = {"DE": "Herr", "FR": "M."}.get(country, "")
    return Person(name, latin, family, title, intl_mobile(rng, country), email)


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------
class Universe:
    """Creates companies with unique legal names; ids are ORG000001..."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.companies: list[Company] = []
        self.names: set[str] = set()
        self.families = 0

    def _id(self) -> str:
        return f"ORG{len(self.companies) + 1:06d}"

    def add(self, c: Company) -> Company:
        self.companies.append(c)
        self.names.add(c.name)
        return c

    # -- China -----------------------------------------------------------------------------
    def cn_trade(self):
        rng = self.rng
        if rng.random() < 0.04:  # a Latin trade name: 深圳市HKT电子有限公司
            t = "".join(rng.choice("ABCDEFGHJKLMNPRSTWXYZ") for _ in range(rng.choice([2, 3, 3, 4])))
            return t, t, t.lower(), 0
        a, b = rng.sample(CN_TRADE_CHARS, 2)
        return a[0] + b[0], (a[1] + b[1]).capitalize(), a[1][0] + b[1][0], len(a[1])

    def cn_company(
        self,
        *,
        trade=None,
        city=None,
        industry=None,
        legal=None,
        pattern=None,
        family="",
        role="",
        domain=None,
        phone=None,
        created=None,
    ) -> Company | None:
        rng = self.rng
        trade = trade or self.cn_trade()
        city = city or cn_city(rng)
        industry = industry or rng.choice(CN_INDUSTRIES)
        legal = legal or weighted(rng, CN_LEGAL_WEIGHTS)
        pattern = pattern or weighted(rng, [("city", 62), ("bracket", 10), ("prov", 15), ("bare", 13)])
        lf, lf_en = CN_LEGAL[legal][0], CN_LEGAL[legal][1][0]
        t, t_en = trade[0], trade[1]
        ind, ind_en = industry[0], industry[1]
        city_zh, city_en = city[0], city[1]
        prov_zh = city[2].rstrip("省市").replace("维吾尔自治区", "").replace("壮族自治区", "").replace("自治区", "")
        prov_en = city[3]
        if pattern == "city":
            shi = "市" if rng.random() < (0.6 if city[2] == "广东省" else 0.25) else ""  # 深圳市XX电子有限公司
            name, name_en = f"{city_zh}{shi}{t}{ind}{lf}", f"{city_en} {t_en} {ind_en} {lf_en}"
        elif pattern == "bracket":
            name, name_en = f"{t}（{city_zh}）{ind}{lf}", f"{t_en} {ind_en} ({city_en}) {lf_en}"
        elif pattern == "prov":
            name, name_en = f"{prov_zh}{t}{ind}{lf}", f"{prov_en} {t_en} {ind_en} {lf_en}"
        else:
            name, name_en = f"{t}{ind}{lf}", f"{t_en} {ind_en} {lf_en}"
        name_en = " ".join(name_en.split())
        if name in self.names:
            return None
        created = created or rand_date(rng, 1996, 2024)
        post2015 = created >= dt.date(2015, 10, 1)
        district = rng.choice(city[8])
        uscc, org = ids.make_uscc(rng, district[2], "91", post2015)
        addr = cn_address(rng, city, district)
        if domain is None:
            domain = ""
            if rng.random() < 0.7:
                word = (ind_en.split() or ["group"])[0].lower()
                stem = rng.choice(
                    [
                        trade[1].lower(),
                        trade[1].lower() + word[:4],
                        trade[2] + "-" + word,
                        city_en[:2].lower() + trade[1].lower(),
                    ]
                )
                domain = stem.replace("'", "") + rng.choice([".com", ".com", ".com.cn", ".cn", ".net"])
        c = Company(
            id=self._id(),
            country="CN",
            kind="cn",
            name=name,
            name_en=name_en,
            short=rng.choice([f"{t}{ind[:2]}", f"{city_zh}{t}", t, f"{t}{ind[:2]}"]),
            parts={
                "trade": t,
                "trade_en": t_en,
                "trade_abbr": trade[2],
                "trade_cut": trade[3],
                "ind": ind,
                "ind_en": ind_en,
                "ind_alt": industry[2],
                "legal": legal,
                "lf": lf,
                "lf_en": lf_en,
                "city": city_zh,
                "city_en": city_en,
                "prov": prov_zh,
                "prov_en": prov_en,
                "pattern": pattern,
            },
            tax_id=uscc,
            org_code="" if post2015 else org,
            old_tax_reg="" if post2015 else district[2] + org.replace("-", ""),
            addr=addr,
            brsch=industry[3],
            created=created,
            family=family,
            family_role=role,
        )
        self._contact_block(c, city, domain, phone)
        if rng.random() < 0.2:
            c.addr_office = cn_address(rng, city)
        return self.add(c)

    def _contact_block(self, c: Company, city, domain, phone):
        rng = self.rng
        c.domain = domain
        c.website = f"www.{domain}" if domain and rng.random() < 0.8 else ""
        if c.country == "CN":
            c.phone = phone or cn_landline(rng, city)
            c.fax = cn_landline(rng, city, 0) if rng.random() < 0.4 else None
            c.contacts = [cn_person(rng, domain) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
            if domain:
                c.generic_emails = [
                    f"{rng.choice(['sales', 'info', 'service', 'caigou', 'finance', 'admin'])}@{domain}"
                ]
        else:
            c.phone = phone or intl_phone(rng, c.country, city[5])
            c.fax = intl_phone(rng, c.country, city[5], 0) if rng.random() < 0.25 else None
            c.contacts = [intl_person(rng, c.country, domain) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
            if domain:
                c.generic_emails = [
                    f"{rng.choice(['info', 'sales', 'office', 'contact', 'accounts', 'orders'])}@{domain}"
                ]

    def cn_sole(self) -> Company | None:
        """个体工商户: a shop or workshop, USCC type 92, no legal form."""
        rng = self.rng
        city = cn_city(rng)
        district = rng.choice(city[8])
        trade = self.cn_trade()
        ind = rng.choice(["五金", "机电", "电子", "劳保用品", "办公用品", "包装"])
        suffix, suffix_en = rng.choice(CN_SOLE_SUFFIX)
        name = f"{city[0]}市{district[0]}{trade[0]}{ind}{suffix}"
        if name in self.names:
            return None
        created = rand_date(rng, 2005, 2024)
        uscc, org = ids.make_uscc(rng, district[2], "92", True)
        c = Company(
            id=self._id(),
            country="CN",
            kind="cn_sole",
            name=name,
            name_en=f"{city[1]} {district[1]} {trade[1]} {suffix_en}",
            short=f"{trade[0]}{ind}",
            parts={
                "trade": trade[0],
                "trade_en": trade[1],
                "ind": ind,
                "ind_en": "",
                "ind_alt": "",
                "legal": "sole",
                "lf": "",
                "lf_en": "",
                "city": city[0],
                "city_en": city[1],
                "prov": city[2],
                "prov_en": city[3],
                "pattern": "sole",
                "trade_abbr": trade[2],
            },
            tax_id=uscc,
            addr=cn_address(rng, city, district),
            brsch="TRAD",
            created=created,
        )
        self._contact_block(c, city, "", None)
        if rng.random() < 0.6:
            c.phone = c.contacts[0].mobile
        return self.add(c)

    def cn_institution(self) -> Company | None:
        rng = self.rng
        city = cn_city(rng)
        zh, en = rng.choice(CN_INSTITUTIONS)
        prov = city[2].rstrip("省市").replace("自治区", "")
        name = zh.format(city=city[0], prov=prov)
        if name in self.names:
            return None
        district = rng.choice(city[8])
        uscc, org = ids.make_uscc(rng, district[2], "12", False)
        c = Company(
            id=self._id(),
            country="CN",
            kind="cn_inst",
            name=name,
            name_en=en.format(city_en=city[1], prov_en=city[3]),
            short=name.replace("市", "")[:6],
            parts={
                "trade": name,
                "trade_en": "",
                "ind": "",
                "ind_en": "",
                "ind_alt": "",
                "legal": "inst",
                "lf": "",
                "lf_en": "",
                "city": city[0],
                "city_en": city[1],
                "prov": prov,
                "prov_en": city[3],
                "pattern": "inst",
                "trade_abbr": "",
            },
            tax_id=uscc,
            org_code=org,
            old_tax_reg=district[2] + org.replace("-", ""),
            addr=cn_address(rng, city, district),
            brsch="",
            created=rand_date(rng, 1990, 2012),
        )
        stem = "".join(w[0] for w in c.name_en.lower().replace("'", "").split()[:4])
        self._contact_block(c, city, stem + rng.choice([".edu.cn", ".org.cn", ".gov.cn"]), None)
        return self.add(c)

    def cn_branch(self, parent: Company) -> Company | None:
        """XX有限公司北京分公司: its own entity with its own USCC."""
        rng = self.rng
        city = cn_city(rng, exclude=(parent.parts["city"],))
        district = rng.choice(city[8])
        name = f"{parent.name}{city[0]}分公司"
        if name in self.names:
            return None
        created = rand_date(rng, max(parent.created.year, 2000), 2024)
        uscc, org = ids.make_uscc(rng, district[2], "91", created >= dt.date(2015, 10, 1))
        parts = dict(parent.parts, branch_city=city[0], branch_city_en=city[1])
        c = Company(
            id=self._id(),
            country="CN",
            kind="cn_branch",
            name=name,
            name_en=f"{parent.name_en} {city[1]} Branch",
            short=f"{parent.short}{city[0]}分公司",
            parts=parts,
            tax_id=uscc,
            org_code="" if created.year > 2015 else org,
            addr=cn_address(rng, city, district),
            brsch=parent.brsch,
            created=created,
            family=parent.family,
            family_role="branch",
        )
        self._contact_block(c, city, parent.domain, None)
        return self.add(c)

    # -- other countries -------------------------------------------------------------------
    def intl_company(
        self,
        country=None,
        *,
        trade=None,
        industry=None,
        legal=None,
        city=None,
        family="",
        role="",
        domain=None,
        phone=None,
    ) -> Company | None:
        rng = self.rng
        country = country or weighted(rng, COUNTRY_WEIGHTS)
        c = COUNTRIES[country]
        city = city or rng.choice(c["cities"])
        legal = legal or weighted(rng, [(lf[0], lf[2]) for lf in c["legal"]])
        variants = (
            next(lf[1] for lf in c["legal"] if lf[0] == legal) if any(lf[0] == legal for lf in c["legal"]) else [legal]
        )
        if country == "JP":
            t, t_en = trade or rng.choice(c["trade"])
            ind = industry or rng.choice(c["industry"])
            ind_local, ind_romaji, ind_en = ind if len(ind) == 3 else (ind[0], ind[1], ind[1])
            lf_local = "株式会社" if legal == "KK" else "有限会社" if legal == "YK" else legal
            prefix = rng.random() < 0.5
            name = f"{lf_local}{t}{ind_local}" if prefix and legal in ("KK", "YK") else f"{t}{ind_local}{lf_local}"
            lf_en = "Co., Ltd." if legal != "YK" else "Ltd."
            name_en = f"{t_en} {ind_romaji} {lf_en}" if rng.random() < 0.7 else f"{t_en} {ind_en} {lf_en}"
            if legal not in ("KK", "YK"):
                name_en = f"{t_en} {ind_en} {legal}"
            parts = {
                "trade": t,
                "trade_en": t_en,
                "ind": ind_local,
                "ind_en": ind_en,
                "ind_alt": ind_romaji,
                "legal": legal,
                "lf": lf_local,
                "lf_en": lf_en,
                "lf_variants": variants,
                "prefix": prefix,
            }
            short = f"{t}{ind_local}"
        else:
            t = trade or rng.choice(c["trade"])
            ind = industry or rng.choice(c["industry"])
            lf = legal
            if country == "FR" and rng.random() < 0.15:
                name = f"{lf} {t} {ind[0]}"  # SARL Dupont Mécanique
            elif country == "SE" and rng.random() < 0.1 and lf == "AB":
                name = f"AB {t} {ind[0]}"
            elif rng.random() < 0.15:
                name = f"{t} {lf}"  # Müller GmbH
                ind = ("", "")
            else:
                name = f"{t} {ind[0]} {lf}".replace("  ", " ")
            name_en = name
            if country in ("DE", "FR", "NL", "IT", "ES", "SE") and ind[0] and rng.random() < 0.3:
                name_en = f"{t} {ind[1]} {lf}"  # the English name used by the group
            parts = {
                "trade": t,
                "trade_en": t,
                "ind": ind[0],
                "ind_en": ind[1],
                "ind_alt": ind[1],
                "legal": legal,
                "lf": lf,
                "lf_en": lf,
                "lf_variants": variants,
            }
            short = t
        if name in self.names:
            return None
        created = rand_date(rng, 1985, 2023)
        tax, extra = intl_tax(rng, country, city)
        if domain is None:
            stem = strip_accents(parts["trade_en"]).lower().replace(" ", "").replace("'", "")
            if rng.random() < 0.5 and parts["ind_en"]:
                stem += "-" + strip_accents(parts["ind_en"].split()[0]).lower()
            domain = stem + "." + c["tld"] if rng.random() < 0.9 else ""
        comp = Company(
            id=self._id(),
            country=country,
            kind="intl",
            name=name,
            name_en=name_en,
            short=short,
            parts=parts,
            tax_id=tax,
            ids=extra,
            addr=intl_address(rng, country, city),
            brsch=rng.choice(["MECH", "ELEC", "TRAD", "CHEM", "AUTO", "LOGI", "TECH", ""]),
            created=created,
            family=family,
            family_role=role,
        )
        self._contact_block(comp, city, domain, phone)
        return self.add(comp)

    def foreign_cn_subsidiary(self, g_trade, g_zh, g_ind, g_ind_zh, domain, family) -> Company | None:
        """A foreign group's company in China: 默根制造（上海）有限公司 / Mergen Manufacturing (Shanghai) Co., Ltd."""
        rng = self.rng
        city = cn_city(rng)
        name = f"{g_zh}{g_ind_zh}（{city[0]}）有限公司"
        if name in self.names:
            return None
        created = rand_date(rng, 2003, 2022)
        district = rng.choice(city[8])
        uscc, org = ids.make_uscc(rng, district[2], "91", created >= dt.date(2015, 10, 1))
        c = Company(
            id=self._id(),
            country="CN",
            kind="cn_foreign",
            name=name,
            name_en=f"{g_trade} {g_ind} ({city[1]}) Co., Ltd.",
            short=f"{g_zh}{city[0]}",
            parts={
                "trade": g_zh,
                "trade_en": g_trade,
                "ind": g_ind_zh,
                "ind_en": g_ind,
                "ind_alt": g_ind,
                "legal": "ltd",
                "lf": "有限公司",
                "lf_en": "Co., Ltd.",
                "city": city[0],
                "city_en": city[1],
                "prov": city[2],
                "prov_en": city[3],
                "pattern": "bracket",
                "trade_abbr": g_trade[:2].lower(),
            },
            tax_id=uscc,
            org_code="" if created.year > 2015 else org,
            old_tax_reg="" if created.year > 2015 else district[2] + org.replace("-", ""),
            addr=cn_address(rng, city, district),
            brsch="MECH",
            created=created,
            family=family,
            family_role="subsidiary",
        )
        self._contact_block(c, city, domain, None)
        return self.add(c)


def intl_tax(rng, country, city) -> tuple[str, dict]:
    if country == "DE":
        return ids.de_vat(rng), {
            "steuernummer": f"{rng.randint(100, 299)}/{rng.randint(100, 999)}/{rng.randint(10000, 99999)}"
        }
    if country == "FR":
        siren = ids.fr_siren(rng)
        return ids.fr_vat(siren), {"siret": ids.fr_siret(rng, siren), "siren": siren}
    if country == "NL":
        return ids.nl_vat(rng), {"kvk": f"{rng.randrange(10**8):08d}"}
    if country == "GB":
        return ids.gb_vat(rng), {"crn": ids.gb_company_number(rng, city[2] == "Scotland")}
    if country == "US":
        return ids.us_ein(rng), {}
    if country == "AU":
        return ids.au_abn(rng), {}
    if country == "JP":
        corp = ids.jp_corporate_number(rng)
        return corp, {"invoice_no": "T" + corp}
    if country == "IT":
        vat = ids.it_vat(rng)
        return vat, {"codice_fiscale": vat[2:]}
    if country == "ES":
        cif = ids.es_cif(rng, rng.choice("BBBA"))
        return "ES" + cif, {"nif": cif}
    if country == "SE":
        org = ids.se_orgnr(rng)
        return f"SE{org}01", {"orgnr": f"{org[:6]}-{org[6:]}"}
    return "", {}


# ---------------------------------------------------------------------------------------
# History and banks
# ---------------------------------------------------------------------------------------
def add_history(u: Universe, c: Company, rng: random.Random, rename_p=0.05, move_p=0.09):
    if rng.random() < rename_p and c.kind in ("cn", "intl") and c.created.year < 2021:
        c.renamed = rand_date(rng, max(c.created.year + 1, 2016), 2024)
        c.former_name, c.former_name_en = c.name, c.name_en
        p = c.parts
        if c.kind == "cn":
            r = rng.random()
            if r < 0.4 and p["legal"] == "ltd":  # converted to a joint-stock company before an IPO
                c.name = c.name.replace("有限公司", "股份有限公司")
                c.name_en = c.name_en.replace("Co., Ltd.", "Corporation Limited") if rng.random() < 0.5 else c.name_en
            elif r < 0.7:  # new industry word
                ind = rng.choice(CN_INDUSTRIES)
                c.name = c.name.replace(p["ind"], ind[0], 1)
                c.name_en = c.name_en.replace(p["ind_en"], ind[1], 1)
            elif not c.family:  # new trade name
                t = u.cn_trade()
                c.name = c.name.replace(p["trade"], t[0], 1)
                c.name_en = c.name_en.replace(p["trade_en"], t[1], 1)
                c.short = c.short.replace(p["trade"], t[0])
        else:
            r = rng.random()
            if c.country == "DE" and p["legal"] == "GmbH" and r < 0.5:
                c.name = c.name.replace("GmbH", "AG")
                c.name_en = c.name_en.replace("GmbH", "AG")
            elif c.country == "GB" and p["legal"] == "Ltd" and r < 0.5:
                c.name = c.name.replace("Ltd", "PLC")
                c.name_en = c.name
            elif not c.family:
                new = rng.choice(COUNTRIES[c.country]["trade"])
                new = new[0] if isinstance(new, tuple) else new
                c.name = c.name.replace(p["trade"], new, 1)
                if c.country != "JP":
                    c.name_en = c.name_en.replace(p["trade"], new, 1)
        if c.name in u.names or c.name == c.former_name:
            c.renamed, c.name, c.name_en = None, c.former_name, c.former_name_en
        else:
            u.names.add(c.name)
    if rng.random() < move_p and c.created.year < 2023:
        c.moved = rand_date(rng, max(c.created.year + 1, 2012), 2024)
        c.old_addr = c.addr
        c.old_phone = c.phone
        if c.country == "CN":
            city = next(x for x in CN_CITIES if x[0] + "市" == c.addr.city or x[0] == c.addr.city.rstrip("市"))
            c.addr = cn_address(rng, city)
            c.phone = cn_landline(rng, city)
        else:
            city = next(x for x in COUNTRIES[c.country]["cities"] if x[0] == c.addr.city)
            c.addr = intl_address(rng, c.country, city)
            c.phone = intl_phone(rng, c.country, city[5])


def add_bank(c: Company, rng: random.Random):
    if c.country == "CN":
        bank, bank_en, code, length = rng.choice(CN_BANKS)
        city = c.addr.city.rstrip("市")
        branch = rng.choice(
            [
                f"{city}{c.addr.district}支行",
                f"{city}分行营业部",
                f"{city}{rng.choice(['高新', '开发区', '经开区', '城东', '中心'])}支行",
            ]
        )
        bank_full = (
            f"{bank}股份有限公司{branch}" if rng.random() < 0.4 and bank != "中国工商银行" else f"{bank}{branch}"
        )
        account = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(length - 1))
        c.bank = {
            "name": bank_full,
            "short": bank + branch,
            "account": account,
            "code": ids.cnaps_code(rng, code, f"{rng.randrange(10000):04d}"),
            "holder": c.name,
            "country": "CN",
            "iban": "",
            "bic": "",
        }
        return
    country = c.country
    banks = {
        "DE": [
            ("Deutsche Bank", "DEUTDEFF"),
            ("Commerzbank", "COBADEFF"),
            ("Sparkasse", "SSKMDEMM"),
            ("HypoVereinsbank", "HYVEDEMM"),
        ],
        "FR": [("BNP Paribas", "BNPAFRPP"), ("Société Générale", "SOGEFRPP"), ("Crédit Agricole", "AGRIFRPP")],
        "NL": [("ING Bank", "INGBNL2A"), ("ABN AMRO", "ABNANL2A"), ("Rabobank", "RABONL2U")],
        "GB": [("Barclays Bank", "BARCGB22"), ("HSBC UK", "HBUKGB4B"), ("Lloyds Bank", "LOYDGB2L")],
        "US": [("JPMorgan Chase Bank", "CHASUS33"), ("Bank of America", "BOFAUS3N"), ("Wells Fargo Bank", "WFBIUS6S")],
        "AU": [("Commonwealth Bank", "CTBAAU2S"), ("Westpac", "WPACAU2S"), ("ANZ", "ANZBAU3M")],
        "JP": [("MUFG Bank", "BOTKJPJT"), ("Mizuho Bank", "MHCBJPJT"), ("SMBC", "SMBCJPJT")],
        "IT": [("UniCredit", "UNCRITMM"), ("Intesa Sanpaolo", "BCITITMM")],
        "ES": [("Banco Santander", "BSCHESMM"), ("BBVA", "BBVAESMM"), ("CaixaBank", "CAIXESBB")],
        "SE": [("Handelsbanken", "HANDSESS"), ("SEB", "ESSESESS"), ("Swedbank", "SWEDSESS")],
    }[country]
    name, bic = rng.choice(banks)
    iban = ids.iban(rng, country, bic[:4] if country in ("NL", "GB") else "") if country in ids.IBAN_BBAN else ""
    if country == "DE":
        code, account = iban[4:12], iban[12:]
    elif country == "GB":
        code, account = iban[8:14], iban[14:]
    elif country == "NL":
        code, account = bic[:4], iban[8:]
    elif country == "US":
        code, account = f"0{rng.randint(21000000, 99999999)}", str(rng.randrange(10**9, 10**12))
    elif country == "AU":
        code, account = (
            f"{rng.randint(10, 99)}{rng.randint(0, 9)}{rng.randint(100, 999)}",
            str(rng.randrange(10**8, 10**9)),
        )
    elif country == "JP":
        code, account = f"{rng.randint(1, 9999):04d}{rng.randint(1, 999):03d}", f"{rng.randrange(10**7):07d}"
    else:
        code, account = iban[4:9], iban[-12:]
    c.bank = {
        "name": name,
        "short": name,
        "account": account,
        "code": code,
        "holder": c.name,
        "country": country,
        "iban": iban,
        "bic": bic,
    }


# ---------------------------------------------------------------------------------------
# The universe
# ---------------------------------------------------------------------------------------
def build(rng: random.Random, n: int, cn_share: float) -> Universe:
    """About n companies: singles plus families (groups, branches, look-alikes)."""
    u = Universe(rng)
    while len(u.companies) < n:
        r = rng.random()
        if rng.random() < cn_share:
            if r < 0.09:
                _cn_group(u, rng)
            elif r < 0.13:
                _cn_lookalike(u, rng)
            elif r < 0.16:
                u.cn_sole()
            elif r < 0.18:
                u.cn_institution()
            else:
                u.cn_company()
        else:
            if r < 0.08:
                _intl_group(u, rng)
            elif r < 0.12:
                _intl_lookalike(u, rng)
            else:
                u.intl_company()
    for c in u.companies:
        add_history(u, c, rng)
        add_bank(c, rng)
    return u


def _new_family(u: Universe) -> str:
    u.families += 1
    return f"FAM{u.families:05d}"


def _cn_group(u: Universe, rng):
    fam = _new_family(u)
    trade = u.cn_trade()
    city = cn_city(rng)
    domain = trade[1].lower() + rng.choice(["group.com", "-group.com", ".com.cn", ".com"])
    hq = u.cn_company(
        trade=trade,
        city=city,
        industry=("", "", "", "", ""),
        legal="group",
        pattern=rng.choice(["city", "prov", "bare"]),
        family=fam,
        role="hq",
        domain=domain,
        created=rand_date(rng, 1996, 2012),
    )
    if hq is None:
        return
    members = [hq]
    for _ in range(rng.choice([1, 2, 2, 3])):
        same_city = rng.random() < 0.4
        share_phone = rng.random() < 0.3
        m = u.cn_company(
            trade=trade,
            city=city if same_city else cn_city(rng, exclude=(city[0],)),
            legal=weighted(rng, CN_LEGAL_WEIGHTS[:3]),
            family=fam,
            role="sister",
            domain=domain,
            phone=hq.phone if share_phone else None,
        )
        if m:
            members.append(m)
    if rng.random() < 0.5 and len(members) > 1:
        u.cn_branch(rng.choice(members[1:]))


def _cn_lookalike(u: Universe, rng):
    """The same trade name and industry in another city: unrelated companies."""
    base = u.cn_company(pattern="city")
    if base is None:
        return
    fam = _new_family(u)
    base.family, base.family_role = fam, "lookalike"
    p = base.parts
    trade = (p["trade"], p["trade_en"], p["trade_abbr"], p["trade_cut"])
    industry = next(i for i in CN_INDUSTRIES if i[0] == p["ind"])
    city0 = next(x for x in CN_CITIES if x[0] == p["city"])
    # the other one sits in a city of the same province when there is one
    same_prov = [x for x in CN_CITIES if x[2] == city0[2] and x[0] != city0[0]]
    other = rng.choice(same_prov) if same_prov and rng.random() < 0.6 else cn_city(rng, exclude=(city0[0],))
    u.cn_company(
        trade=trade, city=other, industry=industry, legal=p["legal"], pattern="city", family=fam, role="lookalike"
    )


def _intl_group(u: Universe, rng):
    fam = _new_family(u)
    g, g_zh = rng.choice(GROUP_TRADES)
    g_ind, g_ind_zh = rng.choice(GROUP_INDUSTRIES)
    domain = rng.choice(
        [f"{g.lower()}-group.com", f"{g.lower()}.com", f"{g.lower()}{g_ind.split()[0].lower()[:3]}.com"]
    )
    countries = rng.sample([c for c, _ in COUNTRY_WEIGHTS if c != "JP"], rng.choice([2, 2, 3, 4]))
    hq_phone = None
    for country in countries:
        legal = GROUP_LEGAL[country]
        c = COUNTRIES[country]
        legal_key = next((lf[0] for lf in c["legal"] if legal in lf[1]), legal)
        comp = u.intl_company(
            country,
            trade=g,
            industry=(g_ind, g_ind),
            legal=legal_key,
            family=fam,
            role="subsidiary",
            domain=domain,
            phone=hq_phone if hq_phone and rng.random() < 0.25 else None,
        )
        if comp and hq_phone is None:
            hq_phone = comp.phone
    if rng.random() < 0.4:
        u.foreign_cn_subsidiary(g, g_zh, g_ind, g_ind_zh, domain, fam)


def _intl_lookalike(u: Universe, rng):
    base = u.intl_company()
    if base is None or not base.parts["ind"]:
        return
    fam = _new_family(u)
    base.family, base.family_role = fam, "lookalike"
    c = COUNTRIES[base.country]
    others = [x for x in c["cities"] if x[0] != base.addr.city]
    p = base.parts
    trade = (p["trade"], p["trade_en"]) if base.country == "JP" else p["trade"]
    ind = (p["ind"], p["ind_alt"], p["ind_en"]) if base.country == "JP" else (p["ind"], p["ind_en"])
    u.intl_company(
        base.country, trade=trade, industry=ind, legal=p["legal"], city=rng.choice(others), family=fam, role="lookalike"
    )
