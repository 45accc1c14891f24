"""Persist matching: train and store models, run matching on a domain, keep golden IDs stable.

    model = model_train(domain="customer", actor="cli:me")        # a new active MatchModel
    result = match_run(domain="customer", actor="cli:me")         # MatchResult, result.run
    preview = match_run(domain="customer", actor="cli:me", dry_run=True)   # writes nothing

A run reads the domain's standardized records as plain values (never model instances),
scores pairs with the engine (Splink on DuckDB), clusters them under the stewards' rulings
and maps the clusters onto the golden records that exist:

- Thresholds (match weights): pairs at or above `upper` join automatically; pairs between
  `lower` and `upper` whose records end in different golden records become merge
  proposals (the strongest pair per two golden records). Inside each group that automatic
  pairs could join, a pair scored below the domain's `conflict_below` (a tax-id clash, a
  look-alike) keeps its two records apart, like a steward's cannot-link, so an ambiguous
  record cannot chain two different companies together.
- Stewards' rulings are law: must-links are joined first, cannot-links are never crossed,
  whatever chain of other pairs would join them (engine.cluster).
- Stable golden IDs: each cluster takes the golden record it shares the most records with
  (on a tie the older record), each golden record goes to at most one cluster. So a split
  keeps the ID for its larger part; a golden record left without a cluster merges into
  the one that took most of its records (retired into it: the old ID still resolves); a
  cluster without one gets a new ID. Deleted source records leave their golden record;
  a golden record left without live records is deleted (its ID still resolves).
- Survivorship recomputes every golden record from its live members; only what changed
  is written. Re-running on unchanged data writes nothing: no version, no event.

The plan is computed first (that is all a dry run does), then applied in one transaction
under the domain's golden-record lock, after checking nothing changed since it was read.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from matching import engine
from mdm.domains import get_domain
from mdm.errors import MdmError, StalePlan
from mdm.history import Change
from mdm.models import GoldenRecord, MatchModel, MatchRun, SourceRecord, SourceSystem
from mdm.services import (
    MEMBER_VALUES,
    GoldenPlan,
    GoldenState,
    Ref,
    golden_domain_lock,
    golden_plan,
    golden_plan_apply,
    golden_state,
    member_from_values,
    source_system_trust,
)
from mdm.survivorship import Member
from stewardship.models import MergeProposal, PairConstraint
from stewardship.services import Candidate, ProposalPlan, proposals_apply, proposals_plan

ProgressCallback = Callable[[str], None]
READ_CHUNK = 5000
SAMPLE_SIZE = 5
ATTEMPTS = 3  # a run that finds its data changed under it plans again, this many times
GROUP_SCORE_LIMIT = 300  # records of a candidate group scored pair by pair in Python
MSG_NO_MODEL = "no trained model for {domain}: run `python manage.py train {domain}` first"
MSG_NO_RECORDS = "no live {domain} source records to train on"
MSG_THRESHOLDS = "the lower threshold ({lower:+.2f}) must not be above the upper one ({upper:+.2f})"


class MatchingError(MdmError):
    code = "matching_error"


def probability_weight(probability: float) -> float:
    """The match weight (log2 posterior odds) of a match probability."""
    return math.log2(probability / (1 - probability))


def default_thresholds(domain: str) -> dict[str, float]:
    """The domain's default thresholds: the declared match probabilities (mdm/domains
    `matching:`) as match weights of the trained model, whose weights are posterior log
    odds (prior included), so "0.99" means the model's own 99% certainty."""
    declared = get_domain(domain).matching
    return {
        "upper": round(probability_weight(declared.auto_merge_probability), 4),
        "lower": round(probability_weight(declared.review_probability), 4),
    }


def _thresholds(base: dict[str, float], upper: float | None, lower: float | None) -> dict[str, float]:
    chosen = {
        "upper": base["upper"] if upper is None else float(upper),
        "lower": base["lower"] if lower is None else float(lower),
    }
    if chosen["lower"] > chosen["upper"]:
        raise MatchingError(MSG_THRESHOLDS.format(**chosen))
    return chosen


