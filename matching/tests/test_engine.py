"""The matching engine: Splink parity of the Python scorer, look-alikes kept apart, the
blocking skew guard, constrained clustering, the model artifact. No database is used."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from collections import Counter

import pytest
import splink.comparison_library as splink_comparisons
from splink.internals import expectation_maximisation

from fixtures.codes import new_uscc
from matching import engine
from matching.artifact import TrainedModel
from matching.clustering import Conflicts, cluster, exclusive_links, group_conflicts
from matching.declarations import get_declaration
from matching.scoring import Pair, explain, probability, probability_weight, score_pair
from matching.tables import feature_table
from matching.tests.factories import HELD_ONCE_CAP, LOOK_ALIKE_CAP, assert_scored_like_splink, spec_by_look_alikes
from matching.training import default_thresholds
from mdm.domains import get_domain
from mdm.errors import BlockingTooLarge, ContradictoryRulings

# of the customer model
COMPARISONS = [
    "name", "tax_id", "location", "internet", "contact", "country", "legal_form", "birth_date", "national_id", "system",
]

@pytest.fixture(scope="module")
def customer_model(samples):
    return engine.train("customer", samples["customer"].rows)


@pytest.fixture(scope="module")
def product_model(samples):
    return engine.train("product", samples["product"].rows)


def _row(domain: str, uid: str, **values):
    attributes, _ = get_domain(domain).standardize(values, phone_region="CN")
    return {"unique_id": uid, "source_system": "test", **attributes}


def test_it_scores_every_pair_like_splink_customers(samples, customer_model):
    rows = random.Random(1).sample(samples["customer"].rows, 180)
    pairs = assert_scored_like_splink(customer_model, rows)
    levels = {(e.comparison, e.level) for p in pairs for e in p.evidence}
    assert len(levels) >= 15  # the sample reaches most levels, not just "differ"


def test_it_scores_every_pair_like_splink_products(samples, product_model):
    pairs = assert_scored_like_splink(product_model, samples["product"].rows)  # 281 rows, 39,340 pairs
    # the look-alike levels read the model's counts of items per spec, in SQL and in Python alike
    lookalikes = Counter(e.level for p in pairs for e in p.evidence if e.comparison == "lookalikes")
    assert lookalikes["one system, a spec of 2 items"] and lookalikes["one system, a spec of 3 items or more"]


def test_it_fits_a_spec_that_several_items_carry_to_the_pairs_their_makers_label(product_model):
    # items that differ only in their maker share the spec: how much less an exact spec says
    # when a system holds it twice or more is fitted to the pairs that both name a maker
    fitted = {f["level"]: f for f in product_model.report["fitted"] if f["comparison"] == "lookalikes"}
    assert all(f["fitted"] and f["different"] > 0 and f["weight"] < 0 for f in fitted.values()), fitted


def test_it_trains_the_same_model_whatever_ids_the_records_have(samples, product_model):
    # a database whose sequences moved on (PostgreSQL after other tests) gives the same
    # records other keys: the model must not follow them
    renamed = [dict(r, unique_id=f"9{i:07d}") for i, r in enumerate(samples["product"].rows)]
    again = engine.train("product", renamed)
    # DuckDB's threads add in any order: the last bits of a sum may differ, no more
    assert again.prior == pytest.approx(product_model.prior, rel=1e-9)
    for mine, theirs in zip(again.parameters, product_model.parameters, strict=True):
        for level, other in zip(mine, theirs, strict=True):
            assert level.keys() == other.keys()
            for name, value in level.items():
                assert value == (other[name] if value is None or isinstance(value, bool)
                                 else pytest.approx(other[name], rel=1e-9)), name


def test_it_scores_blocked_pairs_like_splink_suppliers(samples):
    rows = samples["supplier"].rows
    model = engine.train("supplier", rows)
    by_id = {r["unique_id"]: r for r in rows}
    for pair in engine.predict(model, rows):
        assert score_pair(model, by_id[pair.left], by_id[pair.right])[0] == pytest.approx(pair.weight, abs=1e-9)


def _evidence(model, left, right, comparison):
    """The evidence a pair's comparison gives: its level and weight."""
    return {e.comparison: e for e in score_pair(model, left, right)[1]}[comparison]


def _level(model, comparison, label_start):
    return next(row for row in model.report["levels"]
                if row["comparison"] == comparison and row["level"].startswith(label_start))


def test_it_does_not_count_true_matches_as_random_agreement(samples, customer_model):
    # In the samples, 1 in ~200 random pairs shares a tax id, nearly all of them duplicates;
    # counted as non-matches they would make "tax id exact" look 40 times more common.
    rows = [r for r in samples["customer"].rows if r.get("tax_id")]
    shared = sum(1 for a, b in itertools.combinations(rows, 2) if a["tax_id"] == b["tax_id"])
    naive_u = shared / (len(rows) * (len(rows) - 1) / 2)
    assert naive_u > 1e-3
    assert _level(customer_model, "tax_id", "tax id exact")["u"] < naive_u / 10


def test_it_keeps_the_levels_of_an_ordered_comparison_in_order(customer_model, product_model):
    for model in (customer_model, product_model):
        for comparison in model.model.comparisons:
            if not comparison.ordered:
                continue
            weights = [row["weight"] for row in model.report["levels"] if row["comparison"] == comparison.name]
            assert weights == sorted(weights, reverse=True), (comparison.name, weights)


