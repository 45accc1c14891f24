"""Load a generated folder into a private MDM data dir and report rejects and unread columns.

    python -m bench.heldout.check_load DIR [--data-dir /tmp/heldout-check] [--keep]

Runs `manage.py migrate`, `register_system` for every system of the manifest and
`ingest` for every file (with --encoding for CSV), then prints per file: records, rejected,
the reject reasons, and, for every profile, the columns that hold values in the file but
that the profile does not read (what a shipped profile misses on realistic data).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import yaml

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"import (\d+) (\w+): read (\d+), inserted (\d+), updated (\d+), unchanged (\d+), deleted (\d+), rejected (\d+)"
)


def manage(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def profile_fields(profile: str, base: Path) -> dict:
    path = base / profile if profile.endswith(".yaml") else ROOT / "mdm" / "profiles" / f"{profile}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _columns(spec) -> list[str]:
    """The columns one field or key spec reads: a name, a list, or a mapping (field, fields,
    candidates, lines, and map_by)."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, list):
        return list(spec)
    if isinstance(spec, dict):
        cols = []
        for option in ("field", "fields", "candidates", "lines", "map_by"):
            value = spec.get(option)
            cols += [value] if isinstance(value, str) else list(value or [])
        return cols
    return []


def referenced_columns(spec: dict) -> set[str]:
    cols = set(_columns(spec.get("key")))
    if spec.get("deleted"):
        cols.add(spec["deleted"]["field"])
    for v in spec["fields"].values():
        cols.update(_columns(v))
    return cols


def _reads(spec: dict, attribute: str, column: str) -> bool:
    return column in _columns(spec["fields"].get(attribute))


def _region_map(spec: dict) -> tuple[dict, str | None]:
    """The province map (a table name is read from mdm/profiles/tables/) and its map_by field."""
    province = spec["fields"].get("province") or {}
    mapping = province.get("map", {}) if isinstance(province, dict) else {}
    if isinstance(mapping, str):
        path = ROOT / "mdm" / "profiles" / "tables" / f"{mapping}.yaml"
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    return mapping, (province.get("map_by") if isinstance(province, dict) else None)


def file_columns(path: Path, fmt: str, encoding: str | None, delimiter: str | None, records: str | None) -> Counter:
    """How many records have a non-empty value, per column (flattened dotted paths for JSON)."""
    filled: Counter = Counter()
    if fmt == "csv":
        with path.open(encoding="utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding, newline="") as f:
            for row in csv.DictReader(f, delimiter=delimiter or ","):
                for k, v in row.items():
                    if v not in (None, ""):
                        filled[k] += 1
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows)
        for r in rows:
            for k, v in zip(header, r, strict=False):
                if v not in (None, ""):
                    filled[k] += 1
    else:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for step in (records or "").split("."):
            if step:
                doc = doc[step]
        for rec in doc:
            seen = set()
            _flatten(rec, "", seen)
            filled.update(seen)
    return filled


