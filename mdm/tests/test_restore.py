"""A record its source deleted and sends again: a steward's must-link holds at once, with
or without real-time matching."""

from __future__ import annotations

from mdm.history import Change
from mdm.services.decisions import golden_records_merge_manually
from mdm.services.golden_records import golden_record_create
from mdm.tests.factories import HUAWEI, OTHER, assert_invariants, upsert

STEWARD = Change(actor="user:steward", reason="one company")
ALIAS = {**HUAWEI, "name": "华为"}


def test_a_restored_must_linked_record_rejoins_its_chain_without_real_time_matching(db, erp, crm):
    a = upsert(erp, "customer", {"A": HUAWEI})["A"]
    b = upsert(crm, "customer", {"B": ALIAS, "X": OTHER})["B"]
    goldens = [golden_record_create(domain="customer", members=[r.pk], change=STEWARD) for r in (a, b)]
    merged = golden_records_merge_manually(golden_records=goldens, reason="same", change=STEWARD)
    upsert(crm, "customer", {"B": ALIAS}, deleted=True)
    b.refresh_from_db()
    assert b.golden_id is None
    assert_invariants()

    upsert(crm, "customer", {"B": ALIAS})  # sent again: no real-time step, no match run
    b.refresh_from_db()
    assert not b.is_deleted and b.golden_id == merged.pk
    assert_invariants()  # steward_rulings_hold among them


def test_a_restored_record_without_rulings_waits_for_matching(db, crm):
    b = upsert(crm, "customer", {"B": ALIAS})["B"]
    golden_record_create(domain="customer", members=[b.pk], change=STEWARD)
    upsert(crm, "customer", {"B": ALIAS}, deleted=True)
    upsert(crm, "customer", {"B": ALIAS})
    b.refresh_from_db()
    assert b.golden_id is None
    assert_invariants()
