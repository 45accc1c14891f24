"""Selectors: the reads pages and endpoints build on, each a fixed number of queries
whatever the page size, with what a steward or a client reads of each row."""

from __future__ import annotations

import pytest

from mdm.history import Change
from mdm.models import MergeProposal, SourceRecord
from mdm.selectors import golden_record_values, golden_records, proposals, record_history
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.services.proposals import Candidate, proposal_offer
from mdm.tests.factories import HUAWEI, OTHER, upsert

STEWARD = Change(actor="user:steward", reason="fix")


@pytest.fixture
def goldens(erp, crm):
    """Ten companies, each in the ERP and the CRM, each pair in one golden record."""
    out = []
    for n in range(10):
        values = {**HUAWEI, "name": f"华为{n}号技术有限公司", "tax_id": None}
        a = upsert(erp, "customer", {f"E{n}": values})[f"E{n}"]
        b = upsert(crm, "customer", {f"C{n}": {**values, "email": f"info{n}@huawei.com"}})[f"C{n}"]
        out.append(golden_record_create(domain="customer", members=[a.pk, b.pk], change=STEWARD))
    return out


def test_a_page_of_golden_records_with_their_members_takes_two_queries(goldens, django_assert_num_queries):
    with django_assert_num_queries(2):  # the golden records, then their live members and systems
        page = list(golden_records(domain="customer")[:10])
        seen = [(m.system.code, m.source_key) for g in page for m in g.live_members]
    assert len(page) == 10 and len(seen) == 20
    assert [g.golden_id for g in page] == sorted(g.golden_id for g in goldens)


def test_golden_values_come_with_their_lineage_in_the_domains_order(goldens):
    golden = golden_record_override_set(golden=goldens[0], attribute="phone", value="010-12345678",
                                        reason="verified by phone", change=STEWARD)
    values = {v.name: v for v in golden_record_values(golden)}
    assert list(values)[:3] == ["name", "phone", "email"]  # declared order, missing ones left out
    assert values["name"].label == "Name" and values["name"].parts["core"]
    assert values["name"].system in ("erp", "crm") and values["name"].field == "name"
    assert values["email"].system == "crm" and values["email"].source_key == "C0"
    assert values["phone"].system is None and values["phone"].override["reason"] == "verified by phone"


def test_a_page_of_proposals_reads_both_records_in_one_query(erp, crm, django_assert_num_queries):
    for n in range(5):
        left = upsert(erp, "customer", {f"E{n}": HUAWEI})[f"E{n}"]
        right = upsert(crm, "customer", {f"C{n}": OTHER})[f"C{n}"]
        for record in (left, right):
            golden_record_create(domain="customer", members=[record.pk], change=STEWARD)
        proposal_offer(domain="customer", candidate=Candidate(left=left.pk, right=right.pk, weight=float(n),
                                                              probability=0.5, evidence=[]), change=STEWARD)
    with django_assert_num_queries(1):
        rows = [(p.left.system.code, p.left.golden.golden_id, p.right.system.code, p.right.golden.golden_id)
                for p in proposals(domain="customer")]
    assert len(rows) == 5 and rows[0][0] == "erp" and rows[0][2] == "crm"
    assert [p.weight for p in proposals(domain="customer")] == [4.0, 3.0, 2.0, 1.0, 0.0]  # strongest first
    assert proposals(domain="customer", status=MergeProposal.Status.DECIDED).count() == 0


def test_a_records_history_is_newest_first_with_who_and_why(goldens):
    golden = golden_record_override_set(golden=goldens[0], attribute="phone", value="010-12345678",
                                        reason="verified", change=STEWARD)
    history = list(record_history(golden))
    assert [h.version for h in history] == [2, 1]
    assert history[0].history_actor == "user:steward" and history[0].history_change_reason == "fix"


@pytest.mark.django_db
def test_among_finds_what_in_finds_with_one_parameter(erp, change):
    keys = ["0000100001", "O'Brien \"Ltd\"", "华为/深圳", "a,b", "with\\backslash", "{braces}"]
    for key in keys:
        upsert(erp, "customer", {key: {"name": f"{key} 有限公司"}})
    asked = [*keys[:4], "absent", "with\\backslash"]
    records = SourceRecord.objects.filter(system=erp)

    assert set(records.filter(source_key__among=asked).values_list("source_key", flat=True)) == set(
        records.filter(source_key__in=asked).values_list("source_key", flat=True)
    ) == {*keys[:4], "with\\backslash"}
    assert not records.filter(source_key__among=[]).exists()
