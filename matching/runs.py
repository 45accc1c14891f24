"""A match run of one domain: read, score, cluster, review, plan, apply.

    result = match_run(domain="customer", actor="cli:me")                  # MatchResult, result.run
    preview = match_run(domain="customer", actor="cli:me", dry_run=True)   # writes nothing

A run reads the domain's standardized records as plain values (selectors.read_domain),
scores pairs with the engine (Splink on DuckDB or Spark), clusters them under the
stewards' rulings and the domain's policy (matching.clustering) and maps the clusters onto
the golden records that exist (matching.planning):

- Thresholds (match weights): pairs at or above `upper` join automatically; pairs between
  `lower` and `upper` whose records end in different golden records become merge
  proposals (the strongest pair per two golden records), the strongest first within the
  domain's review budget (planning.within_budget; the band pairs past it are held back and
  counted, and pairs below `lower` fill what room is left, down to the calibrated floor).
  With the domain's
  `exclusive_links` (on by default; `match_run(exclusive_links=False)` for one run), a
  band pair between two source systems where each side (a record with what its pairs
  above `upper` join it to) is the other's only candidate in the other's system joins
  automatically too, after the pairs above `upper`, under the same conflicts and rulings.
  A join that would put two records of one system together that no automatic pair of
  their own joins comes after every other join (a system holds an entity once, as a
  rule). Inside each group that automatic pairs could join, a conflict (a pair whose
  evidence, the prior left out, weighs below the domain's `conflict_below`, or at a level
  the model declares a conflict: two valid tax ids or barcodes) keeps its two records apart, like a
  steward's cannot-link, so an ambiguous record cannot chain two different companies or
  products together.
- Stewards' rulings are law: must-links are joined first, cannot-links are never crossed,
  whatever chain of other pairs would join them.
- Stable golden IDs (matching.planning). Deleted source records leave their golden
  record; a golden record left without live records is deleted (its ID still resolves).
- Survivorship recomputes every golden record from its live members; only what changed
  is written. Re-running on unchanged data writes nothing: no version, no event.
- The run is compared with the last applied one and raises alarms that hold its merges
  (matching.review). A held run still gives new records golden records of their own and
  applies updates, deletions and the stewards' must-links; approving a held proposal
  merges. `accept_alarms` applies the merges anyway and records who accepted which
  alarms; a held run is no baseline, so re-running on the same data holds the same
  merges again.

The plan is computed first (that is all a dry run does), then applied in one transaction
under the domain's locks, after a short check of what changed since it was read (history
rows after its fingerprint): activity that touches none of the records, golden records and
proposals the plan writes (a steward's override elsewhere, an arrival matched in real
time) leaves it valid; otherwise the run plans again, and its last attempt plans under the
locks, so a run finishes under any steady steward activity (which waits for it then).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from matching import engine
from matching.artifact import TrainedModel
from matching.calibration import Calibration
from matching.clustering import Conflicts, exclusive_links, group_conflicts
from matching.keys import RunKeys, match_keys_refresh
from matching.planning import (
    ClusterMap,
    Contradiction,
    Scored,
    Systems,
    band_floor,
    cap_candidates,
    cluster_index,
    contradictions,
    held_merges,
    hold,
    left_apart,
    map_clusters,
    plan_clusters,
    plan_goldens,
    proposal_candidates,
    review_budget,
    tied,
    within_budget,
)
from matching.review import ACCEPTABLE, RunReview, review_run, run_counts, run_samples
from matching.selectors import (
    Activity,
    Snapshot,
    active_model,
    activity_since,
    feature_cache,
    fingerprint,
    read_domain,
    steward_labels,
    trained_model,
)
from matching.tables import feature_table
from matching.training import thresholds_chosen
from mdm.domains import MatchingDefaults, get_domain
from mdm.errors import InvalidInput, StalePlan
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MatchModel, MatchRun, MergeProposal, SourceRecord
from mdm.selectors import proposals_in_hand
from mdm.services.audit import declarations_in_force
from mdm.services.locks import ALL_SYSTEMS, domain_write_lock
from mdm.services.plans import GoldenPlan, Ref, golden_plan_apply
from mdm.services.proposals import Candidate, ProposalPlan, proposals_apply, proposals_plan

ProgressCallback = Callable[[str], None]
SAMPLE_SIZE = 5
ATTEMPTS = 3  # a run whose plan the activity meanwhile touched plans again; the last time under the locks
MSG_UNKNOWN_CHECK = "unknown alarm check(s) {checks}: accept one of {known}"
MSG_INTERRUPTED = "interrupted (its process died) {when}"
MSG_NOTHING_APPLIED = "before its plan was applied: nothing was written"
MSG_APPLIED = ("after its plan was applied (one transaction, all of it): {golden_versions} golden record versions, "
               "{memberships} memberships, {proposals} proposal changes, {events} change events written")


@dataclass
class MatchResult:
    """What a run did (or, dry, would do): counts, a sample of each kind of change, timings,
    the report comparing it with the previous run and the alarms it raised."""

    domain: str
    dry_run: bool
    model_version: int
    thresholds: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    run: MatchRun | None = None
    interrupted: list[MatchRun] = field(default_factory=list)  # earlier runs found dead at the start
    largest: list[Ref | None] = field(default_factory=list, repr=False)  # golden records of report["largest"]


@dataclass
class _Planned:
    """What a run writes: its golden-record plan, its proposals, the fingerprint of the
    data it read (checked when applying) and the blocking keys it refreshes."""

    plan: GoldenPlan
    proposals: ProposalPlan
    seen: tuple[Any, ...]
    keys: RunKeys | None
    over_budget: set[tuple[int, int]] = field(default_factory=set)  # review pairs the budget left out


def match_run(
    *,
    domain: str,
    actor: str,
    dry_run: bool = False,
    upper: float | None = None,
    lower: float | None = None,
    accept_alarms: bool | Sequence[str] = False,
    exclusive_links: bool | None = None,
    on_progress: ProgressCallback | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> MatchResult:
    """Match a domain end to end with its active model (see the module docstring).

    With `dry_run`, only reads: the result says how many golden records would be created,
    merged, split, updated or deleted, which cross-references would change, what the run
    report and alarms would be, and shows a sample of each. Otherwise the plan is applied
    in bulk and the run stored as a MatchRun. `accept_alarms` (True: every alarm, or the
    names of checks) applies the automatic merges those alarms would hold; the run's
    report says who accepted which. `exclusive_links` overrides the domain's setting
    (False: nothing below the upper threshold merges automatically).
    """
    progress = on_progress or (lambda stage: None)
    accepted = _accepted(accept_alarms)
    model = active_model(domain)
    thresholds = thresholds_chosen(model.thresholds, upper, lower)
    limits = get_domain(domain).matching
    if exclusive_links is not None:
        limits = replace(limits, exclusive_links=exclusive_links)
    result = MatchResult(domain=domain, dry_run=dry_run, model_version=model.version, thresholds=thresholds)
    operation = uuid.uuid4()
    change = Change(actor=actor, reason=f"match run of {domain} (model v{model.version})", operation=operation)
    planner = _Planner(result, model, trained_model(model), limits, accepted, actor, progress, sample_size)
    if dry_run:
        planner.plan()
        return result
    result.interrupted = dead_runs_interrupted(domain)
    run = result.run = MatchRun.objects.create(
        operation=operation, domain=domain, model=model, thresholds=thresholds, actor=actor,
        started_at=timezone.now(), host=socket.gethostname(), pid=os.getpid(),
    )
    declarations_in_force(declarations=[("domain", domain, get_domain(domain).text)], change=change)
    try:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if attempt < ATTEMPTS:
                    _plan_and_apply(domain, planner, run, change, result)
                else:
                    with transaction.atomic():
                        domain_write_lock(domain, systems=ALL_SYSTEMS)
                        _plan_and_apply(domain, planner, run, change, result)
                break
            except StalePlan as stale:
                if attempt == ATTEMPTS:
                    raise
                progress(f"{stale.message}: planning again" + (" under the locks" if attempt + 1 == ATTEMPTS else ""))
        result.counts["attempts"] = attempt
    except Exception as exc:
        run.status = MatchRun.Status.FAILED
        run.error = str(exc)[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status = MatchRun.Status.COMPLETED
    run.counts, run.timings, run.report, run.alarms = result.counts, result.timings, result.report, result.alarms
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "timings", "report", "alarms", "finished_at"])
    return result


def dead_runs_interrupted(domain: str) -> list[MatchRun]:
    """Mark the domain's runs still 'running' whose process is gone on this host as
    interrupted, each with what it had written (its history rows and change events, found
    by its operation): nothing, or its whole plan when it died after the commit."""
    host = socket.gethostname()
    marked = []
    for run in MatchRun.objects.filter(domain=domain, status=MatchRun.Status.RUNNING, host=host, pid__isnull=False):
        try:
            os.kill(run.pid, 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, another user's process
        applied = {
            "golden_versions": GoldenRecord.history.filter(history_operation=run.operation).count(),
            "memberships": SourceRecord.history.filter(history_operation=run.operation).count(),
            "proposals": MergeProposal.history.filter(history_operation=run.operation).count(),
            "events": ChangeEvent.objects.filter(operation=run.operation).count(),
        }
        when = MSG_APPLIED.format(**applied) if any(applied.values()) else MSG_NOTHING_APPLIED
        run.status, run.error = MatchRun.Status.INTERRUPTED, MSG_INTERRUPTED.format(when=when)
        run.counts = {**run.counts, **{f"applied_{name}": n for name, n in applied.items()}}
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "counts", "finished_at"])
        marked.append(run)
    return marked


def _accepted(accept: bool | Sequence[str] | None) -> frozenset[str]:
    if accept is True:
        return frozenset(ACCEPTABLE)
    if not accept:
        return frozenset()
    checks = frozenset(accept)
    if checks - set(ACCEPTABLE):
        raise InvalidInput(
            MSG_UNKNOWN_CHECK.format(checks=", ".join(sorted(checks - set(ACCEPTABLE))), known=", ".join(ACCEPTABLE))
        )
    return checks


@dataclass
class _Planner:
    """Plans a run step by step, timing each step into the result."""

    result: MatchResult
    model: MatchModel
    trained: TrainedModel
    limits: MatchingDefaults
    accepted: frozenset[str]
    actor: str
    progress: ProgressCallback
    sample_size: int
    calibration: Calibration = field(default_factory=Calibration)

    def _timed(self, name: str, label: str, fn: Callable[[], Any]) -> Any:
        self.progress(label)
        started = time.perf_counter()
        value = fn()
        self.result.timings[name] = round(time.perf_counter() - started, 3)
        return value

    def plan(self) -> _Planned:
        result, domain = self.result, self.result.domain
        snapshot: Snapshot = self._timed("read", "reading records", lambda: read_domain(domain))
        keys = None if result.dry_run else RunKeys(domain, self.model.pk, self.trained.model)
        # how far the model's weights hold, by the stewards' decisions so far: it sets the
        # band's floor (the model's own before any decision) and estimates the true pairs
        # among the proposals (before any decision, the model's read for the pairs the run
        # leaves apart, once it has clustered); the report says which was used
        self.calibration = Calibration.fit(steward_labels(domain))
        floor = band_floor(result.thresholds, self.limits, self.calibration)
        scored: Scored = self._timed(
            "predict", f"scoring pairs of {len(snapshot.rows):,} records",
            lambda: score(self.trained, snapshot, result.thresholds, self.limits.conflict_below,
                          observe=keys.observe if keys is not None else None,
                          exclusive_links=self.limits.exclusive_links, floor=floor),
        )
        found, pinned, planned = self._timed(
            "cluster", f"clustering {len(scored.auto):,} auto-merge pairs", lambda: self._cluster(snapshot, scored)
        )
        review: RunReview = self._timed("compare", "comparing with the previous run", lambda: review_run(
            model=self.model, trained=self.trained, snapshot=snapshot, scored=scored, planned=planned,
            pinned=pinned, found=found, limits=self.limits, accepted=self.accepted, actor=self.actor,
        ))
        snapshot.rows = []  # scored and reviewed: the plan releases the records' attributes as it goes
        golden, proposals, over_budget = self._timed(
            "plan", "planning golden records", lambda: self._plan(snapshot, scored, planned, pinned, found, review)
        )
        return _Planned(golden, proposals, snapshot.fingerprint, keys, over_budget)

    def _cluster(self, snapshot: Snapshot, scored: Scored) -> tuple[list[Contradiction], set[int], list[list[int]]]:
        found = contradictions(snapshot)
        pinned = tied(snapshot, (sid for c in found for sid in c.records))
        return found, pinned, plan_clusters(snapshot, scored, pinned=pinned)

    def _plan(self, snapshot: Snapshot, scored: Scored, planned: list[list[int]], pinned: set[int],
              found: list[Contradiction], review: RunReview) -> tuple[GoldenPlan, ProposalPlan, set[tuple[int, int]]]:
        result = self.result
        clusters, frozen = hold(planned, review.held, snapshot, scored, pinned)
        merges = held_merges(planned, review.held, clusters, snapshot, scored)
        contested = {sid for c in found for sid in c.records}
        cluster_of = cluster_index(clusters)
        candidates = proposal_candidates(
            cluster_of, snapshot, scored, held=[p for pairs in merges.values() for p in pairs], skip=contested
        )
        giants = {sid: ci for ci in review.giant if ci in review.held for sid in planned[ci]}
        candidates, review.giant_candidates = cap_candidates(candidates, giants, self.limits.held_per_cluster)
        budget = review_budget(self.limits, len(clusters))
        reviewed = {(c.left, c.right) for c in candidates if c.kind == MergeProposal.Kind.REVIEW}
        candidates, held_back = within_budget(candidates, budget, result.thresholds["lower"],
                                                proposals_in_hand(result.domain))
        over_budget = reviewed - {(c.left, c.right) for c in candidates}
        if not self.calibration.decisions:  # the model's odds, read for the pairs this run leaves apart
            proposed = (c.weight for c in candidates if c.kind == MergeProposal.Kind.REVIEW)
            labelled = Calibration.from_separator(self.trained.report.get("separator_labels", []),
                                                  self.limits.conflict_below, result.thresholds["upper"])
            self.calibration = Calibration.left_apart(left_apart(cluster_of, scored), proposed, labelled)
        candidates = self._calibrated(candidates)
        mapping: ClusterMap = map_clusters(clusters, snapshot)
        golden = plan_goldens(clusters, mapping, snapshot)
        proposals = proposals_plan(domain=result.domain, wanted=candidates)
        result.counts = run_counts(snapshot, scored, clusters, mapping, golden, proposals)
        result.samples = run_samples(snapshot, clusters, mapping, golden, proposals, self.sample_size)
        result.counts["proposals_held"] = sum(1 for c in candidates if c.kind == MergeProposal.Kind.HELD)
        # the true pairs a steward would likely find among the review proposals
        band = [c.weight for c in candidates if c.kind == MergeProposal.Kind.REVIEW]
        result.counts["proposals_likely_true"] = round(self.calibration.expected_true(band), 1)
        result.counts["proposals_below_band"] = sum(1 for w in band if w < result.thresholds["lower"])
        result.counts["proposals_held_back"] = len(held_back)  # band pairs past the budget: on a later run
        result.report, result.alarms, result.largest = review.finish(
            snapshot=snapshot, planned=planned, clusters=clusters, mapping=mapping, frozen=frozen, merges=merges,
            cap=self.limits.held_per_cluster,
        )
        result.report["calibration"] = self.calibration.as_report()
        result.report["blocking_left_out"] = scored.left_out
        result.report["band"] = {
            "budget": budget, "floor": round(scored.floor, 4),
            "lowest": round(min(band), 4) if band else None,  # the weight of the weakest review proposal
            "held_back": len(held_back),
            "held_back_likely_true": round(self.calibration.expected_true(c.weight for c in held_back), 1),
        }
        result.counts["merges_held"] = sum(len(pairs) for pairs in merges.values())
        result.counts["alarms"] = len(result.alarms)
        return golden, proposals, over_budget


    def _calibrated(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates with the probability the run's calibration reads their weights as."""
        label = self.calibration.describe()
        return [replace(c, probability=round(self.calibration.probability(c.weight), 6), calibration=label)
                for c in candidates]