def _flatten(v, prefix, out: set):
    if isinstance(v, dict):
        for k, x in v.items():
            _flatten(x, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _flatten(x, f"{prefix}.{i}", out)
    elif v not in (None, "", False):
        out.add(prefix)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/heldout-check"))
    ap.add_argument("--keep", action="store_true", help="keep an existing data dir instead of starting empty")
    ap.add_argument("--findings-only", action="store_true", help="only analyse the SAP files, load nothing")
    args = ap.parse_args(argv)
    base = args.dir.resolve()
    manifest = yaml.safe_load((base / "manifest.yaml").read_text(encoding="utf-8"))
    if args.findings_only:
        print("\n".join(shipped_findings(base, manifest)))
        return
    if args.data_dir.exists() and not args.keep:
        shutil.rmtree(args.data_dir)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MDM_DATA_DIR=str(args.data_dir))
    env.pop("DATABASE_URL", None)
    r = manage(["migrate", "-v", "0"], env)
    if r.returncode:
        sys.exit(r.stderr)
    for code, name in {f["system"]: f["system_name"] for f in manifest["files"]}.items():
        r = manage(["register_system", code, "--name", name], env)
        if r.returncode:
            sys.exit(r.stderr)
    reports = args.data_dir / "reports"
    reports.mkdir(exist_ok=True)
    results = []
    for f in manifest["files"]:
        profile = str(base / f["profile"]) if f["profile"].endswith(".yaml") else f["profile"]
        report = reports / (Path(f["path"]).stem + "-rejects.csv")
        cmd = [
            "ingest",
            str(base / f["path"]),
            "--system",
            f["system"],
            "--profile",
            profile,
            "--domain",
            f["domain"],
            "--no-progress",
            "--no-realtime",
            "--report",
            str(report),
        ]
        if f["format"] == "csv" and f.get("encoding"):
            cmd += ["--encoding", f["encoding"]]
        r = manage(cmd, env)
        m = SUMMARY.search(r.stdout + r.stderr)
        reasons: Counter = Counter()
        if report.exists():
            with report.open(encoding="utf-8-sig") as fh:
                for row in csv.DictReader(fh):
                    reasons[re.sub(r"'[^']*'", "'…'", row["reason"])[:90]] += 1
        spec = profile_fields(f["profile"], base)
        filled = file_columns(base / f["path"], f["format"], f.get("encoding"), f.get("delimiter"), spec.get("records"))
        refs = referenced_columns(spec)
        unread = {k: n for k, n in filled.items() if k not in refs and not any(k.startswith(x + ".") for x in refs)}
        results.append((f, m.groups() if m else None, r.returncode, reasons, unread, (r.stdout + r.stderr)[-600:]))
    for f, m, rc, reasons, unread, tail in results:
        print(f"\n{f['domain']}/{f['system']} {f['path']} [{f['profile']}]")
        if not m:
            print(f"  FAILED (exit {rc}): {tail}")
            continue
        run, status, read, inserted, updated, unchanged, deleted, rejected = m
        print(
            f"  {status}: read {read}, inserted {inserted}, deleted {deleted}, rejected {rejected}"
            f" (manifest: {f['records']})"
        )
        for reason, n in reasons.most_common(8):
            print(f"    reject x{n}: {reason}")
        shown = {
            k: n
            for k, n in sorted(unread.items(), key=lambda x: -x[1])
            if not re.search(r"__metadata|\.\d+\.(BusinessPartner|AddressID)$", k)
        }
        if shown:
            print(
                "  columns with values the profile does not read: "
                + ", ".join(f"{k} ({n})" for k, n in list(shown.items())[:40])
            )
    print("\nStored records against ground_truth.csv, and standardization issues per file:")
    print("\n".join(stored_check(base, args.data_dir)))
    print("\nShipped profiles on this data:")
    print("\n".join(shipped_findings(base, manifest)))


