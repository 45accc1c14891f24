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

import operator
import uuid
from collections import defaultdict
from collections.abc import Sequence
from functools import reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm import history
from mdm.errors import (
    DecisionConflict,
    GoldenRecordError,
    InternalError,
    InvalidInput,
    ProposalClosed,
    ReasonRequired,
    StaleView,
)
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal, PairConstraint, SourceRecord
from mdm.selectors import live_member_ids, state_version
from mdm.services.golden_records import golden_record_merge, golden_record_revive, golden_record_split
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
    if not reason.strip():
        raise ReasonRequired("a split needs a reason")
    golden_domain_lock(golden.domain)
    groups = [list(part) for part in parts]
    _rule_apart(golden.domain, groups, reason=reason, change=change)
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


MSG_STALE = "this case changed since you opened it (another decision or a match run): look again"
MSG_NOT_APPROVED = "proposal {pk} is not an approved merge: there is nothing to unmerge"
MSG_REVERSED = "the approval of proposal {pk} was reversed already by {by}"
MSG_NOTHING_MOVED = "approving proposal {pk} merged no golden records (its records were together already)"
MSG_MOVED_ON = (
    "the records that approving proposal {pk} merged are no longer in one golden record: split them by hand"
)
MSG_UNDO_OVERRULED = "rejecting proposal {pk} overruled earlier must-links: merge the records by hand instead"
MSG_NOTHING_TO_UNDO = "{actor} has no decision left to undo"


@transaction.atomic
def case_decide(*, proposals: Sequence[int], decision: str, reason: str, seen: str, change: Change
                ) -> list[MergeProposal]:
    """Decide a case (selectors.Case): every proposal of it, the same way, in one
    transaction. `seen` is the case's version the steward looked at: when the case changed
    since (a decision, a run), StaleView and nothing is applied."""
    if not proposals:
        raise InvalidInput("a case needs at least one proposal")
    rows = MergeProposal.objects.filter(pk__in=list(proposals))
    domains = set(rows.values_list("domain", flat=True))
    if len(domains) != 1:
        raise InvalidInput("a case's proposals are of one domain")
    golden_domain_lock(domains.pop())
    locked = list(rows.select_for_update(of=("self",)).select_related("left__golden", "right__golden").order_by("pk"))
    goldens = [g for p in locked for g in (p.left.golden, p.right.golden) if g is not None]
    if len(locked) != len(set(proposals)) or state_version(locked, goldens) != seen:
        raise StaleView(MSG_STALE)
    return [proposal_decide(proposal=p, decision=decision, reason=reason, change=change) for p in locked]


def _decided_in(proposal: MergeProposal) -> uuid.UUID:
    """The operation that decided a proposal (its history row that first reads decided)."""
    row = proposal.history.filter(status=MergeProposal.Status.DECIDED).order_by("history_id").first()
    if row is None:
        raise InternalError(f"proposal {proposal.pk} is decided but has no history row saying so")
    return row.history_operation


def _unmerge_parts(proposal: MergeProposal, operation: uuid.UUID) -> tuple[GoldenRecord, dict[int, list[int]]]:
    """Where the records an approval moved sit now: the one active golden record holding
    them all, and per golden record the approval retired, its moved records (live ones)."""
    moved: dict[str, list[tuple[str, str]]] = defaultdict(list)
    remaps = ChangeEvent.objects.filter(operation=operation, kind=ChangeEvent.Kind.GOLDEN_ID_REMAPPED)
    for system, key, payload in remaps.values_list("system_code", "source_key", "payload"):
        if payload.get("previous"):
            moved[payload["previous"]].append((system, key))
    retired = {
        g.golden_id: g for g in GoldenRecord.objects.filter(golden_id__in=list(moved), domain=proposal.domain,
                                                            status=GoldenRecord.Status.RETIRED)
    }
    if not retired:
        raise ProposalClosed(MSG_NOTHING_MOVED.format(pk=proposal.pk))
    parts: dict[int, list[int]] = {}
    holders = set()
    for golden_id, golden in retired.items():
        keys = moved[golden_id]
        records = SourceRecord.objects.filter(domain=proposal.domain, is_deleted=False).filter(
            reduce(operator.or_, (Q(system__code=s, source_key=k) for s, k in keys))
        ).values_list("id", "golden_id")
        parts[golden.pk] = sorted(pk for pk, _ in records)
        holders |= {holder for _, holder in records}
    if len(holders) != 1 or not all(parts.values()):
        raise GoldenRecordError(MSG_MOVED_ON.format(pk=proposal.pk))
    return GoldenRecord.objects.get(pk=holders.pop()), parts