def score(
    trained: TrainedModel,
    snapshot: Snapshot,
    thresholds: dict[str, float],
    conflict_below: float,
    observe: Callable[[pa.Table], None] | None = None,
    *,
    exclusive_links: bool = False,
    floor: float | None = None,
) -> Scored:
    """Pairs at or above the lower threshold (Splink), and down to `floor` when it is
    lower (candidate proposals only: scored.below), the exclusive links among the band's
    when asked for, then the conflicts that matter. `observe` is shown the feature rows
    predict computes (engine.predict)."""
    lowest = thresholds["lower"] if floor is None else min(floor, thresholds["lower"])
    scored = Scored(floor=lowest)
    if len(snapshot.rows) < 2:
        return scored
    table = feature_table(snapshot.rows, trained.model, cache=feature_cache(snapshot.domain))
    if observe is not None:  # the conflict check reads the table too
        observe(table)
    pairs = engine.predict(trained, table, threshold=lowest, backend=settings.MDM_MATCH_BACKEND,
                           left_out=scored.left_out.extend)
    for pair in pairs:
        if pair.weight >= thresholds["upper"]:
            scored.auto.append(pair)
        elif pair.weight >= thresholds["lower"]:
            scored.review.append(pair)
        else:
            scored.below.append(pair)
    if exclusive_links:
        exclusive = _exclusive(pairs, thresholds, snapshot)
        scored.auto += exclusive
        scored.exclusive = len(exclusive)
    conflicts = Conflicts.of(trained, conflict_below, thresholds["upper"])
    found, scored.checked = group_conflicts(trained, table, scored.auto, _strings(snapshot.must_link), conflicts)
    scored.conflicts = sorted((min(int(a), int(b)), max(int(a), int(b))) for a, b in found)
    del table, pairs
    engine.release_memory()
    return scored


