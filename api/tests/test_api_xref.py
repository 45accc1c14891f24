"""Cross-reference and golden records through the API: one key, many keys, the keys of a
golden ID, a retired ID answered with its successor, lists in cursor pages, detail with
lineage and members, sensitive values masked, one error shape."""

from __future__ import annotations

import pytest

from mdm.history import Change
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.tests.factories import HUAWEI, OTHER, upsert

STEWARD = Change(actor="user:steward", reason="same company")


@pytest.fixture
def goldens(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI, "C2": OTHER})
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})
    a = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
    b = golden_record_create(domain="customer", members=[erp["E1"].pk], change=STEWARD)
    c = golden_record_create(domain="customer", members=[crm["C2"].pk], change=STEWARD)
    return a, b, c


def test_it_answers_the_golden_id_of_a_source_key(principals, goldens):
    reply = principals["crm"].get("/api/v1/xref/customer/crm/C1")
    assert reply.status_code == 200
    assert reply.json() == {"domain": "customer", "system": "crm", "source_key": "C1", "found": True,
                            "deleted": False, "record_version": 2, "golden_id": goldens[0].golden_id,
                            "golden_status": "active"}


def test_it_answers_many_keys_in_the_order_asked(principals, goldens):
    keys = [{"system": "erp", "source_key": "E1"}, {"system": "crm", "source_key": "nope"},
            {"system": "crm", "source_key": "C1"}]
    reply = principals["crm"].post("/api/v1/xref/customer/lookup", {"keys": keys}, format="json")
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert [(r["source_key"], r["found"], r["golden_id"]) for r in results] == [
        ("E1", True, goldens[1].golden_id), ("nope", False, None), ("C1", True, goldens[0].golden_id)]


def test_it_answers_a_retired_golden_id_with_its_successor(principals, goldens):
    survivor, retired, _ = goldens
    golden_record_merge(survivor=survivor, retired=[retired], change=STEWARD)
    reply = principals["erp"].get(f"/api/v1/xref/customer/golden/{retired.golden_id}")
    assert reply.status_code == 200
    body = reply.json()
    assert body["golden_id"] == survivor.golden_id and body["requested_id"] == retired.golden_id
    assert body["retired"] is True and body["keys"] == {"crm": ["C1"], "erp": ["E1"]}
    assert principals["erp"].get("/api/v1/xref/customer/erp/E1").json()["golden_id"] == survivor.golden_id
    detail = principals["steward"].get(f"/api/v1/golden/customer/{retired.golden_id}").json()
    assert detail["golden_id"] == survivor.golden_id and detail["retired"] is True
    assert {(m["system"], m["source_key"]) for m in detail["members"]} == {("crm", "C1"), ("erp", "E1")}


def test_it_lists_golden_records_in_cursor_pages(principals, goldens):
    client = principals["auditor"]
    first = client.get("/api/v1/golden/customer", {"page_size": 2}).json()
    assert [g["golden_id"] for g in first["results"]] == sorted(g.golden_id for g in goldens)[:2]
    second = client.get(first["next"]).json()
    assert [g["golden_id"] for g in second["results"]] == sorted(g.golden_id for g in goldens)[2:]
    assert second["next"] is None
    assert len(client.get("/api/v1/golden/customer", {"page_size": 100000}).json()["results"]) == 3  # capped
    by_system = client.get("/api/v1/golden/customer", {"system": "erp"}).json()["results"]
    assert [g["golden_id"] for g in by_system] == [goldens[1].golden_id]
    bad = client.get("/api/v1/golden/customer", {"status": "sleeping"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input" and "status" in bad.json()["errors"]


def test_it_shows_a_golden_record_with_lineage_and_masks_sensitive_values(principals, goldens):
    reply = principals["steward"].get(f"/api/v1/golden/customer/{goldens[0].golden_id}")
    assert reply.status_code == 200
    body = reply.json()
    values = {v["name"]: v for v in body["values"]}
    assert values["name"]["value"] == "华为技术有限公司" and values["name"]["system"] == "crm"
    assert values["name"]["source_key"] == "C1" and not values["name"]["masked"]
    assert values["tax_id"]["value"] == "***" and values["tax_id"]["masked"]  # sensitive: no grant
    assert body["attributes"]["tax_id"] == "***"
    admin = principals["admin"].get(f"/api/v1/golden/customer/{goldens[0].golden_id}").json()
    assert admin["attributes"]["tax_id"] == "914403001922038216"


def test_it_hides_other_departments_records(principals, goldens):
    east = principals["east"]  # sees erp's records only
    assert east.get("/api/v1/xref/customer/crm/C1").status_code == 404
    assert east.get("/api/v1/xref/customer/erp/E1").status_code == 200
    listed = east.get("/api/v1/golden/customer").json()["results"]
    assert [g["golden_id"] for g in listed] == [goldens[1].golden_id]
    assert east.get(f"/api/v1/golden/customer/{goldens[0].golden_id}").status_code == 404


def test_a_shared_golden_record_shows_a_department_only_the_values_of_its_systems(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C9": {**OTHER, "phone": "021-64385566"}})
    erp = upsert(principals.systems["erp"], "customer", {"E9": {"name": OTHER["name"]}})
    shared = golden_record_create(domain="customer", members=[crm["C9"].pk, erp["E9"].pk], change=STEWARD)
    east = principals["east"]  # sees erp's records only
    detail = east.get(f"/api/v1/golden/customer/{shared.golden_id}").json()
    from_crm = [v["name"] for v in detail["values"] if v["system"] == "crm"]
    assert from_crm and all(v["masked"] for v in detail["values"] if v["system"] == "crm")
    listed = next(g for g in east.get("/api/v1/golden/customer").json()["results"]
                  if g["golden_id"] == shared.golden_id)
    for attributes in (detail["attributes"], listed["attributes"]):
        assert "021-64385566" not in str(attributes)
        assert all(attributes[name] == "***" for name in from_crm if attributes.get(name) not in (None, ""))
    assert [m["system"] for m in detail["members"]] == ["erp"]


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/api/v1/xref/customer/crm/nope", 404, "source_record_not_found"),
    ("/api/v1/xref/planets/crm/C1", 404, "unknown_domain"),
    ("/api/v1/golden/customer/CUST-9999999", 404, "golden_not_found"),
    ("/api/v1/nowhere", 404, "not_found"),
])
def test_it_answers_every_client_error_in_one_shape(principals, goldens, path, status, code):
    reply = principals["crm"].get(path)
    assert reply.status_code == status
    assert reply.json()["code"] == code and reply.json()["message"]


def test_it_refuses_bad_credentials_and_bodies_in_one_shape(principals, goldens):
    anonymous = principals["anonymous"].get("/api/v1/xref/customer/crm/C1")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    principals["anonymous"].credentials(HTTP_AUTHORIZATION="Token mdm_not-a-token")
    assert principals["anonymous"].get("/api/v1/xref/customer/crm/C1").json()["code"] == "unauthenticated"
    bad = principals["crm"].post("/api/v1/xref/customer/lookup", {"keys": "C1"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input" and "keys" in bad.json()["errors"]
    broken = principals["crm"].post("/api/v1/xref/customer/lookup", "{", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_input"
    text = principals["crm"].post("/api/v1/xref/customer/lookup", "keys", content_type="text/plain")
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media_type"
    wrong = principals["crm"].delete("/api/v1/xref/customer/lookup")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
