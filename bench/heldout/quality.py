"""Matching quality on held-out exports, through the product's own commands, default settings.

    python -m bench.heldout.quality --seeds 7 8 [--domains customer supplier product] [--no-write]
    python -m bench.heldout.quality --seeds 100 101 --final      # the unseen seeds, once, for a report
    python -m bench.heldout.quality --seeds 7 --domains product --products 5000 --no-write   # smaller, faster

For each seed: generate the exports (bench.heldout.generate), load them into a private SQLite
data dir (bench.heldout.check_load: migrate, register_system, ingest), then `train` and `match`
each domain as a new user would, and read the result back: pairwise precision, recall and F1
over the pairs the golden records imply (auto-merges only), the proposals waiting as a share
of the domain's entities, and the F1 an oracle steward would reach by deciding every proposal
correctly, and where the true pairs it would still miss scored (bench.heldout.band). With
`--steward-share 0.5`, an oracle steward then decides half the review proposals through the
decision service (bench.heldout.steward), the domain is matched again, and the run's estimate
of the true pairs among the proposals left (calibrated on those decisions) is set beside the
truth. Seeds below 100 are for development; seeds of 100 and more are held out (see
README.md here) and refused without --final.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from bench.report import write_section

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("customer", "supplier", "product")
SECTION = "Held-out matching quality"
# a first run's estimate, by its source (matching.calibration)
ESTIMATED_BY = {"model": ", uncalibrated", "apart": ", left apart", "ids": ", ids and left apart"}


def run(args: list[str], env: dict[str, str] | None = None) -> float:
    """Run a command from the project root; its wall time in seconds. Fails loudly."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return time.perf_counter() - started


