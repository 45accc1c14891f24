"""Planning a match run: clusters under the rulings, holds, stable golden IDs, proposals.

Pure planning over what the run read (selectors.Snapshot) and scored (Scored): nothing
here writes. Stable golden IDs: each cluster takes the golden record it shares the most
records with (on a tie the older record), each golden record goes to at most one cluster.
So a split keeps the ID for its larger part; a golden record left without a cluster merges
into the one that took most of its records (retired into it: the old ID still resolves); a
cluster without one gets a new ID.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matching.calibration import Calibration
from matching.clustering import cluster
from matching.scoring import Pair
from matching.selectors import Snapshot
from mdm.components import Components
from mdm.domains import MatchingDefaults
from mdm.errors import ContradictoryRulings
from mdm.models import MergeProposal
from mdm.services.plans import GoldenPlan, Ref, golden_plan, source_system_trust
from mdm.services.proposals import Candidate

MSG_CONTRADICTION = "source records {left} and {right} are both ruled one entity and ruled apart"


@dataclass
class Scored:
    """The scored pairs of a run, sorted into what they mean at the thresholds."""

    auto: list[Pair] = field(default_factory=list)  # at or above upper, and the exclusive links
    review: list[Pair] = field(default_factory=list)  # the band, exclusive links included
    below: list[Pair] = field(default_factory=list)  # under the band, down to its floor: proposals if room
    exclusive: int = 0  # band pairs joined as each record's only candidate in the other's system
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    checked: int = 0  # pairs scored inside candidate groups, looking for conflicts
    floor: float = 0.0  # the lowest weight scored
    left_out: list[dict[str, Any]] = field(default_factory=list)  # blocking keys too many records share


class Systems(Mapping[str, str]):
    """Engine record id -> source system code, read off the snapshot's members (a dict of
    a million ids would cost a hundred megabytes more)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.members = snapshot.members

    def __getitem__(self, uid: str) -> str:
        return self.members[int(uid)].system

    def __iter__(self) -> Iterator[str]:
        return map(str, self.members)

    def __len__(self) -> int:
        return len(self.members)


@dataclass
class Contradiction:
    """Rulings that contradict each other: a chain of must-links joins cannot-linked pairs."""

    records: list[int]  # the chain
    pairs: list[tuple[int, int]]  # the cannot-linked pairs inside it


def contradictions(snapshot: Snapshot) -> list[Contradiction]:
    """The must-link chains of live records that hold a cannot-linked pair."""
    groups = Components()
    for a, b in snapshot.must_link:
        groups.union(a, b)
    broken: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in snapshot.cannot_link:
        if groups.find(a) == groups.find(b):
            broken[groups.find(a)].append((a, b))
    if not broken:
        return []
    chains: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(groups.parent):
        root = groups.find(sid)
        if root in broken:
            chains[root].append(sid)
    return [Contradiction(records=chains[root], pairs=sorted(broken[root])) for root in sorted(broken)]


def tied(snapshot: Snapshot, seeds: Iterable[int]) -> set[int]:
    """`seeds` and every live record tied to them: in one golden record now, or joined by
    must-links, transitively. Keeping these as they are keeps every ruling among them."""
    found = set(seeds)
    if not found:
        return found
    by_golden: dict[int, list[int]] = defaultdict(list)
    for sid, golden in snapshot.current.items():
        if golden is not None:
            by_golden[golden].append(sid)
    must: dict[int, list[int]] = defaultdict(list)
    for a, b in snapshot.must_link:
        must[a].append(b)
        must[b].append(a)
    seen_goldens: set[int] = set()
    todo = list(found)
    while todo:
        sid = todo.pop()
        golden = snapshot.current.get(sid)
        others = list(must.get(sid, ()))
        if golden is not None and golden not in seen_goldens:
            seen_goldens.add(golden)
            others += by_golden[golden]
        for other in others:
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def _as_they_are(records: Iterable[int], snapshot: Snapshot) -> list[list[int]]:
    """Records grouped by the golden record they are in now; a record in none alone."""
    by_golden: dict[int, list[int]] = defaultdict(list)
    alone = []
    for sid in sorted(records):
        golden = snapshot.current.get(sid)
        if golden is None:
            alone.append([sid])
        else:
            by_golden[golden].append(sid)
    return [*by_golden.values(), *alone]


