"""简道云 data-push callbacks: a valid signature creates or updates a source record through
the ingest use case, a replayed DeliverId changes nothing, a bad signature is refused and
stores nothing, a removal soft-deletes; a file holding one callback body can be ingested."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from api.views.inbound import jdy_signature
from mdm.ingest.run import import_file
from mdm.models import SourceRecord
from mdm.tests.factories import system, writes

SECRET = "jdy-push-secret"
RECORD = {
    "_id": "5f5e13d1f7ffb0ac4dc1c983", "createTime": "2014-12-18T00:00:00.000Z",
    "updateTime": "2017-11-05T19:39:31.772Z", "_widget_1615777739660": "顺拓信息技术（宁波）有限公司",
    "_widget_1615777740297": {"phone": "0574-68617885", "verified": False},
    "_widget_1615777740512": "huangming@shuntuogf.com", "_widget_1615777741230": "信息技术",
    "_widget_1615777741688": "中国",
}


@pytest.fixture
def forms(db):
    source = system("forms")
    call_command("inbound_endpoint", "forms", "--profile", "jiandaoyun_customer", "--secret", SECRET)
    return source


def push(op: str, record: dict, deliver_id: str, *, secret: str = SECRET, nonce="a1b2c3", timestamp="1700000000"):
    body = json.dumps({"op": op, "data": record}, ensure_ascii=False)
    return APIClient().post(
        f"/api/v1/inbound/jiandaoyun/forms?nonce={nonce}&timestamp={timestamp}", body, content_type="application/json",
        headers={"X-JDY-Signature": jdy_signature(nonce, body, secret, timestamp), "X-JDY-DeliverId": deliver_id},
    )


def test_a_signed_callback_creates_a_source_record_and_a_replay_changes_nothing(forms):
    reply = push("data_create", RECORD, "d-1")
    assert reply.status_code == 200, reply.json()
    assert reply.json()["status"] == "stored" and reply.json()["outcome"] == "inserted"
    record = SourceRecord.objects.get(system=forms, source_key=RECORD["_id"])
    assert record.attributes["name"] and record.profile == "jiandaoyun_customer"
    assert record.history.first().history_actor == "system:forms"
    before = writes()
    replay = push("data_create", RECORD, "d-1")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert writes() == before
    updated = push("data_update", {**RECORD, "_widget_1615777741230": "制造业"}, "d-2")
    assert updated.json()["outcome"] == "updated"
    removed = push("data_remove", RECORD, "d-3")
    assert removed.json()["outcome"] == "deleted"
    assert SourceRecord.objects.get(system=forms, source_key=RECORD["_id"]).is_deleted


def test_a_bad_signature_is_refused_and_stores_nothing(forms):
    before = writes()
    reply = push("data_create", RECORD, "d-1", secret="guessed")
    assert reply.status_code == 401 and reply.json()["code"] == "bad_signature"
    assert writes() == before and not SourceRecord.objects.exists()
    unsigned = APIClient().post("/api/v1/inbound/jiandaoyun/forms", {"op": "data_create", "data": RECORD},
                                format="json")
    assert unsigned.status_code == 401 and not SourceRecord.objects.exists()
    assert push("data_create", RECORD, "d-1").status_code == 200  # the refused id was not remembered


def test_it_answers_unknown_endpoints_and_ignores_other_ops(forms):
    assert APIClient().post("/api/v1/inbound/jiandaoyun/nobody", {}, format="json").status_code == 404
    reply = push("form_update", {"name": "客户表"}, "d-9")
    assert reply.status_code == 200 and reply.json()["status"] == "ignored"
    keyless = push("data_create", {"_widget_1615777739660": "无键公司"}, "d-10")
    assert keyless.status_code == 400 and not SourceRecord.objects.exists()


def test_a_file_holding_one_callback_body_can_be_ingested(forms, tmp_path):
    path = tmp_path / "callback.json"
    path.write_text(json.dumps({"op": "data_create", "data": RECORD}, ensure_ascii=False), encoding="utf-8")
    run = import_file(path=path, system_code="forms", profile_name="jiandaoyun_customer")
    assert run.status == "completed" and run.inserted == 1, run.error
