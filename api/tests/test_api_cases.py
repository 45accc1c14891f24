"""Stewardship through the API: the queue of cases, one case, a decision on the version
seen (through the core's case_decide), refused when stale, by non-stewards, and for
approvals under the four-eyes rule."""

from __future__ import annotations

import pytest

from api.tests.conftest import SETUP
from mdm.models import GoldenRecord, MergeProposal
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.tests.factories import HUAWEI, upsert

EVIDENCE = [{"comparison": "name", "level": "exact", "weight": 5.0}]


@pytest.fixture
def case(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})["C1"]
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})["E1"]
    for record in (crm, erp):
        golden_record_create(domain="customer", members=[record.pk], change=SETUP)
    left, right = sorted((crm.pk, erp.pk))
    return proposal_offer(domain="customer", change=SETUP,
                          candidate=Candidate(left=left, right=right, weight=6.7, probability=0.9, evidence=EVIDENCE))


def test_a_steward_reads_the_queue_and_approves_a_case_on_the_version_seen(principals, case):
    client = principals["steward"]
    queue = client.get("/api/v1/cases/customer").json()["cases"]
    assert [c["key"] for c in queue] == [case.pk] and queue[0]["proposals"][0]["evidence"] == EVIDENCE
    seen = client.get(f"/api/v1/cases/customer/{case.pk}").json()
    stale = client.post(f"/api/v1/cases/customer/{case.pk}/decision",
                        {"decision": "approve", "version": "not-that-one"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_view"
    reply = client.post(f"/api/v1/cases/customer/{case.pk}/decision",
                        {"decision": "approve", "reason": "same tax id", "version": seen["version"]}, format="json")
    assert reply.status_code == 200 and reply.json() == {"decided": [case.pk]}
    case.refresh_from_db()
    assert case.decision == "approve" and case.decided_by == "user:steward"
    assert GoldenRecord.objects.filter(status="active").count() == 1
    assert client.get(f"/api/v1/cases/customer/{case.pk}").status_code == 404  # decided: no longer pending


def test_only_stewards_of_the_domain_decide_and_four_eyes_approvals_stay_in_the_web_app(principals, case, settings):
    version = principals["auditor"].get(f"/api/v1/cases/customer/{case.pk}").json()["version"]
    body = {"decision": "reject", "reason": "namesakes", "version": version}
    for role, status in (("auditor", 403), ("crm", 403), ("anonymous", 401)):
        assert principals[role].post(f"/api/v1/cases/customer/{case.pk}/decision", body,
                                     format="json").status_code == status
    assert principals["east"].get("/api/v1/cases/customer").json()["cases"] == []  # crm's record: not theirs
    settings.MDM_FOUR_EYES = {"customer": 1}
    approve = principals["steward"].post(f"/api/v1/cases/customer/{case.pk}/decision",
                                         {**body, "decision": "approve"}, format="json")
    assert approve.status_code == 409 and "web app" in approve.json()["message"]
    assert MergeProposal.objects.get(pk=case.pk).status == "pending"
    assert principals["steward"].post(f"/api/v1/cases/customer/{case.pk}/decision", body,
                                      format="json").json() == {"decided": [case.pk]}