def stored_check(base: Path, data_dir: Path) -> list[str]:
    """Source keys stored per (domain, system) equal the ground truth's; issues the
    standardizers noted, per attribute (read from the SQLite file of the private data dir)."""
    db = data_dir / "mdm.sqlite3"
    if not db.exists():
        return ["  (no SQLite database in the data dir)"]
    con = sqlite3.connect(db)
    codes = dict(con.execute("select id, code from mdm_sourcesystem"))
    stored: dict = {}
    issues: dict = {}
    for domain, system_id, key, deleted, raw_issues in con.execute(
        "select domain, system_id, source_key, is_deleted, issues from mdm_sourcerecord"
    ):
        sk = (domain, codes[system_id])
        stored.setdefault(sk, {})[key] = bool(deleted)
        for attr, notes in (json.loads(raw_issues) if raw_issues else {}).items():
            bucket = issues.setdefault(sk, {}).setdefault(attr, [])
            bucket.extend(notes)
    truth: dict = {}
    with (base / "ground_truth.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth.setdefault((r["domain"], r["system"]), {})[r["source_key"]] = r["deleted"] == "1"
    out = []
    for sk in sorted(truth):
        t, s = truth[sk], stored.get(sk, {})
        missing, extra = len(set(t) - set(s)), len(set(s) - set(t))
        flag_diff = sum(1 for k in t if k in s and t[k] != s[k])
        out.append(
            f"  {sk[0]}/{sk[1]}: {len(s)} stored, {len(t)} in truth, missing {missing}, unexpected {extra}, "
            f"deletion flag differs {flag_diff}"
        )
        for attr, notes in sorted(issues.get(sk, {}).items(), key=lambda x: -len(x[1])):
            kinds = Counter(re.sub(r":.*", "", n) for n in notes)
            examples = "; ".join(n.split(": ", 1)[-1] for n in notes[:3])
            top = ", ".join(f"{k} x{v}" for k, v in kinds.most_common(3))
            out.append(f"      {attr}: {len(notes)} issues ({top}) e.g. {examples}")
    return out


# ---------------------------------------------------------------------------------------
# What the shipped profiles make of realistic SAP data
# ---------------------------------------------------------------------------------------
DEPARTMENT = re.compile(r"^(采购部|财务部|销售部|供应链部|设备部|行政部|仓库|收件人|Abt\.|Attn\.|c/o|Werk|Purchasing)")


def _rows(base: Path, f: dict) -> list[dict]:
    path = base / f["path"]
    if f["format"] == "csv":
        enc = "utf-8-sig" if f["encoding"] in ("utf-8", "utf-8-sig") else f["encoding"]
        with path.open(encoding=enc, newline="") as fh:
            return list(csv.DictReader(fh, delimiter=f.get("delimiter") or ","))
    if f["format"] == "xlsx":
        it = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        header = next(it)
        return [{k: ("" if v is None else v) for k, v in zip(header, r, strict=False)} for r in it]
    return json.loads(path.read_text(encoding="utf-8"))["d"]["results"]


def _region_owner(key: str) -> str | None:
    if key.isdigit() and len(key) == 3:
        return "CN"
    return {
        "05": "DE",
        "08": "DE",
        "09": "DE",
        "13": "JP",
        "23": "JP",
        "27": "JP",
        "CA": "US",
        "IL": "US",
        "TX": "US",
    }.get(key)


def shipped_findings(base: Path, manifest: dict) -> list[str]:
    out = []
    for f in manifest["files"]:
        if not f.get("profile_shipped"):
            continue
        spec = profile_fields(f["profile"], base)
        rows = _rows(base, f)
        n = len(rows)
        lines: list[str] = []

        def add(count, text, lines=lines, n=n):
            if count:
                lines.append(f"    {count:5d} / {n} ({count / n:.0%}) {text}")

        region_map, map_by = _region_map(spec)

        def regions(country, region_map=region_map, map_by=map_by):
            """The region keys the profile maps for a record of this country."""
            return (region_map.get(country) or {}) if map_by else region_map

        if f["profile"] in ("sap_kna1", "sap_lfa1"):
            candidates = all(_reads(spec, "tax_id", c) for c in ("STCD1", "STCD2", "STCD3", "STCD4"))
            only_other = [
                r
                for r in rows
                if not r["STCD5"] and not r["STCEG"] and any(r[k] for k in ("STCD1", "STCD2", "STCD3", "STCD4"))
            ]
            add(
                0 if candidates else len(only_other),
                "tax id only in STCD1-STCD4 (not read: the profile reads STCD5/STCEG): "
                + ", ".join(f"{k} {v}" for k, v in Counter(r["LAND1"] for r in only_other).most_common(6)),
            )
            add(
                0 if candidates else sum(1 for r in rows if r["STCD5"] and r["STCEG"]),
                "both STCD5 and STCEG filled: read as one value joined with a space",
            )
            name_lines = _reads(spec, "name", "NAME3")
            add(
                0 if name_lines else sum(1 for r in rows if r["NAME2"] and DEPARTMENT.match(r["NAME2"])),
                "NAME2 holds a department / c/o / attention line, joined into the name",
            )
            add(
                0 if name_lines else sum(1 for r in rows if len(r["NAME1"]) == 35 and r["NAME2"]),
                "name cut at 35 characters in NAME1 and continued in NAME2"
                " (joined with a space, mid-word cuts stay split)",
            )
            add(0 if name_lines else sum(1 for r in rows if r["NAME3"] or r["NAME4"]),
                "NAME3/NAME4 (English name, former name) not read")
            add(0 if _reads(spec, "address", "ORT02") else sum(1 for r in rows if r["ORT02"]),
                "ORT02 (district) not read")
            unmapped = Counter(r["REGIO"] for r in rows if r["REGIO"] and r["REGIO"] not in regions(r["LAND1"]))
            add(
                sum(unmapped.values()),
                "REGIO key not in the profile's map (raw key kept as province): "
                + ", ".join(f"{k}x{v}" for k, v in unmapped.most_common(10)),
            )
            wrong = Counter(
                f"{r['LAND1']}:{r['REGIO']}->{region_map[r['REGIO']]}"
                for r in rows
                if not map_by and r["REGIO"] in region_map and _region_owner(r["REGIO"]) not in (None, r["LAND1"])
            )
            add(
                sum(wrong.values()),
                "REGIO mapped to another country's region (the map ignores LAND1): "
                + ", ".join(f"{k} x{v}" for k, v in wrong.most_common(6)),
            )
            inner = sum(1 for r in rows
                        if r["LAND1"] == "CN" and r["REGIO"] == "040" and regions("CN").get("040") != "内蒙古自治区")
            add(inner, "LAND1 CN, REGIO 040 (Inner Mongolia in the standard T005S) read as another region")
            add(sum(1 for r in rows if len(r["TELF1"]) == 16), "TELF1 at its 16-character limit (extension cut)")
        if f["profile"] == "sap_lfa1":
            add(
                0 if _reads(spec, "bank_account", "BKREF") else sum(1 for r in rows if r["BKREF"]),
                "bank account longer than BANKN's 18 characters, rest in BKREF (read truncated)",
            )
            add(
                sum(1 for r in rows if r["BANKN"] and r["BANKL"]),
                "BANKL (bank key: CNAPS, BLZ, sort code, ABA) not read with BANKN",
            )
            zmap = spec["fields"]["payment_terms"].get("map", {})
            other = Counter(r["ZTERM"] for r in rows if r["ZTERM"] and r["ZTERM"] not in zmap)
            add(
                sum(other.values()),
                "ZTERM key not in the profile's map (kept raw): "
                + ", ".join(f"{k}x{v}" for k, v in other.most_common()),
            )
        if f["profile"] == "sap_a_businesspartner":

            def taxes(r):
                return [t["BPTaxType"] for t in r["to_BusinessPartnerTax"]["results"]]

            candidates = isinstance(spec["fields"].get("tax_id"), dict) and "candidates" in spec["fields"]["tax_id"]
            add(
                0 if candidates else sum(1 for r in rows if taxes(r)[:1] == ["CN1"] and "CN5" in taxes(r)),
                "first tax number is the legacy CN1 (15-char registration no.), the USCC (CN5) second:"
                " the profile reads results.0",
            )
            add(
                0 if candidates else sum(1 for r in rows if len(taxes(r)) > 1 and taxes(r)[0] != "CN1"),
                "more than one tax number (only the first is read)",
            )
            addr = [r["to_BusinessPartnerAddress"]["results"][0] for r in rows]

            def unread(attribute, column, count, text, spec=spec):
                add(0 if any(c.endswith(column) for c in _columns(spec["fields"].get(attribute))) else count, text)

            unread("phone", "PhoneNumberExtension",
                   sum(1 for a in addr if any(p["PhoneNumberExtension"] for p in a["to_PhoneNumber"]["results"])),
                   "PhoneNumberExtension not read (extension dropped)")
            unread("address", "StreetSuffixName", sum(1 for a in addr if a["StreetSuffixName"]),
                   "StreetSuffixName (building, floor, room) not read")
            unread("name", "OrganizationBPName3", sum(1 for r in rows if r["OrganizationBPName3"]),
                   "OrganizationBPName3 (English name) not read")
            unread("changed_at", "CreationDate", sum(1 for r in rows if r["LastChangeDate"] is None),
                   "LastChangeDate null (never changed): changed_at empty, CreationDate not used")
            unread("website", "WebsiteURL", sum(1 for a in addr if a["to_URLAddress"]["results"]),
                   "website (to_URLAddress) not read")
            wrong = Counter(
                f"{a['Country']}:{a['Region']}"
                for a in addr
                if not map_by and a["Region"] in region_map and _region_owner(a["Region"]) not in (None, a["Country"])
            )
            add(
                sum(wrong.values()),
                "Region mapped to another country's region: " + ", ".join(f"{k} x{v}" for k, v in wrong.most_common(6)),
            )
            unmapped = Counter(a["Region"] for a in addr if a["Region"] and a["Region"] not in regions(a["Country"]))
            add(
                sum(unmapped.values()),
                "Region key not in the map: " + ", ".join(f"{k}x{v}" for k, v in unmapped.most_common(8)),
            )
        if f["profile"] == "sap_mara":
            add(sum(1 for r in rows if r["MFRPN"]), "MFRPN (manufacturer part number) not read")
            add(sum(1 for r in rows if r["ZEINR"]), "ZEINR/ZEIVR (drawing number and its revision) not read")
            add(sum(1 for r in rows if r["WRKST"]), "WRKST (basic material) not read")
            add(sum(1 for r in rows if r["NORMT"]), "NORMT (industry standard) not read")
            add(sum(1 for r in rows if not r["GROES"]), "GROES (the only spec column read) empty: the spec is in MAKTX")
            add(sum(1 for r in rows if len(str(r["MAKTX"])) >= 39), "MAKTX at its 40-character limit (text cut)")
        if lines:
            out.append(f"  {f['domain']}/{f['system']} [{f['profile']}], {n} records:")
            out += lines
    return out


if __name__ == "__main__":
    main()