# ---------------------------------------------------------------------------
# Reading a domain: plain values, one pass
# ---------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What a run reads of one domain."""

    domain: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # engine rows (live records)
    members: dict[int, Member] = field(default_factory=dict)  # live records
    current: dict[int, int | None] = field(default_factory=dict)  # record -> active golden now
    leaving: dict[int, int] = field(default_factory=dict)  # deleted record -> golden it leaves
    labels: dict[int, str] = field(default_factory=dict)  # record -> "system:key" (for reports)
    goldens: dict[int, GoldenState] = field(default_factory=dict)  # active golden records
    must_link: list[tuple[int, int]] = field(default_factory=list)  # among live records
    cannot_link: list[tuple[int, int]] = field(default_factory=list)
    fingerprint: tuple[Any, ...] = ()


def fingerprint(domain: str) -> tuple[Any, ...]:
    """Changes whenever a record, golden record, ruling or proposal of the domain, or a
    source system's trust ranks (survivorship), changes: each such change writes a history row."""
    return (
        SourceSystem.history.aggregate(h=Max("history_id")),
        SourceRecord.objects.filter(domain=domain).aggregate(n=Count("id"), at=Max("updated_at")),
        SourceRecord.history.filter(domain=domain).aggregate(h=Max("history_id")),
        GoldenRecord.history.filter(domain=domain).aggregate(h=Max("history_id")),
        PairConstraint.history.filter(domain=domain).aggregate(h=Max("history_id")),
        MergeProposal.history.filter(domain=domain).aggregate(h=Max("history_id")),
    )


def read_domain(domain: str, *, with_goldens: bool = True) -> Snapshot:
    """Stream the domain's records (values only) into a Snapshot."""
    get_domain(domain)
    snapshot = Snapshot(domain=domain, fingerprint=fingerprint(domain))
    if with_goldens:
        snapshot.goldens = {
            row["id"]: golden_state(row)
            for row in GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.ACTIVE)
            .values("id", "golden_id", "version", "status", "attributes", "lineage", "overrides")
            .iterator(chunk_size=READ_CHUNK)
        }
    records = SourceRecord.objects.filter(domain=domain).order_by("id")
    for row in records.values(*MEMBER_VALUES, "golden_id", "is_deleted").iterator(chunk_size=READ_CHUNK):
        sid = row["id"]
        golden = row["golden_id"] if row["golden_id"] in snapshot.goldens else None
        snapshot.labels[sid] = f"{row['system__code']}:{row['source_key']}"
        if row["is_deleted"]:
            if golden is not None:
                snapshot.leaving[sid] = golden
            continue
        snapshot.members[sid] = member_from_values(row)
        snapshot.current[sid] = golden
        snapshot.rows.append({**row["attributes"], "unique_id": str(sid), "source_system": row["system__code"]})
    for kind, left, right in PairConstraint.objects.filter(domain=domain).values_list("kind", "left_id", "right_id"):
        if left in snapshot.members and right in snapshot.members:
            target = snapshot.must_link if kind == PairConstraint.Kind.MUST_LINK else snapshot.cannot_link
            target.append((left, right))
    return snapshot


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def model_train(
    *,
    domain: str,
    actor: str,
    upper: float | None = None,
    lower: float | None = None,
    use_labels: bool = True,
    on_progress: ProgressCallback | None = None,
) -> MatchModel:
    """Train the domain's model without labels on its live records, refine its m values
    with the stewards' must-links (approved pairs, manual merges) when there are any, and
    store it as the domain's new active model with its thresholds and training report."""
    progress = on_progress or (lambda stage: None)
    progress("reading records")
    snapshot = read_domain(domain, with_goldens=False)
    if not snapshot.rows:
        raise MatchingError(MSG_NO_RECORDS.format(domain=domain))
    progress(f"training on {len(snapshot.rows):,} records")
    try:
        trained = engine.train(domain, snapshot.rows)
        labels = [(str(a), str(b)) for a, b in snapshot.must_link] if use_labels else []
        if labels:
            progress(f"refining m values with {len(labels):,} steward labels")
            trained = engine.refine_with_labels(trained, snapshot.rows, labels)
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    thresholds = _thresholds(default_thresholds(domain), upper, lower)
    trained = trained.with_thresholds(match=thresholds["upper"], review=thresholds["lower"])
    change = Change(actor=actor, reason=f"training of the {domain} model")
    return match_model_store(domain=domain, trained=trained, labels=len(labels), change=change)


