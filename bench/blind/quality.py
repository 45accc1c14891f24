"""Matching quality on the blind generator's exports, through the product's own commands.

    python -m bench.blind.quality --seeds 1 2 [--domains customer supplier product] --workdir DIR
    python -m bench.blind.quality --seeds 100 --final --workdir DIR     # a held-out seed, for a report

Generates each seed (bench.blind.generate), then loads, trains, matches and measures it with
bench.heldout.quality.evaluate (default settings) and prints a table. Seeds of 100 and more
are held out and refused without --final.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.blind.generate import generate
from bench.heldout.quality import DOMAINS, evaluate


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--domains", nargs="+", choices=DOMAINS, default=list(DOMAINS))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mdm-blind-quality"))
    ap.add_argument("--final", action="store_true", help="allow the held-out seeds (100 and more)")
    args = ap.parse_args(argv)
    if any(seed >= 100 for seed in args.seeds) and not args.final:
        ap.error("seeds of 100 and more are held out: pass --final to use them")
    rows = []
    for seed in args.seeds:
        base = args.workdir / f"blind-{seed}"
        if not (base / "manifest.yaml").exists():
            generate(seed, base)
        for domain, figures in evaluate(base.resolve(), (args.workdir / f"blind-{seed}-data").resolve(), args.domains):
            rows.append((seed, domain, figures))
    print("\n| seed | domain | records | entities | true pairs | P | R | F1 | proposals (share) | oracle F1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for seed, domain, r in rows:
        print(
            f"| {seed} | {domain} | {r['records']:,} | {r['entities']:,} | {r['true_pairs']:,} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {r['f1']:.3f} | {r['proposals']:,} ({r['proposal_share']:.1%}) "
            f"| {r['oracle_f1']:.3f} |"
        )


if __name__ == "__main__":
    main()
