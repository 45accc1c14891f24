"""Write a held-out benchmark universe: source-system exports, ground truth, manifest.

    python -m bench.heldout.generate --seed 7 --out /tmp/heldout-7 \
        [--customers 20000 --suppliers 18000 --products 17000]

Seeds below 100 are for development; seeds 100 and above are kept unseen for final reports.
Everything is drawn from random.Random streams derived from the seed, so one seed always
gives the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.heldout import companies, products, writers
from bench.heldout import org_systems as osys
from bench.heldout import prod_systems as psys
from bench.heldout.org_systems import Rec, guid, sfdc_id
from bench.heldout.orgview import record_dates
from bench.heldout.profiles import profile_yaml

# Cluster sizes: how many records one real-world entity has across all systems.
ORG_SIZES = [(1, 46), (2, 29), (3, 14), (4, 7), (5, 2.5), (6, 1), (7, 0.3), (8, 0.2)]
PRODUCT_SIZES = [(1, 48), (2, 29), (3, 14), (4, 6), (5, 2), (6, 1)]
WITHIN_DUP = 0.06  # chance that an extra record of an entity lands in a system that has one already
BOTH_DOMAINS = 0.12  # share of organisations (families) that are customers and suppliers


@dataclass
class System:
    code: str
    name: str
    domain: str
    path: str
    fmt: str
    encoding: str | None
    profile: str  # shipped profile name, or the key of an own profile
    shipped: bool
    weight: Callable  # entity -> weight of holding a record of it
    dup: float  # affinity for within-system duplicates
    golive: dt.date
    deleted: float
    row: Callable
    keygen: Callable  # (rng, rec) -> key
    columns: list | None = None
    delimiter: str = ","
    bom: bool = False
    envelope: Callable | None = None
    sort_by_key: bool = False
    recs: list = field(default_factory=list)


def _seq(start: int, gap: int = 6):
    state = {"n": start}

    def nxt(rng):
        state["n"] += rng.randint(1, gap)
        return state["n"]

    return nxt


def _cn(c) -> bool:
    return c.country == "CN"


def customer_systems() -> list[System]:
    kunnr, bp, crm = _seq(100000, 4), _seq(1000000, 3), _seq(10000, 3)
    return [
        System(
            "sap_ecc",
            "SAP ECC 6.0 (PRD client 800)",
            "customer",
            "customer/sap_ecc_kna1.csv",
            "csv",
            "utf-8",
            "sap_kna1",
            True,
            lambda c: 0.8 if _cn(c) else 0.6,
            2,
            osys.SAP_GOLIVE,
            0.015,
            osys.kna1_row,
            lambda rng, r: f"{kunnr(rng):010d}",
            osys.KNA1_COLUMNS,
            sort_by_key=True,
        ),
        System(
            "s4hana",
            "SAP S/4HANA 2022 (business partners)",
            "customer",
            "customer/s4hana_bp.json",
            "json",
            "utf-8",
            "sap_a_businesspartner",
            True,
            lambda c: 0.25 if _cn(c) else 0.35,
            1,
            osys.S4_GOLIVE,
            0.01,
            osys.s4_bp_row,
            lambda rng, r: str(bp(rng)),
            envelope=lambda rows: {"d": {"results": rows}},
            sort_by_key=True,
        ),
        System(
            "crm_cn",
            "Chinese CRM (客户管理)",
            "customer",
            "customer/crm_cn_customers.csv",
            "csv",
            "gb18030",
            "crm_cn_customer",
            False,
            lambda c: {"cn_inst": 0.85, "cn_sole": 0.9, "cn_foreign": 0.5}.get(c.kind, 0.75) if _cn(c) else 0.05,
            5,
            dt.date(2016, 3, 1),
            0.03,
            osys.crm_cn_row,
            lambda rng, r: f"KH{r.created:%Y%m}{crm(rng):05d}",
            osys.CRM_CN_COLUMNS,
        ),
        System(
            "crm_intl",
            "Dynamics 365 Sales (international)",
            "customer",
            "customer/dyn365_accounts.xlsx",
            "xlsx",
            None,
            "dyn365_account",
            False,
            lambda c: (0.5 if c.kind == "cn_foreign" else 0.12) if _cn(c) else 0.6,
            2,
            dt.date(2018, 9, 1),
            0.02,
            osys.dyn_account_row,
            lambda rng, r: guid(rng),
            osys.DYN_COLUMNS,
        ),
        System(
            "sfdc",
            "Salesforce Sales Cloud",
            "customer",
            "customer/sfdc_account.csv",
            "csv",
            "utf-8-sig",
            "sfdc_account",
            False,
            lambda c: 0.1 if _cn(c) else 0.5,
            3,
            dt.date(2014, 5, 1),
            0.01,
            osys.sfdc_account_row,
            lambda rng, r: sfdc_id(rng),
            osys.SFDC_COLUMNS,
            bom=True,
        ),
    ]


def supplier_systems() -> list[System]:
    lifnr, srm, proc, reg = _seq(200000, 4), _seq(100000, 3), _seq(40000, 5), _seq(0, 2)
    return [
        System(
            "sap_ecc",
            "SAP ECC 6.0 (PRD client 800)",
            "supplier",
            "supplier/sap_ecc_lfa1.txt",
            "csv",
            "utf-8",
            "sap_lfa1",
            True,
            lambda c: 0.85 if _cn(c) else 0.75,
            2,
            osys.SAP_GOLIVE,
            0.015,
            osys.lfa1_row,
            lambda rng, r: f"{lifnr(rng):010d}",
            osys.LFA1_COLUMNS,
            delimiter="\t",
            sort_by_key=True,
        ),
        System(
            "srm_cn",
            "SRM (supplier portal, API)",
            "supplier",
            "supplier/srm_suppliers.json",
            "json",
            "utf-8",
            "srm_cn_supplier",
            False,
            lambda c: 0.7 if _cn(c) else 0.25,
            2,
            dt.date(2019, 6, 1),
            0.02,
            osys.srm_cn_row,
            lambda rng, r: f"GYS{srm(rng):06d}",
            envelope=lambda rows: {
                "code": 200,
                "message": "success",
                "data": {"total": len(rows), "pageNo": 1, "pageSize": len(rows), "rows": rows},
            },
        ),
        System(
            "proc_eu",
            "Procurement suite (EU entities)",
            "supplier",
            "supplier/procurement_suppliers.csv",
            "csv",
            "utf-8-sig",
            "proc_supplier",
            False,
            lambda c: 0.12 if _cn(c) else 0.7,
            2,
            dt.date(2017, 1, 1),
            0.02,
            osys.proc_row,
            lambda rng, r: f"SUP-{proc(rng):06d}",
            osys.PROC_COLUMNS,
            delimiter=";",
            bom=True,
        ),
        System(
            "purch_xlsx",
            "Purchasing supplier register (Excel)",
            "supplier",
            "supplier/supplier_register.xlsx",
            "xlsx",
            None,
            "purch_register",
            False,
            lambda c: 0.45 if _cn(c) else 0.15,
            5,
            dt.date(2012, 1, 1),
            0.03,
            osys.register_row,
            lambda rng, r: f"GY-{reg(rng):05d}",
            osys.REG_COLUMNS,
        ),
    ]


def product_systems() -> list[System]:
    matnr, u8, pn, sku = _seq(10000000, 5), _seq(0, 2), _seq(100000, 4), _seq(20000000, 7)

    def fam_w(code):
        return lambda p: products.FAMILY[p.family].systems.get(code, 0) / 10

    def u8_key(rng, r):
        return psys.U8_CLASS[r.entity.cat][0] + f"{u8(rng):06d}"

    def plm_key(rng, r):
        p = r.entity
        if p.family == "part":
            return products.drawing_no(p.a)
        return f"PN-{pn(rng):06d}"

    return [
        System(
            "sap_ecc",
            "SAP ECC 6.0 (PRD client 800)",
            "product",
            "product/sap_ecc_mara_makt.xlsx",
            "xlsx",
            None,
            "sap_mara",
            True,
            fam_w("sap_ecc"),
            4,
            dt.date(2011, 7, 4),
            0.02,
            psys.mara_row,
            lambda rng, r: f"{matnr(rng):018d}",
            psys.MARA_COLUMNS,
            sort_by_key=True,
        ),
        System(
            "u8",
            "用友 U8 (subsidiary ERP)",
            "product",
            "product/u8_inventory.csv",
            "csv",
            "gb18030",
            "u8_inventory",
            False,
            fam_w("u8"),
            3,
            dt.date(2013, 1, 1),
            0.02,
            psys.u8_row,
            u8_key,
            psys.U8_COLUMNS,
            sort_by_key=True,
        ),
        System(
            "plm",
            "PLM (engineering items)",
            "product",
            "product/plm_items.tsv",
            "csv",
            "utf-8",
            "plm_items",
            False,
            fam_w("plm"),
            0,
            dt.date(2015, 1, 1),
            0.02,
            psys.plm_row,
            plm_key,
            psys.PLM_COLUMNS,
            delimiter="\t",
        ),
        System(
            "shop",
            "Shop / CRM product catalogue (API)",
            "product",
            "product/shop_skus.json",
            "json",
            "utf-8",
            "shop_sku",
            False,
            fam_w("shop"),
            1,
            dt.date(2019, 1, 1),
            0.02,
            psys.shop_row,
            lambda rng, r: f"SKU{sku(rng):08d}",
            envelope=lambda rows: {"code": 0, "msg": "ok", "data": {"total": len(rows), "pageNum": 1, "list": rows}},
        ),
    ]


# ---------------------------------------------------------------------------------------
def plan(entities, systems: list[System], rng: random.Random, target: int, sizes) -> int:
    """Give entities records in systems until about `target` records exist."""
    total = 0
    size_values, size_weights = zip(*sizes, strict=True)
    for e in entities:
        if total >= target:
            break
        weights = {s.code: s.weight(e) for s in systems}
        avail = {k: w for k, w in weights.items() if w > 0}
        if not avail:
            continue
        k = rng.choices(size_values, size_weights)[0]
        chosen: list[str] = []
        for _ in range(k):
            within = chosen and (not avail or rng.random() < WITHIN_DUP)
            if within:
                dup_w = [next(s.dup for s in systems if s.code == c) for c in chosen]
                if sum(dup_w) == 0:
                    break
                code = rng.choices(chosen, dup_w)[0]
            else:
                code = rng.choices(list(avail), list(avail.values()))[0]
                del avail[code]
            chosen.append(code)
        seen: Counter = Counter()
        for code in chosen:
            s = next(x for x in systems if x.code == code)
            s.recs.append(Rec(entity=e, system=code, dup=seen[code]))
            seen[code] += 1
            total += 1
    return total


def assign_keys(systems: list[System], rng: random.Random, org: bool):
    for s in systems:
        for i, r in enumerate(s.recs):
            if org:
                r.created, r.changed, r.migrated = record_dates(r.entity, rng, s.golive)
            else:
                r.created, r.changed = psys.product_dates(r.entity, rng, s.golive)
            r.deleted = rng.random() < s.deleted * (3 if r.dup else 1)
            r.key = s.keygen(rng, r)
            r.extra["id"] = (
                1_600_000_000_000_000_000 + rng.randrange(10**17) if s.code in ("srm_cn",) else 100000 + i * 7
            )
            r.extra["addr_id"] = str(30000 + i * 3)
            r.extra["row"] = i + 1
            if s.code == "plm":  # the profile's key is [Item Number, Revision], joined with "/"
                r.extra["rev"] = (
                    products.REVS[r.entity.a["rev"]] if r.entity.family == "part" else rng.choice(["A", "A", "B", "01"])
                )
                r.extra["item"] = r.key
                r.key = f"{r.key}/{r.extra['rev']}"
            if s.code == "sap_ecc" and not org and rng.random() < 0.3:
                r.extra["old"] = f"{r.entity.cat[0]}{rng.randint(10, 99)}-{rng.randint(1, 9999):04d}"


def cross_links(cust: list[System], supp: list[System], rng):
    """SAP KNA1-LIFNR / LFA1-KUNNR for organisations that are both; the ERP customer number
    in the CRMs' account number field."""
    kna1 = next(s for s in cust if s.code == "sap_ecc")
    lfa1 = next(s for s in supp if s.code == "sap_ecc")
    kunnr = {}
    for r in kna1.recs:
        kunnr.setdefault(r.entity.id, r.key)
    lifnr = {}
    for r in lfa1.recs:
        lifnr.setdefault(r.entity.id, r.key)
    for r in kna1.recs:
        if r.entity.id in lifnr and rng.random() < 0.6:
            r.extra["vendor"] = lifnr[r.entity.id]
    for r in lfa1.recs:
        if r.entity.id in kunnr and rng.random() < 0.6:
            r.extra["customer"] = kunnr[r.entity.id]
    for s in cust:
        if s.code in ("sfdc", "crm_intl"):
            for r in s.recs:
                if r.entity.id in kunnr and rng.random() < 0.2:
                    r.extra["accnum"] = kunnr[r.entity.id].lstrip("0") if rng.random() < 0.5 else kunnr[r.entity.id]
                elif rng.random() < 0.3:
                    r.extra["accnum"] = f"A-{rng.randrange(10**6):06d}"


