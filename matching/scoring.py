"""Scoring one pair in pure Python: the same levels and weights as Splink's predict.

The batch run scores with Splink (matching.engine); everything that scores a few pairs at
a time, real-time matching, search, the conflict check inside candidate groups and the
explanations stewards read, uses the Scorer here. Its levels are the declaration's, with
the parts of every AND and OR tested cheapest first (SQL's three-valued AND and OR are
commutative, so the level is the same); its weights are the trained parameters. Tests hold
it equal to Splink's predict on thousands of pairs.

Weights are Splink match weights (log2 Bayes factors): total = prior + sum of comparison
weights (+ term-frequency adjustments), and every Evidence item carries its share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matching import declarations as m
from matching.artifact import TrainedModel, level_weight
from matching.features import feature_function
from matching.tables import item_counts, items_column
from mdm.errors import DeclarationError

PRUNE_MARGIN = 1e-9  # a bound this close to the floor is scored, whatever the rounding


@dataclass(frozen=True, slots=True)
class Evidence:
    """One comparison's contribution: the level that applied and its match weight."""

    comparison: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class Pair:
    left: str
    right: str
    weight: float
    probability: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    weight: float
    probability: float
    prior_weight: float
    evidence: tuple[Evidence, ...]

    def lines(self) -> list[str]:
        out = [f"prior {self.prior_weight:+.2f}"]
        out += [f"{e.comparison}: {e.level} {e.weight:+.2f}" for e in self.evidence]
        out.append(f"total {self.weight:+.2f} (p = {self.probability:.4f})")
        return out


def probability(weight: float) -> float:
    return 1 / (1 + 2 ** (-weight)) if weight >= 0 else 2**weight / (1 + 2**weight)


def probability_weight(probability: float) -> float:
    """The match weight (log2 odds) of a match probability: the inverse of `probability`."""
    return math.log2(probability / (1 - probability))


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity as DuckDB computes it (prefix scale 0.1, up to 4
    characters, the boost only when the Jaro similarity exceeds 0.7)."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(0, max(la, lb) // 2 - 1)
    a_flags = [False] * la
    b_flags = [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        lo, hi = max(0, i - window), min(lb, i + window + 1)
        for j in range(lo, hi):
            if not b_flags[j] and b[j] == ch:
                a_flags[i] = b_flags[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    transpositions = 0
    j = 0
    for i in range(la):
        if a_flags[i]:
            while not b_flags[j]:
                j += 1
            if a[i] != b[j]:
                transpositions += 1
            j += 1
    t = transpositions // 2
    sim = (matches / la + matches / lb + (matches - t) / matches) / 3
    if sim > 0.7:
        prefix = 0
        for x, y in zip(a[:4], b[:4], strict=False):
            if x != y:
                break
            prefix += 1
        sim += prefix * 0.1 * (1 - sim)
    return sim


def damerau_levenshtein(a: str, b: str) -> int:
    """Unrestricted Damerau-Levenshtein distance (as DuckDB's damerau_levenshtein)."""
    la, lb = len(a), len(b)
    big = la + lb
    last_row: dict[str, int] = {}
    d = [[big] * (lb + 2) for _ in range(la + 2)]
    for i in range(la + 1):
        d[i + 1][0] = big
        d[i + 1][1] = i
    for j in range(lb + 1):
        d[0][j + 1] = big
        d[1][j + 1] = j
    for i in range(1, la + 1):
        last_match_col = 0
        for j in range(1, lb + 1):
            i1 = last_row.get(b[j - 1], 0)
            j1 = last_match_col
            cost = 1
            if a[i - 1] == b[j - 1]:
                cost = 0
                last_match_col = j
            d[i + 1][j + 1] = min(
                d[i][j] + cost,
                d[i + 1][j] + 1,
                d[i][j + 1] + 1,
                d[i1][j1] + (i - i1 - 1) + 1 + (j - j1 - 1),
            )
        last_row[a[i - 1]] = i
    return d[la + 1][lb + 1]


Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], "bool | None"]


def _and(values: Iterable[bool | None]) -> bool | None:
    result: bool | None = True
    for v in values:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def _or(values: Iterable[bool | None]) -> bool | None:
    result: bool | None = False
    for v in values:
        if v is True:
            return True
        if v is None:
            result = None
    return result


Items = Mapping[str, tuple[str, Mapping[Any, int]]]  # items column -> (its TF column, items per value)