@transaction.atomic
def match_model_store(*, domain: str, trained: engine.TrainedModel, change: Change, labels: int = 0) -> MatchModel:
    """Store a trained model as the domain's next version and make it the active one.
    Its thresholds are the artifact's (match / review weights), else the domain defaults."""
    golden_domain_lock(domain)
    if trained.domain != domain:
        raise MatchingError(f"the model was trained for {trained.domain}, not {domain}")
    base = default_thresholds(domain)
    thresholds = {
        "upper": trained.thresholds.get("match", base["upper"]),
        "lower": trained.thresholds.get("review", base["lower"]),
    }
    last = MatchModel.objects.filter(domain=domain).aggregate(v=Max("version"))["v"] or 0
    for active in MatchModel.objects.filter(domain=domain, is_active=True):
        active.is_active = False
        active.save(update_fields=["is_active"])
    return MatchModel.objects.create(
        domain=domain,
        version=last + 1,
        artifact=json.loads(trained.to_json()),
        report=trained.report,
        thresholds=thresholds,
        labels=labels,
        is_active=True,
        created_by=change.actor,
        operation=change.operation,
        created_at=timezone.now(),
    )


def active_model(domain: str) -> MatchModel:
    model = MatchModel.objects.filter(domain=domain, is_active=True).first()
    if model is None:
        raise MatchingError(MSG_NO_MODEL.format(domain=domain))
    return model


# ---------------------------------------------------------------------------
# Clustering and the plan
# ---------------------------------------------------------------------------


class _Components:
    """Union-find over record ids (must-link groups)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Scored:
    """The scored pairs of a run, sorted into what they mean at the thresholds."""

    auto: list[tuple[str, str, float]] = field(default_factory=list)
    review: list[engine.Pair] = field(default_factory=list)
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    checked: int = 0  # pairs scored inside candidate groups, looking for conflicts


def score(
    trained: engine.TrainedModel, snapshot: Snapshot, thresholds: dict[str, float], conflict_below: float
) -> Scored:
    """Pairs at or above the lower threshold (Splink), then the conflicts that matter."""
    scored = Scored()
    if len(snapshot.rows) < 2:
        return scored
    try:
        pairs = engine.predict(trained, snapshot.rows, threshold=thresholds["lower"])
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    for pair in pairs:
        if pair.weight >= thresholds["upper"]:
            scored.auto.append((pair.left, pair.right, pair.weight))
        else:
            scored.review.append(pair)
    scored.conflicts, scored.checked = _conflicts(trained, snapshot, scored.auto, conflict_below)
    return scored


def _conflicts(
    trained: engine.TrainedModel, snapshot: Snapshot, auto: Sequence[tuple[str, str, float]], conflict_below: float
) -> tuple[list[tuple[int, int]], int]:
    """Pairs scored below `conflict_below` inside the groups that auto-merge pairs and
    must-links could form: only there can a conflict keep two records apart (a record in
    no such group joins nothing). Every pair of a group is scored (a look-alike chained in
    through a third record is caught even when blocking never paired the two), by the
    engine's pure-Python scorer, which gives Splink's weights; a group too large for that
    falls back to Splink's blocked pairs within it."""
    groups = _Components()
    for left, right, _ in auto:
        groups.union(int(left), int(right))
    for a, b in snapshot.must_link:
        groups.union(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for sid in list(groups.parent):
        members[groups.find(sid)].append(sid)
    rows = {int(row["unique_id"]): row for row in snapshot.rows} if members else {}
    scorer = engine.scorer(trained)
    conflicts: list[tuple[int, int]] = []
    checked = 0
    for ids in members.values():
        if len(ids) < 3:  # its one pair is an auto-merge or a must-link: nothing to keep apart
            continue
        ids.sort()
        if len(ids) > GROUP_SCORE_LIMIT:
            pairs = engine.predict(trained, [rows[i] for i in ids])
            checked += len(pairs)
            conflicts += [(int(p.left), int(p.right)) for p in pairs if p.weight < conflict_below]
            continue
        prepared = [scorer.prepare(rows[i]) for i in ids]
        for i, j in combinations(range(len(ids)), 2):
            checked += 1
            if scorer.score(prepared[i], prepared[j])[0] < conflict_below:
                conflicts.append((ids[i], ids[j]))
    return sorted(conflicts), checked


def cluster(snapshot: Snapshot, scored: Scored, upper: float) -> list[list[int]]:
    """Clusters of live records under the rulings: must-links first, never across a
    cannot-link or a conflict pair (conflicts inside a must-link group give way)."""
    groups = _Components()
    for a, b in snapshot.must_link:
        groups.union(a, b)
    for a, b in snapshot.cannot_link:
        if groups.find(a) == groups.find(b):
            raise MatchingError(
                f"source records {a} and {b} are both ruled one entity and ruled apart: "
                "a steward must split them explicitly"
            )
    conflicts = [(a, b) for a, b in scored.conflicts if groups.find(a) != groups.find(b)]
    try:
        clusters = engine.cluster(
            scored.auto,
            upper,
            must_link=[(str(a), str(b)) for a, b in snapshot.must_link],
            cannot_link=[(str(a), str(b)) for a, b in [*snapshot.cannot_link, *conflicts]],
            records=[row["unique_id"] for row in snapshot.rows],
        )
    except engine.EngineError as exc:
        raise MatchingError(str(exc)) from None
    return sorted((sorted(int(uid) for uid in c) for c in clusters), key=lambda c: c[0])


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
    )