def test_it_keeps_sister_companies_and_branches_apart(customer_model):
    huawei = _row("customer", "a", name="华为技术有限公司", tax_id="914403001922038216", phone="0755-28780808",
                  email="info@huawei.com", address="坂田华为基地1号", city="深圳")
    same = _row("customer", "b", name="华为技术（深圳）有限公司", tax_id="914403001922038216",
                phone="+86 755 2878 0808", email="sales@huawei.com", city="深圳市")
    short = _row("customer", "c", name="华为技术", phone="075528780808", city="深圳")
    sister = _row("customer", "d", name="华为终端有限公司", tax_id="91441900615453257H", phone="0755-28780808",
                  email="service@huawei.com", address="坂田华为基地1号", city="深圳")
    branch = _row("customer", "e", name="华为技术有限公司上海分公司", tax_id="91310115MA1H7RUR2K",
                  phone="0755-28780808", email="sh@huawei.com", city="上海")
    match = score_pair(customer_model, huawei, same)[0]
    assert match > 10
    assert score_pair(customer_model, huawei, short)[0] > 0
    for look_alike in (sister, branch):
        weight, evidence = score_pair(customer_model, huawei, look_alike)
        assert weight < 0, evidence
        assert weight < match - 15


def test_it_matches_a_foreign_company_with_its_chinese_transliteration(customer_model):
    german = _row("customer", "a", name="Schneider Messtechnik AG", phone="+49 89 24404495",
                  address="Landsberger Straße 181", city="München")
    chinese = _row("customer", "b", name="德国施耐德测量技术有限公司", phone="+49 89 24404495", city="München")
    sister = _row("customer", "c", name="德国施耐德自动化有限公司", phone="+49 89 24404495", city="München")
    other = _row("customer", "d", name="美国红木系统公司", phone="+49 89 24404495", city="München")
    weight, evidence = score_pair(customer_model, german, chinese)
    assert next(e.level for e in evidence if e.comparison == "name").startswith("brand transliterated")
    sister_weight, sister_evidence = score_pair(customer_model, german, sister)
    assert next(e.level for e in sister_evidence if e.comparison == "name").startswith("same brand, other trade")
    assert weight > score_pair(customer_model, german, other)[0] + 3
    assert sister_weight < 0 < weight
    assert_scored_like_splink(customer_model, [german, chinese, sister, other])
    # sound alike by chance: a Chinese company's pinyin English name, two consonants alone
    huawei = _row("customer", "e", name="Huawei Technologies Co., Ltd.", phone="+49 89 24404495")
    haiwan = _row("customer", "f", name="海湾科技有限公司", phone="+49 89 24404495")
    for left, right in ((huawei, haiwan), (_row("customer", "g", name="Dell Trading Inc.", phone="+49 89 24404495"),
                                            _row("customer", "h", name="得力贸易有限公司", phone="+49 89 24404495"))):
        evidence = score_pair(customer_model, left, right)[1]
        assert next(e.level for e in evidence if e.comparison == "name") == "names differ"


def test_it_keeps_size_variants_apart(product_model):
    bolt = _row("product", "a", name="六角头螺栓 M6x20 304不锈钢", spec="M6x20", unit="PCS", category="FAST")
    same = _row("product", "b", name="304不锈钢六角头螺栓", spec="M6*20", unit="个", category="FAST")
    longer = _row("product", "c", name="六角头螺栓 M6x25 304不锈钢", spec="M6x25", unit="PCS", category="FAST")
    r68 = _row("product", "d", name="贴片电阻 0603 6.8kΩ ±1%", spec="6K8", unit="PCS", category="ELEC")
    r6k8 = _row("product", "e", name="贴片电阻 0603 6.8kΩ ±1%", spec="6.8kΩ", unit="PCS", category="ELEC")
    r68k = _row("product", "f", name="贴片电阻 0603 68kΩ ±1%", spec="68kΩ", unit="PCS", category="ELEC")
    same_weight = score_pair(product_model, bolt, same)[0]
    assert same_weight > score_pair(product_model, bolt, longer)[0] + 10
    assert score_pair(product_model, bolt, longer)[0] < 0
    assert score_pair(product_model, r68, r6k8)[0] > 0
    assert score_pair(product_model, r6k8, r68k)[0] < 0


def test_it_explains_every_score(customer_model, samples):
    rows = samples["customer"].rows
    explanation = explain(customer_model, rows[0], rows[1])
    assert explanation.weight == pytest.approx(explanation.prior_weight + sum(e.weight for e in explanation.evidence))
    assert [e.comparison for e in explanation.evidence] == COMPARISONS
    assert explanation.lines()[-1].startswith("total")


def test_it_refuses_a_skewed_blocking_rule(customer_model):
    # as many records on one phone as a key may gather (more are left out of the rule)
    shared = get_domain("customer").matching.max_candidates
    rows = [_row("customer", f"r{i}", name=f"公司{i:04d}", phone="0755-28780808") for i in range(shared)]
    with pytest.raises(BlockingTooLarge) as raised:
        engine.predict(customer_model, rows, cap=10_000)
    assert raised.value.rule == "phone"
    assert raised.value.count == shared * (shared - 1) // 2
    assert "'phone'" in str(raised.value) and "+867552878080" in str(raised.value)
    counts = engine.check_blocking(customer_model, rows, cap=200_000)
    assert {c["rule"]: c["comparisons"] for c in counts}["phone"] == shared * (shared - 1) // 2