def plan_clusters(snapshot: Snapshot, scored: Scored, *, pinned: Collection[int] = ()) -> list[list[int]]:
    """Clusters of live records under the rulings: must-links first, then the automatic
    pairs strongest first (the exclusive links, below the upper threshold, last), never
    across a cannot-link or a conflict pair (conflicts inside a must-link group give way). Records
    in `pinned` (contradictory rulings and what they are tied to) are not clustered: they
    stay in the golden records they are in, a record in none alone."""
    pinned = set(pinned)
    must = [(a, b) for a, b in snapshot.must_link if a not in pinned and b not in pinned]
    cannot = [(a, b) for a, b in snapshot.cannot_link if a not in pinned and b not in pinned]
    groups = Components()
    for a, b in must:
        groups.union(a, b)
    for a, b in cannot:
        if groups.find(a) == groups.find(b):
            raise ContradictoryRulings(MSG_CONTRADICTION.format(left=a, right=b))
    conflicts = [
        (a, b)
        for a, b in scored.conflicts
        if a not in pinned and b not in pinned and groups.find(a) != groups.find(b)
    ]
    auto, rows = scored.auto, snapshot.rows
    if pinned:
        auto = [p for p in auto if int(p.left) not in pinned and int(p.right) not in pinned]
        rows = [row for row in rows if int(row["unique_id"]) not in pinned]
    clusters = cluster(
        auto,
        -math.inf,  # every pair in scored.auto joins
        must_link=[(str(a), str(b)) for a, b in must],
        cannot_link=[(str(a), str(b)) for a, b in [*cannot, *conflicts]],
        records=[row["unique_id"] for row in rows],
        system_of=Systems(snapshot),
    )
    found = [sorted(int(uid) for uid in c) for c in clusters] + _as_they_are(pinned, snapshot)
    return sorted(found, key=lambda c: c[0])


def grows(members: Sequence[int], snapshot: Snapshot) -> bool:
    """Whether a cluster joins records that are not all in one golden record now."""
    goldens = {snapshot.current.get(sid) for sid in members}
    return len(goldens) > 1 or None in goldens


def hold(
    planned: Sequence[Sequence[int]],
    held: Collection[int],
    snapshot: Snapshot,
    scored: Scored,
    pinned: Collection[int] = (),
) -> tuple[list[list[int]], set[int]]:
    """The clusters a run applies when it holds the planned clusters at indexes `held`:
    their records, and every record tied to them (`tied`), keep their golden records (a
    new record alone), joined only where the stewards' must-links join them; a planned
    cluster that loses records to them falls apart into what its automatic pairs still
    join. Returns the clusters and the records kept as they are."""
    if not held:
        return [list(c) for c in planned], set()
    frozen = tied(snapshot, (sid for ci in held for sid in planned[ci])) - set(pinned)
    kept: list[list[int]] = []
    rest: dict[int, int] = {}  # record -> planned cluster, for clusters that lose records
    for ci, members in enumerate(planned):
        inside = sum(1 for sid in members if sid in frozen)
        if not inside:
            kept.append(list(members))
        elif inside < len(members):
            rest.update({sid: ci for sid in members if sid not in frozen})
    if rest:
        groups = Components()
        for sid in rest:
            groups.find(sid)
        links = [(int(p.left), int(p.right)) for p in scored.auto] + list(snapshot.must_link)
        for a, b in links:
            if a in rest and rest[a] == rest.get(b):
                groups.union(a, b)
        parts: dict[int, list[int]] = defaultdict(list)
        for sid in sorted(rest):
            parts[groups.find(sid)].append(sid)
        kept += parts.values()
    by_golden: dict[int, list[int]] = defaultdict(list)
    for sid in sorted(frozen):
        golden = snapshot.current.get(sid)
        if golden is not None:
            by_golden[golden].append(sid)
    as_they_are = cluster(
        [(str(ids[0]), str(sid), 1.0) for ids in by_golden.values() for sid in ids[1:]],
        0.0,
        must_link=[(str(a), str(b)) for a, b in snapshot.must_link if a in frozen and b in frozen],
        cannot_link=[(str(a), str(b)) for a, b in snapshot.cannot_link if a in frozen and b in frozen],
        records=[str(sid) for sid in sorted(frozen)],
    )
    kept += [sorted(int(uid) for uid in c) for c in as_they_are]
    return sorted(kept, key=lambda c: c[0]), frozen


