"""A run measured: its figures, the comparison with the baseline run, the alarms that hold
its merges, and the report of what it found and changes.

Every run is measured and compared with the last run of the domain that applied its
automatic merges (`MatchRun.report`, figures only, of the clusters as the model and the
rulings form them, before anything is held): match rate (share of live records in
multi-record clusters), auto-merge and review shares of the scored pairs, cluster sizes,
the largest clusters, and when the model changed, how far each level's match weight moved.
Beyond the domain's limits (mdm/domains `matching:`) a run raises alarms
(`MatchRun.alarms`) and holds automatic merges instead of applying them:

- A cluster larger than `max_cluster_size` that the run would create or grow (a shared
  switchboard phone chaining companies) is never formed: its records keep their golden
  records, its merges become proposals of kind "held" (at most `held_per_cluster`).
- A drift alarm (match rate, auto-merge share, parameter drift) holds every automatic
  merge of the run the same way, and its splits: golden records are kept as they are.
  The first run of a domain has nothing to compare with.
- Rulings that contradict each other (a chain of must-links joining a cannot-linked pair,
  left from before decisions were checked as a whole) raise an alarm naming the records,
  which keep their golden records; the rest of the domain is matched as usual.

Real-time matching holds its merges by the same rules (`too_large`, `drift_past_limit`).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matching.artifact import TrainedModel, parameter_table
from matching.engine import check_blocking
from matching.planning import ClusterMap, Contradiction, Scored, grows
from matching.scoring import Pair, probability_weight
from matching.selectors import Snapshot, baseline_run, trained_model
from mdm.domains import MatchingDefaults
from mdm.errors import MdmError
from mdm.models import MatchModel, MatchRun, MergeProposal
from mdm.services.plans import GoldenPlan, Ref
from mdm.services.proposals import ProposalPlan

# Alarm checks (MatchRun.alarms[*]["check"])
CHECK_CLUSTER_SIZE = "cluster_size"
CHECK_MATCH_RATE = "match_rate_change"
CHECK_AUTO_SHARE = "auto_share_change"
CHECK_PARAMETER_DRIFT = "parameter_drift"
CHECK_CONTRADICTIONS = "contradictory_rulings"
DRIFT_CHECKS = (CHECK_MATCH_RATE, CHECK_AUTO_SHARE, CHECK_PARAMETER_DRIFT)
ACCEPTABLE = (CHECK_CLUSTER_SIZE, *DRIFT_CHECKS)  # contradictions hold nothing: a steward fixes the rulings
MSG_ALARM = {
    CHECK_CLUSTER_SIZE: (
        "a cluster of {value} records (limit {limit}) would join {goldens} golden records and {new} new "
        "records{shared}: not formed, {proposals} of its {merges} automatic merges held as proposals"
    ),
    CHECK_MATCH_RATE: "the match rate moved from {before:.1%} to {after:.1%} since run {run} (limit ±{limit:.1%})",
    CHECK_AUTO_SHARE: (
        "the auto-merge share of scored pairs moved from {before:.1%} to {after:.1%} since run {run} "
        "(limit ±{limit:.1%})"
    ),
    CHECK_PARAMETER_DRIFT: (
        "model v{before} -> v{after}: the weight of {comparison} / {level} moved by {value:.2f} bits "
        "(limit {limit:.2f})"
    ),
    CHECK_CONTRADICTIONS: (
        "{value} source records are under rulings that contradict each other (a chain of must-links joins "
        "a cannot-linked pair: {pairs}): they keep their golden records until a steward splits them"
    ),
}
LIMITS = (  # of MatchingDefaults, copied into each run's report
    "max_cluster_size",
    "max_match_rate_change",
    "max_auto_share_change",
    "max_parameter_drift",
    "drift_min_records",
    "held_per_cluster",
)
SIZE_BUCKETS = (("1", 1), ("2", 2), ("3-5", 5), ("6-10", 10), ("11-50", 50), (">50", sys.maxsize))
LARGEST = 5  # largest clusters listed in a run's report
MEMBERS_SHOWN = 3  # member labels listed per cluster in a report or an alarm


def run_figures(snapshot: Snapshot, scored: Scored, planned: Sequence[Sequence[int]]) -> dict[str, Any]:
    """What a run's clustering looks like (before anything is held): the figures runs are
    compared by."""
    records = len(snapshot.members)
    auto, review = len(scored.auto), len(scored.review) - scored.exclusive  # an exclusive link merges without a steward
    sizes = dict.fromkeys((name for name, _ in SIZE_BUCKETS), 0)
    for members in planned:
        sizes[next(name for name, top in SIZE_BUCKETS if len(members) <= top)] += 1
    largest = sorted(planned, key=lambda c: (-len(c), c[0]))[:LARGEST]
    return {
        "records": records,
        "match_rate": round(sum(len(c) for c in planned if len(c) > 1) / records, 4) if records else 0.0,
        "pairs_auto": auto - scored.exclusive,
        "pairs_exclusive": scored.exclusive,
        "pairs_review": review,
        "auto_share": round(auto / (auto + review), 4) if auto + review else 0.0,
        "review_share": round(review / (auto + review), 4) if auto + review else 0.0,
        "cluster_sizes": sizes,
        "largest_size": len(largest[0]) if largest else 0,
        "largest": [{"size": len(c), "members": [snapshot.label(s) for s in c[:MEMBERS_SHOWN]]} for c in largest],
    }


COMPARED = ("records", "match_rate", "auto_share", "review_share", "largest_size")


def _levels(model: MatchModel) -> dict[tuple[str, str], float]:
    """Match weight of each level of a stored model (and the prior's, as log2 odds)."""
    levels = (model.report or {}).get("levels") or parameter_table(trained_model(model))
    weights = {(row["comparison"], row["level"]): float(row["weight"]) for row in levels}
    prior = (model.artifact or {}).get("prior")
    if prior and 0 < prior < 1:
        weights[("prior", "two records match")] = probability_weight(prior)
    return weights


def parameter_drift(before: MatchModel, after: MatchModel) -> dict[str, Any]:
    """How far each level's match weight (log2 m/u), and the prior's, moved between two
    models: per level, and the largest move."""
    old, new = _levels(before), _levels(after)
    levels = [
        {
            "comparison": comparison,
            "level": level,
            "before": round(old[key], 4),
            "after": round(weight, 4),
            "change": round(abs(weight - old[key]), 4),
        }
        for key, weight in new.items()
        if key in old
        for comparison, level in [key]
    ]
    worst = max(levels, key=lambda row: row["change"], default=None)
    return {
        "from_version": before.version,
        "to_version": after.version,
        "max": worst["change"] if worst else 0.0,
        "comparison": worst["comparison"] if worst else None,
        "level": worst["level"] if worst else None,
        "levels": levels,
    }


def _alarm(check: str, value: float, limit: float, **figures: Any) -> dict[str, Any]:
    return {"check": check, "value": value, "limit": limit, "message": "", **figures}


@dataclass
class RunReview:
    """A run measured against its baseline: the report, the alarms, and which planned
    clusters the run holds (all of them on a drift alarm, else the giant ones)."""

    report: dict[str, Any]
    alarms: list[dict[str, Any]]
    held: list[int]  # planned clusters held
    giant: list[int]  # planned clusters over the size limit that the run would create or grow
    giant_candidates: Counter[int] = field(default_factory=Counter)  # giant -> proposals before the cap

    def finish(
        self,
        *,
        snapshot: Snapshot,
        planned: Sequence[Sequence[int]],
        clusters: Sequence[Sequence[int]],
        mapping: ClusterMap,
        frozen: set[int],
        merges: dict[int, list[Pair]],
        cap: int,
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[Ref | None]]:
        """Complete the report and alarms once the plan is known: golden records of the
        largest clusters, what was held, what each giant cluster shares."""
        report = self.report
        applied = {tuple(members): ref for members, ref in zip(clusters, mapping.refs, strict=True)}
        golden_ids = {pk: state.golden_id for pk, state in snapshot.goldens.items()}
        refs: list[Ref | None] = []
        for entry, members in zip(report["largest"], sorted(planned, key=lambda c: (-len(c), c[0])), strict=False):
            ref = applied.get(tuple(members))
            refs.append(ref)
            entry["golden_id"] = golden_ids.get(ref) if isinstance(ref, int) else None
            entry["held"] = ref is None
        planned_of = {sid: ci for ci, members in enumerate(planned) for sid in members}
        parts: dict[int, set[int]] = defaultdict(set)  # golden record kept as it is -> planned clusters
        for sid in frozen:
            if snapshot.current.get(sid) is not None:
                parts[snapshot.current[sid]].add(planned_of[sid])
        report["held"] = {
            "clusters": sum(1 for pairs in merges.values() if pairs),
            "records": len(frozen),
            "merges": sum(len(pairs) for pairs in merges.values()),
            "splits": sum(1 for found in parts.values() if len(found) > 1),  # kept whole instead
        }
        for alarm in self.alarms:
            if alarm["check"] != CHECK_CLUSTER_SIZE:
                continue
            ci = alarm.pop("cluster")
            alarm["merges"] = len(merges.get(ci, []))
            alarm["proposals"] = min(self.giant_candidates[ci], cap) if ci in self.held else 0
            shared = "; ".join(f"{s['rule']} {s['value']} ({s['records']} records)" for s in alarm["shared"])
            alarm["message"] = MSG_ALARM[CHECK_CLUSTER_SIZE].format(
                **{**alarm, "shared": f", sharing {shared}" if shared else ""}
            )
        return report, self.alarms, refs


def _shared_values(trained: TrainedModel, rows: list[Mapping[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """The largest blocks among a cluster's records (a tenth of them or more): the values
    that chain it together."""
    try:
        counts = check_blocking(trained, rows, cap=sys.maxsize)
    except MdmError:
        return []
    blocks = [
        {"rule": entry["rule"], "value": value, "records": size}
        for entry in counts
        for value, size in entry["largest_blocks"]
        if size > 1 and size * 10 >= len(rows)
    ]
    return sorted(blocks, key=lambda b: (-b["records"], b["rule"], str(b["value"])))[:top]


def review_run(
    *,
    model: MatchModel,
    trained: TrainedModel,
    snapshot: Snapshot,
    scored: Scored,
    planned: Sequence[Sequence[int]],
    pinned: Collection[int],
    found: Sequence[Contradiction],
    limits: MatchingDefaults,
    accepted: frozenset[str],
    actor: str,
) -> RunReview:
    """Measure a planned run, compare it with the baseline run and raise the alarms."""
    figures = run_figures(snapshot, scored, planned)
    report: dict[str, Any] = {
        **figures,
        "model_version": model.version,
        "previous": None,
        "deltas": None,
        "drift": None,
        "limits": {name: getattr(limits, name) for name in LIMITS},
        "exclusive_links": limits.exclusive_links,
    }
    alarms = _drift_alarms(report, figures, model, baseline_run(snapshot.domain), limits)
    giant = [
        ci
        for ci, members in enumerate(planned)
        if too_large(len(members), limits) and grows(members, snapshot) and members[0] not in pinned
    ]
    alarms += _giant_alarms(giant, planned, snapshot, trained, limits)
    if found:
        records = sorted({sid for c in found for sid in c.records})
        pairs = [pair for c in found for pair in c.pairs]
        alarms.append(_alarm(
            CHECK_CONTRADICTIONS, len(records), 0,
            records=[f"{snapshot.label(sid)} ({sid})" for sid in records], pairs=[list(pair) for pair in pairs],
        ))
    _decide(alarms, accepted, actor)
    hold_all = any(a["check"] in DRIFT_CHECKS and a["action"] == "held" for a in alarms)
    if hold_all:
        held = [ci for ci, members in enumerate(planned) if members[0] not in pinned]
    else:
        held = [a["cluster"] for a in alarms if a["check"] == CHECK_CLUSTER_SIZE and a["action"] == "held"]
    giant_held = any(a["check"] == CHECK_CLUSTER_SIZE and a["action"] == "held" for a in alarms)
    report["hold"] = "run" if hold_all else "clusters" if giant_held else ""
    report["baseline"] = not hold_all
    taken = sorted({a["check"] for a in alarms if a["action"] == "accepted"})
    report["accepted"] = {"by": actor, "checks": taken} if taken else None
    return RunReview(report=report, alarms=alarms, held=sorted(held), giant=giant)


def too_large(size: int, limits: MatchingDefaults) -> bool:
    """Whether a golden record of `size` records is past what a run or an arrival may form
    without a steward (a switchboard phone chaining companies): held for review."""
    return size > limits.max_cluster_size


def drift_past_limit(baseline: MatchRun | None, model: MatchModel, limits: MatchingDefaults) -> bool:
    """Whether merges with `model` are held for parameter drift: the last run that applied
    its merges used another model, whose level weights differ by more than the limit."""
    drift = model_drift(baseline, model)
    return drift is not None and drift["max"] > limits.max_parameter_drift


def model_drift(baseline: MatchRun | None, model: MatchModel) -> dict[str, Any] | None:
    """How far the model's weights moved from those of the baseline run's model (None: no
    baseline, or the same model)."""
    if baseline is None or baseline.model_id == model.pk:
        return None
    return parameter_drift(baseline.model, model)


def _drift_alarms(report: dict[str, Any], figures: dict[str, Any], model: MatchModel, previous: MatchRun | None,
                  limits: MatchingDefaults) -> list[dict[str, Any]]:
    """Compare the run with the baseline: deltas and drift into the report, and the alarms."""
    if previous is None:
        return []
    alarms = []
    before = previous.report
    report["previous"] = {
        "run": previous.pk,
        "model_version": previous.model.version,
        **{key: before.get(key) for key in COMPARED},
        "cluster_sizes": before.get("cluster_sizes", {}),
    }
    report["deltas"] = {
        **{key: round(figures[key] - (before.get(key) or 0), 4) for key in COMPARED},
        "cluster_sizes": {
            name: count - before.get("cluster_sizes", {}).get(name, 0)
            for name, count in figures["cluster_sizes"].items()
        },
    }
    if min(before.get("records", 0), figures["records"]) >= limits.drift_min_records:
        for check, key, limit in (
            (CHECK_MATCH_RATE, "match_rate", limits.max_match_rate_change),
            (CHECK_AUTO_SHARE, "auto_share", limits.max_auto_share_change),
        ):
            value = round(abs(figures[key] - before[key]), 4)
            if value > limit:
                alarms.append(_alarm(check, value, limit, before=before[key], after=figures[key], run=previous.pk))
    drift = model_drift(previous, model)
    report["drift"] = drift
    if drift is not None and drift["max"] > limits.max_parameter_drift:
        alarms.append(_alarm(
            CHECK_PARAMETER_DRIFT, drift["max"], limits.max_parameter_drift, before=drift["from_version"],
            after=drift["to_version"], comparison=drift["comparison"], level=drift["level"],
        ))
    return alarms


def _giant_alarms(giant: list[int], planned: Sequence[Sequence[int]], snapshot: Snapshot, trained: TrainedModel,
                  limits: MatchingDefaults) -> list[dict[str, Any]]:
    rows = {int(row["unique_id"]): row for row in snapshot.rows} if giant else {}
    alarms = []
    for ci in giant:
        members = planned[ci]
        alarms.append(_alarm(
            CHECK_CLUSTER_SIZE,
            len(members),
            limits.max_cluster_size,
            cluster=ci,
            goldens=len({snapshot.current[sid] for sid in members} - {None}),
            new=sum(1 for sid in members if snapshot.current.get(sid) is None),
            records=[snapshot.label(sid) for sid in members[:MEMBERS_SHOWN]],
            shared=_shared_values(trained, [rows[sid] for sid in members]),
        ))
    return alarms


def _decide(alarms: list[dict[str, Any]], accepted: frozenset[str], actor: str) -> None:
    """What each alarm does (held, accepted, or kept: the records keep their golden
    records), and its message."""
    for alarm in alarms:
        check = alarm["check"]
        if check not in ACCEPTABLE:
            alarm["action"] = "kept"
        elif check in accepted:
            alarm["action"] = "accepted"
            alarm["accepted_by"] = actor
        else:
            alarm["action"] = "held"
        if check != CHECK_CLUSTER_SIZE:  # its message needs the plan: RunReview.finish
            pairs_text = ", ".join(f"{a}~{b}" for a, b in alarm.get("pairs", [])[:MEMBERS_SHOWN])
            alarm["message"] = MSG_ALARM[check].format(**{**alarm, "pairs": pairs_text})


def run_counts(snapshot: Snapshot, scored: Scored, clusters: Sequence[Sequence[int]], mapping: ClusterMap,
               plan: GoldenPlan, proposals: ProposalPlan) -> dict[str, int]:
    """What a run found and changes, counted (MatchRun.counts)."""
    targets = {t.ref for t in plan.targets}
    origins = set(mapping.split_from.values())
    multi = [c for c in clusters if len(c) > 1]
    return {
        "records": len(snapshot.members),
        "deleted_records_leaving": len(snapshot.leaving),
        "pairs_auto": len(scored.auto) - scored.exclusive,
        "pairs_exclusive": scored.exclusive,
        "pairs_review": len(scored.review) - scored.exclusive,
        "pairs_checked": scored.checked,
        "pairs_conflict": len(scored.conflicts),
        "must_links": len(snapshot.must_link),
        "cannot_links": len(snapshot.cannot_link),
        "golden_records": len(clusters),
        "golden_multi_record": len(multi),
        "records_merged": sum(len(c) for c in multi) - len(multi),
        "golden_created": sum(1 for ref in mapping.refs if isinstance(ref, str) and ref not in mapping.split_from),
        "golden_merged": len(plan.retire),
        "golden_split": len(origins),
        "golden_split_parts": len(mapping.split_from),
        "golden_updated": sum(1 for t in plan.targets if isinstance(t.ref, int) and not t.absorbed
                              and t.ref not in origins),
        "golden_deleted": len(plan.delete),
        "golden_unchanged": sum(
            1 for ref in mapping.refs if isinstance(ref, int) and ref not in targets and ref not in origins
        ),
        "xref_changed": len(plan.moves),
        "proposals_new": len(proposals.create),
        "proposals_rescored": len(proposals.rescore),
        "proposals_reopened": len(proposals.reopen),
        "proposals_superseded": len(proposals.supersede),
        "proposals_pending": proposals.pending_after,
    }


def run_samples(snapshot: Snapshot, clusters: Sequence[Sequence[int]], mapping: ClusterMap, plan: GoldenPlan,
                proposals: ProposalPlan, size: int) -> dict[str, list[str]]:
    """A sample of each kind of change, as lines a steward reads (`match`, the preview)."""
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
    label = snapshot.label
    members_of = dict(zip(mapping.refs, clusters, strict=True))

    def record_list(sids: Sequence[int]) -> str:
        shown = ", ".join(label(s) for s in sids[:3])
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
            f"{label(sid)}: {name(snapshot.current.get(sid) or snapshot.leaving.get(sid))} -> {name(ref)}"
            for sid, ref in sorted(plan.moves.items())[:size]
        ],
    }
    samples.update(_proposal_samples(snapshot, proposals, size))
    return {kind: lines for kind, lines in samples.items() if lines}


def _proposal_samples(snapshot: Snapshot, proposals: ProposalPlan, size: int) -> dict[str, list[str]]:
    """New proposals; and those held by this run, new or not."""
    changed = {
        "proposals": [c for c in proposals.create if c.kind == MergeProposal.Kind.REVIEW],
        MergeProposal.Kind.HELD: sorted(
            (c for c in [*proposals.create, *(c for _, c in [*proposals.rescore, *proposals.reopen])]
             if c.kind == MergeProposal.Kind.HELD),
            key=lambda c: (c.left, c.right),
        ),
    }
    return {
        kind: [
            f"{snapshot.label(c.left)} ~ {snapshot.label(c.right)} weight {c.weight:+.2f}: "
            + ", ".join(f"{e['comparison']} {e['level']}" for e in c.evidence if e["weight"] > 0)
            for c in candidates[:size]
        ]
        for kind, candidates in changed.items()
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if "__" not in k and before.get(k) != after.get(k))