def pairs_of(groups: dict[object, set[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}


def prf(found: set, expected: set) -> tuple[float, float, float]:
    correct = len(found & expected)
    precision = correct / len(found) if found else 1.0
    recall = correct / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def ground_truth(base: Path, domain: str) -> dict[str, str]:
    """The live records of a domain in a held-out folder's ground truth: "system:key" → entity."""
    with (base / "ground_truth.csv").open(encoding="utf-8") as f:
        return {f"{row['system']}:{row['source_key']}": row["entity_id"] for row in csv.DictReader(f)
                if row["domain"] == domain and row["deleted"] == "0"}


def measure(base: Path, data_dir: Path, domain: str, band: dict | None = None) -> dict[str, float]:
    """Quality of the stored golden records of one domain against the ground truth; with
    `band` (bench.heldout.band), where the true pairs an oracle steward still misses scored."""
    truth = ground_truth(base, domain)
    con = sqlite3.connect(data_dir / "mdm.sqlite3")
    label: dict[int, str] = {}
    golden: dict[object, set[str]] = defaultdict(set)
    rows = con.execute(
        "SELECT r.id, s.code, r.source_key, r.golden_id FROM mdm_sourcerecord r "
        "JOIN mdm_sourcesystem s ON s.id = r.system_id WHERE r.domain = ? AND NOT r.is_deleted",
        [domain],
    )
    for pk, system, key, golden_id in rows:
        name = f"{system}:{key}"
        if name in truth:
            label[pk] = name
            golden[golden_id if golden_id is not None else name].add(name)
    entities: dict[str, set[str]] = defaultdict(set)
    for name in label.values():
        entities[truth[name]].add(name)
    expected = pairs_of(entities)
    found = pairs_of(golden)
    pending = con.execute(
        "SELECT left_id, right_id, kind FROM mdm_mergeproposal WHERE domain = ? AND status = 'pending'", [domain]
    ).fetchall()
    proposals = [(left, right) for left, right, _ in pending]
    # The oracle steward approves the true proposals: their golden records join.
    parent = {name: name for name in label.values()}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for members in golden.values():
        first, *rest = sorted(members)
        for other in rest:
            parent[root(other)] = root(first)
    for left, right in proposals:
        a, b = label.get(left), label.get(right)
        if a and b and truth[a] == truth[b]:
            parent[root(a)] = root(b)
    # the estimate covers the review proposals (a held merge is no review-band pair)
    true_proposals = sum(1 for left, right, kind in pending if kind == "review"
                         and label.get(left) and label.get(right) and truth[label[left]] == truth[label[right]])
    last = con.execute("SELECT counts, report FROM mdm_matchrun WHERE domain = ? AND status = 'completed' "
                       "ORDER BY started_at DESC LIMIT 1", [domain]).fetchone()
    likely = json.loads(last[0]).get("proposals_likely_true", 0) if last else 0
    held_back = json.loads(last[0]).get("proposals_held_back", 0) if last else 0
    calibration = (json.loads(last[1]).get("calibration") or {}).get("source", "") if last else ""
    oracle: dict[str, set[str]] = defaultdict(set)
    for name in label.values():
        oracle[root(name)].add(name)
    precision, recall, f1 = prf(found, expected)
    missed = expected - pairs_of(oracle)
    where = {}
    if band is not None:
        weights = band["true_weights"]
        scored = [weights.get("|".join(pair)) for pair in missed]
        where = {
            "missed_below_band": sum(1 for w in scored if w is not None and w < band["lower"]),
            "missed_in_band": sum(1 for w in scored if w is not None and w >= band["lower"]),
            "missed_unscored": sum(1 for w in scored if w is None),  # below the floor, or not blocked together
        }
    return {
        "records": len(label), "entities": len(entities), "true_pairs": len(expected),
        "precision": precision, "recall": recall, "f1": f1,
        "proposals": len(proposals), "proposal_share": len(proposals) / max(len(entities), 1),
        "oracle_f1": prf(pairs_of(oracle), expected)[2],
        "proposals_true": true_proposals, "proposals_likely_true": likely, "calibration": calibration,
        "held_back": held_back, "missed": len(missed), **where,
    }


def evaluate_seed(seed: int, domains: list[str], workdir: Path, sizes: dict[str, int] | None = None,
                  steward_share: float = 0.0) -> list[tuple[str, dict[str, float]]]:
    """Generate (at the generator's default sizes, or `sizes` per domain), load, train,
    match and measure one seed."""
    sizes = sizes or {}
    label = "-".join(f"{d[0]}{n}" for d, n in sorted(sizes.items()))
    name = f"heldout-{seed}" + (f"-{label}" if label else "")
    base = workdir / name
    if not (base / "manifest.yaml").exists():
        size_args = [arg for domain, n in sorted(sizes.items()) for arg in (f"--{domain}s", str(n))]
        run(["-m", "bench.heldout.generate", "--seed", str(seed), "--out", str(base), "--quiet", *size_args])
    return [(f"seed {seed}", figures)
            for _, figures in evaluate(base, workdir / f"{name}-data", domains, steward_share, seed)]


def evaluate(base: Path, data_dir: Path, domains: list[str], steward_share: float = 0.0,
             seed: int = 0) -> list[tuple[str, dict[str, float]]]:
    """Load a held-out folder (manifest, profiles, ground truth) into a fresh data dir, then
    train, match and measure each domain. With `steward_share`, an oracle steward then decides
    that share of the review proposals (bench.heldout.steward, drawn with `seed`), the domain
    is matched again, and the run's estimate of the true pairs among the proposals left is set
    beside the truth."""
    load = run(["-m", "bench.heldout.check_load", str(base), "--data-dir", str(data_dir)])
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MDM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.settings")
    results = []
    for domain in domains:
        train = run(["manage.py", "train", domain], env)
        match = run(["manage.py", "match", domain], env)
        band_file = data_dir / f"{domain}-band.json"
        run(["-m", "bench.heldout.band", str(base), domain, str(band_file)], env)
        figures = measure(base, data_dir, domain, json.loads(band_file.read_text(encoding="utf-8")))
        figures.update(load_s=load, train_s=train, match_s=match)
        if steward_share:
            run(["-m", "bench.heldout.steward", str(base), domain, "--share", str(steward_share),
                 "--seed", str(seed)], env)
            run(["manage.py", "match", domain], env)
            after = measure(base, data_dir, domain)
            figures.update({f"after_{k}": after[k] for k in (
                "proposals", "proposals_true", "proposals_likely_true", "calibration", "held_back", "f1",
                "oracle_f1")})
        results.append((domain, figures))
        print(f"{base.name} {domain}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                   for k, v in figures.items()), flush=True)
    return results


def table(rows: list[tuple[str, str, dict[str, float]]]) -> str:
    head = ("| set | domain | records | entities | true pairs | P | R | **F1** | proposals (% of entities; band pairs "
            "held back past the budget) "
            "| true proposals (run's estimate) | oracle F1 | pairs the oracle misses (scored below the lower "
            "threshold) | after a steward decided a share: true proposals left (estimate, by) | train / match s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [
        f"| {label} | {domain} | {r['records']:,} | {r['entities']:,} | {r['true_pairs']:,} | {r['precision']:.3f} "
        f"| {r['recall']:.3f} | **{r['f1']:.3f}** | {r['proposals']:,} ({r['proposal_share']:.1%}; "
        f"{r.get('held_back', 0):,} held back) "
        f"| {r.get('proposals_true', 0):,} ({r.get('proposals_likely_true', 0):,.0f}"
        f"{ESTIMATED_BY.get(r.get('calibration', ''), '')}) "
        f"| {r['oracle_f1']:.3f} | {r['missed']:,} ({r.get('missed_below_band', '–')}) "
        + (f"| {r['after_proposals_true']:,} ({r['after_proposals_likely_true']:,.0f}, {r['after_calibration']}) "
           if "after_proposals_true" in r else "| – ")
        + f"| {r['train_s']:.0f} / {r['match_s']:.0f} |"
        for label, domain, r in rows
    ]
    return "\n".join([head, *lines])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--domains", nargs="+", choices=DOMAINS, default=list(DOMAINS))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mdm-heldout-quality"))
    parser.add_argument("--final", action="store_true", help="allow the held-out seeds (100 and more)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--steward-share", type=float, default=0.0, metavar="SHARE",
                        help="then let an oracle steward decide this share of the proposals and match again")
    for domain in DOMAINS:
        parser.add_argument(f"--{domain}s", type=int, metavar="N",
                            help=f"{domain} records to generate (the generator's default when left out)")
    args = parser.parse_args(argv)
    if any(seed >= 100 for seed in args.seeds) and not args.final:
        parser.error("seeds of 100 and more are held out for the final report: add --final to measure them")
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = {d: getattr(args, f"{d}s") for d in DOMAINS if getattr(args, f"{d}s") is not None}
    rows = []
    for seed in args.seeds:
        measured = evaluate_seed(seed, args.domains, args.workdir, sizes, args.steward_share)
        for (label, figures), domain in zip(measured, args.domains, strict=True):
            rows.append((label + (" (held out)" if seed >= 100 else ""), domain, figures))
    text = table(rows)
    print(text)
    if not args.no_write:
        write_section(
            SECTION,
            "`python -m bench.heldout.quality --seeds "
            f"{' '.join(map(str, args.seeds))}"
            f"{'' if args.domains == list(DOMAINS) else ' --domains ' + ' '.join(args.domains)}"
            f"{''.join(f' --{d}s {n}' for d, n in sizes.items())}`: exports from the second, independent generator "
            "(bench/heldout: other systems, layouts and noise than the fixtures'), loaded, trained and matched "
            "with the product's own commands and default settings. Pairwise precision, recall and F1 over the "
            "pairs the golden records imply (automatic merges only); proposals waiting, as a share of the "
            "domain's entities; oracle F1: every proposal decided correctly by a steward. Seeds below 100 are "
            "development sets; 100 and more were measured once, unseen.\n\n" + text,
        )


if __name__ == "__main__":
    main()
