"""A CRM and an ERP on the API, end to end: both push overlapping customers and get golden
IDs back, a steward merges two golden records through the API, both systems receive the
signed webhook and the RabbitMQ message and resolve the retired ID to the survivor, and the
change feed replayed from zero reproduces the cross-reference exactly."""

from __future__ import annotations

import hashlib
import hmac

from api.relay import relay_publish
from api.tests.feed import replayed_xref
from api.tests.receiver import receiver
from api.tests.test_relay import broker  # noqa: F401 - the fixture
from api.webhooks import webhook_deliver_due
from mdm.models import GoldenRecord, SourceRecord
from mdm.tests.factories import HUAWEI, OTHER

JD_CRM = {"name": "北京京东世纪贸易有限公司", "city": "北京"}  # matches OTHER
HUAWEI_CRM = {"name": "华为终端有限公司", "city": "东莞"}  # not matched to HUAWEI: a steward knows better


def _push(client, records):
    reply = client.post("/api/v1/records/customer", {"records": records}, format="json")
    assert reply.status_code == 200, reply.json()
    return {r["source_key"]: r for r in reply.json()["records"]}


def _signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    mac = hmac.new(secret.encode(), headers["x-mdm-timestamp"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["x-mdm-signature"], "sha256=" + mac.hexdigest())


def test_a_crm_and_an_erp_follow_a_stewards_merge(principals, customer_model, broker):  # noqa: F811
    publisher, broker_messages = broker
    with receiver() as crm_hook, receiver() as erp_hook:
        subs = {}
        for name, hook in (("crm", crm_hook), ("erp", erp_hook)):
            reply = principals[name].post("/api/v1/webhooks", {"url": hook.url, "kinds": ["golden.retired"]},
                                          format="json")
            subs[name] = reply.json()
        erp = _push(principals["erp"], [{"source_key": "E1", "attributes": HUAWEI},
                                        {"source_key": "E2", "attributes": OTHER}])
        crm = _push(principals["crm"], [{"source_key": "C1", "attributes": JD_CRM},
                                        {"source_key": "C2", "attributes": HUAWEI_CRM}])
        assert all(r["golden_id"] for r in (*erp.values(), *crm.values()))
        assert crm["C1"]["golden_id"] == erp["E2"]["golden_id"]  # the same company: attached in real time
        assert crm["C2"]["golden_id"] != erp["E1"]["golden_id"] and crm["C2"]["match"] in ("create", "propose")

        steward, first = principals["steward"], erp["E1"]["golden_id"]
        seen = steward.get(f"/api/v1/golden/customer/{first}").json()["version"]
        reply = steward.post(f"/api/v1/golden/customer/{first}/merge",
                             {"version": seen, "other": crm["C2"]["golden_id"], "reason": "the same 华为 company"},
                             format="json")
        assert reply.status_code == 200, reply.json()
        merged = GoldenRecord.objects.get(golden_id=reply.json()["golden_id"])
        retired = ({first, crm["C2"]["golden_id"]} - {merged.golden_id}).pop()

        webhook_deliver_due()
        relay_publish(publisher, name="e2e")
        for name, hook in (("crm", crm_hook), ("erp", erp_hook)):
            events = [e for e in hook.events() if e["golden_id"] == retired]
            assert len(events) == 1 and events[0]["payload"] == {"status": "retired", "successor": merged.golden_id}
            assert all(_signed(subs[name]["secret"], headers, body) for headers, body in hook.received)
            resolved = principals[name].get(f"/api/v1/xref/customer/golden/{retired}").json()
            assert resolved["golden_id"] == merged.golden_id and resolved["retired"] is True
            assert resolved["keys"] == {"crm": ["C2"], "erp": ["E1"]}
        on_broker = [body for key, _, body in broker_messages() if key == "customer.golden.retired"]
        assert [(b["golden_id"], b["payload"]["successor"]) for b in on_broker] == [(retired, merged.golden_id)]

    current = {(r.system.code, r.source_key): r.golden.golden_id
               for r in SourceRecord.objects.filter(is_deleted=False).select_related("system", "golden")}
    assert replayed_xref(principals["crm"], "customer") == current
    assert replayed_xref(principals["auditor"], "customer") == current