def _compile(cond: m.Condition, items: Items) -> Predicate:
    """A Python predicate with SQL's three-valued logic (None is NULL). An items column
    (tables.items_column) is read off the model's counts (`items`), not the row: a feature
    row outlives a model (realtime caches them), its counts are the model's."""
    match cond:
        case m.Exact(column=c):
            return lambda l, r: None if l[c] is None or r[c] is None else l[c] == r[c]
        case m.Differ(column=c):
            return lambda l, r: None if l[c] is None or r[c] is None else l[c] != r[c]
        case m.Null(column=c):
            return lambda l, r: l[c] is None or r[c] is None
        case m.BothNull(column=c):
            return lambda l, r: l[c] is None and r[c] is None
        case m.JaroWinkler(column=c, threshold=t):
            return lambda l, r: None if l[c] is None or r[c] is None else jaro_winkler(l[c], r[c]) >= t
        case m.Damerau(column=c, distance=n):
            return lambda l, r: None if l[c] is None or r[c] is None else damerau_levenshtein(l[c], r[c]) <= n
        case m.Overlap(column=c, size=n):
            return lambda l, r: None if l[c] is None or r[c] is None else len(set(l[c]) & set(r[c])) >= n
        case m.Subset(column=c):
            def subset(l: Mapping[str, Any], r: Mapping[str, Any]) -> bool | None:
                a, b = l[c], r[c]
                if a is None or b is None:  # LEAST skips NULL: FALSE only when the other is empty
                    other = b if a is None else a
                    return False if other is not None and len(other) == 0 else None
                smaller = min(len(a), len(b))
                if smaller == 0:
                    return False
                return len(set(a) & set(b)) == smaller
            return subset
        case m.EitherTrue(column=c):
            return lambda l, r: _or((l[c], r[c]))
        case m.EitherFalse(column=c):
            return lambda l, r: _or((None if l[c] is None else l[c] is False, None if r[c] is None else r[c] is False))
        case m.AtLeast(column=c, size=n) if c in items:
            t, per_value = items[c]
            return lambda l, r: (None if l[t] is None or r[t] is None
                                 else per_value.get(l[t], 1) >= n and per_value.get(r[t], 1) >= n)
        case m.AtLeast(column=c, size=n):
            return lambda l, r: None if l[c] is None or r[c] is None else l[c] >= n and r[c] >= n
        case m.All(parts=parts):
            fs = [_compile(p, items) for p in parts]
            return lambda l, r: _and(f(l, r) for f in fs)
        case m.Any(parts=parts):
            fs = [_compile(p, items) for p in parts]
            return lambda l, r: _or(f(l, r) for f in fs)
        case m.Not(part=p):
            f = _compile(p, items)

            def negate(l: Mapping[str, Any], r: Mapping[str, Any]) -> bool | None:
                v = f(l, r)
                return None if v is None else not v
            return negate
    raise DeclarationError(f"unsupported condition {cond!r}")


_COST: dict[type, int] = {
    m.Null: 0, m.BothNull: 0, m.EitherTrue: 0, m.EitherFalse: 0, m.AtLeast: 0, m.Exact: 1, m.Differ: 1,
    m.Overlap: 2, m.Subset: 2, m.JaroWinkler: 20, m.Damerau: 40,
}


def cost(cond: m.Condition | None) -> int:
    """A rough cost of testing a condition: string distances are dear, equality cheap."""
    if cond is None:
        return 0
    if isinstance(cond, (m.All, m.Any)):
        return sum(cost(p) for p in cond.parts)
    if isinstance(cond, m.Not):
        return cost(cond.part)
    return _COST.get(type(cond), 10)


def cheap_first(cond: m.Condition | None) -> m.Condition | None:
    """The same condition with the parts of every AND and OR in order of cost: only a
    string distance is skipped when a cheap part already decides (tax-id typo: 'one side
    fails the check character' before the edit distance)."""
    if isinstance(cond, (m.All, m.Any)):
        parts = sorted((cheap_first(p) for p in cond.parts), key=cost)
        return type(cond)(*parts)
    if isinstance(cond, m.Not):
        return m.Not(cheap_first(cond.part))
    return cond


@dataclass(frozen=True)
class _CompiledLevel:
    label: str
    test: Predicate | None
    weight: float
    tf_column: str | None
    log2_u_exact: float