def proposal_candidates(clusters: Sequence[Sequence[int]], snapshot: Snapshot, scored: Scored) -> list[Candidate]:
    """The strongest review-band pair between each two clusters that no ruling keeps apart."""
    cluster_of = {sid: ci for ci, members in enumerate(clusters) for sid in members}
    apart = {tuple(sorted((cluster_of[a], cluster_of[b]))) for a, b in snapshot.cannot_link}
    best: dict[tuple[int, int], engine.Pair] = {}
    for pair in scored.review:
        a, b = int(pair.left), int(pair.right)
        key = tuple(sorted((cluster_of[a], cluster_of[b])))
        if key[0] == key[1] or key in apart:
            continue
        kept = best.get(key)  # type: ignore[arg-type]
        if kept is None or (-pair.weight, min(a, b), max(a, b)) < (
            -kept.weight,
            min(int(kept.left), int(kept.right)),
            max(int(kept.left), int(kept.right)),
        ):
            best[key] = pair  # type: ignore[index]
    return [
        Candidate(
            left=min(int(p.left), int(p.right)),
            right=max(int(p.left), int(p.right)),
            weight=round(p.weight, 6),
            probability=round(p.probability, 6),
            evidence=[{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)} for e in p.evidence],
        )
        for _, p in sorted(best.items())
    ]


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class MatchResult:
    """What a run did (or, dry, would do): counts, a sample of each kind of change, timings."""

    domain: str
    dry_run: bool
    model_version: int
    thresholds: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    run: MatchRun | None = None


def match_run(
    *,
    domain: str,
    actor: str,
    dry_run: bool = False,
    upper: float | None = None,
    lower: float | None = None,
    on_progress: ProgressCallback | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> MatchResult:
    """Match a domain end to end with its active model (see the module docstring).

    With `dry_run`, only reads: the result says how many golden records would be created,
    merged, split, updated or deleted, which cross-references would change, and shows a
    sample of each. Otherwise the plan is applied in bulk and the run stored as a MatchRun.
    """
    progress = on_progress or (lambda stage: None)
    model = active_model(domain)
    thresholds = _thresholds(model.thresholds, upper, lower)
    trained = model.trained()
    conflict_below = float(get_domain(domain).matching.conflict_below)
    result = MatchResult(domain=domain, dry_run=dry_run, model_version=model.version, thresholds=thresholds)
    operation = uuid.uuid4()
    change = Change(actor=actor, reason=f"match run of {domain} (model v{model.version})", operation=operation)
    run = None
    if not dry_run:
        run = MatchRun.objects.create(
            operation=operation,
            domain=domain,
            model=model,
            thresholds=thresholds,
            actor=actor,
            started_at=timezone.now(),
        )
        result.run = run
    try:
        for attempt in range(1, ATTEMPTS + 1):
            plan, proposals, seen = _plan(result, trained, conflict_below, progress, sample_size)
            if dry_run:
                return result
            progress("writing")
            started = time.perf_counter()
            try:
                _apply(domain, plan, proposals, seen, run, change, result)
            except StalePlan:
                if attempt == ATTEMPTS:
                    raise
                progress("data changed during the run: planning again")
                continue
            result.timings["write"] = round(time.perf_counter() - started, 3)
            break
    except Exception as exc:
        if run is not None:
            run.status = MatchRun.Status.FAILED
            run.error = str(exc)[:2000]
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        raise
    assert run is not None
    run.status = MatchRun.Status.COMPLETED
    run.counts = result.counts
    run.timings = result.timings
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "timings", "finished_at"])
    return result


