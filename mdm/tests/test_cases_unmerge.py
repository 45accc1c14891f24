"""Cases (proposals grouped by the golden records they would join), decided on the version
the steward saw; an approval unmerged exactly (the earlier golden ID back); undo."""

from __future__ import annotations

import pytest

from mdm.errors import ProposalClosed, ReasonRequired, StaleView
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal, PairConstraint
from mdm.selectors import case_of, cases, golden_record_resolve
from mdm.services.decisions import case_decide, decision_undo, decision_unmerge, golden_record_split_manually
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.tests.factories import HUAWEI, OTHER, assert_invariants, upsert, writes, xref

STEWARD = Change(actor="user:steward", reason="review")
EVIDENCE = [{"comparison": "name", "level": "exact", "weight": 8.0}, {"comparison": "phone", "level": "else",
                                                                        "weight": -1.5}]


def offer(a: int, b: int, probability: float = 0.6) -> MergeProposal:
    candidate = Candidate(left=min(a, b), right=max(a, b), weight=6.5, probability=probability, evidence=EVIDENCE)
    return proposal_offer(domain="customer", candidate=candidate, change=Change(actor="test", reason="run"))


@pytest.fixture
def recs(db, erp, crm):
    """Huawei at erp:A, crm:B, crm:C, each in its own golden record; JD at erp:X and crm:Y
    likewise. Proposals A~B, B~C (one case of three golden records) and X~Y (another)."""
    stored = {**upsert(erp, "customer", {"A": HUAWEI, "X": OTHER}),
              **{f"crm{k}": r for k, r in upsert(crm, "customer", {"B": HUAWEI, "C": HUAWEI, "Y": OTHER}).items()}}
    pks = {"A": stored["A"].pk, "B": stored["crmB"].pk, "C": stored["crmC"].pk, "X": stored["X"].pk,
           "Y": stored["crmY"].pk}
    for pk in pks.values():
        golden_record_create(domain="customer", members=[pk], change=Change(actor="test", reason="setup"))
    offer(pks["A"], pks["B"])
    offer(pks["B"], pks["C"], probability=0.9)
    offer(pks["X"], pks["Y"], probability=0.5)
    return pks


def test_it_groups_proposals_into_cases_of_the_golden_records_they_join(recs):
    found = sorted(cases(domain="customer"), key=lambda c: c.key)
    assert [len(c.proposals) for c in found] == [2, 1]
    assert [len(c.goldens) for c in found] == [3, 2] and [c.records for c in found] == [3, 2]
    assert found[1].uncertainty == 1.0 and found[0].uncertainty == pytest.approx(0.8)
    assert case_of(found[0].proposals[1].pk).key == found[0].key


def test_it_decides_a_case_on_the_version_seen_and_refuses_a_stale_one(recs):
    case = case_of(MergeProposal.objects.get(left_id=recs["A"]).pk)
    other = case_of(MergeProposal.objects.get(left_id=recs["X"]).pk)
    before = writes()
    with pytest.raises(StaleView):
        case_decide(proposals=[p.pk for p in case.proposals], decision="approve", reason="", seen="0" * 16,
                    change=STEWARD)
    assert writes() == before

    decided = case_decide(proposals=[p.pk for p in case.proposals], decision="approve", reason="", seen=case.version,
                          change=STEWARD)

    assert {p.decision for p in decided} == {"approve"}
    assert len({xref()[recs[k]] for k in "ABC"}) == 1
    with pytest.raises(StaleView):  # a second steward, same page
        case_decide(proposals=[p.pk for p in case.proposals], decision="reject", reason="no", seen=case.version,
                    change=STEWARD)
    with pytest.raises(ReasonRequired):
        case_decide(proposals=[p.pk for p in other.proposals], decision="reject", reason=" ", seen=other.version,
                    change=STEWARD)
    with pytest.raises(ProposalClosed):
        case_of(case.key)
    assert_invariants()


def decide_case(pk: int, decision: str = "approve", reason: str = "") -> list[MergeProposal]:
    case = case_of(pk)
    return case_decide(proposals=[p.pk for p in case.proposals], decision=decision, reason=reason, seen=case.version,
                       change=STEWARD)


def test_unmerge_gives_the_split_off_parts_their_earlier_golden_ids_back(recs):
    a, b, c = recs["A"], recs["B"], recs["C"]
    ids = xref()
    proposal = MergeProposal.objects.get(left_id=a, right_id=b)
    decide_case(proposal.pk)  # A~B and B~C: three golden records become one
    survivor_id = xref()[a]
    retired_ids = {ids[a], ids[b], ids[c]} - {survivor_id}
    assert len(retired_ids) == 2 and {xref()[k] for k in (a, b, c)} == {survivor_id}
    undo = Change(actor="user:steward", reason="wrong merge")
    with pytest.raises(ReasonRequired):
        decision_unmerge(proposal=proposal, reason="", change=undo)

    revived = decision_unmerge(proposal=proposal, reason="three branches", change=undo)

    assert {g.golden_id for g in revived} == retired_ids
    assert xref() == ids  # every record back in its own earlier golden record
    for golden_id in retired_ids:
        back = GoldenRecord.objects.get(golden_id=golden_id)
        assert (back.status, back.successor) == ("active", None) and golden_record_resolve(golden_id) == back
    for row in MergeProposal.objects.filter(left_id__in=[a, b]):
        assert (row.reversed_by, row.reversed_reason) == ("user:steward", "three branches")
        assert row.history.first().history_operation == undo.operation
    kinds = set(ChangeEvent.objects.filter(operation=undo.operation).values_list("kind", flat=True))
    assert {"golden.revived", "golden.split", "golden.remapped"} <= kinds
    assert PairConstraint.objects.get(left_id=a, right_id=b).kind == "cannot_link"
    with pytest.raises(ProposalClosed, match="reversed already"):
        decision_unmerge(proposal=proposal, reason="again", change=undo)
    assert_invariants()


def test_unmerge_refuses_when_the_records_moved_on(recs):
    proposal = MergeProposal.objects.get(left_id=recs["A"], right_id=recs["B"])
    decide_case(proposal.pk)
    golden = GoldenRecord.objects.get(golden_id=xref()[recs["A"]])
    golden_record_split_manually(golden=golden, parts=[[recs["A"]], [recs["B"], recs["C"]]], reason="split",
                                 change=STEWARD)
    with pytest.raises(Exception, match="no longer in one golden record|moved"):
        decision_unmerge(proposal=proposal, reason="undo", change=STEWARD)
    assert_invariants()


def test_undo_reverses_the_last_decision_of_the_actor(recs):
    x_y = MergeProposal.objects.get(left_id=recs["X"])
    decide_case(x_y.pk, "reject", "two companies")
    assert PairConstraint.objects.filter(kind="cannot_link").count() == 1

    undone = decision_undo(domain="customer", reason="clicked too fast", change=STEWARD)

    assert (undone.pk, undone.status, undone.decision) == (x_y.pk, "pending", "")
    assert not PairConstraint.objects.exists() and case_of(x_y.pk).proposals == [undone]
    with pytest.raises(ProposalClosed, match="no decision left"):
        decision_undo(domain="customer", reason="again", change=STEWARD)
    a_b = MergeProposal.objects.get(left_id=recs["A"], right_id=recs["B"])
    decide_case(a_b.pk)
    undone = decision_undo(domain="customer", reason="oops", change=STEWARD)
    assert undone.reversed_at is not None and len({xref()[recs[k]] for k in "ABC"}) == 3
    assert PairConstraint.objects.get(left_id=recs["A"], right_id=recs["B"]).kind == "cannot_link"
    assert_invariants()