def test_it_finds_the_exclusive_links():
    def pair(left, right, weight):
        return Pair(left, right, weight, probability(weight), ())

    system_of = {"e1": "erp", "e2": "erp", "c1": "crm", "c2": "crm", "f1": "forms"}
    band, auto, low = 2.0, 9.0, -3.0
    assert exclusive_links([pair("e1", "c1", band)], 0, 5, system_of) == [pair("e1", "c1", band)]
    assert exclusive_links([pair("e1", "e2", band)], 0, 5, system_of) == []  # one system
    assert exclusive_links([pair("e1", "c1", auto)], 0, 5, system_of) == []  # automatic already
    assert exclusive_links([pair("e1", "c1", low)], 0, 5, system_of) == []  # below the band
    # a rival on either side, in the band or above it, and the link is not exclusive
    for rival in (pair("e1", "c2", band), pair("c1", "e2", band), pair("e1", "c2", auto)):
        assert pair("e1", "c1", band) not in exclusive_links([pair("e1", "c1", band), rival], 0, 5, system_of)
    # a pair below the band is no rival; a candidate in a third system is none either
    found = exclusive_links([pair("e1", "c1", band), pair("e1", "c2", low), pair("e1", "f1", band)],
                                   0, 5, system_of)
    assert found == [pair("e1", "c1", band), pair("e1", "f1", band)]


def test_an_exclusive_link_counts_the_records_automatic_pairs_join_as_one_candidate():
    def pair(left, right, weight):
        return Pair(left, right, weight, probability(weight), ())

    system_of = {"e1": "erp", "p1": "plm", "p2": "plm", "p3": "plm", "e2": "erp"}
    band, auto = 2.0, 9.0
    twins = [pair("e1", "p1", band), pair("e1", "p2", band), pair("p1", "p2", auto)]
    # the ERP record's two candidates in the PLM system are one item typed twice there
    assert exclusive_links(twins, 0, 5, system_of) == twins[:2]
    # unless they are two items (no automatic pair between them)
    assert exclusive_links(twins[:2], 0, 5, system_of) == []
    # or the PLM item already has an ERP record its automatic pairs joined
    assert exclusive_links([*twins, pair("e2", "p3", auto), pair("p3", "p1", auto)], 0, 5, system_of) == []
    # or another ERP record is a candidate of either of its records
    assert exclusive_links([*twins, pair("e2", "p2", band)], 0, 5, system_of) == []


def test_a_look_alike_that_found_its_partner_is_no_rival_for_an_exclusive_link():
    def pair(left, right, weight):
        return Pair(left, right, weight, probability(weight), ())

    system_of = {"e1": "erp", "e2": "erp", "p1": "plm", "p2": "plm"}
    band, auto = 2.0, 9.0
    # p1 (no material) is a candidate of e1 (304 steel) and of e2 (316), which found p2 (316)
    pairs = [pair("e1", "p1", band), pair("e2", "p1", band), pair("e2", "p2", auto)]
    assert exclusive_links(pairs, 0, 5, system_of) == pairs[:1]
    # while e2 has no PLM record, it is a rival
    assert exclusive_links(pairs[:2], 0, 5, system_of) == []
    # a steward's must-link joins a side as an automatic pair does
    assert exclusive_links(pairs[:2], 0, 5, system_of, must_link=[("e2", "p2")]) == pairs[:1]
    # an exclusive link does not: a band pair joins no side
    assert exclusive_links([*pairs[:2], pair("e2", "p2", band)], 0, 5, system_of) == []


def test_a_record_joins_the_look_alike_that_holds_no_record_of_its_system_first():
    """A system holds an entity once, as a rule: e2 scores the same with both PLM items,
    one of which already holds e1, an ERP record e2 has no automatic pair with. The join
    that would put e1 and e2 together waits, e2 joins the other item, and the two items,
    in conflict (two makers), stay apart. Without systems, the first pair in order wins."""
    pairs = [("e1", "p1", 9.0), ("e2", "p1", 7.0), ("e2", "p2", 7.0)]
    system_of = {"e1": "erp", "e2": "erp", "p1": "plm", "p2": "plm"}
    cannot = [("p1", "p2")]
    assert cluster(pairs, 0.0, cannot_link=cannot) == [["e1", "e2", "p1"], ["p2"]]
    assert cluster(pairs, 0.0, cannot_link=cannot, system_of=system_of) == [["e1", "p1"], ["e2", "p2"]]
    # a steward's must-link puts an ERP record with the other item: now e2 joins the first
    assert cluster(pairs, 0.0, must_link=[("e3", "p2")], cannot_link=cannot,
                          system_of={**system_of, "e3": "erp"}) == [["e1", "e2", "p1"], ["e3", "p2"]]
    # an automatic pair of their own joins two records of one system as before
    pairs.append(("e1", "e2", 8.0))
    assert cluster(pairs, 0.0, cannot_link=cannot, system_of=system_of) == [["e1", "e2", "p1"], ["p2"]]
    # and with no conflict, the waiting join is made after the others
    assert cluster(pairs[:3], 0.0, system_of=system_of) == [["e1", "e2", "p1", "p2"]]


