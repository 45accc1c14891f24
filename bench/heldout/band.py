"""Where the true pairs of a matched held-out domain scored: the weights behind its misses.

    MDM_DATA_DIR=... DJANGO_SETTINGS_MODULE=config.settings \
        python -m bench.heldout.band BASE DOMAIN OUT.json [--floor -15]

Scores the domain's live records with its active model down to `floor` (blocking as a run
blocks) and writes, for every true pair (ground_truth.csv) that scored, its match weight,
and per whole weight the scored pairs between two golden records with how many are true:
what a review band placed there would show a steward. bench.heldout.quality reads it to
say where the pairs an oracle steward still misses sit: below the band, inside it (not
proposed), or unscored.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from pathlib import Path

import django

from bench.heldout.quality import ground_truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("domain")
    parser.add_argument("out", type=Path)
    parser.add_argument("--floor", type=float, default=-15.0)
    args = parser.parse_args(argv)
    django.setup()
    from django.conf import settings

    from matching import engine
    from matching.selectors import active_model, read_domain, trained_model

    truth = ground_truth(args.base, args.domain)
    model = active_model(args.domain)
    snapshot = read_domain(args.domain)
    pairs = engine.predict(trained_model(model), snapshot.rows, threshold=args.floor,
                           backend=settings.MDM_MATCH_BACKEND)
    weights: dict[str, float] = {}
    by_weight: Counter[int] = Counter()
    true_by_weight: Counter[int] = Counter()
    for pair in pairs:
        a, b = snapshot.label(int(pair.left)), snapshot.label(int(pair.right))
        same = a in truth and b in truth and truth[a] == truth[b]
        if same:
            weights["|".join(sorted((a, b)))] = round(pair.weight, 3)
        left, right = snapshot.current[int(pair.left)], snapshot.current[int(pair.right)]
        if left is None or left != right:
            by_weight[math.floor(pair.weight)] += 1
            true_by_weight[math.floor(pair.weight)] += same
    args.out.write_text(json.dumps({
        "lower": model.thresholds["lower"], "upper": model.thresholds["upper"], "floor": args.floor,
        "true_weights": weights,
        "apart_by_weight": {w: [by_weight[w], true_by_weight[w]] for w in sorted(by_weight)},
    }), encoding="utf-8")


if __name__ == "__main__":
    main()