def write_system(s: System, out: Path, rng: random.Random) -> int:
    recs = list(s.recs)
    if s.sort_by_key:
        recs.sort(key=lambda r: r.key)
    else:
        rng.shuffle(recs)
    rows = [s.row(r.entity, r, rng) for r in recs]
    path = out / s.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if s.fmt == "csv":
        writers.write_csv(
            path,
            s.columns,
            rows,
            encoding="utf-8" if s.encoding == "utf-8-sig" else s.encoding,
            delimiter=s.delimiter,
            bom=s.bom,
        )
    elif s.fmt == "xlsx":
        writers.write_xlsx(path, s.columns, rows)
    else:
        writers.write_json(path, s.envelope(rows))
    return len(rows)


def org_units(u: companies.Universe, rng) -> list[list]:
    fams: dict[str, list] = defaultdict(list)
    units = []
    for c in u.companies:
        if c.family:
            if c.family not in fams:
                units.append(fams[c.family])
            fams[c.family].append(c)
        else:
            units.append([c])
    rng.shuffle(units)
    return units


def generate(seed: int, out: Path, n_customers: int, n_suppliers: int, n_products: int, quiet: bool = False) -> dict:
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)

    def stream(name: str) -> random.Random:
        """An independent random stream per stage, derived from the seed."""
        return random.Random(f"heldout:{seed}:{name}")

    # organisations
    n_org = int((n_customers + n_suppliers) / 2.0 * 1.25) + 60
    universe = companies.build(stream("orgs"), n_org, cn_share=0.6)
    units = org_units(universe, stream("units"))
    cust_e, supp_e = [], []
    r_split = stream("split")
    for unit in units:
        x = r_split.random()
        if x < BOTH_DOMAINS:
            cust_e += unit
            supp_e += unit
        elif x < BOTH_DOMAINS + (1 - BOTH_DOMAINS) * n_customers / max(1, n_customers + n_suppliers):
            cust_e += unit
        else:
            supp_e += unit
    cust, supp = customer_systems(), supplier_systems()
    plan(cust_e, cust, stream("plan-c"), n_customers, ORG_SIZES)
    plan(supp_e, supp, stream("plan-s"), n_suppliers, ORG_SIZES)
    assign_keys(cust, stream("keys-c"), True)
    assign_keys(supp, stream("keys-s"), True)
    cross_links(cust, supp, stream("links"))

    # products
    prods = products.build(stream("products"), int(n_products / 1.95 * 1.25) + 30)
    groups: dict[str, list] = defaultdict(list)
    punits = []
    for p in prods:
        if p.group:
            if p.group not in groups:
                punits.append(groups[p.group])
            groups[p.group].append(p)
        else:
            punits.append([p])
    stream("punits").shuffle(punits)
    prod = product_systems()
    plan([p for unit in punits for p in unit], prod, stream("plan-p"), n_products, PRODUCT_SIZES)
    assign_keys(prod, stream("keys-p"), False)

    # files
    files, truth = [], []
    (out / "profiles").mkdir(exist_ok=True)
    written_profiles = set()
    for domain, systems in (("customer", cust), ("supplier", supp), ("product", prod)):
        rng = stream(f"rows-{domain}")
        for s in systems:
            n = write_system(s, out, rng)
            if s.shipped:
                profile = s.profile
            else:
                profile = f"profiles/{s.profile}.yaml"
                if s.profile not in written_profiles:
                    (out / profile).write_text(profile_yaml(s.profile), encoding="utf-8")
                    written_profiles.add(s.profile)
            files.append(
                {
                    "path": s.path,
                    "domain": domain,
                    "system": s.code,
                    "system_name": s.name,
                    "profile": profile,
                    "profile_shipped": s.shipped,
                    "format": s.fmt,
                    "encoding": s.encoding,
                    "delimiter": s.delimiter if s.fmt == "csv" else None,
                    "records": n,
                }
            )
            for r in s.recs:
                truth.append((domain, s.code, r.key, r.entity.id, int(r.deleted)))
    writers.write_ground_truth(out / "ground_truth.csv", truth)
    stats = summarize(truth, universe, prods)
    meta = {
        "generator": "bench.heldout.generate",
        "seed": seed,
        "seed_policy": "seeds < 100 development, >= 100 held out",
        "requested": {"customers": n_customers, "suppliers": n_suppliers, "products": n_products},
        "stats": stats,
    }
    writers.write_manifest(out / "manifest.yaml", meta, files)
    if not quiet:
        print(f"seed {seed}: wrote {len(files)} files, {len(truth)} records to {out} in {time.time() - t0:.1f}s")
        for f in files:
            print(
                f"  {f['domain']:9} {f['system']:11} {f['format']:5} {f['encoding'] or '-':10} {f['records']:6}"
                f"  {f['path']}  [{f['profile']}]"
            )
        for d, st in stats.items():
            print(f"  {d}: {st}")
    return {"files": files, "stats": stats}


