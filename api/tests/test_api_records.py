"""Records in through the API: upsert one or a batch for the token's system, matched in real
time through the use case the ingest command shares, idempotent (and Idempotency-Key
safe), soft delete, read; search before create stores nothing."""

from __future__ import annotations

import pytest

from mdm.models import ChangeEvent, MergeProposal, SourceRecord
from mdm.tests.factories import HUAWEI, OTHER, writes

HUAWEI_CRM = {"name": "华为技术有限公司", "tax_id": "914403001922038216", "phone": "0755-28780808", "city": "深圳"}


def post_records(client, records, **headers):
    return client.post("/api/v1/records/customer", {"records": records}, format="json", headers=headers)


def test_it_upserts_a_batch_and_matches_it_in_real_time(principals, customer_model):
    reply = post_records(principals["erp"], [{"source_key": "E1", "attributes": HUAWEI},
                                             {"source_key": "E2", "attributes": OTHER}])
    assert reply.status_code == 200, reply.json()
    body = reply.json()
    assert [(r["source_key"], r["outcome"], r["match"]) for r in body["records"]] == [
        ("E1", "inserted", "create"), ("E2", "inserted", "create")]
    assert body["waiting"] == ""
    crm = principals["crm"].put("/api/v1/records/customer/C9", {"attributes": HUAWEI_CRM}, format="json")
    assert crm.status_code == 200, crm.json()
    landed = crm.json()["records"][0]
    assert landed["match"] == "attach" and landed["golden_id"] == body["records"][0]["golden_id"]
    record = SourceRecord.objects.get(system__code="crm", source_key="C9")
    assert record.profile == "api" and record.golden.golden_id == landed["golden_id"]
    assert record.history.first().history_actor == "system:crm"


def test_it_changes_nothing_when_the_same_request_comes_twice(principals, customer_model):
    records = [{"source_key": "E1", "attributes": HUAWEI}]
    first = post_records(principals["erp"], records).json()
    before = writes()
    again = post_records(principals["erp"], records).json()
    assert writes() == before
    assert again["records"][0]["outcome"] == "unchanged"
    assert again["records"][0]["golden_id"] == first["records"][0]["golden_id"]


def test_it_reads_again_a_record_standardized_by_older_code_when_it_comes_unchanged(principals, customer_model):
    records = [{"source_key": "E1", "attributes": HUAWEI}, {"source_key": "E2", "attributes": OTHER}]
    post_records(principals["erp"], records)
    stored = SourceRecord.objects.get(source_key="E1")
    # as older code left them: another fingerprint, and for E1 a city the source never sent
    SourceRecord.objects.filter(pk=stored.pk).update(attributes={**stored.attributes, "city": "深圳市"})
    SourceRecord.objects.update(standardized_by="")

    again = post_records(principals["erp"], records).json()

    assert [(r["source_key"], r["outcome"]) for r in again["records"]] == [("E1", "updated"), ("E2", "unchanged")]
    record = SourceRecord.objects.get(source_key="E1")
    assert (record.attributes["city"], record.version) == ("深圳", stored.version + 1)
    assert record.golden.attributes["city"] == "深圳"
    before = writes()
    assert post_records(principals["erp"], records).json()["records"][0]["outcome"] == "unchanged"
    assert writes() == before


