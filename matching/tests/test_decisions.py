"""Steward decisions: approve and reject proposals, merge and split by hand; each one is law
for later runs, is refused when it contradicts an earlier one, and leaves history."""

from __future__ import annotations

import pytest

from matching.runs import match_run
from matching.tests.factories import assert_invariants
from matching.training import match_model_store
from mdm.errors import DecisionConflict, ProposalClosed
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal, PairConstraint
from mdm.services.decisions import (
    MSG_REASON,
    golden_record_split_manually,
    golden_records_merge_manually,
    proposal_decide,
)
from mdm.tests.factories import HUAWEI, OTHER, system, upsert, writes, xref

STEWARD = Change(actor="user:steward", reason="review")


def run(**kwargs):
    return match_run(domain="customer", actor="test", **kwargs)


@pytest.fixture
def records(db, trained, erp, crm):
    """Three records of one company (A, B, C) and one of another (X), each in its own golden
    record: the run's upper threshold is out of reach, so every pair is a proposal."""
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))
    forms = system("forms")
    out = {
        **upsert(erp, "customer", {"A": HUAWEI, "X": OTHER}),
        **upsert(crm, "customer", {"B": HUAWEI}),
        **upsert(forms, "customer", {"C": HUAWEI}),
    }
    run(upper=100, lower=-100, exclusive_links=False)
    return {key: record.pk for key, record in out.items()}


def proposal(a: int, b: int) -> MergeProposal:
    return MergeProposal.objects.get(left_id=min(a, b), right_id=max(a, b))


def test_a_run_proposes_pairs_between_the_thresholds_with_score_and_evidence(records):
    p = proposal(records["A"], records["B"])
    assert p.status == "pending" and p.weight > 10 and 0 < p.probability <= 1
    assert {e["comparison"] for e in p.evidence} == {
        "name", "tax_id", "location", "internet", "contact", "country", "legal_form", "birth_date", "national_id",
        "system",
    }
    assert p.history.get().history_type == "+"
    assert len(set(xref().values())) == 4


def test_approving_merges_the_golden_records_and_no_run_undoes_it(records):
    a, b = records["A"], records["B"]
    before = xref()

    decided = proposal_decide(proposal=proposal(a, b), decision="approve", reason="same company", change=STEWARD)

    assert (decided.status, decided.decision, decided.decided_by) == ("decided", "approve", "user:steward")
    assert decided.history.first().history_operation == STEWARD.operation
    now = xref()
    assert now[a] == now[b] and now[a] in (before[a], before[b])
    links = PairConstraint.objects.filter(kind="must_link")
    assert {(c.left_id, c.right_id) for c in links} == {(min(a, b), max(a, b))}
    assert links.get().proposal == decided
    assert ChangeEvent.objects.filter(operation=STEWARD.operation, kind="golden.merged").count() == 1
    run(upper=100, lower=-100, exclusive_links=False)  # nothing merges automatically, the approval still holds
    assert xref()[a] == xref()[b]
    assert_invariants()


def test_rejecting_writes_a_cannot_link_and_a_decided_proposal_is_closed(records):
    a, c = records["A"], records["C"]
    with pytest.raises(Exception, match=MSG_REASON):
        proposal_decide(proposal=proposal(a, c), decision="reject", reason=" ", change=STEWARD)

    proposal_decide(proposal=proposal(a, c), decision="reject", reason="different legal entities", change=STEWARD)

    rule = PairConstraint.objects.get()
    assert (rule.kind, rule.reason, rule.created_by) == ("cannot_link", "different legal entities", "user:steward")
    assert rule.history.get().history_actor == "user:steward"
    with pytest.raises(ProposalClosed):
        proposal_decide(proposal=proposal(a, c), decision="approve", reason="", change=STEWARD)
    run()
    assert xref()[a] != xref()[c]
    assert_invariants()


def test_rejecting_a_pair_already_together_splits_the_golden_record_at_once(records):
    a, b = records["A"], records["B"]
    run()  # A, B and C merge automatically; their pending proposals are superseded
    assert xref()[a] == xref()[b] == xref()[records["C"]]
    superseded = proposal(a, b)
    assert superseded.status == "superseded"

    proposal_decide(proposal=superseded, decision="reject", reason="a sister company", change=STEWARD)

    assert xref()[a] != xref()[b]
    assert ChangeEvent.objects.filter(operation=STEWARD.operation, kind="golden.split").count() == 1
    assert_invariants()
    run()
    assert xref()[a] != xref()[b]
    assert_invariants()


def test_decisions_that_contradict_earlier_ones_are_refused(records):
    a, b, c = records["A"], records["B"], records["C"]
    proposal_decide(proposal=proposal(a, c), decision="reject", reason="not the same", change=STEWARD)
    proposal_decide(proposal=proposal(a, b), decision="approve", reason="same", change=STEWARD)
    before = writes()

    with pytest.raises(DecisionConflict, match="ruled apart"):  # B is now with A, which C may not join
        proposal_decide(proposal=proposal(b, c), decision="approve", reason="same", change=STEWARD)
    assert writes() == before  # the refused decision left nothing behind


def test_a_manual_merge_and_a_manual_split_survive_re_runs(records):
    a, b, x = records["A"], records["B"], records["X"]
    goldens = [GoldenRecord.objects.get(golden_id=xref()[pk]) for pk in (a, x)]

    merged = golden_records_merge_manually(golden_records=goldens, reason="one group", change=STEWARD)
    run(upper=100, lower=-100, exclusive_links=False)
    assert xref()[a] == xref()[x] == merged.golden_id

    parts = golden_record_split_manually(
        golden=merged, parts=[[a], [x]], reason="two companies after all", change=STEWARD
    )
    assert [g.golden_id for g in parts][0] == merged.golden_id
    rule = PairConstraint.objects.get(left_id=min(a, x), right_id=max(a, x))
    assert rule.kind == "cannot_link" and rule.history.count() == 2  # the must-link was overruled
    run()
    assert xref()[a] != xref()[x] and xref()[a] == xref()[b]
    assert_invariants()