def test_it_never_clusters_a_cannot_link_pair_even_through_a_chain():
    pairs = [("a", "b", 20.0), ("b", "c", 15.0), ("c", "d", 12.0), ("x", "y", -3.0)]
    clusters = cluster(pairs, 0.0, cannot_link=[("a", "c")], records=["z"])
    assert ["a", "b"] in clusters
    assert not any({"a", "c"} <= set(c) for c in clusters)
    assert ["c", "d"] in clusters and ["z"] in clusters and ["x"] in clusters


def test_it_honours_must_link_pairs():
    clusters = cluster([("a", "b", 20.0)], 0.0, must_link=[("b", "q"), ("r", "s")])
    assert ["a", "b", "q"] in clusters and ["r", "s"] in clusters
    with pytest.raises(ContradictoryRulings):
        cluster([], 0.0, must_link=[("a", "b")], cannot_link=[("b", "a")])
    with pytest.raises(ContradictoryRulings):  # joined by must-links, then forbidden
        cluster([], 0.0, must_link=[("a", "b"), ("b", "c")], cannot_link=[("a", "c")])


def test_it_keeps_two_barcodes_apart_however_a_third_record_links_them(product_model):
    """Two valid barcodes are two products: a conflict level, whatever the total weight
    (here well above conflict_below), so no chain through a record without a barcode
    joins them; the third record stays with one of them."""
    upper = default_thresholds("product")["upper"]
    bolt = {"name": "六角头螺栓 M10x16 12.9级合金钢", "spec": "M10x16", "unit": "PCS", "category": "FAST"}
    rows = [_row("product", "a", **bolt, barcode="06925689742994"),
            _row("product", "b", **bolt, barcode="06999574897038"),
            _row("product", "m", **{**bolt, "name": "12.9级合金钢六角头螺栓"})]
    by_id = {r["unique_id"]: r for r in rows}
    conflicts = Conflicts.of(product_model, -10.0, upper)
    weight, evidence = score_pair(product_model, by_id["a"], by_id["b"])
    assert -10.0 < weight < upper and conflicts(weight, evidence)
    assert score_pair(product_model, by_id["a"], by_id["m"])[0] >= upper
    table = feature_table(rows, product_model.model)
    pairs = engine.predict(product_model, table, all_pairs=True)
    auto = [p for p in pairs if p.weight >= upper]
    found, checked = group_conflicts(product_model, table, auto, (), conflicts)
    assert (found, checked) == ([("a", "b")], 3)
    clusters = cluster(auto, upper, cannot_link=found)
    assert len(clusters) == 2 and (["a"] in clusters or ["b"] in clusters)


def test_a_conflict_level_does_not_undo_an_automatic_match_on_its_own_evidence(product_model):
    """One barcode under two makers' names (a distributor's item): the barcode outweighs the maker."""
    upper = default_thresholds("product")["upper"]
    bearing = {"name": "深沟球轴承 6204-2RS", "spec": "6204-2RS", "unit": "PCS", "category": "BEAR",
               "barcode": "06921896586291"}
    left, right = _row("product", "a", **bearing, brand="SKF"), _row("product", "b", **bearing, brand="NSK")
    weight, evidence = score_pair(product_model, left, right)
    assert "makers differ" in {e.level for e in evidence} and weight >= upper
    assert not Conflicts.of(product_model, -10.0, upper)(weight, evidence)


def test_it_reads_an_artifact_stored_before_conflict_levels(product_model):
    data = json.loads(product_model.to_json())
    for comparison in data["declaration"]["comparisons"]:
        for level in comparison["levels"]:
            del level["conflict"]
    old = TrainedModel.from_json(json.dumps(data))
    assert not any(level.conflict for c in old.model.comparisons for level in c.levels)
    assert Conflicts.of(old, -10.0, 4.0).levels == frozenset()  # the weight rule alone, until retrained
    assert Conflicts.of(product_model, -10.0, 4.0).levels


def test_it_judges_a_conflict_on_the_evidence_without_the_prior(customer_model):
    """The prior (-7 bits on the samples, -13 to -14 on 20,000 records) is no evidence
    about a pair: only what its comparisons say against it makes a conflict."""
    conflicts = Conflicts.of(customer_model, -10.0, 6.0)
    prior = probability_weight(customer_model.prior)
    assert prior < -5.0
    assert conflicts(prior + -10.5, ()) and not conflicts(prior + -9.5, ())
    assert not conflicts(-10.5, ())  # below conflict_below only because of the prior


