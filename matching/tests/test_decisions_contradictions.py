"""Contradictory rulings: every steward path that could leave a chain of must-links joining
a cannot-linked pair, each refused (or, for a rejection or a split, made consistent by
overruling the chain through a deleted record), so that no later run meets a
contradiction; a run that meets one anyway is tested in matching/tests/test_drift.py."""

from __future__ import annotations

import pytest

from matching.runs import match_run
from matching.tests.factories import assert_invariants
from matching.training import match_model_store
from mdm.errors import DecisionConflict
from mdm.history import Change
from mdm.integrity import check_steward_rulings_hold
from mdm.models import GoldenRecord, MergeProposal, PairConstraint
from mdm.services.decisions import golden_record_split_manually, golden_records_merge_manually, proposal_decide
from mdm.services.rulings import MSG_APART, MSG_TOGETHER, pair_constraints_add
from mdm.tests.factories import HUAWEI, OTHER, system, upsert, writes, xref

STEWARD = Change(actor="user:steward", reason="review")


def run(**kwargs):
    return match_run(domain="customer", actor="test", **kwargs)


@pytest.fixture
def records(db, trained, erp, crm):
    """D (the oldest record), A, B, C of one company and X of another, each in its own golden
    record: the run's upper threshold is out of reach, so every pair is a proposal."""
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))
    old = system("old")
    out = upsert(old, "customer", {"D": HUAWEI})
    out.update(upsert(erp, "customer", {"A": HUAWEI, "X": OTHER}))
    out.update(upsert(crm, "customer", {"B": HUAWEI}))
    out.update(upsert(system("forms"), "customer", {"C": HUAWEI}))
    run(upper=100, lower=-100, exclusive_links=False)
    return {key: record.pk for key, record in out.items()}


def decide(a: int, b: int, decision: str, reason: str = "checked") -> MergeProposal:
    proposal = MergeProposal.objects.get(left_id=min(a, b), right_id=max(a, b))
    return proposal_decide(proposal=proposal, decision=decision, reason=reason, change=STEWARD)


def golden(pk: int) -> GoldenRecord:
    return GoldenRecord.objects.get(golden_id=xref()[pk])


def delete_d(records) -> None:
    upsert(system("old"), "customer", {"D": HUAWEI}, deleted=True)


def recreate_d(records) -> None:
    upsert(system("old"), "customer", {"D": HUAWEI})


def ruling(a: int, b: int) -> str:
    return PairConstraint.objects.get(left_id=min(a, b), right_id=max(a, b)).kind


def test_approving_two_pairs_then_rejecting_the_third_is_refused(records):
    a, b, c = records["A"], records["B"], records["C"]
    decide(a, b, "approve")
    decide(b, c, "approve")
    before = writes()

    with pytest.raises(DecisionConflict) as refused:
        decide(a, c, "reject")

    assert refused.value.message == MSG_TOGETHER.format(left=a, right=c, what="rejecting this proposal")
    assert writes() == before


def test_rejecting_then_approving_around_the_rejection_is_refused(records):
    a, b, c = records["A"], records["B"], records["C"]
    decide(a, c, "reject")
    decide(a, b, "approve")

    with pytest.raises(DecisionConflict, match="ruled apart"):
        decide(b, c, "approve")
    with pytest.raises(DecisionConflict, match="ruled apart"):
        golden_records_merge_manually(golden_records=[golden(b), golden(c)], reason="one group", change=STEWARD)


def test_a_merge_after_a_split_is_refused(records):
    a, b = records["A"], records["B"]
    merged = golden_records_merge_manually(golden_records=[golden(a), golden(b)], reason="one group", change=STEWARD)
    golden_record_split_manually(golden=merged, parts=[[a], [b]], reason="two after all", change=STEWARD)
    before = writes()

    with pytest.raises(DecisionConflict, match="ruled apart"):
        golden_records_merge_manually(golden_records=[golden(a), golden(b)], reason="again", change=STEWARD)
    with pytest.raises(DecisionConflict, match="ruled apart"):
        decide(a, b, "approve")
    assert writes() == before
    merged = golden_records_merge_manually(  # a split after a merge is the explicit overrule
        golden_records=[golden(a), golden(records["X"])], reason="one group", change=STEWARD
    )
    assert xref()[records["X"]] == merged.golden_id