def _exclusive(pairs: list[Any], thresholds: dict[str, float], snapshot: Snapshot) -> list[Any]:
    return exclusive_links(pairs, thresholds["lower"], thresholds["upper"], Systems(snapshot),
                           _strings(snapshot.must_link))


def _plan_and_apply(domain: str, planner: _Planner, run: MatchRun, change: Change, result: MatchResult) -> None:
    planned = planner.plan()
    planner.progress("writing")
    started = time.perf_counter()
    _apply(domain, planned, run, change, result)
    result.timings["write"] = round(time.perf_counter() - started, 3)


def _clash(planned: _Planned, activity: Activity) -> str:
    """Why the activity since the plan's read makes it stale ("" when it does not)."""
    if activity.trust:
        return "a source system's trust ranks changed"
    plan, proposals = planned.plan, planned.proposals
    goldens = set(plan.versions) | set(plan.retire) | set(plan.delete)
    if goldens & activity.goldens:
        return f"golden records the run changes were changed: {sorted(goldens & activity.goldens)[:10]}"
    records = set(plan.moves).union(*(t.members for t in plan.targets))
    records.update(x for c in proposals.create for x in (c.left, c.right))
    records.update(x for _, c in (*proposals.rescore, *proposals.reopen) for x in (c.left, c.right))
    if records & activity.records:
        return f"source records the run places were changed: {sorted(records & activity.records)[:10]}"
    touched = {pk for pk, _ in (*proposals.rescore, *proposals.reopen)} | set(proposals.supersede)
    if touched & activity.proposals:
        return f"proposals the run changes were decided: {sorted(touched & activity.proposals)[:10]}"
    return ""


