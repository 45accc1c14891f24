"""Clustering scored pairs under the stewards' rulings and the domain's policy.

The rules that decide which records form one golden record, used by batch runs and by
real-time matching alike (real time builds the neighbourhood of an arriving record and
asks the same functions):

- conflicts (`Conflicts`): a pair whose evidence (the prior left out) weighs below the
  domain's conflict_below, or at a level the model declares a conflict, keeps its records
  apart like a steward's cannot-link;
- exclusive links (`exclusive_links`): a review-band pair whose sides are each other's
  only candidate in the other's source system joins;
- a source system holds an entity once, as a rule (`joins_two_of_one_system`): a join that
  would put two records of one system together waits until every other join is made;
- must-links are joined first, cannot-links never crossed (`cluster`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

import pyarrow as pa

from matching.artifact import TrainedModel
from matching.engine import predict
from matching.scoring import Evidence, Pair, probability_weight
from matching.tables import feature_subset
from mdm.components import Components
from mdm.errors import ContradictoryRulings

T = TypeVar("T")
MSG_CONFLICTING_LINKS = "pair ({left}, {right}) is both a must-link and a cannot-link"
GROUP_SCORE_LIMIT = 300  # records of a candidate group whose every pair is scored
CONFLICT_BATCH = 200_000  # records of the groups whose pairs the conflict check scores at a time
GROUP_COLUMN = "_conflict_group"  # the column the conflict check blocks on: each record's group


@dataclass(frozen=True)
class Conflicts:
    """When a scored pair keeps its two records apart in clustering, whatever chain of
    other pairs would join them: its evidence, the prior left out, weighs below `below`
    (the domain's conflict_below: a tax-id clash with little else in common), or a level
    applied that the model declares a conflict (two valid tax ids or barcodes that differ,
    two countries, another maker) and the pair is not itself an automatic match (weight
    below `upper`: one barcode under two spellings of a brand merges on its own evidence,
    but no record without a barcode chains two brands together).

    The prior is left out because it is no evidence about the pair: it says how rarely two
    records drawn at random match, about -13 bits, and would make a conflict of every pair
    that shares nothing, such as a company's Chinese record against its English one at
    another address, which a chain of strong pairs joins rightly. A conflict is evidence
    against, in batch runs and real time alike."""

    below: float
    upper: float
    levels: frozenset[tuple[str, str]]
    prior: float = 0.0  # the model's prior as a match weight, taken off a pair's weight

    @classmethod
    def of(cls, trained: TrainedModel, below: float, upper: float) -> Conflicts:
        levels = frozenset(
            (c["name"], lv["label"])
            for c in trained.declaration["comparisons"] for lv in c["levels"] if lv.get("conflict")
        )
        return cls(float(below), float(upper), levels, probability_weight(trained.prior))

    def __call__(self, weight: float, evidence: Iterable[Evidence]) -> bool:
        return weight - self.prior < self.below or (
            weight < self.upper and any((e.comparison, e.level) in self.levels for e in evidence)
        )


def exclusive_links(pairs: Iterable[Pair], lower: float, upper: float, system_of: Mapping[str, str],
                    must_link: Iterable[tuple[str, str]] = ()) -> list[Pair]:
    """Pairs in the review band [lower, upper) that join records of two source systems where
    each side is the other's only candidate in the other's system. A side is the group its
    automatic pairs (at or above `upper`) and `must_link` join, so a record whose candidates
    over there are two automatic duplicates of one item still has one candidate. A system
    holds an entity once, as a rule: a group whose one plausible partner over there has no
    other plausible partner over here, and holds no record of that system yet, is far
    likelier its match than the pair's weight says, which counts the evidence as if every
    pair were drawn from the whole population (the one-to-one assumption of record linkage;
    Splink's cluster_using_single_best_links makes it for duplicate-free datasets). Where a
    system holds two look-alike groups, or the other side has a rival, nothing changes; a
    group that already holds a record of this side's systems is taken, not a rival (its own
    match was found), so a record whose look-alike over there found its partner still links
    to the one left."""
    pairs = [p for p in pairs if p.weight >= lower]
    groups = Components()
    for p in pairs:
        if p.weight >= upper:
            groups.union(p.left, p.right)
    for a, b in must_link:
        groups.union(a, b)
    find = groups.find
    band = [p for p in pairs
            if p.weight < upper and system_of[p.left] != system_of[p.right] and find(p.left) != find(p.right)]
    ends = {find(p.left) for p in band} | {find(p.right) for p in band}
    # only the band's groups: at a million records the rest would cost gigabytes
    systems: dict[str, set[str]] = defaultdict(set)
    for x in groups.parent:  # every band record and must-linked record
        if (root := find(x)) in ends:
            systems[root].add(system_of[x])
    only: dict[tuple[str, str], str | None] = {}  # (group, system) -> its one candidate group there, None: more
    for p in band:
        ga, gb = find(p.left), find(p.right)
        if systems[ga] & systems[gb]:
            continue  # taken: joining would put two records of one system together
        for a, b, there in ((ga, gb, system_of[p.right]), (gb, ga, system_of[p.left])):
            only[(a, there)] = b if only.get((a, there), b) == b else None
    found = []
    for p in band:
        ga, gb = find(p.left), find(p.right)
        if only.get((ga, system_of[p.right])) == gb and only.get((gb, system_of[p.left])) == ga:
            found.append(p)
    return found


def group_conflicts(
    trained: TrainedModel,
    table: pa.Table,
    auto: Iterable[Pair],
    must_link: Iterable[tuple[str, str]],
    conflicts: Conflicts,
) -> tuple[list[tuple[str, str]], int]:
    """The conflict pairs inside the groups that auto-merge pairs and must-links could
    form, and how many pairs were scored: only there can a conflict keep two records apart
    (a record in no such group joins nothing). Every pair of a group is scored (a
    look-alike chained in through a third record is caught even when blocking never paired
    the two) by Splink on `table` (the feature table predict scored), blocked on the group
    (the pure-Python scorer gives the same weights, a pair at a time: at 400,000 records
    its 150,000 pairs cost more than the run's whole predict); a group too large for that
    falls back to Splink's blocked pairs within it. A group of two is its one automatic
    pair, checked on its own evidence (a conflict only under thresholds below
    conflict_below)."""
    components = Components()
    find = components.find
    auto = list(auto)
    for a, b in [*((p.left, p.right) for p in auto), *must_link]:
        components.union(str(a), str(b))
    members: dict[str, list[str]] = defaultdict(list)
    for uid in list(components.parent):
        members[find(uid)].append(uid)
    groups = [sorted(ids) for ids in members.values() if len(ids) >= 3]
    grouped = feature_subset(table, (uid for ids in groups for uid in ids))
    found = [(p.left, p.right) for p in auto
             if len(members[find(p.left)]) == 2 and conflicts(p.weight, p.evidence)]
    checked = 0
    small: list[list[str]] = []
    for ids in groups:
        if len(ids) > GROUP_SCORE_LIMIT:
            pairs = predict(trained, feature_subset(grouped, ids))
            checked += len(pairs)
            found += [(p.left, p.right) for p in pairs if conflicts(p.weight, p.evidence)]
        else:
            small.append(ids)
    within = replace(trained, declaration={**trained.declaration, "blocking": {"within a group": [GROUP_COLUMN]}})
    batch: list[list[str]] = []
    size = 0
    for ids in [*small, None]:
        if ids is not None:
            batch.append(ids)
            size += len(ids)
        if batch and (ids is None or size >= CONFLICT_BATCH):
            # a batch of groups' pairs at a time: each leaves DuckDB as a Pair
            pairs = predict(within, _numbered(grouped, batch))
            checked += len(pairs)
            found += [(p.left, p.right) for p in pairs if conflicts(p.weight, p.evidence)]
            batch, size = [], 0
    return found, checked


def _numbered(table: pa.Table, groups: list[list[str]]) -> pa.Table:
    """The feature rows of the groups' records, each with its group's number (GROUP_COLUMN)."""
    number = {uid: n for n, ids in enumerate(groups) for uid in ids}
    rows = feature_subset(table, number)
    numbers = pa.array([number[uid] for uid in rows.column("unique_id").to_pylist()], pa.int64())
    return rows.append_column(GROUP_COLUMN, numbers).replace_schema_metadata(table.schema.metadata)


def cluster(
    pairs: Iterable[Pair | tuple[str, str, float]],
    threshold: float,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    records: Iterable[str] = (),
    system_of: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Group records into clusters from scored pairs.

    Must-link pairs are joined first. Then pairs with weight >= `threshold` are taken from
    the strongest down, and two clusters are joined only when no cannot-link pair (a
    steward's rejection, a conflict: `group_conflicts`) connects them: such a pair is never
    in one cluster, whatever chain of other pairs would join it. Records in
    `records` without any pair come out as singletons. Clusters and their members are
    sorted, so the output is deterministic. Raises ContradictoryRulings when a pair is
    both must-link and cannot-link.

    With `system_of` (record -> source system), a system holds an entity once, as a rule:
    a join that would put two records of one system together that no pair of their own
    joins waits until every other join is made (`_one_per_system_first`), so a record
    whose pairs with two look-alikes weigh about the same goes to the one that has no
    record of its system yet, and the other, if the two conflict, stays apart."""
    partition = Partition()
    for r in records:
        partition.find(str(r))
    scored: list[tuple[float, str, str]] = []
    for p in pairs:
        left, right, weight = (p.left, p.right, p.weight) if isinstance(p, Pair) else p
        partition.find(left)
        partition.find(right)
        scored.append((weight, left, right))
    partition.rule(must_link, cannot_link)
    scored = sorted((s for s in scored if s[0] >= threshold), key=lambda s: (-s[0], s[1], s[2]))
    if system_of is not None:
        formed = partition.by_system(system_of)
        scored = _one_per_system_first(scored, system_of, partition.find, partition.union, formed)
    for _, a, b in scored:
        partition.union(a, b)
    return partition.groups()


class Partition(Components):
    """Union-find whose components never join across a cannot-link: `union` refuses (False)
    to join two components a blocked pair connects. Joins the smaller into the larger."""

    def __init__(self) -> None:
        super().__init__()
        self.size: dict[str, int] = {}  # root -> records in its component, for roots of 2+ records
        self.blocked: dict[str, set[str]] = {}  # root -> roots it may never join (only roots that have any)

    def rule(self, must_link: Iterable[tuple[str, str]], cannot_link: Iterable[tuple[str, str]]) -> None:
        """Join the must-linked pairs, then block the cannot-linked ones."""
        cannot = [(str(a), str(b)) for a, b in cannot_link]
        cannot_set = {frozenset(c) for c in cannot}
        must = [(str(a), str(b)) for a, b in must_link]
        for a, b in must:
            if frozenset((a, b)) in cannot_set:
                raise ContradictoryRulings(MSG_CONFLICTING_LINKS.format(left=a, right=b))
        for a, b in must:
            self.union(a, b)
        for a, b in cannot:
            ra, rb = self.find(a), self.find(b)
            if ra == rb:
                raise ContradictoryRulings(MSG_CONFLICTING_LINKS.format(left=a, right=b))
            self.blocked.setdefault(ra, set()).add(rb)
            self.blocked.setdefault(rb, set()).add(ra)

    def union(self, a: str, b: str) -> bool:  # type: ignore[override]
        find, blocked, size = self.find, self.blocked, self.size
        ra, rb = find(a), find(b)
        if ra == rb:
            return True
        if rb in blocked.get(ra, ()):
            return False
        sa, sb = size.get(ra, 1), size.get(rb, 1)
        if sa < sb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        size[ra] = sa + sb
        size.pop(rb, None)
        if ra not in blocked and rb not in blocked:
            return True
        merged = blocked.pop(ra, set()) | blocked.pop(rb, set())
        merged = {find(x) for x in merged} - {ra}
        blocked[ra] = merged
        for other in merged:
            blocked[other] = {find(x) for x in blocked[other]} - {rb} | {ra}
        return True

    def by_system(self, system_of: Mapping[str, str]) -> dict[str, dict[str, list[str]]]:
        """root -> its records by system, for components of 2+ records (a million
        singletons would cost gigabytes)."""
        formed: dict[str, dict[str, list[str]]] = {}
        for x in self.parent if self.size else ():
            root = self.find(x)
            if root in self.size:
                formed.setdefault(root, {}).setdefault(system_of[x], []).append(x)
        return formed

    def groups(self) -> list[list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for x in self.parent:
            found[self.find(x)].append(x)
        return sorted(sorted(group) for group in found.values())


def _one_per_system_first(
    scored: list[tuple[float, str, str]],
    system_of: Mapping[str, str],
    find: Callable[[str], str],
    union: Callable[[str, str], bool],
    members: dict[str, dict[str, list[str]]],
) -> list[tuple[float, str, str]]:
    """Makes the joins of `scored` (strongest first) that put no two records of one system
    together unless a pair of `scored` joins those two; returns the others, in order.
    `members`: root -> its records by system, kept for clusters of 2+ only (a million
    singletons would cost gigabytes)."""
    system = {x: system_of[x] for _, a, b in scored for x in (a, b)}
    for formed in members.values():
        system.update((x, s) for s, ids in formed.items() for x in ids)
    linked = {(a, b) for _, a, b in scored if system[a] == system[b]}
    linked |= {(b, a) for a, b in linked}
    deferred = []
    for weight, a, b in scored:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        left, right = members.get(ra), members.get(rb)
        if left is None and right is None:  # two single records: their own pair joins them
            if union(a, b):
                sa, sb = system[ra], system[rb]
                members[find(a)] = {sa: [ra, rb]} if sa == sb else {sa: [ra], sb: [rb]}
            continue
        left = left or {system[ra]: [ra]}
        right = right or {system[rb]: [rb]}
        if joins_two_of_one_system(left, right, linked):
            deferred.append((weight, a, b))
        elif union(a, b):
            members.pop(ra, None)
            members.pop(rb, None)
            if sum(map(len, left.values())) < sum(map(len, right.values())):
                left, right = right, left
            for s, ids in right.items():
                left.setdefault(s, []).extend(ids)
            members[find(a)] = left
    return deferred


def joins_two_of_one_system(left: Mapping[str, Iterable[T]], right: Mapping[str, Iterable[T]],
                            linked: Container[tuple[T, T]]) -> bool:
    """Whether joining two groups (their records by source system) would put two records
    of one system together that no pair of their own (`linked`, both ways) joins."""
    return any((x, y) not in linked for s in left.keys() & right.keys() for x in left[s] for y in right[s])