def test_it_joins_one_company_whose_two_records_share_nothing_through_a_third(customer_model):
    """A company's Chinese record and its English one at the address it moved to share
    nothing, which is no evidence against them: the record that shares a phone with one
    and the e-mail with the other joins all three. Its sister company, whose valid tax id
    differs, is a conflict however a chain would join it."""
    upper = default_thresholds("customer")["upper"]
    chinese = {**_row("customer", "a", name="长沙宏达机械有限公司", phone="0731-84512345", city="长沙",
                      address="雨花区文化路515号"), "source_system": "erp"}
    english = {**_row("customer", "b", name="Grand Eagle Machinery Co., Ltd.", email="li.wei@hongda-mach.com",
                      contact="Li Wei", city="Wuhan", address="no 28 Xiangjiang Road"), "source_system": "crm"}
    both = {**_row("customer", "m", name="长沙宏达机械有限公司", phone="0731-84512345", email="li.wei@hongda-mach.com",
                   contact="李伟"), "source_system": "srm"}
    rows = [chinese, english, both]
    by_id = {r["unique_id"]: r for r in rows}
    conflicts = Conflicts.of(customer_model, -10.0, upper)
    weight, evidence = score_pair(customer_model, chinese, english)
    assert weight < -10.0 and not conflicts(weight, evidence)
    assert score_pair(customer_model, by_id["a"], by_id["m"])[0] >= upper
    assert score_pair(customer_model, by_id["b"], by_id["m"])[0] >= upper
    table = feature_table(rows, customer_model.model)
    auto = [p for p in engine.predict(customer_model, table, all_pairs=True) if p.weight >= upper]
    found, _ = group_conflicts(customer_model, table, auto, (), conflicts)
    assert found == [] and cluster(auto, upper, cannot_link=found) == [["a", "b", "m"]]
    known = _row("customer", "k", name="长沙宏达机械有限公司", tax_id="914301105334081728", phone="0731-84512345")
    sister = _row("customer", "s", name="长沙宏达机械有限公司", tax_id="914301107483378850", phone="0731-84512345")
    weight, evidence = score_pair(customer_model, known, sister)
    assert "tax ids differ" in {e.level for e in evidence} and weight < upper and conflicts(weight, evidence)


def test_it_round_trips_the_model_artifact(customer_model, samples):
    restored = TrainedModel.from_json(customer_model.to_json())
    assert restored.to_json() == customer_model.to_json()
    rows = samples["customer"].rows[:20]
    for left, right in zip(rows, rows[1:], strict=False):
        assert score_pair(restored, left, right)[0] == score_pair(customer_model, left, right)[0]
    report = customer_model.report
    assert report["records"] == len(samples["customer"].rows)
    assert {lv["comparison"] for lv in report["levels"]} == set(COMPARISONS)


def test_it_refines_m_values_from_steward_labels(customer_model, samples):
    dataset = samples["customer"]
    by_entity: dict[str, list[str]] = {}
    for uid, entity in dataset.truth.items():
        by_entity.setdefault(entity, []).append(uid)
    labels = [(ids[0], ids[1]) for ids in by_entity.values() if len(ids) > 1][:60]
    refined = engine.refine_with_labels(customer_model, dataset.rows, labels)
    assert refined.report["labels"] == len(labels)
    assert refined.parameters != customer_model.parameters
    # levels set in the declaration keep their values, fitted levels their fitted weight
    kept = [(ci, li) for ci, comp in enumerate(refined.model.comparisons) for li, lv in enumerate(comp.levels)
            if lv.weight is not None or lv.fitted]
    assert {COMPARISONS.index("name"), COMPARISONS.index("location")} <= {c for c, _ in kept}
    for ci, li in kept:
        assert refined.parameters[ci][li] == customer_model.parameters[ci][li]


def test_a_failed_em_rule_leaves_the_model_as_if_it_had_not_run(samples):
    # no phones: the EM rule blocked on phone has no pairs and fails; Splink leaves its
    # session's settings on the linker (phone's comparison removed, a blocked prior)
    rows = [{**r, "phone": None} for r in samples["customer"].rows]
    declared = get_declaration("customer")
    trained = engine.train("customer", rows)
    without_rule = engine.train(
        "customer", rows, model=dataclasses.replace(declared, em_blocking=tuple(
            rule for rule in declared.em_blocking if rule != ("phone",)))
    )
    assert "error" in next(session for session in trained.report["em"] if session["rule"] == ["phone"])
    assert trained.prior == without_rule.prior
    # equal but for the last bits of a float sum, whose order the database may choose
    assert _flat(trained.parameters) == pytest.approx(_flat(without_rule.parameters), rel=1e-12, nan_ok=True)


def _flat(parameters) -> list:
    """A model's m and u probabilities in order (None as NaN: the null level has none), for approx."""
    values = (value for levels in parameters for level in levels for value in level.values())
    return [math.nan if value is None else value for value in values]


def test_it_reads_an_organisation_code_and_the_uscc_that_embeds_it_as_one_registration(customer_model):
    old = _row("customer", "a", name="长沙宏达机械有限公司", tax_id="53340817-2", city="长沙")
    new = _row("customer", "b", name="长沙宏达机械有限公司", tax_id="914301105334081728", city="长沙")
    other = _row("customer", "c", name="长沙宏达机械有限公司", tax_id="914301107483378850", city="长沙")
    tax = _evidence(customer_model, old, new, "tax_id")
    assert tax.level.startswith("same registration") and tax.weight > 5
    assert _evidence(customer_model, old, other, "tax_id").weight < 0


def test_it_does_not_compare_tax_ids_of_two_numberings(customer_model):
    vat = _row("customer", "a", name="Fischer Messtechnik GmbH", tax_id="DE187355255", city="Berlin", country="DE")
    steuernummer = _row("customer", "b", name="Fischer Messtechnik GmbH", tax_id="143/815/08155", city="Berlin",
                        country="DE")
    other_vat = _row("customer", "c", name="Fischer Messtechnik GmbH", tax_id="DE136695976", city="Berlin",
                     country="DE")
    tax = _evidence(customer_model, vat, steuernummer, "tax_id")
    assert tax.level.endswith("(not comparable)") and tax.weight == 0
    clash = _evidence(customer_model, vat, other_vat, "tax_id")
    assert clash.level == "tax ids differ" and clash.weight < -5