def _strings(pairs: Iterable[tuple[int, int]]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in pairs]


@transaction.atomic
def _apply(domain: str, planned: _Planned, run: MatchRun, change: Change, result: MatchResult) -> None:
    # A run may move the records of any source system: it locks them all, in the one order
    # (services.locks), and applies only when nothing changed since it read.
    domain_write_lock(domain, systems=ALL_SYSTEMS)
    if fingerprint(domain) != planned.seen:
        activity = activity_since(domain, planned.seen)
        clash = _clash(planned, activity)
        if clash:
            raise StalePlan(clash)
        if planned.keys is not None:
            planned.keys.forget(activity.records)
    # a case a steward took in hand after the plan read the queue keeps its place, as it would
    # have at planning (planning.within_budget): the budget does not withdraw it under them
    planned.proposals.spare(pair for pair in proposals_in_hand(domain) if pair in planned.over_budget)
    # counted when planned: a spared case waits, the run does not withdraw it
    result.counts.update(proposals_superseded=len(planned.proposals.supersede),
                         proposals_pending=planned.proposals.pending_after)
    applied = golden_plan_apply(plan=planned.plan, change=change)
    proposals_apply(plan=planned.proposals, run=run, change=change)
    result.counts["events"] = applied.events
    for entry, ref in zip(result.report.get("largest", []), result.largest, strict=False):
        if isinstance(ref, str):  # a new golden record: its ID exists now
            entry["golden_id"] = applied.golden_ids.get(ref)
    match_keys_refresh(domain=domain, run_keys=planned.keys)  # the blocking-key index real-time matching reads
