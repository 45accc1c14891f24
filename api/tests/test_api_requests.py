"""New master data requests through the API: filed with their duplicate candidates (the
search before create), listed and read as the caller may see them (masked, a source
system its own, a department's candidates only), decided (approve: a new golden record;
link; reject with a reason) once, with history for exactly what changed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.conftest import SETUP
from mdm.access import Role, access_grant
from mdm.models import ChangeEvent, GoldenRecord, MasterDataRequest
from mdm.services.golden_records import golden_record_create
from mdm.tests.factories import HUAWEI, history_of_every_change, upsert

pytestmark = pytest.mark.django_db(transaction=True)  # history chains: as committed
NEW = {"name": "深圳新科技有限公司", "city": "深圳"}


@pytest.fixture
def huawei(principals) -> GoldenRecord:
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})["C1"]
    return golden_record_create(domain="customer", members=[crm.pk], change=SETUP)


def _file(client, values, note="") -> dict:
    reply = client.post("/api/v1/requests/customer", {"values": values, "note": note}, format="json")
    assert reply.status_code == 201, reply.json()
    return reply.json()


def test_a_request_is_filed_with_its_duplicates_and_linked_to_the_existing_golden_record(principals, huawei):
    steward = principals["steward"]
    with history_of_every_change("API request filed"):
        filed = _file(steward, {"name": HUAWEI["name"], "tax_id": HUAWEI["tax_id"]}, note="new distributor")
    assert filed["status"] == "pending" and filed["requested_by"] == "user:steward"
    assert filed["values"]["tax_id"] == "***" and filed["values"]["name"] == HUAWEI["name"]  # no sensitive grant
    assert filed["candidates"][0]["golden_id"] == huawei.golden_id and "tax_id" in filed["candidates"][0]["why"]
    assert principals["auditor"].get(f"/api/v1/requests/customer/{filed['id']}").json()["values"]["tax_id"] == (
        HUAWEI["tax_id"])
    path = f"/api/v1/requests/customer/{filed['id']}/decision"
    unknown = steward.post(path, {"action": "link", "golden_id": "CUST-9999999"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "golden_not_found"
    assert steward.post(path, {"action": "link"}, format="json").json()["errors"] == {
        "golden_id": ["link needs the golden ID of the existing record"]}
    with history_of_every_change("API request linked"):
        linked = steward.post(path, {"action": "link", "golden_id": huawei.golden_id, "reason": "it exists"},
                              format="json")
    assert linked.status_code == 200 and linked.json()["status"] == "linked"
    assert linked.json()["golden_id"] == huawei.golden_id and linked.json()["decided_by"] == "user:steward"
    twice = steward.post(path, {"action": "reject", "reason": "late"}, format="json")
    assert twice.status_code == 409 and twice.json() == {"code": "conflict",
                                                         "message": f"request {filed['id']} was linked already"}


def test_an_approved_request_becomes_a_new_golden_record_in_the_change_feed(principals, huawei):
    filed = _file(principals["steward"], NEW)
    assert filed["candidates"] == []  # no shared tax id, name or barcode (and no model trained)
    events = ChangeEvent.objects.count()
    with history_of_every_change("API request approved"):
        reply = principals["admin"].post(f"/api/v1/requests/customer/{filed['id']}/decision", {"action": "approve"},
                                         format="json")
    assert reply.status_code == 200 and reply.json()["status"] == "approved"
    golden = GoldenRecord.objects.get(golden_id=reply.json()["golden_id"])
    assert golden.attributes["name"] == NEW["name"] and golden.members.get().system.code == "requests"
    assert ChangeEvent.objects.filter(golden_id=golden.golden_id, kind="golden.created").count() == 1
    assert ChangeEvent.objects.count() > events


def test_it_refuses_bad_requests_and_rejections_without_a_reason(principals):
    steward = principals["steward"]
    for body, field in (({"values": {}}, "values"), ({"values": ["name"]}, "values"),
                        ({"values": {"name": {"zh": "x"}}}, "values.name")):
        reply = steward.post("/api/v1/requests/customer", body, format="json")
        assert reply.status_code == 400 and field in reply.json()["errors"], reply.json()
    unknown = steward.post("/api/v1/requests/customer", {"values": {**NEW, "colour": "red"}}, format="json")
    assert unknown.status_code == 400 and unknown.json()["message"] == "not attributes of customer: colour"
    missing = steward.post("/api/v1/requests/customer", {"values": {"city": "深圳"}}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_input"
    filed = _file(steward, NEW)
    path = f"/api/v1/requests/customer/{filed['id']}/decision"
    assert steward.post(path, {"action": "reject"}, format="json").json()["code"] == "reason_required"
    assert steward.post(path, {"action": "merge"}, format="json").json()["errors"].keys() == {"action"}
    assert steward.post(path, {"action": "reject", "reason": "a duplicate of a prospect"},
                        format="json").json()["status"] == "rejected"
    assert MasterDataRequest.objects.get().reason == "a duplicate of a prospect"
    assert steward.get("/api/v1/requests/customer/999999").status_code == 404


def test_lists_show_what_the_caller_may_see(principals, huawei):
    first = _file(principals["steward"], {"name": HUAWEI["name"]})
    second = _file(principals["admin"], NEW)
    listed = principals["steward"].get("/api/v1/requests/customer").json()["requests"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]  # newest first
    assert [r["id"] for r in principals["steward"].get("/api/v1/requests/customer?status=rejected").json()[
        "requests"]] == []
    assert principals["steward"].get("/api/v1/requests/customer?status=nope").status_code == 400
    east = principals["east"].get(f"/api/v1/requests/customer/{first['id']}").json()
    assert east["candidates"] == []  # the duplicate is crm's record: not the east department's
    crm = principals.systems["crm"]
    access_grant(user=crm.api_user, role=Role.STEWARD, domains=["customer"], change=SETUP)
    own = principals["crm"].post("/api/v1/requests/customer", {"values": NEW}, format="json")
    assert own.status_code == 201 and own.json()["requested_by"] == f"user:{crm.api_user.get_username()}"
    assert [r["id"] for r in principals["crm"].get("/api/v1/requests/customer").json()["requests"]] == [
        own.json()["id"]]  # a system reads its own requests
    assert principals["crm"].get(f"/api/v1/requests/customer/{first['id']}").status_code == 404
    decide = principals["crm"].post(f"/api/v1/requests/customer/{own.json()['id']}/decision", {"action": "approve"},
                                    format="json")
    assert decide.status_code == 403  # people decide


def test_the_list_reads_a_fixed_number_of_queries(principals, huawei):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert principals["east"].get("/api/v1/requests/customer").status_code == 200
        return len(captured)

    _file(principals["steward"], {"name": HUAWEI["name"]})
    one = queries()
    for n in range(4):
        _file(principals["steward"], {"name": f"{HUAWEI['name']}{n}分公司"})
    assert queries() == one
