"""Steward decisions and the proposals match runs write: every write of stewardship.

A decision is law for every later run: approving a proposal (or merging golden records by
hand) writes must-links, rejecting one (or splitting by hand) writes cannot-links, and the
golden records change at once through mdm.services, in the same transaction, with history
and change events. Each service refuses a decision that contradicts an earlier one
(DecisionConflict) instead of silently overriding it; a manual split is the one explicit
way to overrule an earlier must-link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from mdm import bulk, history
from mdm.errors import MdmError
from mdm.history import Change
from mdm.models import GoldenRecord, MatchRun, SourceRecord
from mdm.services import golden_domain_lock, golden_record_merge, golden_record_split
from stewardship.models import MergeProposal, PairConstraint

MSG_APART = "source records {left} and {right} were ruled apart (cannot-link): {what} would join them"
MSG_TOGETHER = "source records {left} and {right} were ruled one entity (must-link): {what} would part them"
MSG_DECIDED = "proposal {pk} was already decided ({decision} by {by})"
MSG_REASON = "a rejection needs a reason"
MSG_DELETED = "source record {pk} is deleted: the proposal can only be superseded"


class DecisionConflict(MdmError):
    """The decision contradicts an earlier steward decision."""

    code = "decision_conflict"


class ProposalClosed(MdmError):
    code = "proposal_closed"


Pair = tuple[int, int]


def _ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _live_members(golden: GoldenRecord) -> list[int]:
    return list(
        SourceRecord.objects.filter(golden=golden, is_deleted=False).order_by("id").values_list("id", flat=True)
    )


def _constraints_among(ids: Iterable[int], kind: str | None = None) -> list[tuple[str, int, int]]:
    ids = list(ids)
    rows = PairConstraint.objects.filter(left_id__in=ids, right_id__in=ids)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "left_id", "right_id"))


def _must_component(start: int, within: set[int]) -> set[int]:
    """Records joined to `start` by must-links (directly or in a chain) among `within`."""
    edges: dict[int, set[int]] = defaultdict(set)
    for _, a, b in _constraints_among(within, PairConstraint.Kind.MUST_LINK):
        edges[a].add(b)
        edges[b].add(a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


@transaction.atomic
def pair_constraints_add(
    *,
    domain: str,
    kind: str,
    pairs: Iterable[Pair],
    reason: str,
    change: Change,
    proposal: MergeProposal | None = None,
    overrule: bool = False,
) -> int:
    """Record steward rulings on pairs of source records; returns how many were new or
    changed. A pair already ruled the same way is left alone; one ruled the other way is
    a DecisionConflict unless `overrule` (a manual split overruling an earlier merge)."""
    wanted = sorted({_ordered(a, b) for a, b in pairs if a != b})
    if not wanted:
        return 0
    lefts = {a for a, _ in wanted}
    existing = {
        (row["left_id"], row["right_id"]): row
        for row in PairConstraint.objects.filter(left_id__in=lefts).values()
        if (row["left_id"], row["right_id"]) in set(wanted)
    }
    now = timezone.now()
    new: list[bulk.Row] = []
    flipped: list[bulk.Row] = []
    for left, right in wanted:
        row = existing.get((left, right))
        if row is None:
            new.append(
                {
                    "id": None,
                    "domain": domain,
                    "kind": kind,
                    "left_id": left,
                    "right_id": right,
                    "reason": reason,
                    "created_by": change.actor,
                    "proposal_id": proposal.pk if proposal else None,
                    "created_at": now,
                }
            )
        elif row["kind"] != kind:
            if not overrule:
                message = MSG_APART if row["kind"] == PairConstraint.Kind.CANNOT_LINK else MSG_TOGETHER
                raise DecisionConflict(message.format(left=left, right=right, what="this decision"))
            row.update(kind=kind, reason=reason, created_by=change.actor, proposal_id=proposal.pk if proposal else None)
            flipped.append(row)
    history.bulk_create(PairConstraint, new, change)
    history.bulk_update(PairConstraint, flipped, ["kind", "reason", "created_by", "proposal"], change)
    return len(new) + len(flipped)


def _check_mergeable(members: dict[int, list[int]], what: str) -> None:
    owner = {sid: pk for pk, ids in members.items() for sid in ids}
    for _, a, b in _constraints_among(owner, PairConstraint.Kind.CANNOT_LINK):
        if owner[a] != owner[b]:
            raise DecisionConflict(MSG_APART.format(left=a, right=b, what=what))


def _merge(
    goldens: Sequence[GoldenRecord],
    *,
    anchor: int,
    reason: str,
    change: Change,
    what: str,
    proposal: MergeProposal | None = None,
) -> GoldenRecord:
    """Merge golden records as a steward: must-links from `anchor` to every live member of
    all of them (so no run ever parts them), then mdm's merge. The survivor is the record
    with the most live members, on a tie the oldest."""
    distinct = list({g.pk: g for g in goldens}.values())
    for golden in distinct:
        golden.refresh_from_db()
    members = {g.pk: _live_members(g) for g in distinct}
    _check_mergeable(members, what)
    everyone = sorted(sid for ids in members.values() for sid in ids)
    pair_constraints_add(
        domain=distinct[0].domain,
        kind=PairConstraint.Kind.MUST_LINK,
        pairs=[(anchor, sid) for sid in everyone if sid != anchor],
        reason=reason,
        change=change,
        proposal=proposal,
    )
    if len(distinct) == 1:
        return distinct[0]
    survivor = min(distinct, key=lambda g: (-len(members[g.pk]), g.pk))
    return golden_record_merge(survivor=survivor, retired=[g for g in distinct if g.pk != survivor.pk], change=change)


@transaction.atomic
def golden_records_merge_manually(
    *, golden_records: Sequence[GoldenRecord], reason: str, change: Change
) -> GoldenRecord:
    """A steward's merge of golden records (must-links, so it survives every re-run)."""
    if not golden_records:
        raise MdmError("nothing to merge")
    golden_domain_lock(golden_records[0].domain)
    survivor_members = [_live_members(g) for g in golden_records]
    anchor = min((ids[0] for ids in survivor_members if ids), default=None)
    if anchor is None:
        raise MdmError("the golden records have no live source records")
    return _merge(golden_records, anchor=anchor, reason=reason, change=change, what="this merge")