def held_merges(
    planned: Sequence[Sequence[int]],
    held: Collection[int],
    clusters: Sequence[Sequence[int]],
    snapshot: Snapshot,
    scored: Scored,
) -> dict[int, list[Pair]]:
    """For each held planned cluster, the automatic merges it would make between the
    clusters the run applies instead: strongest pairs first, one pair per join (approving
    them all forms the planned cluster), none between clusters a ruling keeps apart."""
    cluster_of = {sid: ci for ci, members in enumerate(clusters) for sid in members}
    held_of = {sid: hi for hi in held for sid in planned[hi]}
    found: dict[int, list[Pair]] = defaultdict(list)
    for pair in scored.auto:
        a, b = int(pair.left), int(pair.right)
        where = held_of.get(a)
        if where is not None and where == held_of.get(b) and cluster_of[a] != cluster_of[b]:
            found[where].append(pair)
    apart = {_pair(cluster_of[a], cluster_of[b]) for a, b in snapshot.cannot_link}
    joins = Components()
    merges: dict[int, list[Pair]] = {}
    for where, pairs in sorted(found.items()):
        chosen = []
        for pair in sorted(pairs, key=lambda p: (-p.weight, int(p.left), int(p.right))):
            ca, cb = cluster_of[int(pair.left)], cluster_of[int(pair.right)]
            if joins.find(ca) == joins.find(cb) or _pair(ca, cb) in apart:
                continue
            joins.union(ca, cb)
            chosen.append(pair)
        merges[where] = chosen
    return merges


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass
class ClusterMap:
    """How clusters map onto golden records."""

    refs: list[Ref]  # per cluster
    retire: dict[int, Ref]
    absorbed: dict[Ref, list[int]]
    split_from: dict[str, int]
    emptied: list[int]  # golden records without a live record left


def map_clusters(clusters: Sequence[Sequence[int]], snapshot: Snapshot) -> ClusterMap:
    """Stable IDs: each cluster takes the golden record it shares the most records with
    (on a tie the older one), each golden record at most one cluster; see the module doc."""
    overlap: Counter[tuple[int, int]] = Counter()
    for ci, members in enumerate(clusters):
        for sid in members:
            golden = snapshot.current.get(sid)
            if golden is not None:
                overlap[(ci, golden)] += 1
    taken: dict[int, int] = {}  # cluster -> golden
    owner: dict[int, int] = {}  # golden -> cluster
    for (ci, golden), _ in sorted(overlap.items(), key=lambda item: (-item[1], item[0][1], item[0][0])):
        if ci not in taken and golden not in owner:
            taken[ci] = golden
            owner[golden] = ci
    refs: list[Ref] = []
    split_from: dict[str, int] = {}
    n = 0
    for ci, members in enumerate(clusters):
        if ci in taken:
            refs.append(taken[ci])
            continue
        n += 1
        ref = f"new:{n}"
        refs.append(ref)
        origins = Counter(snapshot.current[sid] for sid in members if snapshot.current.get(sid) is not None)
        if origins:
            split_from[ref] = min(origins, key=lambda g: (-origins[g], g))
    where: dict[int, Counter[int]] = defaultdict(Counter)  # golden -> cluster -> its records there
    for (ci, golden), count in overlap.items():
        where[golden][ci] = count
    retire: dict[int, Ref] = {}
    absorbed: dict[Ref, list[int]] = defaultdict(list)
    emptied = []
    for golden in sorted(snapshot.goldens):
        if golden in owner:
            continue
        if where.get(golden):
            ci = min(where[golden], key=lambda c: (-where[golden][c], c))
            retire[golden] = refs[ci]
            absorbed[refs[ci]].append(golden)
        else:
            emptied.append(golden)
    return ClusterMap(refs=refs, retire=retire, absorbed=dict(absorbed), split_from=split_from, emptied=emptied)