def test_it_reads_a_bare_number_as_the_registration_of_an_id_with_its_country_prefix(customer_model):
    """A register without a country holds 715215267, which passes a PRC organisation
    code's check by chance: against DE715215267 it is one registration, not two tax ids.
    Two records that both name their country keep their numbers' countries apart."""
    vat = _row("customer", "a", name="Schneider Kunststofftechnik GmbH", tax_id="DE715215267", city="Mannheim",
               country="DE")
    bare = _row("customer", "b", name="Schneider Kunststofftechnik GmbH", tax_id="715215267", city="Mannheim")
    austrian = _row("customer", "c", name="Schneider Kunststofftechnik GmbH", tax_id="715215267", city="Wien",
                    country="AT")
    tax = _evidence(customer_model, vat, bare, "tax_id")
    assert tax.level.startswith("same registration") and tax.weight > 5
    assert _evidence(customer_model, vat, austrian, "tax_id").level == "tax ids differ"


def test_it_reads_a_typo_in_the_registration_an_id_embeds_as_a_typo(customer_model):
    """An O for a 0 in the USCC (its check fails) against the organisation code it embeds."""
    code = _row("customer", "a", name="北京奥创信息技术有限公司", tax_id="430605245", city="北京")
    uscc = _row("customer", "b", name="北京奥创信息技术有限公司", tax_id="9111011543O605245H", city="北京")
    tax = _evidence(customer_model, code, uscc, "tax_id")
    assert tax.level.startswith("tax id typo") and tax.weight > 5


def test_it_reads_an_english_name_that_spells_the_brand_in_pinyin(customer_model):
    chinese = _row("customer", "a", name="朗瀚塑胶制品有限公司", city="深圳")
    english = _row("customer", "b", name="Langhan Plastic Products Co., Ltd.", city="Shenzhen")
    sister = _row("customer", "c", name="朗瀚电子科技有限公司", city="深圳")
    name = _evidence(customer_model, chinese, english, "name")
    assert name.level.startswith("same brand") and name.weight > 5
    # within one script a shared first syllable pair is no brand
    assert not _evidence(customer_model, chinese, sister, "name").level.startswith("same brand (or its pinyin)")


def test_it_weighs_two_countries_against_a_match(customer_model):
    toulouse = _row("customer", "a", name="Mergen Manufacturing Sarl", city="Toulouse", country="FR",
                    email="contact@mergen-mfg.com")
    glasgow = _row("customer", "b", name="Mergen Manufacturing Limited", city="Glasgow", country="GB",
                   email="contact@mergen-mfg.com")
    country = _evidence(customer_model, toulouse, glasgow, "country")
    assert country.level == "countries differ" and country.weight < 0


def test_it_weighs_two_legal_forms_of_one_name_against_a_match(customer_model):
    ag = _row("customer", "a", name="Teutonia Logistik AG", city="Hamburg", country="DE")
    gmbh = _row("customer", "b", name="Teutonia Logistik GmbH", city="Hamburg", country="DE")
    form = _evidence(customer_model, ag, gmbh, "legal_form")
    assert form.level == "legal forms differ" and form.weight < 0


def test_it_reads_the_city_a_name_carries_against_the_other_records_city(customer_model):
    """A name without a region sits in its record's city: 长江机电 in Beijing is not the
    company named after Ningbo; in Ningbo it is."""
    ningbo = _row("customer", "a", name="宁波长江机电有限公司", city="宁波")
    beijing = _row("customer", "b", name="长江机电有限公司", city="北京")
    local = _row("customer", "c", name="长江机电有限公司", city="Ningbo")
    branch = _row("customer", "d", name="长江机电有限公司北京分公司", city="北京")
    assert _evidence(customer_model, ningbo, beijing, "name").level.startswith(
        "same brand, other trade, region or branch")
    assert _evidence(customer_model, ningbo, local, "name").level.startswith("name exact")
    # a branch's city is the branch's: no place against the parent's name then
    assert not _evidence(customer_model, ningbo, branch, "name").level.startswith("names differ")


def test_a_county_level_city_in_a_name_sits_in_its_prefecture(customer_model):
    """昆山 is a county-level city of 苏州: a company named after it is filed under either."""
    kunshan = _row("customer", "a", name="昆山长江机电有限公司", city="昆山")
    filed = _row("customer", "b", name="长江机电有限公司", city="苏州")
    beijing = _row("customer", "c", name="长江机电有限公司", city="北京")
    assert _evidence(customer_model, kunshan, filed, "name").level.startswith("name exact")
    assert _evidence(customer_model, kunshan, beijing, "name").level.startswith(
        "same brand, other trade, region or branch")


def test_it_gives_legal_forms_across_scripts_a_level_of_their_own(customer_model):
    chinese = _row("customer", "a", name="常州信诚化工股份有限公司", city="常州")
    english = _row("customer", "b", name="Changzhou Xincheng Chemical Co., Ltd.", city="Changzhou")
    form = _evidence(customer_model, chinese, english, "legal_form")
    assert form.level == "two legal forms across scripts (a translation)"