@transaction.atomic
def golden_record_split_manually(
    *, golden: GoldenRecord, parts: Sequence[Sequence[int]], reason: str, change: Change
) -> list[GoldenRecord]:
    """A steward's split: cannot-links between every two records of different parts (no
    run joins them again), overruling earlier must-links across the parts; then mdm's
    split (the largest part keeps the golden ID)."""
    golden_domain_lock(golden.domain)
    groups = [list(part) for part in parts]
    cross = [(a, b) for i, part in enumerate(groups) for other in groups[i + 1 :] for a in part for b in other]
    pair_constraints_add(
        domain=golden.domain,
        kind=PairConstraint.Kind.CANNOT_LINK,
        pairs=cross,
        reason=reason,
        change=change,
        overrule=True,
    )
    return golden_record_split(golden=golden, parts=groups, change=change)


@transaction.atomic
def proposal_decide(*, proposal: MergeProposal, decision: str, reason: str, change: Change) -> MergeProposal:
    """Decide a merge proposal.

    approve: the two records are one entity: must-links and a merge of their golden
    records (if they are not already one). reject (a reason is required): a cannot-link,
    so no later run merges them, whatever chain of other pairs would; if they are in one
    golden record now, it is split at once (the rejected record, with whatever is
    must-linked to it, leaves; the next run re-clusters the rest around the rule).
    """
    golden_domain_lock(proposal.domain)
    proposal = MergeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status == MergeProposal.Status.DECIDED:
        raise ProposalClosed(MSG_DECIDED.format(pk=proposal.pk, decision=proposal.decision, by=proposal.decided_by))
    if decision not in MergeProposal.Decision.values:
        raise MdmError(f"decision must be one of {', '.join(MergeProposal.Decision.values)}")
    if decision == MergeProposal.Decision.REJECT and not reason.strip():
        raise MdmError(MSG_REASON)
    left = SourceRecord.objects.select_related("golden").get(pk=proposal.left_id)
    right = SourceRecord.objects.select_related("golden").get(pk=proposal.right_id)
    for record in (left, right):
        if record.is_deleted or record.golden is None:
            raise MdmError(MSG_DELETED.format(pk=record.pk))
    if decision == MergeProposal.Decision.APPROVE:
        _merge(
            [left.golden, right.golden],
            anchor=left.pk,
            reason=reason or "proposal approved",
            change=change,
            what="approving this proposal",
            proposal=proposal,
        )
    else:
        golden = left.golden
        same = golden.pk == right.golden.pk
        members = set(_live_members(golden)) if same else {left.pk, right.pk}
        if right.pk in _must_component(left.pk, members):
            raise DecisionConflict(MSG_TOGETHER.format(left=left.pk, right=right.pk, what="rejecting this proposal"))
        pair_constraints_add(
            domain=proposal.domain,
            kind=PairConstraint.Kind.CANNOT_LINK,
            pairs=[(left.pk, right.pk)],
            reason=reason,
            change=change,
            proposal=proposal,
        )
        if same:
            leaving = _must_component(right.pk, members)
            golden_record_split(golden=golden, parts=[sorted(members - leaving), sorted(leaving)], change=change)
    now = timezone.now()
    proposal.status = MergeProposal.Status.DECIDED
    proposal.decision = decision
    proposal.reason = reason
    proposal.decided_by = change.actor
    proposal.decided_at = now
    proposal.updated_at = now
    history.stamp(proposal, change)
    proposal.save()
    return proposal


# ---------------------------------------------------------------------------
# Proposals written by match runs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A pair a run wants a steward to look at (left < right)."""

    left: int
    right: int
    weight: float
    probability: float
    evidence: list[dict[str, Any]]


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


def _same_score(row: dict[str, Any], candidate: Candidate) -> bool:
    return row["weight"] == candidate.weight and row["evidence"] == candidate.evidence


def proposals_plan(*, domain: str, wanted: Sequence[Candidate]) -> ProposalPlan:
    """What a run's candidates change among the domain's proposals (reads only). Decided
    proposals are never touched: a decided pair is not proposed again."""
    plan = ProposalPlan(domain=domain)
    by_pair = {(c.left, c.right): c for c in wanted}
    stored = {}
    for row in MergeProposal.objects.filter(domain=domain).values(
        "id", "left_id", "right_id", "status", "weight", "evidence"
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
        elif not _same_score(row, candidate):
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
                "evidence": c.evidence,
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
            "evidence": c.evidence,
            "status": MergeProposal.Status.PENDING,
            "reason": "",
        }
    for pk in plan.supersede:
        updates[pk] = {
            "status": MergeProposal.Status.SUPERSEDED,
            "reason": "no longer between the thresholds, or its records are already together",
        }
    rows = []
    for row in MergeProposal.objects.filter(pk__in=list(updates)).order_by("pk").values(*_PROPOSAL_FIELDS):
        row.update(updates[row["id"]], run_id=run.pk if run else row["run_id"], updated_at=now)
        rows.append(row)
    history.bulk_update(
        MergeProposal, rows, ["weight", "probability", "evidence", "status", "reason", "run", "updated_at"], change
    )