def plan_goldens(clusters: Sequence[Sequence[int]], mapping: ClusterMap, snapshot: Snapshot) -> GoldenPlan:
    desired: dict[Ref, list[int]] = {ref: list(members) for ref, members in zip(mapping.refs, clusters, strict=True)}
    for golden in mapping.emptied:
        desired[golden] = []
    overrides: dict[Ref, dict[str, Any]] = {}
    for ref, retired in mapping.absorbed.items():
        merged = dict(snapshot.goldens[ref].overrides) if isinstance(ref, int) else {}
        for golden in retired:
            for name, value in snapshot.goldens[golden].overrides.items():
                merged.setdefault(name, value)
        overrides[ref] = merged
    current = {**snapshot.current, **snapshot.leaving}
    return golden_plan(
        domain=snapshot.domain,
        desired=desired,
        members=snapshot.members,
        current=current,
        goldens=snapshot.goldens,
        trust=source_system_trust(),
        retire=mapping.retire,
        leave=sorted(snapshot.leaving),
        absorbed=mapping.absorbed,
        split_from=mapping.split_from,
        overrides=overrides,
        release=True,
    )


def cluster_index(clusters: Sequence[Sequence[int]]) -> dict[int, int]:
    """Record -> the index of its cluster, built once for the steps that read it."""
    return {sid: ci for ci, members in enumerate(clusters) for sid in members}


def proposal_candidates(
    cluster_of: Mapping[int, int],
    snapshot: Snapshot,
    scored: Scored,
    *,
    held: Iterable[Pair] = (),
    skip: Collection[int] = (),
) -> list[Candidate]:
    """The strongest review-band pair (or pair below the band, down to its floor) between
    each two clusters that no ruling keeps apart, and the automatic merges a run holds
    (`held`: kind "held", in place of a review pair between the same two clusters); none
    about the records in `skip` (contradictory rulings). `cluster_of`: cluster_index."""
    apart = {_pair(cluster_of[a], cluster_of[b]) for a, b in snapshot.cannot_link}
    best: dict[tuple[int, int], Pair] = {}
    for pair in (*scored.review, *scored.below):
        a, b = int(pair.left), int(pair.right)
        key = _pair(cluster_of[a], cluster_of[b])
        if key[0] == key[1] or key in apart or a in skip or b in skip:
            continue
        kept = best.get(key)
        if kept is None or _rank(pair) < _rank(kept):
            best[key] = pair
    kinds: dict[tuple[int, int], str] = {}
    for pair in held:
        key = _pair(cluster_of[int(pair.left)], cluster_of[int(pair.right)])
        best[key] = pair
        kinds[key] = MergeProposal.Kind.HELD
    return [_candidate(pair, kinds.get(key, MergeProposal.Kind.REVIEW)) for key, pair in sorted(best.items())]


def left_apart(cluster_of: Mapping[int, int], scored: Scored) -> Iterator[tuple[float, bool]]:
    """The weight of each pair scored under the upper threshold, and whether the clusters
    (cluster_index) leave its records apart (Calibration.left_apart)."""
    for pair in (*scored.review, *scored.below):
        yield pair.weight, cluster_of[int(pair.left)] != cluster_of[int(pair.right)]


