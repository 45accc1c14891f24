"""The change feed: resumable by sequence, filtered, read by auditors and source systems;
replaying it from zero reproduces the cross-reference."""

from __future__ import annotations

from api.tests.feed import replayed_xref
from mdm.history import Change
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.tests.factories import HUAWEI, OTHER, upsert, xref

STEWARD = Change(actor="user:steward", reason="same company")


def _history(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI, "C2": OTHER})
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})
    a = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
    b = golden_record_create(domain="customer", members=[erp["E1"].pk], change=STEWARD)
    golden_record_create(domain="customer", members=[crm["C2"].pk], change=STEWARD)
    golden_record_merge(survivor=a, retired=[b], change=STEWARD)


def test_it_pages_the_feed_in_order_and_resumes_where_it_stopped(principals):
    _history(principals)
    client = principals["auditor"]
    seen, after = [], 0
    while True:
        page = client.get("/api/v1/changes", {"after": after, "limit": 3}).json()
        seen += [e["sequence"] for e in page["events"]]
        after = page["last_sequence"]
        if not page["has_more"]:
            break
    everything = client.get("/api/v1/changes", {"limit": 5000}).json()["events"]
    assert seen == [e["sequence"] for e in everything] == sorted(seen) and len(set(seen)) == len(seen)
    assert client.get("/api/v1/changes", {"after": after}).json() == {
        "events": [], "last_sequence": after, "has_more": False}


def test_it_filters_by_domain_kind_and_system(principals):
    _history(principals)
    client = principals["auditor"]
    merged = client.get("/api/v1/changes", {"kind": "golden.merged"}).json()["events"]
    assert [e["kind"] for e in merged] == ["golden.merged"]
    assert merged[0]["payload"]["attributes"]["tax_id"] == "914403001922038216"  # an auditor sees it
    erp = client.get("/api/v1/changes", {"system": "erp"}).json()["events"]
    assert erp and {e["system"] for e in erp} == {"erp"}
    assert client.get("/api/v1/changes", {"domain": "product"}).json()["events"] == []
    bad = client.get("/api/v1/changes", {"kind": "golden.exploded"})
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]


def test_it_lets_systems_read_their_domains_and_masks_sensitive_values(principals):
    _history(principals)
    events = principals["crm"].get("/api/v1/changes").json()["events"]
    assert events and {e["domain"] for e in events} == {"customer"}
    merged = next(e for e in events if e["kind"] == "golden.merged")
    assert merged["payload"]["attributes"]["tax_id"] == "***"
    assert principals["mes"].get("/api/v1/changes", {"domain": "customer"}).status_code == 403
    assert principals["mes"].get("/api/v1/changes").json()["events"] == []  # product only
    assert principals["steward"].get("/api/v1/changes").status_code == 403


def test_replaying_the_feed_from_zero_reproduces_the_cross_reference(principals):
    _history(principals)
    replayed = replayed_xref(principals["auditor"], "customer")
    current = {(r.system.code, r.source_key): r.golden.golden_id
               for r in principals.systems["crm"].records.model.objects.filter(is_deleted=False)
               .select_related("system", "golden")}
    assert replayed == current
    assert len(replayed) == len(xref("customer")) == 3