def test_it_reads_two_neighbouring_characters_swapped_anywhere_in_a_chinese_name(customer_model):
    right = _row("customer", "a", name="成都兴业电气有限公司", city="成都")
    swapped = _row("customer", "b", name="成兴都业电气有限公司", city="成都")
    other = _row("customer", "c", name="成都业兴电器有限公司", city="成都")
    assert _evidence(customer_model, right, swapped, "name").level == (
        "whole name with two neighbouring characters swapped")
    assert _evidence(customer_model, right, other, "name").level != (
        "whole name with two neighbouring characters swapped")


def test_it_reads_a_phone_number_without_its_area_code(customer_model):
    local = _row("customer", "a", name="天津晟泰化工有限公司", phone="87811663", city="天津")
    full = _row("customer", "b", name="Tianjin Shengtai Chemical Co., Ltd.", phone="022-87811663", city="Tianjin")
    location = _evidence(customer_model, local, full, "location")
    assert location.level == "same subscriber number, area code on one side only" and location.weight > 5


def test_it_fits_the_weight_of_two_places_to_the_pairs_tax_ids_label(customer_model):
    """Two companies of one name in two cities share a mail domain: what random pairs
    teach about a different place is corrected by the pairs tax ids label."""
    fitted = {row["level"]: row for row in customer_model.report["fitted"] if row["comparison"] == "location"}
    assert fitted["different place"]["fitted"] and fitted["different place"]["weight"] <= 0
    assert _level(customer_model, "location", "different place")["weight"] == pytest.approx(
        fitted["different place"]["weight"], abs=1e-3)


def test_it_keeps_the_brands_second_word_beside_a_known_trade(customer_model):
    bay = _row("customer", "a", name="Marina Bay Engineering Pte Ltd", city="Singapore")
    city = _row("customer", "b", name="Marina City Engineering Pte Ltd", city="Singapore")
    assert not _evidence(customer_model, bay, city, "name").level.startswith("same brand (or its pinyin) and trade")


def test_it_fits_the_look_alike_weight_to_the_pairs_tax_ids_label():
    # Two companies of one brand share their phone and mail domain: the pairs whose tax ids
    # tell one company from two teach the look-alike level a weight that keeps sisters
    # apart given that evidence, where random pairs (which never share a brand) would
    # make it strong evidence for a match.
    rng, rows = random.Random(5), []
    for i in range(40):
        brand = "".join(rng.sample("宏达晟嘉瑞展隆永佳福腾锋威远诚益奥博", 3))
        phone, domain, tax_id = f"0755-2878{i:04d}", f"g{i}.com.cn", new_uscc(rng, "440300")
        rows.append(_row("customer", f"p{i}", name=f"深圳{brand}电子有限公司", tax_id=tax_id, phone=phone,
                         email=f"li@{domain}", city="深圳"))
        rows.append(_row("customer", f"q{i}", name=f"深圳{brand}物流有限公司", tax_id=new_uscc(rng, "440300"),
                         phone=phone, email=f"wang@{domain}", city="深圳"))
        if i < 12:  # the same company under another trade word (a mistake, or a renamed firm)
            rows.append(_row("customer", f"s{i}", name=f"{brand}贸易", tax_id=tax_id, phone=phone,
                             email=f"zhao@{domain}", city="深圳"))
    model = engine.train("customer", rows)
    fitted = {row["level"]: row for row in model.report["fitted"]}
    look_alike = fitted["same brand, other trade, region or branch (look-alike)"]
    assert look_alike["fitted"] and look_alike["same"] >= 12 and look_alike["different"] >= 40
    assert _level(model, "name", look_alike["level"])["weight"] == pytest.approx(look_alike["weight"], abs=1e-3)
    assert look_alike["weight"] < 0
    sister = score_pair(model, {**rows[0], "tax_id": None}, {**rows[1], "tax_id": None})
    assert sister[0] < 0, sister[1]


def test_the_fit_scores_only_records_with_a_tax_id_and_labels_every_pair_a_full_predict_does(
        customer_model, samples, monkeypatch):
    declared = get_declaration("customer")
    table = feature_table(samples["customer"].rows, declared)
    linked = []
    real_linker = engine._linker

    def linker(model, table, **kwargs):
        linked.append(table)
        return real_linker(model, table, **kwargs)

    monkeypatch.setattr(engine, "_linker", linker)
    labelled = engine._labelled_pairs(declared, table, customer_model.parameters, customer_model.prior,
                                      customer_model.tf_tables)
    monkeypatch.undo()

    (fit_table,) = linked
    assert 0 < fit_table.num_rows < table.num_rows and fit_table.column("tax_id").null_count == 0
    separator = declared.separator
    scored = engine.predict(customer_model, table)
    levels = [next(e.level for e in pair.evidence if e.comparison == separator.comparison) for pair in scored]
    assert len(labelled.same) == sum(level in (*separator.same, *separator.different) for level in levels)
    assert int(labelled.same.sum()) == sum(level in separator.same for level in levels)


