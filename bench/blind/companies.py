"""Company entities (Chinese and international customers and suppliers), with the hard
negatives real master data holds: sister companies, branches, group and subsidiary, the
same trade name in another city."""

from __future__ import annotations

import random
import string

CN_CITIES = [  # city, province, area code, postcode, pinyin
    ("苏州", "江苏省", "0512", "215000", "Suzhou"),
    ("上海", "上海市", "021", "200000", "Shanghai"),
    ("深圳", "广东省", "0755", "518000", "Shenzhen"),
    ("宁波", "浙江省", "0574", "315000", "Ningbo"),
    ("东莞", "广东省", "0769", "523000", "Dongguan"),
    ("天津", "天津市", "022", "300000", "Tianjin"),
    ("成都", "四川省", "028", "610000", "Chengdu"),
    ("武汉", "湖北省", "027", "430000", "Wuhan"),
    ("无锡", "江苏省", "0510", "214000", "Wuxi"),
    ("青岛", "山东省", "0532", "266000", "Qingdao"),
    ("杭州", "浙江省", "0571", "310000", "Hangzhou"),
    ("北京", "北京市", "010", "100000", "Beijing"),
    ("佛山", "广东省", "0757", "528000", "Foshan"),
    ("厦门", "福建省", "0592", "361000", "Xiamen"),
    ("常州", "江苏省", "0519", "213000", "Changzhou"),
    ("合肥", "安徽省", "0551", "230000", "Hefei"),
]
ZIHAO = [
    ("恒瑞", "Hengrui"),
    ("华信", "Huaxin"),
    ("鼎盛", "Dingsheng"),
    ("永鑫", "Yongxin"),
    ("联创", "Lianchuang"),
    ("宏达", "Hongda"),
    ("金阳", "Jinyang"),
    ("瑞丰", "Ruifeng"),
    ("博远", "Boyuan"),
    ("天润", "Tianrun"),
    ("中科", "Zhongke"),
    ("新锐", "Xinrui"),
    ("海川", "Haichuan"),
    ("德众", "Dezhong"),
    ("晟泰", "Shengtai"),
    ("嘉禾", "Jiahe"),
    ("凯达", "Kaida"),
    ("信诚", "Xincheng"),
    ("汇通", "Huitong"),
    ("精工", "Jinggong"),
    ("荣盛", "Rongsheng"),
    ("东方", "Dongfang"),
    ("国联", "Guolian"),
    ("远航", "Yuanhang"),
    ("明辉", "Minghui"),
    ("同力", "Tongli"),
    ("兴业", "Xingye"),
    ("安达", "Anda"),
    ("佳利", "Jiali"),
    ("澳森", "Aosen"),
    ("力拓", "Lituo"),
    ("华盛", "Huasheng"),
    ("昌源", "Changyuan"),
    ("万丰", "Wanfeng"),
    ("金鼎", "Jinding"),
    ("拓普", "Tuopu"),
    ("科瑞", "Kerui"),
    ("鑫达", "Xinda"),
    ("启明", "Qiming"),
    ("正阳", "Zhengyang"),
    ("隆兴", "Longxing"),
    ("长江", "Changjiang"),
    ("泰和", "Taihe"),
    ("汇丰源", "Huifengyuan"),
    ("新天地", "Xintiandi"),
    ("恒通", "Hengtong"),
    ("盛世", "Shengshi"),
    ("众诚", "Zhongcheng"),
]
INDUSTRY = [
    ("精密机械", "Precision Machinery", "机械制造"),
    ("电子科技", "Electronic Technology", "电子"),
    ("五金制品", "Hardware Products", "五金"),
    ("自动化设备", "Automation Equipment", "机械制造"),
    ("新材料", "New Material", "材料"),
    ("贸易", "Trading", "贸易"),
    ("塑胶制品", "Plastic Products", "塑料"),
    ("电气", "Electric", "电气"),
    ("化工", "Chemical", "化工"),
    ("包装材料", "Packaging Material", "包装"),
    ("物流", "Logistics", "物流"),
    ("模具", "Mould", "机械制造"),
    ("环保科技", "Environmental Technology", "环保"),
    ("机电", "Mechanical & Electrical", "机电"),
    ("供应链管理", "Supply Chain Management", "贸易"),
    ("轴承", "Bearing", "机械制造"),
    ("液压", "Hydraulics", "机械制造"),
    ("电缆", "Cable", "电气"),
]
CN_LEGAL = [
    ("有限公司", "Co., Ltd."),
    ("有限公司", "Co., Ltd."),
    ("有限公司", "Co., Ltd."),
    ("有限责任公司", "Co., Ltd."),
    ("股份有限公司", "Co., Ltd."),
]
STREETS = [
    "工业园区星湖街",
    "高新区科技路",
    "经济开发区长江路",
    "金桥路",
    "宝安大道",
    "滨江路",
    "解放路",
    "建设路",
    "人民路",
    "中山路",
    "新华路",
]
HOMOPHONE = {
    "瑞": "锐",
    "鑫": "新",
    "达": "大",
    "盛": "胜",
    "华": "化",
    "源": "元",
    "通": "同",
    "丰": "峰",
    "信": "新",
    "辉": "晖",
    "德": "得",
}

