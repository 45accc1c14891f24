"""Merge proposals: pairs a match run or real-time matching asks a steward to decide.

A run plans its proposals as a whole (proposals_plan, then proposals_apply: new ones,
rescored, reopened, superseded, with a reason a steward can read); real-time matching
offers one pair at a time (proposal_offer) without touching the others. Decided
proposals are never touched again (services.decisions decides them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm import history
from mdm.history import Change
from mdm.models import CaseTask, MatchRun, MergeProposal, PairConstraint
from mdm.services.locks import golden_domain_lock
from mdm.services.rulings import ordered

PROBABILITY_TOLERANCE = 0.005  # half a point: what a steward reads off a probability
MSG_WITHDRAWN = ("no longer between the thresholds, its records are already together, or stronger pairs "
                 "took the review budget (it comes back when stewards clear room)")


@dataclass(frozen=True)
class Candidate:
    """A pair a run wants a steward to look at (left < right): scored in the review band,
    or an automatic merge the run held (kind "held"). `probability` is the weight read
    through the calibration named by `calibration` (the stewards' decisions so far, or the
    model's own): what the steward is shown."""

    left: int
    right: int
    weight: float
    probability: float
    evidence: list[dict[str, Any]]
    kind: str = MergeProposal.Kind.REVIEW
    calibration: str = ""


@dataclass
class ProposalPlan:
    domain: str
    create: list[Candidate] = field(default_factory=list)
    rescore: list[tuple[int, Candidate]] = field(default_factory=list)  # pending, new score
    reopen: list[tuple[int, Candidate]] = field(default_factory=list)  # superseded, back in the band
    supersede: list[int] = field(default_factory=list)  # pending, no longer proposed
    pending_after: int = 0

    def is_empty(self) -> bool:
        return not (self.create or self.rescore or self.reopen or self.supersede)

    def spare(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Leave these pairs' pending proposals pending instead of superseding them."""
        query = Q()
        for left, right in pairs:
            query |= Q(left_id=left, right_id=right)
        if not query:
            return
        superseded = set(self.supersede)
        spared = {pk for pk in MergeProposal.objects.filter(query, domain=self.domain).values_list("pk", flat=True)
                  if pk in superseded}
        self.supersede = [pk for pk in self.supersede if pk not in spared]
        self.pending_after += len(spared)


def _same_score(weight: float, evidence: Any, probability: float, candidate: Candidate) -> bool:
    """Unchanged for the steward: the same evidence, and a probability within
    PROBABILITY_TOLERANCE (a refit calibration moves every pending proposal a little; a
    rewrite is a history row and makes the case a steward has open stale)."""
    return (weight == candidate.weight and evidence == candidate.evidence
            and abs(probability - candidate.probability) < PROBABILITY_TOLERANCE)


def _forget_first_approvals(pks: Sequence[int]) -> None:
    """A withdrawn or reopened proposal's first approval was given to another state of
    the case: the four-eyes rule starts again (mdm.services.steward)."""
    CaseTask.objects.filter(proposal_id__in=pks).exclude(first_approved_by=None).update(
        first_approved_by=None, first_approved_at=None, updated_at=timezone.now())


def proposals_plan(*, domain: str, wanted: Sequence[Candidate]) -> ProposalPlan:
    """What a run's candidates change among the domain's proposals (reads only). Decided
    proposals are never touched: a decided pair is not proposed again."""
    plan = ProposalPlan(domain=domain)
    by_pair = {(c.left, c.right): c for c in wanted}
    stored = {}
    for row in MergeProposal.objects.filter(domain=domain).values(
        "id", "left_id", "right_id", "status", "weight", "evidence", "kind", "probability", "calibration"
    ):
        stored[(row["left_id"], row["right_id"])] = row
    pending = 0
    for pair, candidate in sorted(by_pair.items()):
        row = stored.get(pair)
        if row is None:
            plan.create.append(candidate)
        elif row["status"] == MergeProposal.Status.DECIDED:
            continue
        elif row["status"] == MergeProposal.Status.SUPERSEDED:
            plan.reopen.append((row["id"], candidate))
        elif row["kind"] != candidate.kind or not _same_score(row["weight"], row["evidence"], row["probability"],
                                                               candidate):
            plan.rescore.append((row["id"], candidate))
        pending += 1
    plan.supersede = sorted(
        row["id"]
        for pair, row in stored.items()
        if row["status"] == MergeProposal.Status.PENDING and pair not in by_pair
    )
    plan.pending_after = pending
    return plan


_PROPOSAL_FIELDS = [f.attname for f in MergeProposal._meta.concrete_fields]


@transaction.atomic
def proposals_apply(*, plan: ProposalPlan, run: MatchRun | None, change: Change) -> None:
    """Write a run's proposal changes in bulk, with history."""
    now = timezone.now()
    history.bulk_create(
        MergeProposal,
        [
            {
                "id": None,
                "domain": plan.domain,
                "left_id": c.left,
                "right_id": c.right,
                "weight": c.weight,
                "probability": c.probability,
                "calibration": c.calibration,
                "evidence": c.evidence,
                "kind": c.kind,
                "status": MergeProposal.Status.PENDING,
                "decision": "",
                "reason": "",
                "decided_by": "",
                "decided_at": None,
                "run_id": run.pk if run else None,
                "created_at": now,
                "updated_at": now,
            }
            for c in plan.create
        ],
        change,
    )
    updates: dict[int, dict[str, Any]] = {}
    for pk, c in [*plan.rescore, *plan.reopen]:
        updates[pk] = {
            "weight": c.weight,
            "probability": c.probability,
            "calibration": c.calibration,
            "evidence": c.evidence,
            "kind": c.kind,
            "status": MergeProposal.Status.PENDING,
            "reason": "",
        }
    for pk in plan.supersede:
        updates[pk] = {
            "status": MergeProposal.Status.SUPERSEDED,
            "reason": MSG_WITHDRAWN,
        }
    rows = []
    for row in MergeProposal.objects.filter(pk__in=list(updates)).order_by("pk").values(*_PROPOSAL_FIELDS):
        row.update(updates[row["id"]], run_id=run.pk if run else row["run_id"], updated_at=now)
        rows.append(row)
    history.bulk_update(
        MergeProposal,
        rows,
        ["weight", "probability", "calibration", "evidence", "kind", "status", "reason", "run", "updated_at"],
        change,
    )
    _forget_first_approvals([*plan.supersede, *(pk for pk, _ in plan.reopen)])


# ---------------------------------------------------------------------------
# One proposal outside a match run (real-time matching)
# ---------------------------------------------------------------------------


@transaction.atomic
def proposal_offer(*, domain: str, candidate: Candidate, change: Change) -> MergeProposal | None:
    """Offer one pair to the stewards without touching the domain's other proposals (a
    run's proposals_apply supersedes what it no longer finds; this does not): a new
    pending proposal of the candidate's kind, a superseded one reopened, or a pending one
    rescored (keeping its kind: a run's held merge stays held), each with its history
    row. A pending proposal with the same score is left alone (no history row).
    A pair already decided, or under a steward's ruling, is never offered again: returns
    None."""
    golden_domain_lock(domain)
    left, right = ordered(candidate.left, candidate.right)
    if PairConstraint.objects.filter(left_id=left, right_id=right).exists():
        return None
    proposal = MergeProposal.objects.select_for_update().filter(left_id=left, right_id=right).first()
    now = timezone.now()
    if proposal is None:
        proposal = MergeProposal(
            domain=domain, left_id=left, right_id=right, created_at=now, status=MergeProposal.Status.PENDING,
            kind=candidate.kind,
        )
    elif proposal.status == MergeProposal.Status.DECIDED:
        return None
    elif proposal.status == MergeProposal.Status.PENDING and _same_score(
        proposal.weight, proposal.evidence, proposal.probability, candidate
    ):
        return proposal
    elif proposal.status == MergeProposal.Status.SUPERSEDED:
        _forget_first_approvals([proposal.pk])
    if proposal.status != MergeProposal.Status.PENDING:  # a pending one keeps its kind (a run's hold)
        proposal.kind = candidate.kind
    proposal.weight = candidate.weight
    proposal.probability = candidate.probability
    proposal.calibration = candidate.calibration
    proposal.evidence = candidate.evidence
    proposal.status = MergeProposal.Status.PENDING
    proposal.reason = ""
    proposal.updated_at = now
    history.stamp(proposal, change)
    proposal.save()
    return proposal