@transaction.atomic
def decision_unmerge(*, proposal: MergeProposal, reason: str, change: Change) -> list[GoldenRecord]:
    """Reverse an approval exactly: each golden record the approval retired gets its own
    golden ID back (revived, its successor pointer cleared) with the records it brought,
    the survivor is recomputed from the records that remain, the approval's must-links
    across the parts become cannot-links (so no run merges them again), and every proposal
    approved in that operation is marked reversed (by whom, when, why). Returns the revived
    golden records. Refused when the records moved on since (split by hand then)."""
    if not reason.strip():
        raise ReasonRequired("an unmerge needs a reason")
    golden_domain_lock(proposal.domain)
    proposal = MergeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.decision != MergeProposal.Decision.APPROVE:
        raise ProposalClosed(MSG_NOT_APPROVED.format(pk=proposal.pk))
    if proposal.reversed_at:
        raise ProposalClosed(MSG_REVERSED.format(pk=proposal.pk, by=proposal.reversed_by))
    operation = _decided_in(proposal)
    holder, parts = _unmerge_parts(proposal, operation)
    moving = {sid for ids in parts.values() for sid in ids}
    groups = [sorted(set(live_member_ids(holder)) - moving), *parts.values()]
    if not groups[0]:
        raise GoldenRecordError(MSG_MOVED_ON.format(pk=proposal.pk))
    _rule_apart(holder.domain, groups, reason=reason, change=change)
    revived = [
        golden_record_revive(golden=holder, retired=GoldenRecord.objects.get(pk=pk), members=ids, change=change)
        for pk, ids in sorted(parts.items())
    ]
    now = timezone.now()
    approved = MergeProposal.objects.select_for_update().filter(
        pk__in=proposal.history.model.objects.filter(history_operation=operation).values("id"),
        decision=MergeProposal.Decision.APPROVE, reversed_at=None,
    ).order_by("pk")
    for row in approved:
        row.reversed_by, row.reversed_at, row.reversed_reason, row.updated_at = change.actor, now, reason, now
        history.stamp(row, change)
        row.save()
    return revived


def _rule_apart(domain: str, parts: Sequence[Sequence[int]], *, reason: str, change: Change) -> None:
    """Cannot-links between every two records of different parts, overruling must-links
    across them and the chains that join them through deleted records."""
    groups = [list(part) for part in parts]
    cross = [
        ordered(a, b) for i, part in enumerate(groups) for other in groups[i + 1 :] for a in part for b in other
    ]
    sides = {sid: i for i, part in enumerate(groups) for sid in part}
    chained = Chains.around(sides, skip=cross).cut(sides, "this split")
    pair_constraints_add(domain=domain, kind=PairConstraint.Kind.CANNOT_LINK, pairs=[*cross, *chained],
                         reason=reason, change=change, overrule=True)


@transaction.atomic
def decision_undo(*, domain: str, reason: str, change: Change) -> MergeProposal:
    """Undo the actor's last decision in a domain that is not reversed yet. An approval is
    unmerged (decision_unmerge). A rejection's cannot-links go and its proposal waits again
    (pending), unless the rejection overruled must-links (then refused: merge by hand).
    The golden records a rejection split stay apart until the proposal is approved."""
    if not reason.strip():
        raise ReasonRequired("an undo needs a reason")
    golden_domain_lock(domain)
    last = (MergeProposal.objects.select_for_update().filter(domain=domain, decided_by=change.actor,
                                                             reversed_at=None, status=MergeProposal.Status.DECIDED)
            .order_by("-decided_at", "-pk").first())
    if last is None:
        raise ProposalClosed(MSG_NOTHING_TO_UNDO.format(actor=change.actor))
    if last.decision == MergeProposal.Decision.APPROVE:
        decision_unmerge(proposal=last, reason=reason, change=change)
        last.refresh_from_db()
        return last
    rulings = list(PairConstraint.objects.select_for_update().filter(proposal=last).order_by("pk"))
    if any(r.history.filter(kind=PairConstraint.Kind.MUST_LINK).exists() for r in rulings):
        raise DecisionConflict(MSG_UNDO_OVERRULED.format(pk=last.pk))
    for ruling in rulings:
        history.stamp(ruling, change)
        ruling.delete()
    last.status, last.decision, last.reason, last.decided_by, last.decided_at = (
        MergeProposal.Status.PENDING, "", "", "", None)
    last.updated_at = timezone.now()
    history.stamp(last, change)
    last.save()
    return last