FOREIGN = {
    "DE": {
        "names": [
            "Müller",
            "Schneider",
            "Becker",
            "Hoffmann",
            "Krüger",
            "Wagner",
            "Schäfer",
            "Bauer",
            "Keller",
            "Vogel",
            "Zimmermann",
            "Hartmann",
        ],
        "ind": [
            "Antriebstechnik",
            "Fördertechnik",
            "Maschinenbau",
            "Elektrotechnik",
            "Präzisionsteile",
            "Industriebedarf",
            "Kunststofftechnik",
        ],
        "legal": ["GmbH", "GmbH", "GmbH & Co. KG", "AG"],
        "cities": [
            ("Stuttgart", "Baden-Württemberg", "0711", "70"),
            ("München", "Bayern", "089", "80"),
            ("Hamburg", "Hamburg", "040", "20"),
            ("Köln", "Nordrhein-Westfalen", "0221", "50"),
            ("Nürnberg", "Bayern", "0911", "90"),
        ],
        "cc": "49",
        "cn": "德国",
        "en": "Germany",
    },
    "US": {
        "names": [
            "Carter",
            "Brightwell",
            "Summit",
            "Lakeside",
            "Redwood",
            "Pioneer",
            "Keystone",
            "Granite",
            "Harbor",
            "Liberty",
            "Atlas",
            "Northfield",
        ],
        "ind": [
            "Industrial Supply",
            "Manufacturing",
            "Technologies",
            "Components",
            "Controls",
            "Fasteners",
            "Electronics",
        ],
        "legal": ["Inc.", "Inc.", "LLC", "Corp."],
        "cities": [
            ("Chicago", "IL", "312", "606"),
            ("Houston", "TX", "713", "770"),
            ("Detroit", "MI", "313", "482"),
            ("San Jose", "CA", "408", "951"),
            ("Cleveland", "OH", "216", "441"),
        ],
        "cc": "1",
        "cn": "美国",
        "en": "United States",
    },
    "JP": {
        "names": ["Tanaka", "Yamamoto", "Suzuki", "Nakamura", "Kobayashi", "Takahashi", "Matsuda", "Ishikawa"],
        "ind": ["Seiki", "Denki", "Kogyo", "Shoji", "Electronics", "Precision"],
        "legal": ["Co., Ltd.", "Corporation"],
        "cities": [
            ("Osaka", "Osaka", "06", "530"),
            ("Nagoya", "Aichi", "052", "450"),
            ("Tokyo", "Tokyo", "03", "100"),
            ("Yokohama", "Kanagawa", "045", "220"),
        ],
        "cc": "81",
        "cn": "日本",
        "en": "Japan",
    },
    "GB": {
        "names": ["Whitfield", "Ashworth", "Pembroke", "Hargreaves", "Thornton", "Caldwell", "Fairbank"],
        "ind": ["Engineering", "Controls", "Industrial", "Fluid Power"],
        "legal": ["Ltd", "Limited", "plc"],
        "cities": [
            ("Birmingham", "West Midlands", "0121", "B"),
            ("Manchester", "Greater Manchester", "0161", "M"),
            ("Leeds", "West Yorkshire", "0113", "LS"),
        ],
        "cc": "44",
        "cn": "英国",
        "en": "United Kingdom",
    },
    "FR": {
        "names": ["Dubois", "Lefèvre", "Moreau", "Girard", "Fontaine", "Rousseau"],
        "ind": ["Industrie", "Mécanique", "Électronique", "Hydraulique"],
        "legal": ["SAS", "SARL", "S.A."],
        "cities": [
            ("Lyon", "Auvergne-Rhône-Alpes", "04", "69"),
            ("Lille", "Hauts-de-France", "03", "59"),
            ("Toulouse", "Occitanie", "05", "31"),
        ],
        "cc": "33",
        "cn": "法国",
        "en": "France",
    },
    "IT": {
        "names": ["Rossi", "Bianchi", "Colombo", "Ferrari", "Esposito", "Ricci", "Marino"],
        "ind": ["Meccanica", "Oleodinamica", "Componenti", "Elettronica"],
        "legal": ["S.r.l.", "S.p.A."],
        "cities": [
            ("Milano", "Lombardia", "02", "201"),
            ("Torino", "Piemonte", "011", "101"),
            ("Bologna", "Emilia-Romagna", "051", "401"),
        ],
        "cc": "39",
        "cn": "意大利",
        "en": "Italy",
    },
    "KR": {
        "names": ["Hanil", "Daesung", "Samwoo", "Kumho", "Sejin", "Dongwon"],
        "ind": ["Precision", "Industrial", "Electronics", "Tech"],
        "legal": ["Co., Ltd."],
        "cities": [("Seoul", "Seoul", "02", "0"), ("Busan", "Busan", "051", "4"), ("Incheon", "Incheon", "032", "2")],
        "cc": "82",
        "cn": "韩国",
        "en": "South Korea",
    },
    "SG": {
        "names": ["Lion City", "Merlion", "Straits", "Orchid", "Temasek"],
        "ind": ["Trading", "Engineering", "Supplies", "Electronics"],
        "legal": ["Pte Ltd", "Pte. Ltd."],
        "cities": [("Singapore", "", "", "6")],
        "cc": "65",
        "cn": "新加坡",
        "en": "Singapore",
    },
    "NL": {
        "names": ["Van Dijk", "De Vries", "Bakker", "Visser", "Smit"],
        "ind": ["Techniek", "Industrie", "Components"],
        "legal": ["B.V."],
        "cities": [("Rotterdam", "Zuid-Holland", "010", "30"), ("Eindhoven", "Noord-Brabant", "040", "56")],
        "cc": "31",
        "cn": "荷兰",
        "en": "Netherlands",
    },
    "IN": {
        "names": ["Shree Ganesh", "Bharat", "Kaveri", "Sai Krishna", "Precision Tools"],
        "ind": ["Engineering", "Industries", "Forgings", "Exports"],
        "legal": ["Pvt. Ltd.", "Private Limited"],
        "cities": [("Pune", "Maharashtra", "020", "411"), ("Chennai", "Tamil Nadu", "044", "600")],
        "cc": "91",
        "cn": "印度",
        "en": "India",
    },
}
COUNTRY_WEIGHTS = {"CN": 58, "DE": 8, "US": 8, "JP": 6, "GB": 4, "FR": 3, "IT": 3, "KR": 4, "SG": 2, "NL": 2, "IN": 2}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(USCC_CHARS[:10] + "ABCDEFGH") for _ in range(9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_W, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def digits(rng, n):
    return "".join(rng.choice(string.digits) for _ in range(n))


def _de(rng):
    body = str(rng.randint(1, 9)) + digits(rng, 7)
    product = 10
    for c in body:
        total = (int(c) + product) % 10 or 10
        product = 2 * total % 11
    return "DE" + body + str((11 - product) % 10)


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _fr(rng):
    while True:
        siren = str(rng.randint(1, 9)) + digits(rng, 8)
        if _luhn_ok(siren):
            return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _gb(rng):
    body = str(rng.randint(1, 9)) + digits(rng, 6)
    total = sum(int(c) * w for c, w in zip(body, range(8, 1, -1), strict=True))
    return f"GB{body}{(-total) % 97:02d}"


def _it(rng):
    body = digits(rng, 7) + rng.choice(["001", "015", "021", "037", "058", "096"])
    total = 0
    for i, c in enumerate(body):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return f"IT{body}{(10 - total % 10) % 10}"


def _nl(rng):
    while True:
        body = str(rng.randint(1, 9)) + digits(rng, 7)
        check = sum(int(c) * w for c, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return f"NL{body}{check}B01"


def _jp(rng):
    body = str(rng.randint(1, 9)) + digits(rng, 11)
    total = sum(int(c) * (1 if n % 2 else 2) for n, c in enumerate(reversed(body), start=1))
    return str(9 - total % 9) + body


def _kr(rng):
    body = [rng.randint(1, 9)] + [int(c) for c in digits(rng, 8)]
    total = sum(d * w for d, w in zip(body, [1, 3, 7, 1, 3, 7, 1, 3, 5], strict=True)) + body[8] * 5 // 10
    s = "".join(map(str, body)) + str((10 - total % 10) % 10)
    return f"{s[:3]}-{s[3:5]}-{s[5:]}"


EIN_PREFIXES = [
    "20",
    "26",
    "27",
    "36",
    "45",
    "46",
    "47",
    "81",
    "82",
    "83",
    "84",
    "87",
    "88",
    "91",
    "92",
    "93",
    "94",
    "95",
]


def tax_id(rng, country):
    return {
        "DE": lambda: _de(rng),
        "GB": lambda: _gb(rng),
        "FR": lambda: _fr(rng),
        "IT": lambda: _it(rng),
        "NL": lambda: _nl(rng),
        "US": lambda: rng.choice(EIN_PREFIXES) + "-" + digits(rng, 7),
        "JP": lambda: _jp(rng),
        "KR": lambda: _kr(rng),
        "SG": lambda: "20" + digits(rng, 7) + rng.choice("KMNRWZ"),
        "IN": lambda: (
            "27"
            + "".join(rng.choice(string.ascii_uppercase) for _ in range(5))
            + digits(rng, 4)
            + "A1Z"
            + digits(rng, 1)
        ),
    }[country]()


def iban(rng, country):
    if country not in ("DE", "FR", "IT", "NL", "GB"):
        return digits(rng, rng.choice([10, 12]))
    bban = digits(rng, {"DE": 18, "FR": 23, "IT": 22, "NL": 10, "GB": 14}[country])
    if country == "NL":
        bban = "ABNA" + bban
    elif country == "GB":
        bban = "NWBK" + bban
    elif country == "IT":
        bban = "X" + bban
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def cn_company(rng, city=None, zihao=None, industry=None):
    city = city or rng.choice(CN_CITIES)
    zihao = zihao or rng.choice(ZIHAO)
    industry = industry or rng.choice(INDUSTRY)
    legal = rng.choice(CN_LEGAL)
    region = (
        {
            "江苏省": "3205",
            "上海市": "3101",
            "广东省": "4403",
            "浙江省": "3302",
            "天津市": "1201",
            "四川省": "5101",
            "湖北省": "4201",
            "山东省": "3702",
            "北京市": "1101",
            "福建省": "3502",
            "安徽省": "3401",
        }[city[1]]
        + "0"
        + str(rng.randint(0, 9))
    )
    return {
        "country": "CN",
        "city": city,
        "zihao": zihao,
        "ind": industry,
        "legal": legal,
        "branch": None,
        "group": False,
        "tax": uscc(rng, region),
        "street": f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
        "phone_local": str(rng.randint(5, 8)) + digits(rng, 7),
        "mobile": rng.choice(["138", "139", "135", "186", "189", "150", "133"]) + digits(rng, 8),
        "contact": rng.choice("张王李赵刘陈杨黄周吴")
        + rng.choice(["伟", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛"]),
        "domain": zihao[1].lower()
        + rng.choice(["", "-tech", "gs", "group", "88"])
        + "."
        + rng.choice(["com", "com.cn", "cn"]),
    }


NAME_PARTS = {  # trade names are surnames, or made of two parts (Rheinwerk, Ironridge, Daesan)
    "DE": (
        ["Rhein", "Nord", "Hoch", "Berg", "Stahl", "Eisen", "Licht", "Kraft", "Elb", "Main", "Sonnen", "Alt"],
        ["werk", "tech", "mann", "bau", "tal", "hof", "stein", "feld"],
    ),
    "US": (
        ["Iron", "Silver", "Eagle", "Apex", "Prairie", "Blue", "Great", "North", "Bay", "Cedar", "Stone", "Union"],
        ["ridge", "field", "point", "brook", "way", "line", "gate", "wood"],
    ),
    "JP": (
        ["Naka", "Yama", "Kawa", "Taka", "Matsu", "Ishi", "Mori", "Hiro", "Fuji", "Kita", "Oka", "Sato"],
        ["moto", "shima", "hara", "da", "no", "zaki", "ta", "gawa"],
    ),
    "GB": (
        ["Ash", "Thorn", "Brad", "Wey", "Mill", "Kings", "Holm", "Fair", "Cald", "Hart"],
        ["ford", "wood", "bury", "field", "ley", "ton", "well", "mere"],
    ),
    "FR": (
        ["Beau", "Mont", "Val", "Saint", "Belle", "Haut", "Clair", "Roche"],
        ["mont", "val", "fort", "lieu", "champ", "villa"],
    ),
    "IT": (
        ["Monte", "Val", "Bel", "Castel", "Ponte", "Rocca", "Terra"],
        ["verde", "fiore", "nova", "bella", "franco", "mare"],
    ),
    "KR": (
        ["Dae", "Sam", "Han", "Kum", "Se", "Dong", "Hyun", "Sung", "Young"],
        ["sung", "woo", "il", "ho", "jin", "won", "san", "kwang"],
    ),
    "SG": (
        ["Lion", "Straits", "Orchid", "Harbour", "Sentosa", "Jurong", "Marina"],
        [" City", " Bay", " Point", " Star", " Link", " Asia"],
    ),
    "NL": (
        ["Van", "De", "Noord", "Zuid", "Oost", "West"],
        [" Dijk", " Vries", "haven", "veld", "berg", "stad", " Bakker", "wijk"],
    ),
    "IN": (
        ["Shree", "Sai", "Bharat", "Kaveri", "Ganga", "Om", "Jai", "Surya"],
        [" Ganesh", " Krishna", " Laxmi", " Balaji", " Durga", " Shakti", "deep"],
    ),
}


def foreign_trade_name(rng, country):
    if rng.random() < 0.3:
        return rng.choice(FOREIGN[country]["names"])
    first, second = NAME_PARTS[country]
    return rng.choice(first) + rng.choice(second)


LOCAL_LEN = {
    "DE": lambda a: 7,
    "GB": lambda a: 7,
    "FR": lambda a: 8,
    "IT": lambda a: 8 if a == "02" else 7,
    "US": lambda a: 7,
    "JP": lambda a: 8 if len(a) == 2 else 7,
    "KR": lambda a: 8 if a == "02" else 7,
    "SG": lambda a: 8,
    "NL": lambda a: 7,
    "IN": lambda a: 8,
}


def foreign_company(rng, country, name=None, ind=None, city=None):
    spec = FOREIGN[country]
    name = name or foreign_trade_name(rng, country)
    ind = ind or rng.choice(spec["ind"])
    city = city or rng.choice(spec["cities"])
    street = {
        "DE": rng.choice(["Industriestraße", "Hauptstraße", "Am Gewerbepark", "Robert-Bosch-Straße"])
        + f" {rng.randint(1, 120)}",
        "FR": f"{rng.randint(1, 80)} rue {rng.choice(['de la République', 'Pasteur', 'des Artisans'])}",
        "IT": f"Via {rng.choice(['Roma', 'Garibaldi', 'dell Industria'])} {rng.randint(1, 150)}",
    }.get(
        country,
        f"{rng.randint(1, 9999)} "
        + rng.choice(["Industrial Pkwy", "Commerce Dr", "Main St", "Park Road", "Harbour Way"]),
    )
    return {
        "country": country,
        "name": name,
        "ind": ind,
        "legal": rng.choice(spec["legal"]),
        "city": city,
        "street": street,
        "tax": tax_id(rng, country),
        "phone_local": str(rng.randint(2, 9)) + digits(rng, LOCAL_LEN[country](city[2]) - 1),
        "branch": None,
        "group": False,
        "contact": rng.choice(["J. Smith", "Anna Weber", "K. Sato", "M. Rossi", "P. Martin", "L. Chen", "S. Kim"]),
        "domain": f"{ascii_name(name.lower().replace(' ', ''))}-{ind.split()[0].lower()[:6]}."
        + (country.lower() if country != "US" else "com"),
    }


def make_entities(n: int, rng: random.Random) -> list[dict]:
    """n distinct companies; about a third come as a family of hard negatives."""
    out, seen = [], set()
    countries = list(COUNTRY_WEIGHTS)
    while len(out) < n:
        c = rng.choices(countries, [COUNTRY_WEIGHTS[k] for k in countries])[0]
        if c == "CN":
            base = cn_company(rng)
            group = [base]
            r = rng.random()
            if r < 0.12:  # sister company: same trade name and city, another line of business
                group.append(
                    cn_company(rng, base["city"], base["zihao"], rng.choice([i for i in INDUSTRY if i != base["ind"]]))
                )
            elif r < 0.22:  # branch office (分公司) in another city, its own tax id
                b = cn_company(rng, base["city"], base["zihao"], base["ind"])
                b.update(legal=base["legal"], branch=rng.choice([x for x in CN_CITIES if x != base["city"]]))
                group.append(b)
            elif r < 0.30:  # same trade name and business, another city: an unrelated company
                group.append(
                    cn_company(rng, rng.choice([x for x in CN_CITIES if x != base["city"]]), base["zihao"], base["ind"])
                )
            elif r < 0.36:  # the group holding and its subsidiary
                g = cn_company(rng, base["city"], base["zihao"], base["ind"])
                g.update(group=True, legal=("集团有限公司", "Group Co., Ltd."))
                group.append(g)
        else:
            base = foreign_company(rng, c)
            group = [base]
            if rng.random() < 0.25:
                group.append(
                    foreign_company(
                        rng,
                        c,
                        base["name"],
                        rng.choice([i for i in FOREIGN[c]["ind"] if i != base["ind"]])
                        if len(FOREIGN[c]["ind"]) > 1
                        else None,
                        base["city"],
                    )
                )
        for e in group:
            # a group holding is named without its business: one per trade name and city
            ind = None if e["group"] else e["ind"]
            key = (e["country"], e.get("zihao") or e["name"], ind, e["city"], e["branch"], e["group"])
            if key not in seen and len(out) < n:
                seen.add(key)
                out.append(e)
    return out


def cn_name(e, rng, style="full"):
    city, zihao, ind, legal = e["city"][0], e["zihao"][0], e["ind"][0], e["legal"][0]
    suffix = f"{e['branch'][0]}分公司" if e["branch"] else ""
    if e["group"]:
        return f"{city}{zihao}集团有限公司" if style != "short" else f"{zihao}集团"
    if style == "short":
        return rng.choice([f"{zihao}{ind[:2]}", f"{city}{zihao}", zihao + ind]) + (
            f"{e['branch'][0]}分公司" if e["branch"] else ""
        )
    if style == "paren":
        return f"{zihao}{ind}（{city}）{legal}{suffix}"
    if style == "nolegal":
        return f"{city}{zihao}{ind}{suffix}"
    if style == "nocity":
        return f"{zihao}{ind}{legal}{suffix}"
    return f"{city}{zihao}{ind}{legal}{suffix}"


def en_name(e, rng):
    if e["country"] == "CN":
        base = f"{e['city'][4]} {e['zihao'][1]} {e['ind'][1]}"
        if e["group"]:
            return f"{e['city'][4]} {e['zihao'][1]} Group Co., Ltd."
        legal = rng.choice(["Co., Ltd.", "Co., Ltd", "Co.,Ltd.", "CO., LTD.", "Company Limited"])
        return f"{base} {legal}" + (f" {e['branch'][4]} Branch" if e["branch"] else "")
    return f"{e['name']} {e['ind']} {e['legal']}"


def typo(text, rng):
    if rng.random() < 0.5:
        for a, b in HOMOPHONE.items():
            if a in text:
                return text.replace(a, b, 1)
    if len(text) > 6:
        i = rng.randrange(1, len(text) - 2)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def ascii_name(name):
    return name.replace("ü", "ue").replace("ä", "ae").replace("ö", "oe").replace("è", "e")


def foreign_name_variant(e, rng):
    name, ind, legal = e["name"], e["ind"], e["legal"]
    v = rng.random()
    if v < 0.35:
        return f"{name} {ind} {legal}"
    if v < 0.5:
        return f"{name} {ind}"
    if v < 0.6:
        return f"{name} {ind} {legal}".upper()
    if v < 0.7:
        return f"{ascii_name(name)} {ind} {legal.replace('.', '').replace(',', '')}"
    if v < 0.8:
        return (
            f"{name} {ind} {legal}".replace("Inc.", "Incorporated")
            .replace("Ltd", "Limited")
            .replace("GmbH", "G.m.b.H.")
            .replace("Co., Limited.", "Co., Ltd.")
        )
    if v < 0.9:
        return typo(f"{name} {ind} {legal}", rng)
    return f"{name} {legal}"


def phone(e, rng, style):
    if e["country"] == "CN":
        area = e["city"][2]
        if rng.random() < 0.3:
            m = e["mobile"]
            return rng.choice([m, f"{m[:3]}-{m[3:7]}-{m[7:]}", f"+86 {m}", f"+86-{m[:3]} {m[3:7]} {m[7:]}"])
        p = e["phone_local"]
        return rng.choice(
            [
                f"{area}-{p}",
                f"({area}){p}",
                f"+86 {area[1:]} {p[:4]} {p[4:]}",
                f"0086-{area[1:]}-{p}",
                f"{area} {p}",
                p,
                f"{area}-{p}转{rng.randint(800, 899)}",
            ]
        )
    cc, area, p = FOREIGN[e["country"]]["cc"], e["city"][2], e["phone_local"]
    a = area if e["country"] == "IT" else area.lstrip("0")
    if e["country"] == "US":
        p = p[:7].rjust(7, "5")
        return rng.choice(
            [
                f"({area}) {p[:3]}-{p[3:]}",
                f"{area}-{p[:3]}-{p[3:]}",
                f"+1 {area} {p[:3]} {p[3:]}",
                f"{area}.{p[:3]}.{p[3:]}",
            ]
        )
    return rng.choice(
        [
            f"+{cc} {a} {p}",
            f"+{cc} ({a}) {p[:3]} {p[3:]}",
            f"{area} {p}",
            f"00{cc}-{a}-{p}",
            f"{area}/{p}",
            f"+{cc}{a}{p}",
        ]
    )
