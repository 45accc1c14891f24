"""Steward decisions: decide a proposal, merge or split golden records by hand.

A decision is law for every later run: approving a proposal (or merging golden records by
hand) writes must-links, rejecting one (or splitting by hand) writes cannot-links, and the
golden records change at once (services.golden_records), in the same transaction, with
history and change events. Each service refuses a decision that contradicts an earlier
one (DecisionConflict, services.rulings) instead of silently overriding it; a manual split
is the one explicit way to overrule an earlier must-link. The steward web app, the API and
the CLI all decide through these.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from mdm import history
from mdm.errors import DecisionConflict, GoldenRecordError, InvalidInput, ProposalClosed, ReasonRequired
from mdm.history import Change
from mdm.models import GoldenRecord, MergeProposal, PairConstraint, SourceRecord
from mdm.selectors import live_member_ids
from mdm.services.golden_records import golden_record_merge, golden_record_split
from mdm.services.locks import golden_domain_lock
from mdm.services.rulings import MSG_APART, Chains, constraints_among, ordered, pair_constraints_add

MSG_DECIDED = "proposal {pk} was already decided ({decision} by {by})"
MSG_REASON = "a rejection needs a reason"
MSG_DELETED = "source record {pk} is deleted: the proposal can only be superseded"


def _check_mergeable(members: dict[int, list[int]], what: str) -> None:
    owner = {sid: pk for pk, ids in members.items() for sid in ids}
    for _, a, b in constraints_among(owner, PairConstraint.Kind.CANNOT_LINK):
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
    members = {g.pk: live_member_ids(g) for g in distinct}
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
        raise InvalidInput("nothing to merge")
    golden_domain_lock(golden_records[0].domain)
    survivor_members = [live_member_ids(g) for g in golden_records]
    anchor = min((ids[0] for ids in survivor_members if ids), default=None)
    if anchor is None:
        raise GoldenRecordError("the golden records have no live source records")
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
        ordered(a, b) for i, part in enumerate(groups) for other in groups[i + 1 :] for a in part for b in other
    ]
    sides = {sid: i for i, part in enumerate(groups) for sid in part}
    chained = Chains.around(sides, skip=cross).cut(sides, "this split")
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
        raise InvalidInput(f"decision must be one of {', '.join(MergeProposal.Decision.values)}")
    if decision == MergeProposal.Decision.REJECT and not reason.strip():
        raise ReasonRequired(MSG_REASON)
    left = SourceRecord.objects.select_related("golden").get(pk=proposal.left_id)
    right = SourceRecord.objects.select_related("golden").get(pk=proposal.right_id)
    for record in (left, right):
        if record.is_deleted or record.golden is None:
            raise ProposalClosed(MSG_DELETED.format(pk=record.pk))
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
        members = set(live_member_ids(golden)) if same else {left.pk, right.pk}
        chains = Chains.around(members)
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
            leaving = Chains.around([right.pk]).chain(right.pk) & members
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