def _timed(result: MatchResult, name: str, progress: ProgressCallback, label: str, fn: Callable[[], Any]) -> Any:
    progress(label)
    started = time.perf_counter()
    value = fn()
    result.timings[name] = round(time.perf_counter() - started, 3)
    return value


def _plan(
    result: MatchResult,
    trained: engine.TrainedModel,
    conflict_below: float,
    progress: ProgressCallback,
    sample_size: int,
) -> tuple[GoldenPlan, ProposalPlan, tuple[Any, ...]]:
    domain, thresholds = result.domain, result.thresholds
    snapshot: Snapshot = _timed(result, "read", progress, "reading records", lambda: read_domain(domain))
    scored: Scored = _timed(
        result,
        "predict",
        progress,
        f"scoring pairs of {len(snapshot.rows):,} records",
        lambda: score(trained, snapshot, thresholds, conflict_below),
    )
    clusters = _timed(
        result,
        "cluster",
        progress,
        f"clustering {len(scored.auto):,} auto-merge pairs",
        lambda: cluster(snapshot, scored, thresholds["upper"]),
    )

    def plan_all() -> tuple[ClusterMap, GoldenPlan, ProposalPlan]:
        mapping = map_clusters(clusters, snapshot)
        plan = plan_goldens(clusters, mapping, snapshot)
        proposals = proposals_plan(domain=domain, wanted=proposal_candidates(clusters, snapshot, scored))
        return mapping, plan, proposals

    mapping, plan, proposals = _timed(result, "plan", progress, "planning golden records", plan_all)
    result.counts, result.samples = _report(snapshot, scored, clusters, mapping, plan, proposals, sample_size)
    return plan, proposals, snapshot.fingerprint


