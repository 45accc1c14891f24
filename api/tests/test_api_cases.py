"""Stewardship through the API: the queue of cases, one case, a decision on the version
seen, refused when stale and by non-stewards; the four-eyes rule (a first approval waits,
the same steward cannot give the second, another steward's applies it); claims and
comments."""

from __future__ import annotations

import pytest

from api.tests.conftest import SETUP
from mdm.models import GoldenRecord, MergeProposal
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.services.steward import MSG_CLAIMED, MSG_SECOND
from mdm.tests.factories import HUAWEI, upsert

EVIDENCE = [{"comparison": "name", "level": "exact", "weight": 5.0}]
FITTED = "12 steward decisions (3 approved): p = sigmoid(-1.50 + 0.80·w·ln2)"


@pytest.fixture
def case(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})["C1"]
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})["E1"]
    for record in (crm, erp):
        golden_record_create(domain="customer", members=[record.pk], change=SETUP)
    left, right = sorted((crm.pk, erp.pk))
    return proposal_offer(domain="customer", change=SETUP,
                          candidate=Candidate(left=left, right=right, weight=6.7, probability=0.9, evidence=EVIDENCE,
                                              calibration=FITTED))


def test_a_steward_reads_the_queue_and_approves_a_case_on_the_version_seen(principals, case):
    client = principals["steward"]
    queue = client.get("/api/v1/cases/customer").json()["cases"]
    assert [c["key"] for c in queue] == [case.pk] and queue[0]["proposals"][0]["evidence"] == EVIDENCE
    assert queue[0]["calibration"] == queue[0]["proposals"][0]["calibration"] == FITTED
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


def test_only_stewards_of_the_domain_decide(principals, case):
    version = principals["auditor"].get(f"/api/v1/cases/customer/{case.pk}").json()["version"]
    body = {"decision": "reject", "reason": "namesakes", "version": version}
    for role, status in (("auditor", 403), ("crm", 403), ("anonymous", 401)):
        assert principals[role].post(f"/api/v1/cases/customer/{case.pk}/decision", body,
                                     format="json").status_code == status
    assert principals["east"].get("/api/v1/cases/customer").json()["cases"] == []  # crm's record: not theirs
    assert principals["steward"].post(f"/api/v1/cases/customer/{case.pk}/decision", body,
                                      format="json").json() == {"decided": [case.pk]}


def test_it_applies_an_approval_under_the_four_eyes_rule_only_when_a_second_steward_approves(
        principals, second_steward, case, settings):
    settings.MDM_FOUR_EYES = {"customer": 1}
    path = f"/api/v1/cases/customer/{case.pk}"
    seen = principals["steward"].get(path).json()["version"]
    body = {"decision": "approve", "reason": "same tax id", "version": seen}
    first = principals["steward"].post(f"{path}/decision", body, format="json")
    assert first.status_code == 202 and first.json()["decided"] == []
    assert "second steward" in first.json()["waiting"] and "more than 1" in first.json()["waiting"]
    assert MergeProposal.objects.get(pk=case.pk).status == "pending"
    assert principals["steward"].get(path).json()["first_approved_by"] == "steward"
    again = principals["steward"].post(f"{path}/decision", body, format="json")
    assert again.status_code == 409 and again.json() == {"code": "four_eyes", "message": MSG_SECOND}
    assert GoldenRecord.objects.filter(status="active").count() == 2
    second = second_steward.post(f"{path}/decision", body, format="json")
    assert second.status_code == 200 and second.json() == {"decided": [case.pk]}
    case.refresh_from_db()
    assert case.decision == "approve" and case.decided_by == "user:second"
    assert GoldenRecord.objects.filter(status="active").count() == 1


def test_a_first_approval_on_a_stale_version_is_refused_and_not_recorded(principals, second_steward, case, settings):
    settings.MDM_FOUR_EYES = {"customer": 1}
    path = f"/api/v1/cases/customer/{case.pk}/decision"
    stale = principals["steward"].post(path, {"decision": "approve", "version": "old"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_view"
    assert principals["steward"].get(f"/api/v1/cases/customer/{case.pk}").json()["first_approved_by"] is None


def test_stewards_claim_release_and_comment_on_a_case(principals, second_steward, case):
    path = f"/api/v1/cases/customer/{case.pk}"
    claimed = principals["steward"].post(f"{path}/claim", format="json")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "steward"
    taken = second_steward.post(f"{path}/claim", format="json")
    assert taken.status_code == 409 and taken.json() == {"code": "conflict",
                                                         "message": MSG_CLAIMED.format(who="steward")}
    assert principals["steward"].post(f"{path}/release", format="json").json()["assignee"] is None
    assert second_steward.post(f"{path}/claim", format="json").json()["assignee"] == "second"
    said = principals["steward"].post(f"{path}/comments", {"text": "  call their finance team  "}, format="json")
    assert said.status_code == 201
    assert [(c["author"], c["text"]) for c in said.json()["comments"]] == [("steward", "call their finance team")]
    empty = principals["steward"].post(f"{path}/comments", {"text": "   "}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "invalid_input" and "text" in empty.json()["errors"]
    assert principals["steward"].post("/api/v1/cases/customer/999999/claim", format="json").status_code == 404