def test_approving_through_a_deleted_record_that_was_ruled_apart_is_refused(records):
    """This used to pass: D is deleted, so only A and C were checked; when D came back, the
    rulings D=A, A=C and C≠D stopped every run of the domain."""
    a, c, d = records["A"], records["C"], records["D"]
    decide(c, d, "reject")
    decide(a, d, "approve")  # D=A
    delete_d(records)
    before = writes()

    with pytest.raises(DecisionConflict) as refused:
        decide(a, c, "approve")

    assert refused.value.message == MSG_APART.format(left=d, right=c, what="approving this proposal")
    assert writes() == before
    recreate_d(records)
    assert run().alarms == []
    assert xref()[d] == xref()[a] != xref()[c]
    assert_invariants()


@pytest.fixture
def chained(records):
    """A and B are one entity only through D (the steward merged D with A, then D with B),
    and D is deleted now: A and B are still in one golden record."""
    a, b, d = records["A"], records["B"], records["D"]
    decide(a, d, "approve")
    decide(b, d, "approve")  # anchored on D, the older record: D=A, D=B, no link A=B
    assert {ruling(d, a), ruling(d, b)} == {"must_link"} and not PairConstraint.objects.filter(
        left_id=min(a, b), right_id=max(a, b)
    ).exists()
    delete_d(records)
    assert xref()[a] == xref()[b]
    return records


def test_rejecting_a_pair_chained_through_a_deleted_record_overrules_the_chain(chained):
    """Without the overrule, D=A, D=B and A≠B would stop every run once D came back."""
    a, b, d = chained["A"], chained["B"], chained["D"]

    decide(a, b, "reject", reason="two companies")

    assert (ruling(a, b), ruling(d, a), ruling(d, b)) == ("cannot_link", "must_link", "cannot_link")
    assert xref()[a] != xref()[b]
    recreate_d(chained)
    assert run().alarms == []
    assert xref()[d] == xref()[a] != xref()[b]
    assert check_steward_rulings_hold() == [] and run().alarms == []
    assert_invariants()


def test_a_split_overrules_a_chain_through_a_deleted_record(chained):
    a, b, d = chained["A"], chained["B"], chained["D"]

    golden_record_split_manually(golden=golden(a), parts=[[b], [a]], reason="two companies", change=STEWARD)

    assert (ruling(a, b), ruling(d, a), ruling(d, b)) == ("cannot_link", "must_link", "cannot_link")
    recreate_d(chained)
    assert run().alarms == []
    assert xref()[d] == xref()[a] != xref()[b]
    assert_invariants()


def test_rulings_written_directly_are_checked_as_a_whole(records):
    a, b, c = records["A"], records["B"], records["C"]
    change = Change(actor="user:steward", reason="bulk rulings")
    pair_constraints_add(domain="customer", kind="must_link", pairs=[(a, b)], reason="same", change=change)

    with pytest.raises(DecisionConflict, match="ruled one entity"):
        pair_constraints_add(domain="customer", kind="cannot_link", pairs=[(a, b)], reason="no", change=change)
    pair_constraints_add(domain="customer", kind="cannot_link", pairs=[(a, c)], reason="no", change=change)
    with pytest.raises(DecisionConflict) as refused:
        pair_constraints_add(domain="customer", kind="must_link", pairs=[(b, c)], reason="same", change=change)
    assert refused.value.message == MSG_APART.format(left=a, right=c, what="this decision")
    with pytest.raises(DecisionConflict, match="ruled one entity"):  # b=a, so b≠c would be fine, a≠b not
        pair_constraints_add(domain="customer", kind="cannot_link", pairs=[(b, a)], reason="no", change=change)


def test_a_run_keeps_a_chain_through_a_deleted_record_together(records):
    a, c, d, x = records["A"], records["C"], records["D"], records["X"]
    decide(a, d, "approve")
    decide(c, d, "approve")  # A = D = C
    golden_records_merge_manually(golden_records=[golden(c), golden(x)], reason="one group", change=STEWARD)
    delete_d(records)

    run(upper=100, lower=-100, exclusive_links=False)  # no score joins anything: only the rulings do

    assert xref()[a] == xref()[c] == xref()[x]  # A = C through D, deleted; C = X directly
    assert_invariants()


def test_a_run_keeps_apart_what_was_ruled_apart_from_a_deleted_record_of_a_chain(records):
    a, b, d = records["A"], records["B"], records["D"]
    decide(a, d, "approve")  # A = D
    decide(b, d, "reject")  # B ≠ D, so B ≠ A
    delete_d(records)

    run(lower=-100)  # the default upper threshold: A and B score an automatic merge

    assert xref()[a] != xref()[b]
    assert_invariants()