class Scorer:
    """A trained model compiled for scoring pairs (reuse it: compiling is the slow part).

    `score(l, r)` gives a pair's weight and evidence; `score_above(l, r, floor)` the same,
    or None as soon as the pair cannot reach `floor`: comparisons are evaluated cheapest
    first, and after each, the weight so far plus the most the remaining ones could add
    bounds the pair's weight. A scored pair gets the same levels and weights either way,
    its total summed in the declared order (bit for bit the same float). A comparison with
    a term-frequency adjustment has no bound: it never lets a pair be dropped before it is
    evaluated."""

    def __init__(self, trained: TrainedModel):
        self.trained = trained
        declared = trained.model
        self.domain = trained.domain
        self.features = feature_function(declared.features)
        self.prior_weight = probability_weight(trained.prior)
        self.tf_tables = trained.tf_tables
        self.comparisons: list[tuple[str, list[_CompiledLevel]]] = []
        counts = item_counts(trained.tf_tables, trained.report.get("records", 0))
        items = {items_column(column): (column, per_value) for column, per_value in counts.items()}
        for comp, params in zip(declared.comparisons, trained.parameters, strict=True):
            levels = []
            for level, p in zip(comp.levels, params, strict=True):
                levels.append(_CompiledLevel(
                    label=level.label,
                    test=_compile(cheap_first(level.condition), items) if level.condition is not None else None,
                    weight=0.0 if level.null else level_weight(p["m"], p["u"]),
                    tf_column=None if level.null else level.tf,
                    log2_u_exact=math.log2(_u_exact(comp, params, level.tf)) if level.tf else 0.0,
                ))
            self.comparisons.append((comp.name, levels))
        costs = [sum(cost(lv.condition) for lv in c.levels) for c in declared.comparisons]
        self.order = sorted(range(len(costs)), key=lambda i: (costs[i], i))
        most = [
            math.inf if any(lv.tf_column for lv in levels) else max((lv.weight for lv in levels), default=0.0)
            for _, levels in self.comparisons
        ]
        self.headroom = [sum(most[i] for i in self.order[k + 1 :]) for k in range(len(self.order))]
        self.columns = declared.condition_columns()

    def prepare(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Feature row of a standardized row (already prepared rows pass through)."""
        if "_prepared" in row:
            return row  # type: ignore[return-value]
        frow = self.features(row)
        frow["_prepared"] = True
        frow["unique_id"] = row.get("unique_id")
        frow["source_system"] = row.get("source_system")
        return frow

    def score(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> tuple[float, tuple[Evidence, ...]]:
        scored = self.score_above(left, right, None)
        assert scored is not None  # no floor: every pair is scored
        return scored

    def score_above(self, left: Mapping[str, Any], right: Mapping[str, Any], floor: float | None
                    ) -> tuple[float, tuple[Evidence, ...]] | None:
        l, r = self.prepare(left), self.prepare(right)
        found: list[Evidence | None] = [None] * len(self.order)
        partial = self.prior_weight
        for k, ci in enumerate(self.order):
            name, levels = self.comparisons[ci]
            for level in levels:
                if level.test is None or level.test(l, r) is True:
                    weight = level.weight
                    if level.tf_column is not None:
                        weight += self._tf_adjustment(level, l, r)
                    found[ci] = Evidence(name, level.label, weight)
                    partial += weight
                    break
            if floor is not None and partial + self.headroom[k] < floor - PRUNE_MARGIN:
                return None
        total = self.prior_weight
        evidence = []
        for item in found:
            if item is not None:
                total += item.weight
                evidence.append(item)
        return total, tuple(evidence)

    def _tf_adjustment(self, level: _CompiledLevel, l: Mapping[str, Any], r: Mapping[str, Any]) -> float:
        table = self.tf_tables.get(level.tf_column or "", {})
        tf_l, tf_r = table.get(l[level.tf_column]), table.get(r[level.tf_column])
        if tf_l is None and tf_r is None:
            return 0.0
        tf = max(tf_l if tf_l is not None else tf_r, tf_r if tf_r is not None else tf_l, 0.0)
        return 1.0 * (level.log2_u_exact - math.log2(tf))


def _u_exact(comp: m.Comparison, params: list[dict[str, float]], column: str) -> float:
    """The u of the comparison's exact-match level on `column`: a term-frequency adjustment
    on any of its levels is relative to it, as in Splink (which needs such a level)."""
    return next(p["u"] for level, p in zip(comp.levels, params, strict=True) if level.condition == m.Exact(column))


_SCORERS: dict[int, Scorer] = {}


def scorer(trained: TrainedModel) -> Scorer:
    """The compiled scorer of a trained model (compiled once per model object)."""
    key = id(trained)
    cached = _SCORERS.get(key)
    if cached is None or cached.trained is not trained:
        cached = _SCORERS[key] = Scorer(trained)
    return cached


def score_pair(trained: TrainedModel, left: Mapping[str, Any], right: Mapping[str, Any]
               ) -> tuple[float, tuple[Evidence, ...]]:
    """Match weight and evidence of one pair: the same level and the same weight as
    Splink's predict for the model."""
    return scorer(trained).score(left, right)


def explain(trained: TrainedModel, left: Mapping[str, Any], right: Mapping[str, Any]) -> Explanation:
    """Why a pair scores what it scores: the prior and, for each comparison, the level that
    applied and its weight; they sum to the total."""
    s = scorer(trained)
    weight, evidence = s.score(left, right)
    return Explanation(weight=weight, probability=probability(weight), prior_weight=s.prior_weight, evidence=evidence)
