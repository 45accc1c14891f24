"""The run's estimate of the true pairs among its review proposals: the model's own
probabilities until stewards decide, then calibrated on their decisions (matching.calibration)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from django.utils import timezone

from matching import runs
from matching.calibration import Calibration
from matching.declarations import get_declaration
from matching.describe import summary_lines
from matching.planning import band_floor
from matching.runs import match_run
from matching.scoring import probability
from matching.selectors import calibration_in_force, steward_labels
from matching.tests.factories import DEMO_TRUST
from matching.training import match_model_store
from mdm.access import access_grant
from mdm.domains import get_domain
from mdm.history import Change
from mdm.models import CaseTask, MergeProposal
from mdm.services.decisions import decision_unmerge, proposal_decide
from mdm.services.proposals import PROBABILITY_TOLERANCE, Candidate, proposals_plan
from mdm.services.steward import case_claim, case_defer
from mdm.tests.factories import load_samples

STEWARD = Change(actor="steward:li", reason="review")


@pytest.fixture
def customers(db, trained):
    load_samples("customer", trust=DEMO_TRUST)
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))


def run():
    return match_run(domain="customer", actor="test")


def pending() -> list[MergeProposal]:
    return list(MergeProposal.objects.filter(domain="customer", status="pending", kind=MergeProposal.Kind.REVIEW))


def decide(proposals, decision: str) -> None:
    for proposal in proposals:
        proposal.refresh_from_db()
        proposal_decide(proposal=proposal, decision=decision, reason="checked the records", change=STEWARD)


def test_it_is_the_models_own_probability_without_decisions():
    model = Calibration.fit([])
    assert model.source == "model" and model.decisions == 0
    for weight in (-6.0, 0.0, 3.3, 12.0):
        assert model.probability(weight) == pytest.approx(1 / (1 + 2 ** -weight))
    assert model.weight_at(0.5) == pytest.approx(0.0)


def test_it_stays_short_of_certainty_when_every_decision_agrees():
    approved = Calibration.fit([(2.0, True)] * 40)
    rejected = Calibration.fit([(2.0, False)] * 40)
    model = Calibration.fit([])
    assert model.probability(2.0) < approved.probability(2.0) < 1
    assert 0 < rejected.probability(2.0) < model.probability(2.0)
    # stronger evidence stays at least as likely to be one entity
    assert rejected.probability(6.0) >= rejected.probability(2.0)


def test_it_recovers_an_overconfident_model_from_many_decisions():
    # one pair in three is one entity wherever the model says two in three (w = 1)
    labels = [(1.0, i % 3 == 0) for i in range(300)] + [(5.0, i % 10 != 0) for i in range(300)]
    fitted = Calibration.fit(labels)
    assert fitted.probability(1.0) == pytest.approx(1 / 3, abs=0.05)
    assert fitted.probability(5.0) == pytest.approx(0.9, abs=0.05)
    handful = Calibration.fit(labels[:3])  # a handful moves it a little, not all the way
    assert 1 / 3 < handful.probability(1.0) < Calibration().probability(1.0)


def test_it_reads_the_model_for_the_pairs_a_run_left_apart():
    # 100 pairs at 3 bits (the model: 89% one entity, 11 pairs two), 80 of them merged: of
    # the 20 left apart, the 11 two-entity pairs are nearly all, 9 one entity
    pairs = [(3.0, i < 20) for i in range(100)]
    fitted = Calibration.left_apart(pairs, [3.0] * 20)
    assert (fitted.source, fitted.apart, fitted.decisions) == ("apart", 20, 0)
    expected_false = 100 * (1 - probability(3.0))
    assert fitted.expected_true([3.0] * 20) == pytest.approx(20 - expected_false, abs=1.0)
    # none merged: the model's own share stands
    alone = Calibration.left_apart([(3.0, True)] * 100, [3.0] * 20)
    assert alone.probability(3.0) == pytest.approx(probability(3.0), abs=0.02)
    # more two-entity pairs expected than were left apart: none of them one entity (five
    # such proposals move the prior only so far)
    merged = Calibration.left_apart([(3.0, i < 5) for i in range(100)], [3.0] * 5)
    assert merged.probability(3.0) < fitted.probability(3.0) / 2
    assert fitted.describe().startswith("no decision yet: the model's, less the pairs this run merged (20 apart)")


def test_pairs_a_tax_id_labels_read_the_model_first():
    # at 3 bits the model says 89% one entity; the tax ids say a third: the two-entity
    # pairs a run expects there are read through them, and fewer of those it left apart are true
    bins = [[3, 100, 200, 3.5], [-2, 10, 290, -1.5], [30, 500, 0, 30.5]]  # the last far above the band
    labelled = Calibration.from_separator(bins, -10.0, 6.6)
    assert (labelled.labelled, labelled.source) == (600, "ids")
    assert labelled.probability(3.5) == pytest.approx(1 / 3, abs=0.05)
    pairs = [(3.0, i < 20) for i in range(100)]
    by_ids = Calibration.left_apart(pairs, [3.0] * 20, labelled)
    by_model = Calibration.left_apart(pairs, [3.0] * 20)
    assert (by_ids.source, by_ids.labelled, by_ids.apart) == ("ids", 600, 20)
    assert by_ids.probability(3.0) < by_model.probability(3.0)
    assert by_ids.describe().startswith("no decision yet: 600 pairs ids label, less this run's merges (20 apart)")
    assert Calibration.from_report(by_ids.as_report()) == by_ids
    # too few labelled pairs about the band: the model's own
    assert Calibration.from_separator([[3, 10, 20, 3.5], [30, 500, 0, 30.5]], -10.0, 6.6) == Calibration()


def customers_labelled(trained, bins) -> None:
    """The customer samples under a model whose training found `bins` of tax-id-labelled pairs."""
    model = trained("customer")  # shared by the session: a copy with other labels
    model = dataclasses.replace(model, report={**model.report, "separator_labels": bins})
    match_model_store(domain="customer", trained=model, change=Change(actor="test", reason="model"))


def test_a_first_run_reads_the_model_through_the_pairs_tax_ids_label(db, trained):
    load_samples("customer", trust=DEMO_TRUST)
    # about the band a third of the pairs the tax ids label are one company
    customers_labelled(trained, [[-2, 50, 250, -1.5], [1, 100, 200, 1.5], [4, 150, 150, 4.5]])
    first = run()
    report = first.report["calibration"]
    assert (report["source"], report["labelled"], report["decisions"]) == ("ids", 900, 0)
    assert report["text"].startswith("no decision yet: 900 pairs ids label, less this run's merges")
    proposals = pending()
    assert first.counts["proposals_likely_true"] == pytest.approx(sum(p.probability for p in proposals), abs=0.1)
    customers_labelled(trained, [])  # the same model, no pair labelled
    second = run()
    assert second.report["calibration"]["source"] == "apart"
    assert "ids label" not in second.report["calibration"]["text"]
    assert first.counts["proposals_likely_true"] < second.counts["proposals_likely_true"]


def test_training_counts_the_pairs_a_separator_labels_only_where_they_calibrate(trained):
    assert get_declaration("supplier").separator.calibrates
    bins = trained("supplier").report["separator_labels"]
    assert sum(same + different for _, same, different, _ in bins) > 0
    assert all(weight >= bit for bit, _, _, weight in bins)
    # one maker makes many items: its labels fit the look-alike levels only
    assert not get_declaration("product").separator.calibrates
    assert trained("product").report["separator_labels"] == []


def test_without_a_proposal_it_is_the_models_own():
    assert Calibration.left_apart([(3.0, True), (-2.0, False)], []) == Calibration()
    assert Calibration.left_apart([], []).describe().startswith("uncalibrated")


def test_a_first_run_estimates_by_the_pairs_it_left_apart(customers):
    result = run()
    proposals = pending()
    assert proposals
    report = result.report["calibration"]
    assert (report["source"], report["decisions"]) == ("apart", 0)
    calibration = Calibration.from_report(report)
    assert calibration.apart == report["apart"] > len(proposals)
    for proposal in proposals:
        assert proposal.probability == pytest.approx(calibration.probability(proposal.weight), abs=1e-6)
        assert proposal.calibration == calibration.describe()
    assert result.counts["proposals_likely_true"] == pytest.approx(sum(p.probability for p in proposals), abs=0.1)
    # below the model's own: the true pairs of the band's weights mostly merged already
    assert result.counts["proposals_likely_true"] < sum(probability(p.weight) for p in proposals)
    assert report["text"].startswith("no decision yet")
    # real time reads it for its probabilities, and keeps the model's floor as the run did
    assert calibration_in_force("customer") == calibration
    limits = get_domain("customer").matching
    assert band_floor(result.thresholds, limits, calibration) == pytest.approx(Calibration().weight_at(0.05))
    line = next(line for line in summary_lines(result) if "true pairs" in line)
    assert "true pairs (no decision yet: the model's, less the pairs this run merged" in line


def test_a_run_after_decisions_estimates_by_them(customers):
    run()
    proposals = sorted(pending(), key=lambda p: p.pk)
    assert len(proposals) >= 3, "the samples give the stewards something to decide"
    decide(proposals[:2], "reject")
    labels = steward_labels("customer")
    assert [same for _, same in labels] == [False, False]
    result = run()
    left = pending()
    report = result.report["calibration"]
    assert (report["source"], report["decisions"], report["approved"]) == ("stewards", 2, 0)
    expected = Calibration.fit(labels).expected_true(p.weight for p in left)
    assert result.counts["proposals_likely_true"] == pytest.approx(expected, abs=0.1)
    assert result.counts["proposals_likely_true"] < sum(probability(p.weight) for p in left)  # two rejections lower it


def test_approvals_raise_the_estimate(customers):
    run()
    decide(sorted(pending(), key=lambda p: p.pk)[:2], "approve")
    result = run()
    assert result.report["calibration"]["approved"] == 2
    assert result.counts["proposals_likely_true"] > sum(probability(p.weight) for p in pending())


def test_an_approval_a_steward_reversed_counts_as_two_entities(customers):
    run()
    proposals = sorted(pending(), key=lambda p: p.pk)
    decide(proposals[:1], "approve")
    assert steward_labels("customer") == [(proposals[0].weight, True)]
    decision_unmerge(proposal=MergeProposal.objects.get(pk=proposals[0].pk), reason="two companies", change=STEWARD)
    assert steward_labels("customer") == [(proposals[0].weight, False)]
    report = run().report["calibration"]
    assert (report["decisions"], report["approved"]) == (1, 0)


def test_held_merges_and_other_domains_do_not_count(customers):
    run()
    proposal = pending()[0]
    decide([proposal], "reject")
    assert steward_labels("supplier") == []
    MergeProposal.objects.filter(pk=proposal.pk).update(kind=MergeProposal.Kind.HELD)
    assert steward_labels("customer") == []
    assert not math.isnan(Calibration.fit(steward_labels("customer")).probability(0.0))


def declared(monkeypatch, **limits):
    """The customer domain with other matching limits, as a changed declaration would give."""
    domain = get_domain("customer")
    changed = dataclasses.replace(domain, matching=dataclasses.replace(domain.matching, **limits))
    monkeypatch.setattr(runs, "get_domain", lambda name: changed if name == "customer" else get_domain(name))


def review_weights() -> list[float]:
    return sorted(p.weight for p in pending())


def test_the_band_reaches_below_the_lower_threshold_while_the_budget_has_room(customers, monkeypatch):
    declared(monkeypatch, proposal_share=1.0)
    wide = run()
    lower = wide.thresholds["lower"]
    floor = wide.report["band"]["floor"]
    assert floor == pytest.approx(Calibration().weight_at(0.05), abs=1e-3)  # the model's own 5%
    below = [w for w in review_weights() if w < lower]
    assert below and min(below) >= floor
    assert wide.counts["proposals_below_band"] == len(below)
    assert wide.report["band"]["lowest"] == pytest.approx(min(below), abs=1e-3)
    assert wide.counts["proposals_held_back"] == 0


def test_the_budget_keeps_the_strongest_pairs_below_the_band(customers, monkeypatch):
    declared(monkeypatch, proposal_share=1.0)
    run()
    weights = review_weights()
    lower = run().thresholds["lower"]
    inside, below = [w for w in weights if w >= lower], sorted((w for w in weights if w < lower), reverse=True)
    assert len(below) >= 2
    room = 1
    declared(monkeypatch, proposal_share=0.0, proposal_minimum=len(inside) + room)
    result = run()
    assert result.report["band"]["budget"] == len(inside) + room
    assert review_weights() == sorted([*inside, *below[:room]])  # the strongest one below; the band whole


def test_the_budget_binds_the_band_and_what_it_held_back_comes_back(customers, monkeypatch):
    declared(monkeypatch, proposal_share=1.0)
    lower = run().thresholds["lower"]
    inside = sorted((w for w in review_weights() if w >= lower), reverse=True)
    assert len(inside) >= 3, "the samples' band holds more pairs than the budget below"
    declared(monkeypatch, proposal_share=0.0, proposal_minimum=1)
    first = run()
    assert review_weights() == inside[:1]  # the strongest band pair only
    assert first.counts["proposals_held_back"] == first.report["band"]["held_back"] == len(inside) - 1
    assert first.report["band"]["held_back_likely_true"] == pytest.approx(
        Calibration.from_report(first.report["calibration"]).expected_true(inside[1:]), abs=0.1)
    decide(pending(), "reject")  # the steward cleared the queue: the next strongest comes
    second = run()
    assert review_weights() == inside[1:2]
    assert second.counts["proposals_held_back"] == len(inside) - 2


def test_proposals_show_the_calibrated_probability_the_run_used(customers):
    first = Calibration.from_report(run().report["calibration"])
    for proposal in pending():
        assert proposal.probability == pytest.approx(first.probability(proposal.weight), abs=1e-6)
        assert proposal.calibration == first.describe()
        assert proposal.calibration.startswith("no decision yet")
    decide(sorted(pending(), key=lambda p: p.pk)[:2], "reject")
    run()
    fitted = Calibration.fit(steward_labels("customer"))
    left = pending()
    rescored = [p for p in left if p.calibration == fitted.describe()]
    assert rescored, "two rejections move some probability by more than the tolerance"
    for proposal in left:  # within the tolerance of the new calibration, rescored with history beyond it
        assert proposal.probability == pytest.approx(fitted.probability(proposal.weight), abs=PROBABILITY_TOLERANCE)
    for proposal in rescored:
        assert proposal.probability == pytest.approx(fitted.probability(proposal.weight), abs=1e-6)
        assert proposal.history.first().calibration == fitted.describe()


def test_a_probability_that_barely_moved_is_not_rewritten(customers):
    """Hundreds of decisions in, one more moves every pending probability a little: a
    rewrite would be a history row each and make every open case stale."""
    run()

    def wanted(shift: float) -> list[Candidate]:
        return [Candidate(left=p.left_id, right=p.right_id, weight=p.weight, probability=p.probability + shift,
                          evidence=p.evidence, kind=p.kind, calibration="501 steward decisions") for p in pending()]

    assert not proposals_plan(domain="customer", wanted=wanted(PROBABILITY_TOLERANCE / 2)).rescore
    assert len(proposals_plan(domain="customer", wanted=wanted(PROBABILITY_TOLERANCE)).rescore) == len(pending())


@pytest.fixture
def steward(django_user_model):
    user = django_user_model.objects.create_user("li", password="x")
    access_grant(user=user, role="steward", domains=["customer"], change=Change(actor="test", reason="x"))
    return user


def test_a_stewards_work_keeps_its_place_when_stronger_pairs_take_the_budget(customers, monkeypatch, steward):
    declared(monkeypatch, proposal_share=1.0)
    run()
    weakest, *_, strongest = sorted(pending(), key=lambda p: p.weight)
    case_claim(user=steward, proposals=[weakest.pk])
    declared(monkeypatch, proposal_share=0.0, proposal_minimum=1)
    first = run()  # the claimed case fills the budget of one: nothing pushes it out
    assert [p.pk for p in pending()] == [weakest.pk]
    assert first.counts["proposals_held_back"] == first.report["band"]["held_back"] >= 1
    case_defer(user=steward, proposals=[weakest.pk], days=5, reason="asked the sales team")
    run()  # deferred, out of the queue until its date: it keeps its place and takes no room
    assert {p.pk for p in pending()} == {weakest.pk, strongest.pk}


def test_a_reopened_proposal_forgets_its_first_approval(customers, monkeypatch, steward):
    declared(monkeypatch, proposal_share=1.0)
    run()
    weakest = min(pending(), key=lambda p: p.weight)
    declared(monkeypatch, proposal_share=0.0, proposal_minimum=1)
    run()
    weakest.refresh_from_db()
    assert weakest.status == MergeProposal.Status.SUPERSEDED
    # an approval recorded on the case as it stood before (four-eyes: the first of two)
    CaseTask.objects.create(proposal=weakest, first_approved_by=steward, first_approved_at=timezone.now())
    declared(monkeypatch, proposal_share=1.0)
    run()  # back in the queue: that approval was given to another state of the case
    weakest.refresh_from_db()
    assert weakest.status == MergeProposal.Status.PENDING
    assert CaseTask.objects.get(proposal=weakest).first_approved_by is None


def test_real_time_reads_the_calibration_the_run_scored_by(customers):
    run()
    decide(sorted(pending(), key=lambda p: p.pk)[:3], "reject")
    report = run().report["calibration"]
    fitted = Calibration.fit(steward_labels("customer"))
    assert Calibration.from_report(report) == fitted  # not rounded on the way


def test_rejections_raise_the_floor(customers, monkeypatch):
    declared(monkeypatch, proposal_share=1.0)
    first = run()
    decide(pending(), "reject")  # every proposal was two companies
    second = run()
    assert second.report["calibration"]["approved"] == 0
    assert second.report["band"]["floor"] > first.report["band"]["floor"]
    assert second.report["band"]["floor"] <= second.thresholds["lower"]


def test_the_floor_stays_between_the_conflict_weight_and_the_lower_threshold():
    limits = get_domain("customer").matching
    thresholds = {"lower": 0.0, "upper": 6.6}
    assert band_floor(thresholds, limits, Calibration()) == pytest.approx(Calibration().weight_at(0.05))
    flat = Calibration(a=-1.0, b=0.05, decisions=10)  # decisions that flattened the slope reach far down
    assert band_floor(thresholds, limits, flat) == limits.conflict_below
    rejected = Calibration(a=-6.0, b=1.0, decisions=10)  # the band was mostly two companies: none below it
    assert band_floor(thresholds, limits, rejected) == 0.0
    approved = Calibration(a=3.0, b=1.0, decisions=10)  # mostly one company: further down
    assert band_floor(thresholds, limits, approved) == pytest.approx(approved.weight_at(0.05))
    assert limits.conflict_below < approved.weight_at(0.05) < Calibration().weight_at(0.05)
    # a run's reading before any decision comes after it scored: the model's own floor
    apart = Calibration(a=-3.0, b=1.0, apart=100)
    assert band_floor(thresholds, limits, apart) == pytest.approx(Calibration().weight_at(0.05))


def _claimed_while_applying(monkeypatch, steward):
    """A run with no room in the queue, whose weakest case a steward claims after the run
    planned and before it applies: (that case, the run's result)."""
    declared(monkeypatch, proposal_share=1.0)
    run()
    weakest = min(pending(), key=lambda p: p.weight)
    declared(monkeypatch, proposal_share=0.0, proposal_minimum=1)

    def claim(stage: str) -> None:
        if stage == "writing":  # planned, not yet applied
            case_claim(user=steward, proposals=[weakest.pk])

    return weakest, match_run(domain="customer", actor="test", on_progress=claim)


def test_a_case_claimed_while_the_run_planned_keeps_its_place(customers, monkeypatch, steward):
    """The run read the queue before the steward claimed the case: applying, it must not
    withdraw the case the budget would have kept had the claim come first."""
    weakest, result = _claimed_while_applying(monkeypatch, steward)
    weakest.refresh_from_db()
    assert weakest.status == MergeProposal.Status.PENDING
    assert result.counts["attempts"] == 1


def test_a_case_spared_while_the_run_applied_is_counted_as_kept(customers, monkeypatch, steward):
    """The run's figures say what it did: a case it spared for a steward is neither
    withdrawn nor held back, it waits."""
    _, result = _claimed_while_applying(monkeypatch, steward)
    withdrawn = MergeProposal.objects.filter(domain="customer", status="superseded", run=result.run)
    assert result.counts["proposals_superseded"] == withdrawn.count()
    waiting = MergeProposal.objects.filter(domain="customer", status="pending")
    assert result.counts["proposals_pending"] == waiting.count()
    assert result.run.counts["proposals_superseded"] == withdrawn.count()
