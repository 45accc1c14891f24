"""Steward decisions and the proposals match runs write: every write of stewardship.

A decision is law for every later run: approving a proposal (or merging golden records by
hand) writes must-links, rejecting one (or splitting by hand) writes cannot-links, and the
golden records change at once through mdm.services, in the same transaction, with history
and change events. Each service refuses a decision that contradicts an earlier one
(DecisionConflict) instead of silently overriding it; a manual split is the one explicit
way to overrule an earlier must-link.

Rulings are checked as a whole, not pair by pair: must-links chain (A=B and B=C make A=C),
so a must-link that would put a cannot-linked pair in one chain is refused, and so is a
cannot-link between two records of one chain. Chains run through deleted records too: a
deleted record's rulings have no effect while it is deleted, but they come back when its
source sends it again, and must not then contradict each other. A manual split overrules
the must-links that chain its parts together, through deleted records as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm import bulk, history
from mdm.components import Components
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
CHUNK = 500  # record ids per query when following rulings


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
    """Rulings whose two records are both in `ids`."""
    ids = set(ids)
    found = []
    for chunk in _chunks(sorted(ids)):
        rows = PairConstraint.objects.filter(left_id__in=chunk)
        if kind:
            rows = rows.filter(kind=kind)
        found += [row for row in rows.values_list("kind", "left_id", "right_id") if row[2] in ids]
    return found


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


class _Chains(Components):
    """The must-link chains (connected components) around some records, over every record
    of the domain, live or deleted, with `extra` links added and `skip` links left out."""

    def __init__(self, seeds: Iterable[int], *, extra: Iterable[Pair] = (), skip: Iterable[Pair] = ()) -> None:
        super().__init__()
        self.edges: dict[int, set[int]] = defaultdict(set)
        skipped = set(skip)
        extra = list(extra)
        seen = set(seeds) | {x for pair in extra for x in pair}
        frontier = sorted(seen)
        while frontier:
            found: set[int] = set()
            for chunk in _chunks(frontier):
                rows = PairConstraint.objects.filter(kind=PairConstraint.Kind.MUST_LINK).filter(
                    Q(left_id__in=chunk) | Q(right_id__in=chunk)
                )
                for a, b in rows.values_list("left_id", "right_id"):
                    if (a, b) in skipped:
                        continue
                    self.edges[a].add(b)
                    self.edges[b].add(a)
                    found |= {a, b} - seen
            seen |= found
            frontier = sorted(found)
        self.records = seen
        for a, b in [*extra, *((x, y) for x in self.edges for y in self.edges[x])]:
            self.union(a, b)

    def chain(self, start: int) -> set[int]:
        root = self.find(start)
        return {x for x in self.records if self.find(x) == root}

    def broken_by(self) -> tuple[int, int] | None:
        """A cannot-linked pair inside one chain, if any."""
        for _, a, b in _constraints_among(self.records, PairConstraint.Kind.CANNOT_LINK):
            if self.find(a) == self.find(b):
                return a, b
        return None

    def cut(self, sides: dict[int, int], what: str) -> list[Pair]:
        """The must-links to overrule so that no chain joins records of different `sides`
        (record -> side) through deleted records: records joined by must-links among live
        records stay together (a DecisionConflict if they are on different sides: they
        are one entity to the steward's eyes), every other record chained to a side joins
        the nearest one, and the links between sides are cut (each has a deleted end)."""
        live = set()
        for chunk in _chunks(sorted(self.records)):
            live |= set(SourceRecord.objects.filter(pk__in=chunk, is_deleted=False).values_list("id", flat=True))
        units = Components()
        links = [(a, b) for a in self.edges for b in self.edges[a] if a < b]
        for a, b in links:
            if a in live and b in live:
                units.union(a, b)
        side: dict[int, int] = {}
        for sid, at in sorted(sides.items()):
            root = units.find(sid)
            if side.setdefault(root, at) != at:
                other = next(x for x, s in sorted(sides.items()) if s == side[root] and units.find(x) == root)
                raise DecisionConflict(MSG_TOGETHER.format(left=min(sid, other), right=max(sid, other), what=what))
        neighbours: dict[int, set[int]] = defaultdict(set)
        for a, b in links:
            ua, ub = units.find(a), units.find(b)
            if ua != ub:
                neighbours[ua].add(ub)
                neighbours[ub].add(ua)
        frontier = sorted(side)
        while frontier:  # every unit chained to a side joins the nearest one
            reached = []
            for unit in frontier:
                for other in sorted(neighbours[unit]):
                    if other not in side:
                        side[other] = side[unit]
                        reached.append(other)
            frontier = reached
        return sorted((a, b) for a, b in links if side[units.find(a)] != side[units.find(b)])


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
    what: str = "this decision",
) -> int:
    """Record steward rulings on pairs of source records; returns how many were new or
    changed. A pair already ruled the same way is left alone; one ruled the other way is
    a DecisionConflict unless `overrule` (a manual split overruling an earlier merge).
    A must-link that would chain a cannot-linked pair together, or a cannot-link between
    two records one chain of must-links joins, is a DecisionConflict too (see the module
    docstring); with `overrule` the caller cuts those chains itself."""
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
    if kind == PairConstraint.Kind.MUST_LINK:
        broken = _Chains([], extra=wanted).broken_by()
        if broken:
            raise DecisionConflict(MSG_APART.format(left=broken[0], right=broken[1], what=what))
    elif not overrule:
        chains = _Chains({x for pair in wanted for x in pair})
        for left, right in wanted:
            if chains.find(left) == chains.find(right):
                raise DecisionConflict(MSG_TOGETHER.format(left=left, right=right, what=what))
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
        what=what,
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
    run joins them again), overruling earlier must-links across the parts, and those that
    chain the parts together through deleted records (`_Chains.cut`). Then mdm's split
    (the largest part keeps the golden ID)."""
    golden_domain_lock(golden.domain)
    groups = [list(part) for part in parts]
    cross = [
        _ordered(a, b) for i, part in enumerate(groups) for other in groups[i + 1 :] for a in part for b in other
    ]
    sides = {sid: i for i, part in enumerate(groups) for sid in part}
    chained = _Chains(sides, skip=cross).cut(sides, "this split")
    pair_constraints_add(
        domain=golden.domain,
        kind=PairConstraint.Kind.CANNOT_LINK,
        pairs=[*cross, *chained],
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
    must-linked to it, leaves; the next run re-clusters the rest around the rule). Two
    records a chain of must-links among live records joins cannot be rejected (split them
    by hand); a chain through deleted records is overruled, as a manual split does.
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
        chains = _Chains(members)
        chained = chains.cut({left.pk: 0, right.pk: 1}, "rejecting this proposal")
        pair_constraints_add(
            domain=proposal.domain,
            kind=PairConstraint.Kind.CANNOT_LINK,
            pairs=[(left.pk, right.pk), *chained],
            reason=reason,
            change=change,
            proposal=proposal,
            overrule=bool(chained),
        )
        if same:
            leaving = _Chains([right.pk]).chain(right.pk) & members
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
    """A pair a run wants a steward to look at (left < right): scored in the review band,
    or an automatic merge the run held (kind "held")."""

    left: int
    right: int
    weight: float
    probability: float
    evidence: list[dict[str, Any]]
    kind: str = MergeProposal.Kind.REVIEW


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
    return (
        row["weight"] == candidate.weight and row["evidence"] == candidate.evidence and row["kind"] == candidate.kind
    )


def proposals_plan(*, domain: str, wanted: Sequence[Candidate]) -> ProposalPlan:
    """What a run's candidates change among the domain's proposals (reads only). Decided
    proposals are never touched: a decided pair is not proposed again."""
    plan = ProposalPlan(domain=domain)
    by_pair = {(c.left, c.right): c for c in wanted}
    stored = {}
    for row in MergeProposal.objects.filter(domain=domain).values(
        "id", "left_id", "right_id", "status", "weight", "evidence", "kind"
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
            "evidence": c.evidence,
            "kind": c.kind,
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
        MergeProposal,
        rows,
        ["weight", "probability", "evidence", "kind", "status", "reason", "run", "updated_at"],
        change,
    )


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
    left, right = _ordered(candidate.left, candidate.right)
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
    elif proposal.status == MergeProposal.Status.PENDING and (proposal.weight, proposal.evidence) == (
        candidate.weight, candidate.evidence
    ):
        return proposal
    if proposal.status != MergeProposal.Status.PENDING:  # a pending one keeps its kind (a run's hold)
        proposal.kind = candidate.kind
    proposal.weight = candidate.weight
    proposal.probability = candidate.probability
    proposal.evidence = candidate.evidence
    proposal.status = MergeProposal.Status.PENDING
    proposal.reason = ""
    proposal.updated_at = now
    history.stamp(proposal, change)
    proposal.save()
    return proposal