def summarize(truth, universe, prods) -> dict:
    out = {}
    for domain in ("customer", "supplier", "product"):
        rows = [t for t in truth if t[0] == domain]
        by_entity = Counter(t[3] for t in rows)
        sizes = Counter(by_entity.values())
        within = Counter((t[1], t[3]) for t in rows)
        pairs = sum(n * (n - 1) // 2 for n in by_entity.values())
        out[domain] = {
            "records": len(rows),
            "entities": len(by_entity),
            "records_in_multi_record_entities": sum(n for n in by_entity.values() if n > 1),
            "duplicate_rate": round(1 - len(by_entity) / max(1, len(rows)), 3),
            "true_pairs": pairs,
            "within_system_duplicate_records": sum(n - 1 for n in within.values() if n > 1),
            "cluster_sizes": {int(k): v for k, v in sorted(sizes.items())},
        }
    fam_ids = {c.id: c.family for c in universe.companies if c.family}
    for domain in ("customer", "supplier"):
        ents = {t[3] for t in truth if t[0] == domain}
        fams = Counter(fam_ids[e] for e in ents if e in fam_ids)
        out[domain]["entities_with_lookalike_in_domain"] = sum(n for n in fams.values() if n > 1)
    groups = {p.id: p.group for p in prods if p.group}
    ents = {t[3] for t in truth if t[0] == "product"}
    g = Counter(groups[e] for e in ents if e in groups)
    out["product"]["entities_with_variant_in_domain"] = sum(n for n in g.values() if n > 1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--suppliers", type=int, default=18000)
    ap.add_argument("--products", type=int, default=17000)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    generate(args.seed, args.out, args.customers, args.suppliers, args.products, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
