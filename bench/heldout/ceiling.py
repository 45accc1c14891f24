"""How well any matcher could do that sees only a domain's matching features: an upper bound.

    MDM_DATA_DIR=... DJANGO_SETTINGS_MODULE=config.settings \
        python -m bench.heldout.ceiling BASE DOMAIN

Two records whose feature values (the columns the domain's declaration compares and blocks
on, matching.features) are identical are interchangeable to the matcher. So are two pairs
whose records carry the same values: whatever it decides, it must decide for both alike
(or, breaking the tie by record id, guess, which on average does no better). Pairs are put
in classes by their two records' feature values (with whether they share a source system,
or with the two systems themselves); the best any such matcher can do is to take the
classes of highest precision first, and the ceiling is the best F1 along that order.
Pairs are those the declaration's blocking rules form (the true pairs they miss count as
missed). The bound is loose: most classes hold one pair, which it decides right, as if it
knew the truth. Where it is under a target, no model, weight or clustering rule on these
features reaches the target; only more information read from the records can.

A tighter estimate takes no pair's own label: each pair is scored by the share of true
pairs among the other pairs of its class, and where its class has fewer than MIN_OTHERS
others, of a coarser class: how the two records compare (per column: both equal, they
differ, or one is missing) with the two systems, then without them. The pairs taken from
the highest score down give its F1. It is what a matcher could reach that knew, for every
kind of pair but the one at hand, how often it is a match: near the F1 a good matcher
reaches, where the exact-value ceiling is far above it.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

import django

from bench.heldout.quality import ground_truth

PairKey = Callable[[str, str], Any]
MIN_OTHERS = 3  # other pairs a class needs for its share of true pairs to score a pair


def best_f1(classes: Iterable[tuple[int, int]], expected: int) -> tuple[float, float, float]:
    """(F1, precision, recall) of the best choice of whole classes, each (true, false) pairs,
    out of `expected` true pairs: classes taken from the highest precision down."""
    best, correct, found = (0.0, 0.0, 0.0), 0, 0
    for true, false in sorted(classes, key=lambda c: -c[0] / (c[0] + c[1])):
        correct, found = correct + true, found + true + false
        precision, recall = correct / found, correct / max(expected, 1)
        f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
        if f1 > best[0]:
            best = (f1, precision, recall)
    return best


def classes_of(pairs: Iterable[tuple[str, str]], key: PairKey, entity: Mapping[str, str]) -> list[tuple[int, int]]:
    """The pairs counted by class: (true, false) per key."""
    counts: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in pairs:
        counts[key(a, b)][0 if entity[a] == entity[b] else 1] += 1
    return [(true, false) for true, false in counts.values()]


def blocked_pairs(rows: Mapping[str, Mapping[str, Any]], rules: Iterable[tuple[str, ...]]) -> set[tuple[str, str]]:
    """The pairs the blocking rules form: records whose values of a rule's columns are all
    present and equal (a list as a whole, as Splink's block_on compares it)."""
    pairs: set[tuple[str, str]] = set()
    for rule in rules:
        blocks: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for uid, row in rows.items():
            values = tuple(tuple(v) if isinstance(v, list) else v for v in (row[c] for c in rule))
            if all(v is not None for v in values):
                blocks[values].append(uid)
        for members in blocks.values():
            pairs.update(combinations(sorted(members), 2))
    return pairs


def agreement(a: Mapping[str, Any], b: Mapping[str, Any], columns: Iterable[str]) -> tuple[str, ...]:
    """How two feature rows compare, column by column: "=" equal, "!=" different, "-" missing."""
    return tuple("-" if a[c] is None or b[c] is None else "=" if a[c] == b[c] else "!=" for c in columns)


def leave_one_out_f1(pairs: Iterable[tuple[str, str]], keys: list[PairKey], entity: Mapping[str, str],
                     expected: int) -> tuple[float, float, float]:
    """(F1, precision, recall) of the pairs scored, each, by the share of true pairs among
    the other pairs of its class under the first of `keys` (finest first) where the class
    has MIN_OTHERS others at least, or under the last."""
    listed = list(pairs)
    labels = [entity[a] == entity[b] for a, b in listed]
    per_key = []
    for key in keys:
        counts: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        classes = [key(a, b) for a, b in listed]
        for cls, true in zip(classes, labels, strict=True):
            counts[cls][0] += true
            counts[cls][1] += 1
        per_key.append([counts[cls] for cls in classes])
    scores = []
    for i, true in enumerate(labels):
        for level, counted in enumerate(per_key):
            others_true, others = counted[i][0] - true, counted[i][1] - 1
            if others >= MIN_OTHERS or level == len(per_key) - 1:
                scores.append(others_true / others if others else 0.0)
                break
    best, correct, found = (0.0, 0.0, 0.0), 0, 0
    for i in sorted(range(len(listed)), key=lambda i: -scores[i]):
        correct, found = correct + labels[i], found + 1
        precision, recall = correct / found, correct / max(expected, 1)
        f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
        if f1 > best[0]:
            best = (f1, precision, recall)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("domain")
    args = parser.parse_args(argv)
    django.setup()
    from matching.declarations import get_declaration
    from matching.selectors import read_domain
    from matching.tables import feature_table

    truth = ground_truth(args.base, args.domain)
    snapshot = read_domain(args.domain, with_goldens=False)
    declared = get_declaration(args.domain)
    entity: dict[str, str] = {}
    system: dict[str, str] = {}
    for sid, member in snapshot.members.items():
        if (label := f"{member.system}:{member.key}") in truth:
            entity[str(sid)], system[str(sid)] = truth[label], member.system
    rows = {row["unique_id"]: row for row in feature_table(snapshot.rows, declared).to_pylist()
            if row["unique_id"] in entity}
    columns = [c for c in declared.condition_columns() if c != "source_system"]
    values: dict[tuple[Any, ...], int] = {}
    value = {uid: values.setdefault(tuple(repr(row[c]) for c in columns), len(values)) for uid, row in rows.items()}
    members: dict[str, list[str]] = defaultdict(list)
    for uid, e in entity.items():
        members[e].append(uid)
    expected = sum(len(m) * (len(m) - 1) // 2 for m in members.values())
    pairs = blocked_pairs(rows, declared.blocking.values())
    blocked_true = sum(1 for a, b in pairs if entity[a] == entity[b])
    print(f"{args.domain}: {len(entity):,} records, {len(values):,} distinct feature values, {expected:,} true "
          f"pairs, {len(pairs):,} blocked pairs holding {blocked_true:,} of them")
    keys: dict[str, PairKey] = {
        "features, one system or two": lambda a, b: (*sorted((value[a], value[b])), system[a] == system[b]),
        "features and the two systems": lambda a, b: tuple(sorted(((value[a], system[a]), (value[b], system[b])))),
    }
    for name, key in keys.items():
        f1, precision, recall = best_f1(classes_of(pairs, key, entity), expected)
        print(f"  ceiling by {name}: F1 {f1:.3f} (P {precision:.3f}, R {recall:.3f})")
    compared: dict[tuple[str, str], tuple[str, ...]] = {}

    def compare(a: str, b: str) -> tuple[str, ...]:
        if (a, b) not in compared:
            compared[a, b] = agreement(rows[a], rows[b], columns)
        return compared[a, b]

    f1, precision, recall = leave_one_out_f1(pairs, [
        keys["features and the two systems"],
        lambda a, b: (compare(a, b), tuple(sorted((system[a], system[b])))),
        compare,
    ], entity, expected)
    print(f"  leave-one-out (no pair decided by its own label): F1 {f1:.3f} (P {precision:.3f}, R {recall:.3f})")


if __name__ == "__main__":
    main()