def _rank(pair: Pair) -> tuple[float, int, int]:
    a, b = int(pair.left), int(pair.right)
    return (-pair.weight, min(a, b), max(a, b))


def _candidate(pair: Pair, kind: str) -> Candidate:
    return Candidate(
        left=min(int(pair.left), int(pair.right)),
        right=max(int(pair.left), int(pair.right)),
        weight=round(pair.weight, 6),
        probability=round(pair.probability, 6),
        evidence=[{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)} for e in pair.evidence],
        kind=kind,
    )


def band_floor(thresholds: dict[str, float], limits: MatchingDefaults, calibration: Calibration) -> float:
    """The lowest weight a review proposal may have: where the calibrated probability falls
    under the domain's review_floor_probability, never above the lower threshold nor below
    the weight that marks a conflict (a slope the decisions flattened reaches far down).
    Before any decision, the model's own: a run scores down to the floor before it knows
    which pairs it leaves apart (Calibration.left_apart), and real time keeps its floor."""
    chosen = calibration if calibration.decisions else Calibration()
    wanted = chosen.weight_at(limits.review_floor_probability)
    return max(limits.conflict_below, min(thresholds["lower"], wanted))


def review_budget(limits: MatchingDefaults, golden_records: int) -> int:
    """How many review proposals may wait in a domain of `golden_records`: its
    `proposal_share` of them, and never fewer than its `proposal_minimum`."""
    return max(limits.proposal_minimum, int(limits.proposal_share * golden_records))


def within_budget(
    candidates: Sequence[Candidate], budget: int, lower: float, in_hand: Mapping[tuple[int, int], bool] | None = None
) -> tuple[list[Candidate], list[Candidate]]:
    """The held merges, the review candidates a steward has in hand, and the strongest of
    the rest, in the band between the thresholds or below it (down to its floor), up to
    `budget`; returns them and the band's candidates (at or above `lower`) held back.

    In hand (`in_hand`: pending pairs a steward claimed, approved first, commented on or
    deferred, each with whether it is deferred now, selectors.proposals_in_hand): never
    pushed out by a stronger pair, so no steward's work is withdrawn under them; a deferred
    one, out of the queue until its date, takes no room in it.

    Strongest first: a proposal is worth the true pair a steward may find in it (rejecting
    a false one changes no golden record: it was not merged), and the strongest pairs hold
    the most true pairs per proposal. The calibration rises with the weight, so the order is
    the same whatever the stewards' decisions make of it: the queue does not reshuffle when
    they refit it, and what they clear makes room for the next strongest on the next run."""
    in_hand = in_hand or {}
    review = sorted((c for c in candidates if c.kind == MergeProposal.Kind.REVIEW),
                    key=lambda c: (-c.weight, c.left, c.right))
    kept = {(c.left, c.right) for c in review if (c.left, c.right) in in_hand}
    room = max(0, budget - sum(1 for pair in kept if not in_hand[pair]))
    rest = [c for c in review if (c.left, c.right) not in kept]
    kept |= {(c.left, c.right) for c in rest[:room]}
    held_back = [c for c in rest[room:] if c.weight >= lower]
    return [c for c in candidates if c.kind != MergeProposal.Kind.REVIEW or (c.left, c.right) in kept], held_back


def cap_candidates(
    candidates: Sequence[Candidate], groups: dict[int, int], cap: int
) -> tuple[list[Candidate], Counter[int]]:
    """At most `cap` candidates with both records in one group (a giant cluster's records,
    by group), the strongest; returns them with every other candidate, and how many
    candidates each group had."""
    kept: list[Candidate] = []
    inside: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        group = groups.get(c.left)
        if group is not None and group == groups.get(c.right):
            inside[group].append(c)
        else:
            kept.append(c)
    for found in inside.values():
        kept += sorted(found, key=lambda c: (-c.weight, c.left, c.right))[:cap]
    return sorted(kept, key=lambda c: (c.left, c.right)), Counter({g: len(found) for g, found in inside.items()})