@transaction.atomic
def _apply(
    domain: str,
    plan: GoldenPlan,
    proposals: ProposalPlan,
    seen: tuple[Any, ...],
    run: MatchRun | None,
    change: Change,
    result: MatchResult,
) -> None:
    # Lock order, as everywhere: source systems (imports hold theirs while they write), the
    # domain's golden-record lock, then (last, in _append_events) the feed counter.
    list(SourceSystem.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    golden_domain_lock(domain)
    if fingerprint(domain) != seen:
        raise StalePlan(f"{domain} records, golden records or rulings changed while the run was planned")
    applied = golden_plan_apply(plan=plan, change=change)
    proposals_apply(plan=proposals, run=run, change=change)
    result.counts["events"] = applied.events


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _report(
    snapshot: Snapshot,
    scored: Scored,
    clusters: Sequence[Sequence[int]],
    mapping: ClusterMap,
    plan: GoldenPlan,
    proposals: ProposalPlan,
    size: int,
) -> tuple[dict[str, int], dict[str, list[str]]]:
    goldens = snapshot.goldens
    ids = {pk: state.golden_id for pk, state in goldens.items()}
    new_names = {ref: f"(new {ref.split(':')[1]})" for ref in mapping.refs if isinstance(ref, str)}

    def name(ref: Ref | None) -> str:
        if ref is None:
            return "(none)"
        return ids[ref] if isinstance(ref, int) else new_names[ref]

    targets = {t.ref: t for t in plan.targets}
    split_parts: dict[int, list[str]] = defaultdict(list)
    for ref, origin in mapping.split_from.items():
        split_parts[origin].append(ref)
    created = [ref for ref in mapping.refs if isinstance(ref, str) and ref not in mapping.split_from]
    updated = [t for t in plan.targets if isinstance(t.ref, int) and not t.absorbed and t.ref not in split_parts]
    multi = [c for c in clusters if len(c) > 1]
    counts = {
        "records": len(snapshot.members),
        "deleted_records_leaving": len(snapshot.leaving),
        "pairs_auto": len(scored.auto),
        "pairs_review": len(scored.review),
        "pairs_checked": scored.checked,
        "pairs_conflict": len(scored.conflicts),
        "must_links": len(snapshot.must_link),
        "cannot_links": len(snapshot.cannot_link),
        "golden_records": len(clusters),
        "golden_multi_record": len(multi),
        "records_merged": sum(len(c) for c in multi) - len(multi),
        "golden_created": len(created),
        "golden_merged": len(plan.retire),
        "golden_split": len(split_parts),
        "golden_split_parts": len(mapping.split_from),
        "golden_updated": len(updated),
        "golden_deleted": len(plan.delete),
        "golden_unchanged": sum(
            1 for ref in mapping.refs if isinstance(ref, int) and ref not in targets and ref not in split_parts
        ),
        "xref_changed": len(plan.moves),
        "proposals_new": len(proposals.create),
        "proposals_rescored": len(proposals.rescore),
        "proposals_reopened": len(proposals.reopen),
        "proposals_superseded": len(proposals.supersede),
        "proposals_pending": proposals.pending_after,
    }
    labels = snapshot.labels
    members_of = {ref: members for ref, members in zip(mapping.refs, clusters, strict=True)}

    def record_list(sids: Sequence[int]) -> str:
        shown = ", ".join(labels[s] for s in sids[:3])
        return shown + (f" and {len(sids) - 3} more" if len(sids) > 3 else "")

    samples: dict[str, list[str]] = {
        "created": [
            f"{name(ref)} {targets[ref].attributes.get('name', '')!s}: {record_list(members_of[ref])}"
            for ref in created[:size]
        ],
        "merged": [
            f"{name(golden)} -> {name(successor)} (retired; its ID resolves to the survivor)"
            for golden, successor in sorted(plan.retire.items())[:size]
        ],
        "split": [
            f"{name(origin)} keeps {len(members_of.get(origin, []))} records; split off: "
            + "; ".join(f"{name(ref)} {record_list(members_of[ref])}" for ref in parts)
            for origin, parts in sorted(split_parts.items())[:size]
        ],
        "updated": [
            f"{name(t.ref)}: {', '.join(_changed(goldens[t.ref].attributes, t.attributes)) or 'lineage'}"
            for t in updated[:size]
        ],
        "deleted": [f"{name(pk)} (no live source record left)" for pk in plan.delete[:size]],
        "xref": [
            f"{labels[sid]}: {name(snapshot.current.get(sid) or snapshot.leaving.get(sid))} -> {name(ref)}"
            for sid, ref in sorted(plan.moves.items())[:size]
        ],
        "proposals": [
            f"{labels[c.left]} ~ {labels[c.right]} weight {c.weight:+.2f}: "
            + ", ".join(f"{e['comparison']} {e['level']}" for e in c.evidence if e["weight"] > 0)
            for c in proposals.create[:size]
        ],
    }
    return counts, {kind: lines for kind, lines in samples.items() if lines}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if "__" not in k and before.get(k) != after.get(k))


def domain_summary(domain: str) -> dict[str, int]:
    """Golden records, source records and proposals of a domain, for summaries."""
    active = GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.ACTIVE)
    multi = active.annotate(n=Count("members", filter=Q(members__is_deleted=False))).filter(n__gt=1)
    return {
        "records": SourceRecord.objects.filter(domain=domain, is_deleted=False).count(),
        "golden_records": active.count(),
        "golden_multi_record": multi.count(),
        "proposals_pending": MergeProposal.objects.filter(domain=domain, status=MergeProposal.Status.PENDING).count(),
    }
