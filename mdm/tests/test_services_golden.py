"""Golden-record services: create, merge, split, retire, assign, survivorship updates and
overrides, each one transaction with history rows and change events."""

from __future__ import annotations

import pytest

from mdm.errors import GoldenRecordError
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, SourceRecord
from mdm.selectors import golden_record_resolve
from mdm.services.golden_records import (
    golden_record_create,
    golden_record_merge,
    golden_record_override_clear,
    golden_record_override_set,
    golden_record_retire,
    golden_record_split,
    golden_record_update,
    source_records_assign,
)
from mdm.tests.factories import HUAWEI, OTHER, assert_invariants, upsert, writes

STEWARD = Change(actor="user:steward", reason="fixing")


@pytest.fixture
def recs(db, erp, crm):
    """erp:A and crm:A of one company, erp:B of another, crm:C with a name and an e-mail."""
    at_erp = upsert(erp, "customer", {"A": HUAWEI, "B": OTHER})
    at_crm = upsert(crm, "customer", {"A": HUAWEI, "C": {"name": "华为技术有限公司", "email": "info@huawei.com"}})
    return {"erpA": at_erp["A"].pk, "B": at_erp["B"].pk, "crmA": at_crm["A"].pk, "C": at_crm["C"].pk}


def golden(*pks: int) -> GoldenRecord:
    return golden_record_create(domain="customer", members=list(pks), change=STEWARD)


def events(kind: str) -> list[ChangeEvent]:
    return list(ChangeEvent.objects.filter(operation=STEWARD.operation, kind=kind))


def test_create_writes_the_record_its_members_history_and_events(recs):
    record = golden(recs["erpA"], recs["C"])

    assert record.golden_id == "CUST-0000001" and record.version == 1
    assert record.attributes["name"] == "华为技术有限公司" and record.attributes["email"] == "info@huawei.com"
    assert record.lineage["email"]["record"] == recs["C"]
    assert record.history.get().history_actor == "user:steward"
    member = SourceRecord.objects.get(pk=recs["erpA"])
    assert (member.golden, member.version, member.history.first().history_operation) == (record, 2, STEWARD.operation)
    assert [e.golden_id for e in events("golden.created")] == ["CUST-0000001"]
    remaps = events("golden.remapped")
    assert {(e.source_key, e.golden_id, e.golden_version, e.payload["previous"]) for e in remaps} == {
        ("A", "CUST-0000001", 1, None),
        ("C", "CUST-0000001", 1, None),
    }


def test_merge_keeps_the_survivor_retires_the_other_and_carries_overrides(recs):
    survivor, other = golden(recs["erpA"]), golden(recs["crmA"], recs["C"])
    golden_record_override_set(golden=other, attribute="phone", value="0755-11112222", reason="called", change=STEWARD)

    merged = golden_record_merge(survivor=survivor, retired=[other], change=STEWARD)

    other.refresh_from_db()
    assert (other.status, other.successor) == ("retired", merged)
    assert golden_record_resolve(other.golden_id) == merged
    assert set(merged.members.values_list("id", flat=True)) == {recs["erpA"], recs["crmA"], recs["C"]}
    assert merged.attributes["phone"] == "+8675511112222" and merged.lineage["phone"]["override"]
    [event] = events("golden.merged")
    assert (event.golden_id, event.golden_version, event.payload["retired"]) == (
        survivor.golden_id,
        2,
        [other.golden_id],
    )
    assert events("golden.retired")[0].payload == {"status": "retired", "successor": survivor.golden_id}
    with pytest.raises(GoldenRecordError, match="not active"):
        golden_record_merge(survivor=merged, retired=[other], change=STEWARD)
    assert_invariants()


def test_split_keeps_the_id_for_the_larger_part(recs):
    record = golden(recs["erpA"], recs["crmA"], recs["C"])

    kept, new = golden_record_split(golden=record, parts=[[recs["C"]], [recs["erpA"], recs["crmA"]]], change=STEWARD)

    assert kept.golden_id == record.golden_id and kept.version == 2
    assert set(kept.members.values_list("id", flat=True)) == {recs["erpA"], recs["crmA"]}
    assert list(new.members.values_list("id", flat=True)) == [recs["C"]]
    assert events("golden.split")[0].payload["split_into"] == [new.golden_id]
    with pytest.raises(GoldenRecordError, match="split the live members"):
        golden_record_split(golden=kept, parts=[[recs["erpA"]]], change=STEWARD)
    assert_invariants()