def test_it_replays_an_idempotency_key_and_refuses_it_with_another_body(principals, customer_model):
    records = [{"source_key": "E1", "attributes": HUAWEI}]
    first = post_records(principals["erp"], records, **{"Idempotency-Key": "k-1"})
    before = writes()
    replay = post_records(principals["erp"], records, **{"Idempotency-Key": "k-1"})
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true" and writes() == before
    other = post_records(principals["erp"], [{"source_key": "E2", "attributes": OTHER}], **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert not SourceRecord.objects.filter(source_key="E2").exists()
    # another system's key space is its own
    assert post_records(principals["crm"], records, **{"Idempotency-Key": "k-1"}).status_code == 200


def test_it_takes_the_system_from_the_token_never_from_the_payload(principals):
    reply = post_records(principals["crm"], [{"source_key": "C1", "attributes": HUAWEI, "system": "erp",
                                              "golden_id": "CUST-0000001"}])
    assert reply.status_code == 200
    record = SourceRecord.objects.get(source_key="C1")
    assert record.system.code == "crm" and record.golden is None  # no model: waits for a batch run
    assert reply.json()["waiting"] == "no_model"
    smuggled = post_records(principals["crm"], [{"source_key": "C2", "attributes": {**OTHER, "golden_id": "X"}}])
    assert smuggled.status_code == 400 and smuggled.json()["code"] == "invalid_input"
    assert "records.0.attributes" in smuggled.json()["errors"]
    assert not SourceRecord.objects.filter(source_key="C2").exists()


def test_it_rejects_a_batch_with_a_bad_record_and_stores_none(principals):
    before = writes()
    reply = post_records(principals["crm"], [{"source_key": "C1", "attributes": HUAWEI},
                                             {"source_key": "C2", "attributes": {"city": "北京"}},
                                             {"source_key": "C1", "attributes": OTHER}])
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "records_rejected" and set(body["errors"]) == {"1", "2"}
    assert "duplicate key" in body["errors"]["2"][0]
    assert writes() == before


def test_it_limits_batches(principals, settings):
    settings.MDM_API_MAX_BATCH = 2
    reply = post_records(principals["crm"], [{"source_key": f"C{i}", "attributes": HUAWEI} for i in range(3)])
    assert reply.status_code == 400 and "records" in reply.json()["errors"]


def test_it_refuses_a_body_over_the_limit(principals, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    reply = post_records(principals["crm"], [{"source_key": "C1", "attributes": {**HUAWEI, "address": "x" * 2000}}])
    assert reply.status_code == 413 and reply.json()["code"] == "payload_too_large"


def test_it_reads_and_soft_deletes_the_systems_own_record(principals, customer_model):
    post_records(principals["crm"], [{"source_key": "C1", "attributes": HUAWEI}])
    read = principals["crm"].get("/api/v1/records/customer/C1")
    assert read.status_code == 200 and read.json()["raw"]["name"] == HUAWEI["name"]
    assert principals["erp"].get("/api/v1/records/customer/C1").status_code == 404  # erp has no C1
    gone = principals["crm"].delete("/api/v1/records/customer/C1")
    assert gone.status_code == 200 and gone.json()["records"][0]["outcome"] == "deleted"
    record = SourceRecord.objects.get(source_key="C1")
    assert record.is_deleted and record.golden is None
    assert ChangeEvent.objects.filter(kind="source.deleted", source_key="C1").count() == 1
    before = writes()
    assert principals["crm"].delete("/api/v1/records/customer/C1").json()["records"][0]["outcome"] == "unchanged"
    assert writes() == before


def test_it_searches_before_create_and_stores_nothing(principals, customer_model):
    created = post_records(principals["erp"], [{"source_key": "E1", "attributes": HUAWEI}]).json()
    before = writes()
    reply = principals["crm"].post("/api/v1/search/customer", {"attributes": HUAWEI_CRM}, format="json")
    assert reply.status_code == 200, reply.json()
    best = reply.json()["matches"][0]
    assert best["golden_id"] == created["records"][0]["golden_id"] and best["band"] == "match"
    assert best["evidence"] and best["matched_record"] == "erp:E1"
    assert best["attributes"]["tax_id"] == "***"  # a system holds no sensitive grant
    assert writes() == before and MergeProposal.objects.count() == 0
    unknown = principals["crm"].post("/api/v1/search/customer", {"attributes": {"colour": "red"}}, format="json")
    assert unknown.status_code == 400 and "attributes" in unknown.json()["errors"]


@pytest.mark.parametrize("who", ["steward", "auditor", "admin"])
def test_it_lets_only_source_systems_write_records(principals, who):
    reply = post_records(principals[who], [{"source_key": "C1", "attributes": HUAWEI}])
    assert reply.status_code == 403 and reply.json()["code"] == "forbidden"


@pytest.mark.parametrize("value", [{"a": 1}, [1, [2]], 10**30, -1.5, True, "", "\x00", "=cmd()", "x" * 70000, [None]],
                         ids=["object", "list", "huge", "float", "bool", "empty", "nul", "formula", "long", "nulls"])
def test_no_value_a_client_sends_makes_a_server_error(principals, customer_model, value):
    for name in ("name", "tax_id", "phone", "email", "country", "changed_at", "postcode", "website"):
        body = {"records": [{"source_key": "K", "attributes": {"name": "华为", name: value}}]}
        assert principals["crm"].post("/api/v1/records/customer", body, format="json").status_code in (200, 400)
        found = principals["crm"].post("/api/v1/search/customer", {"attributes": {name: value}}, format="json")
        assert found.status_code in (200, 400)
