"""Individual customers: people matched on name parts, date of birth and national id, with
weights learned from the data; organisations trained exactly as before. No database."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from matching import engine
from matching.declarations import SOURCE_SYSTEM, get_declaration
from matching.declarations import organisation as org
from matching.scoring import score_pair
from matching.tests.factories import assert_scored_like_splink, people
from matching.training import default_thresholds
from mdm.domains import get_domain
from mdm.errors import BlockingTooLarge


@pytest.fixture(scope="module")
def crm():
    rows, truth = people(900, seed=3)
    return rows, truth, engine.train("customer", rows)


def _row(uid: str, **values: object) -> dict:
    attributes, _ = get_domain("customer").standardize(values, phone_region="AU")
    return {"unique_id": uid, "source_system": "crm", **attributes}


def test_it_matches_people_despite_typos_swapped_names_and_moves(crm):
    rows, truth, model = crm
    auto = {frozenset((p.left, p.right)) for p in engine.predict(model, rows, threshold=default_thresholds(
        "customer")["upper"])}
    true = {frozenset(pair) for pair in itertools.combinations(truth, 2) if truth[pair[0]] == truth[pair[1]]}
    assert len(true) > 250
    assert len(auto & true) / len(auto) >= 0.99
    assert len(auto & true) / len(true) >= 0.95


def test_the_real_time_scorer_scores_people_as_splink_does(crm):
    rows, truth, model = crm
    by_person: dict[int, list[dict]] = {}
    for row in rows:
        by_person.setdefault(truth[row["unique_id"]], []).append(row)
    twins = [row for group in by_person.values() if len(group) == 2 for row in group][:80]
    alone = [group[0] for group in by_person.values() if len(group) == 1][:40]
    pairs = assert_scored_like_splink(model, twins + alone)
    levels = {e.level for p in pairs for e in p.evidence if e.comparison in ("name", "birth_date", "national_id")}
    assert len(levels) >= 10


def test_it_reads_each_kind_of_difference_at_its_own_level(crm):
    model = crm[2]
    person = {"name": "Olivia Smith", "given_name": "Olivia", "family_name": "Smith", "birth_date": "1980-05-01",
              "national_id": "123456789", "address": "12 wattle street", "city": "como", "postcode": "6152"}
    cases = {
        "person: given and family names swapped": {"given_name": "Smith", "family_name": "Olivia"},
        "date of birth with day and month swapped": {"birth_date": "1980-01-05"},
        "date of birth with one digit mistyped or two swapped": {"birth_date": "1980-05-02"},
        "national id with one character mistyped or two swapped": {"national_id": "123546789"},
    }
    upper = default_thresholds("customer")["upper"]
    for level, change in cases.items():
        weight, evidence = score_pair(model, _row("a", **person), _row("b", **{**person, **change}))
        assert level in {e.level for e in evidence}
        assert weight > upper, (level, evidence)


def test_it_keeps_relatives_at_one_address_apart(crm):
    model = crm[2]
    home = {"family_name": "Smith", "address": "12 wattle street", "city": "como", "postcode": "6152"}
    mother = _row("a", name="Olivia Smith", given_name="Olivia", birth_date="1961-03-14", national_id="123456789",
                  **home)
    son = _row("b", name="Jack Smith", given_name="Jack", birth_date="1992-11-02", national_id="987654321", **home)
    weight, evidence = score_pair(model, mother, son)
    assert weight < default_thresholds("customer")["lower"], evidence


def test_it_learns_the_person_weights_from_the_data(crm):
    levels = {row["level"]: row for row in crm[2].report["levels"]}
    exact, typo = levels["national id exact"], levels["national id with one character mistyped or two swapped"]
    assert exact["u"] < 1e-4 and exact["weight"] > typo["weight"] > 0
    assert levels["dates of birth differ"]["weight"] < 0
    assert any(session.get("trained") and session["rule"] == ["nat_id"] for session in crm[2].report["em"])


def test_an_organisation_domain_trains_as_before(samples, trained):
    # the customer model before people: the organisation comparisons, blocking and features
    declared = get_declaration("customer")
    before = dataclasses.replace(
        declared,
        comparisons=(org.NAME, org.TAX_ID, org.LOCATION, org.INTERNET, org.CONTACT, org.COUNTRY, org.LEGAL_FORM,
                     SOURCE_SYSTEM),
        blocking=org.BLOCKING, em_blocking=org.EM_BLOCKING, deterministic=org.DETERMINISTIC, features="organisation",
        tf_columns=(),
    )
    old, new = engine.train("customer", samples["customer"].rows, model=before), trained("customer")
    assert new.prior == old.prior
    assert "error" in new.report["em"][-1]  # no national ids: the session finds no pairs, and leaves no trace
    # EM on the tax id pairs takes one iteration more (the person levels, never observed,
    # change once): every organisation level's weight agrees to a thousandth of a bit
    weights = {(row["comparison"], row["level"]): row["weight"] for row in new.report["levels"]}
    for row in old.report["levels"]:
        assert weights[row["comparison"], row["level"]] == pytest.approx(row["weight"], abs=1e-3), row
    person_levels = {row["level"] for row in new.report["levels"]} - {row["level"] for row in old.report["levels"]}
    assert len(person_levels) == 9 + 4 + 3  # the name's, the date of birth's, the national id's


@pytest.fixture(scope="module")
def with_placeholders():
    """The people of `crm` and 60 others a web shop holds with its form's defaults: one
    national id and one date of birth for all of them."""
    rows, _ = people(900, seed=3)
    filler = [_row(f"shop-form:{n}", name=f"Person{n} Form", given_name=f"Person{n}", family_name="Form",
                   birth_date="1900-01-01", national_id="123-45-6789", postcode=f"{6000 + n % 50}")
              for n in range(60)]
    for row in filler:
        row["source_system"] = "shop"
    return rows + filler, engine.train("customer", rows + filler)


def test_a_value_one_system_holds_for_many_people_is_no_identifier(with_placeholders):
    model = with_placeholders[1]
    mia = _row("e", name="Mia Jones", given_name="Mia", family_name="Jones", birth_date="1900-01-01",
               national_id="123-45-6789", city="como", postcode="6152")
    leo = _row("f", name="Leo Nguyen", given_name="Leo", family_name="Nguyen", birth_date="1900-01-01",
               national_id="123-45-6789", city="fremantle", postcode="6160")
    leo["source_system"] = "shop"
    weight, evidence = score_pair(model, mia, leo)
    assert weight < default_thresholds("customer")["lower"], evidence
    person = {"name": "Olivia Smith", "given_name": "Olivia", "family_name": "Smith", "birth_date": "1980-05-01",
              "national_id": "123456789"}
    olivia = _row("b", **person)
    olivia["source_system"] = "shop"
    assert score_pair(model, _row("a", **person), olivia)[0] > default_thresholds("customer")["upper"]


def test_a_key_more_records_share_than_real_time_scores_is_left_out_of_its_rules(crm):
    limit = get_domain("customer").matching.max_candidates
    rows = people(300, seed=4)[0] + [
        _row(f"form:{n}", name=f"Person{n} Form", given_name=f"Person{n}", family_name="Form",
             birth_date="1900-01-01", national_id="123-45-6789", postcode=f"{6000 + n % 50}")
        for n in range(limit + 100)
    ]
    counts = {c["rule"]: c for c in engine.check_blocking("customer", rows, cap=10_000)}  # raised before
    assert counts["national_id"]["left_out"] == {"keys": 1, "records": limit + 100}
    assert counts["national_id"]["comparisons"] < 100
    told = []
    pairs = engine.predict(crm[2], rows, cap=10_000, left_out=told.extend)
    assert {"rule": "national_id", "keys": 1, "records": limit + 100} in told
    form = [p for p in pairs if p.left.startswith("form:") and p.right.startswith("form:")]
    assert 0 < len(form) <= 50 * 45  # only those of a postcode: birth_postcode blocks


def test_a_blocking_refusal_never_shows_a_date_of_birth_or_national_id():
    rows = [_row(f"r{n}", name=f"Person{n} Form", given_name=f"Person{n}", family_name="Form",
                 birth_date="1931-07-17", national_id="5550001", postcode="6152") for n in range(100)]
    with pytest.raises(BlockingTooLarge) as raised:
        engine.check_blocking("customer", rows, cap=1_000)
    assert "1931" not in str(raised.value) and "5550001" not in str(raised.value)
    assert "1931" not in str(raised.value.blocks)