def test_assigning_records_recomputes_both_sides_and_deletes_an_emptied_record(recs):
    first, second = golden(recs["erpA"]), golden(recs["B"])

    source_records_assign(domain="customer", assignments={recs["erpA"]: second}, change=STEWARD)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.successor) == ("deleted", None)
    assert set(second.members.values_list("id", flat=True)) == {recs["erpA"], recs["B"]}
    assert events("golden.retired")[-1].payload == {"status": "deleted", "successor": None}
    with pytest.raises(GoldenRecordError, match="not active"):
        golden_record_retire(golden=first, change=STEWARD)
    with pytest.raises(GoldenRecordError, match="still has 2 live source records"):
        golden_record_retire(golden=second, change=STEWARD)
    assert_invariants()


def test_an_override_wins_until_cleared_and_an_update_without_change_writes_nothing(recs):
    record = golden(recs["erpA"], recs["crmA"])
    before = writes()
    assert golden_record_update(golden=record, change=STEWARD).version == 1
    assert writes() == before

    record = golden_record_override_set(
        golden=record, attribute="name", value="华为技术有限公司（总部）", reason="legal name", change=STEWARD
    )
    assert record.attributes["name"].startswith("华为技术有限公司") and record.lineage["name"]["by"] == "user:steward"
    assert record.version == 2 and events("golden.updated")[-1].payload["changed"][0].startswith("name")
    with pytest.raises(GoldenRecordError, match="not an attribute"):
        golden_record_override_set(golden=record, attribute="shoe_size", value="42", reason="", change=STEWARD)

    record = golden_record_override_clear(golden=record, attribute="name", change=STEWARD)
    assert record.attributes["name"] == HUAWEI["name"] and "override" not in record.lineage["name"]
    assert record.version == 3 and record.history.count() == 3
    assert_invariants()


def test_membership_writes_skip_the_records_between_the_members(db, erp):
    """Members are read back as a key range when they are dense; the records of another
    domain (or of none of the plan's moves) inside that range are left as they are."""
    first = upsert(erp, "customer", {"A": HUAWEI})["A"]
    between = upsert(erp, "product", {"P": {"name": "六角螺栓", "spec": "M6x20"}})["P"]
    last = upsert(erp, "customer", {"B": HUAWEI})["B"]
    assert first.pk < between.pk < last.pk
    item = golden_record_create(domain="product", members=[between.pk], change=Change(actor="test", reason="setup"))

    record = golden(first.pk, last.pk)

    assert set(record.members.values_list("pk", flat=True)) == {first.pk, last.pk}
    between.refresh_from_db()
    assert (between.golden, between.version, between.history.count()) == (item, 2, 2)
    assert {e.source_key for e in events("golden.remapped")} == {"A", "B"}


def test_golden_ids_fit_their_column_whatever_the_category(db, erp):
    # PostgreSQL enforces the column's 40 characters (SQLite does not): the ID must fit.
    long_a = "INDUSTRIAL FASTENERS AND FIXINGS - STAINLESS"
    long_b = "INDUSTRIAL FASTENERS AND FIXINGS - GALVANISED"
    stored = upsert(erp, "product", {
        "A": {"name": "螺栓 M6x20", "category": long_a},
        "B": {"name": "螺栓 M8x20", "category": long_b},
        "C": {"name": "螺栓 M6x25", "category": long_a},
        "D": {"name": "轴承 6204", "category": "BEAR"},
    })
    ids = {key: golden_record_create(domain="product", members=[r.pk], change=STEWARD).golden_id
           for key, r in stored.items()}
    assert all(len(golden_id) <= 40 for golden_id in ids.values()), ids
    assert ids["D"] == "PROD-BEAR-0000001"
    # one long category keeps one sequence; two that share their first characters keep two
    assert ids["A"].rsplit("-", 1)[0] == ids["C"].rsplit("-", 1)[0] != ids["B"].rsplit("-", 1)[0]
    assert [ids["A"][-7:], ids["C"][-7:], ids["B"][-7:]] == ["0000001", "0000002", "0000001"]
    assert_invariants()
