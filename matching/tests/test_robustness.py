"""Inputs and timings no one planned for: data no deterministic rule finds anything in,
categories longer than a golden ID has room for, records restored by their source, steward
activity during a run, a run killed midway. None may crash training or matching or leave
an invariant broken."""

from __future__ import annotations

import pytest

from matching.runs import match_run
from matching.tests.factories import assert_invariants
from matching.training import model_train
from mdm.models import GoldenRecord
from mdm.tests.factories import system, upsert

PRODUCTS = {  # no barcode anywhere: the product model's only deterministic rule finds nothing
    "P1": {"name": "六角头螺栓 M6x20 不锈钢", "spec": "M6x20", "unit": "PCS", "category": "FAST"},
    "P2": {"name": "六角头螺栓 M6X20 不锈钢", "spec": "M6X20", "unit": "PCS", "category": "FAST"},
    "P3": {"name": "深沟球轴承 6204-2RS", "spec": "6204-2RS", "unit": "PCS", "category": "BEAR"},
    "P4": {"name": "电阻 1206 10K", "spec": "1206 10K", "unit": "PCS", "category": "ELEC"},
    "P5": {"name": "电阻 1206 270K", "spec": "1206 270K", "unit": "PCS", "category": "ELEC"},
}


def test_it_trains_without_a_deterministic_match_and_says_how_it_chose_the_prior(db):
    upsert(system("erp"), "product", PRODUCTS)
    model = model_train(domain="product", actor="test")
    assert 0 < model.report["prior"] < 1
    assert any("barcode" in line and "prior" in line for line in model.report["fallbacks"])
    match_run(domain="product", actor="test")
    assert GoldenRecord.objects.filter(domain="product").exists()
    assert_invariants()


@pytest.mark.parametrize("rows", [
    {"C1": {"name": "华为技术有限公司", "tax_id": "914403001922038216"}},
    {"C1": {"name": "华为技术有限公司", "tax_id": "914403001922038216"},
     "C2": {"name": "华为技术有限公司", "tax_id": "914403001922038216"}},
], ids=["one record", "two identical records"])
def test_it_trains_and_matches_on_the_smallest_inputs(db, rows):
    upsert(system("crm"), "customer", rows)
    model = model_train(domain="customer", actor="test")
    assert 0 < model.report["prior"] < 1
    match_run(domain="customer", actor="test")
    assert_invariants()