def test_a_fitted_level_without_labelled_pairs_is_no_evidence_for_a_match(samples):
    rows = [{**row, "tax_id": None} for row in samples["customer"].rows]
    model = engine.train("customer", rows)
    assert model.report["fitted"]
    for fitted in model.report["fitted"]:  # what EM found, never evidence for a match
        assert not fitted["fitted"] and fitted["weight"] <= 0.0
        assert _level(model, fitted["comparison"], fitted["level"])["weight"] == pytest.approx(fitted["weight"],
                                                                                               abs=1e-3)
    look_alike = _level(model, "name", "same brand, other trade, region or branch (look-alike)")
    assert look_alike["weight"] == pytest.approx(0.0, abs=1e-9)




def _look_alikes(rows):
    def row(uid, system, values):
        return {**_row("product", uid, **values), "source_system": system}

    extra = [*(row(f"look-{i}", "erp", LOOK_ALIKE_CAP) for i in range(3)), row("look-plm", "plm", LOOK_ALIKE_CAP),
             *(row(f"once-{s}", s, HELD_ONCE_CAP) for s in ("erp", "plm", "crm"))]
    return [*rows, *extra], {r["unique_id"]: r for r in extra}


def test_it_counts_a_text_by_the_items_one_system_holds_with_it(samples):
    """A system holds an item once: three ERP records of one text are three items the text
    cannot tell apart, so the text says little about which one a PLM record with it is,
    while a text each system holds once may name one item. A term frequency counts the
    most records one system holds with a value, and the trained model keeps it."""
    rows, extra = _look_alikes(samples["product"].rows)
    model = engine.train("product", rows, model=spec_by_look_alikes())
    sig = feature_table([extra["look-0"]], model.model).column("px_sig")[0].as_py()
    once = feature_table([extra["once-erp"]], model.model).column("px_sig")[0].as_py()
    assert model.tf_tables["px_sig"][sig] == pytest.approx(3 / len(rows))
    assert once not in model.tf_tables["px_sig"]  # three records, one per system: no adjustment
    assert TrainedModel.from_json(model.to_json()).tf_tables == model.tf_tables  # real time scores with them
    look, held_once = (score_pair(model, extra[a], extra[b])[0] for a, b in (("look-plm", "look-0"),
                                                                               ("once-plm", "once-erp")))
    assert look < held_once


def test_it_adjusts_a_level_that_is_no_exact_match_like_splink(samples):
    """Splink adjusts a level by a term frequency relative to the u of the comparison's
    exact-match level on the column, whichever level applied: the Python scorer too."""
    rows, extra = _look_alikes(samples["product"].rows)
    model = engine.train("product", rows, model=spec_by_look_alikes())
    sample = random.Random(3).sample(samples["product"].rows, 120)
    pairs = assert_scored_like_splink(model, sample + list(extra.values()))
    assert any(e.level == "same value, no detail differs" for p in pairs for e in p.evidence)


def test_it_trains_the_name_on_address_pairs_when_no_id_session_can(samples, customer_model):
    # customers without tax id, phone or e-mail (a CRM's private customers): the tax-id
    # and phone sessions find no pairs and the exact-name session cannot train the name,
    # so the address rules of the prediction blocking train it instead of Splink's defaults
    rows = [{**r, "tax_id": None, "phone": None, "email": None} for r in samples["customer"].rows]
    trained = engine.train("customer", rows)
    fallback = [e for e in trained.report["em"] if e.get("fallback")]
    assert ["addr_building", "city"] in [e["rule"] for e in fallback]
    assert any(e.get("trained") for e in fallback)
    untrained = [note for note in trained.report["notes"] if "not trained" in note]
    assert not [note for note in untrained if note.startswith(("name: m of 'name exact", "name: m of 'names differ"))]
    # with tax ids the name is trained as before: no fallback session
    assert not [e for e in customer_model.report["em"] if e.get("fallback")]


def test_it_blocks_a_pair_whose_city_is_mistyped_within_its_postcode(customer_model):
    a = _row("customer", "a", name="Harley McCarthy", address="177 Pridham Street", city="Marsden", postcode="3165")
    typo = _row("customer", "b", name="Hraley McCarthy", address="17 Pridham Street", city="Marsdne",
                postcode="3165")
    moved_name = _row("customer", "c", name="Harley Mcarthy", address="177 Pridham Street", city="Marsdon",
                      postcode="3165")
    found = {(p.left, p.right) for p in engine.predict(customer_model, [a, typo, moved_name])}
    assert {("a", "b"), ("a", "c")} <= found


def test_an_em_iteration_whose_m_underflows_keeps_the_level_at_splinks_floor():
    # Splink 5 refuses an m under 1e-300 mid-EM and the session, with every m it trains, was lost
    comparison = splink_comparisons.ExactMatch("spec").get_comparison("duckdb")
    level = comparison._comparison_levels_excluding_null[0]
    name = comparison.output_column_name

    def lookup() -> dict:
        return {name: {level.comparison_vector_value: {"m_probability": 1.64e-308, "u_probability": 0.01}}}

    populate = expectation_maximisation.populate_m_u_from_lookup
    with pytest.raises(ValueError, match="below the minimum allowed"):
        populate(set(), level, name, lookup())
    with engine.em_underflow_clamped():
        expectation_maximisation.populate_m_u_from_lookup(set(), level, name, lookup())
    assert level.m_probability == 1e-300 and level.u_probability == 0.01
    assert expectation_maximisation.populate_m_u_from_lookup is populate  # Splink's own again after
