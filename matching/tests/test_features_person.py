"""Person features: what makes two records of one person comparable despite typos and swaps."""

from __future__ import annotations

import pytest

from matching import engine
from matching.features.customer import BRAND_KEYS
from matching.features.customer import features as customer_features
from matching.features.organisation import features as organisation_features
from matching.features.person import birth_digits
from matching.features.person import features as person_features
from mdm.domains import get_domain


def _row(**values: object) -> dict:
    attributes, _ = get_domain("customer").standardize(values, phone_region="AU")
    return customer_features(attributes)


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        ("1967-10-23", "19671023"),
        ("19731392", "19731392"),  # mistyped, kept as written
        ("01/05/1980", "19800105"),  # ambiguous, in the order written
        ("5/1/1980", "19800501"),
        ("1956", None),
        (None, None),
    ],
)
def test_it_reads_a_date_of_birth_as_its_digits(value, digits):
    assert birth_digits(value) == digits


def test_a_day_and_month_swapped_meet():
    read = _row(name="Ann Lee", birth_date="1980-05-01")
    swapped = _row(name="Ann Lee", birth_date="1980-01-05")
    assert read["birth"] != swapped["birth"]
    assert read["birth_dm"] == swapped["birth_dm"] == "19800105"


def test_given_and_family_name_swapped_meet():
    person = _row(name="Tobias Quell", given_name="Tobias", family_name="Quell")
    swapped = _row(name="Quell Tobias", given_name="Quell", family_name="Tobias")
    assert person["p_full"] != swapped["p_full"]
    assert person["p_pair"] == swapped["p_pair"]
    assert person["p_person"] is swapped["p_person"] is True


def test_name_parts_are_folded_and_chinese_ones_read_as_pinyin():
    assert _row(name="José Ostrova-Kimble", given_name="José", family_name="Ostrova-Kimble")["p_full"] == (
        "jose ostrovakimble")
    chinese = _row(name="张伟", given_name="伟", family_name="张")
    assert (chinese["p_given"], chinese["p_family"]) == ("wei", "zhang")


def test_national_ids_of_two_shapes_are_two_numberings():
    assert _row(name="Ann Lee", national_id="123-45-6789")["nat_shape"] == "999999999"
    assert _row(name="Ann Lee", national_id="E1234567")["nat_shape"] == "A9999999"


def test_an_organisation_has_no_person_columns_and_keeps_its_own():
    attributes, _ = get_domain("customer").standardize(
        {"name": "厦门星晟安电气有限公司", "tax_id": "91350200MA2XN9QK4W", "city": "厦门"}, phone_region="CN")
    row = customer_features(attributes)
    assert all(value is None for value in person_features(attributes).values())
    assert {k: v for k, v in row.items() if k in organisation_features(attributes)} == organisation_features(attributes)
    assert {row[key] for key in BRAND_KEYS.values()} == {row[column] for column in BRAND_KEYS}


def test_a_persons_given_name_is_no_brand_to_block_on():
    # John Smith's brand would be "john": every John of the city in one block
    person = _row(name="Tobias Quell", given_name="Tobias", family_name="Quell", city="como")
    assert person["nm_brand"] and all(person[key] is None for key in BRAND_KEYS.values())
    rows = [{"unique_id": f"r{n}", "source_system": "crm", **get_domain("customer").standardize(
        {"name": f"Tobias Quell{n:03d}x", "given_name": "Tobias", "family_name": f"Quell{n:03d}x", "city": "como"},
        phone_region="AU")[0]} for n in range(60)]
    counts = {c["rule"]: c["comparisons"] for c in engine.check_blocking("customer", rows)}
    assert counts["brand"] == counts["brand_pinyin"] == counts["brand_sorted"] == 0
