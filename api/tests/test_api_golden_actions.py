"""What a steward does to golden records through the API: merge, split, override set and
clear, unmerge of an applied approval, undo of one's last decision. Each on the version
seen (stale: 409 stale_view, nothing applied), writing history for exactly what changed and
change events; unknown golden IDs, bad payloads, replays with an Idempotency-Key."""

from __future__ import annotations

import pytest

from api.tests.conftest import SETUP
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal, PairConstraint
from mdm.selectors import case_of
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.services.steward import MSG_GOLDEN_STALE
from mdm.tests.factories import HUAWEI, OTHER, history_of_every_change, upsert

pytestmark = pytest.mark.django_db(transaction=True)  # history chains: as committed


@pytest.fixture
def goldens(principals):
    """HW: crm C1 and erp E1 (the same company); JD: erp E2."""
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI, "E2": OTHER})
    hw = golden_record_create(domain="customer", members=[crm["C1"].pk, erp["E1"].pk], change=SETUP)
    jd = golden_record_create(domain="customer", members=[erp["E2"].pk], change=SETUP)
    return hw, jd


def _events(*golden_ids: str) -> list[tuple[str, str]]:
    return sorted(ChangeEvent.objects.filter(golden_id__in=golden_ids).values_list("golden_id", "kind"))


def test_it_merges_on_the_version_seen_with_history_and_events(principals, goldens):
    hw, jd = goldens
    steward, path = principals["steward"], f"/api/v1/golden/customer/{hw.golden_id}/merge"
    stale = steward.post(path, {"version": hw.version + 1, "other": jd.golden_id, "reason": "same"}, format="json")
    assert stale.status_code == 409 and stale.json() == {
        "code": "stale_view", "message": MSG_GOLDEN_STALE.format(golden_id=hw.golden_id, version=hw.version)}
    before = ChangeEvent.objects.count()
    with history_of_every_change("API merge"):
        reply = steward.post(path, {"version": hw.version, "other": jd.golden_id, "reason": "one group"},
                             format="json")
    assert reply.status_code == 200, reply.json()
    survivor = GoldenRecord.objects.get(golden_id=reply.json()["golden_id"])
    retired = GoldenRecord.objects.get(golden_id=({hw.golden_id, jd.golden_id} - {survivor.golden_id}).pop())
    assert survivor.status == "active" and retired.status == "retired" and retired.successor_id == survivor.pk
    assert reply.json()["version"] == survivor.version and survivor.members.count() == 3
    assert ("customer", "golden.retired") in [(e.domain, e.kind) for e in ChangeEvent.objects.all()[before:]]
    assert survivor.history.first().history_actor == "user:steward"


def test_it_refuses_unknown_golden_ids_and_bad_payloads(principals, goldens):
    hw, jd = goldens
    steward = principals["steward"]
    unknown = steward.post("/api/v1/golden/customer/CUS-NOPE/merge", {"version": 1, "other": jd.golden_id},
                           format="json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "golden_not_found"
    other = steward.post(f"/api/v1/golden/customer/{hw.golden_id}/merge", {"version": hw.version, "other": "X"},
                         format="json")
    assert other.status_code == 404 and other.json()["code"] == "golden_not_found"
    bad = steward.post(f"/api/v1/golden/customer/{hw.golden_id}/merge",
                       {"version": "latest", "other": jd.golden_id, "golden_id": "CUS-1", "status": "retired"},
                       format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"version"}
    wrong_domain = steward.post(f"/api/v1/golden/product/{hw.golden_id}/merge",
                                {"version": hw.version, "other": jd.golden_id}, format="json")
    assert wrong_domain.status_code == 403  # a customer steward only
    assert GoldenRecord.objects.filter(status="active").count() == 2


def test_it_splits_members_out_into_a_new_golden_record_or_an_existing_one(principals, goldens):
    hw, jd = goldens
    steward, path = principals["steward"], f"/api/v1/golden/customer/{hw.golden_id}/split"
    erp = [{"system": "erp", "source_key": "E1"}]
    assert steward.post(path, {"version": hw.version, "records": erp}, format="json").json()["code"] == (
        "reason_required")
    outside = steward.post(path, {"version": hw.version, "records": [{"system": "erp", "source_key": "E2"}],
                                  "reason": "namesakes"}, format="json")
    assert outside.status_code == 400 and outside.json()["message"] == f"not live members of {hw.golden_id}: erp:E2"
    missing = steward.post(path, {"version": hw.version, "records": [{"system": "erp", "source_key": "E9"}],
                                  "reason": "namesakes"}, format="json")
    assert missing.status_code == 400 and "erp:E9" in missing.json()["message"]
    empty = steward.post(path, {"version": hw.version, "records": [], "reason": "namesakes"}, format="json")
    assert empty.status_code == 400 and "records.non_field_errors" in empty.json()["errors"]
    with history_of_every_change("API split"):
        reply = steward.post(path, {"version": hw.version, "records": erp, "reason": "namesakes"}, format="json")
    assert reply.status_code == 200, reply.json()
    moved, source = reply.json()["golden"], reply.json()["source"]
    assert source["golden_id"] == hw.golden_id and moved["golden_id"] not in (hw.golden_id, jd.golden_id)
    assert PairConstraint.objects.filter(kind="cannot_link").count() == 1  # no run joins them again
    again = steward.post(path, {"version": hw.version, "records": erp, "reason": "namesakes"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "stale_view"
    into = steward.post(f"/api/v1/golden/customer/{moved['golden_id']}/split",
                        {"version": moved["version"], "records": erp, "reason": "it is JD's", "into": jd.golden_id},
                        format="json")
    assert into.status_code == 409 and into.json()["code"] == "golden_record_invalid"  # its only member


def test_it_sets_and_clears_an_override(principals, goldens):
    hw, _ = goldens
    steward, path = principals["steward"], f"/api/v1/golden/customer/{hw.golden_id}/override"
    body = {"version": hw.version, "attribute": "city", "value": "深圳市", "reason": "the registered address"}
    assert steward.post(path, {**body, "reason": ""}, format="json").json()["code"] == "reason_required"
    assert steward.post(path, {**body, "attribute": "colour"}, format="json").json()["code"] == "golden_record_invalid"
    assert steward.post(path, {**body, "value": "  "}, format="json").json()["code"] == "invalid_input"
    with history_of_every_change("API override"):
        reply = steward.post(path, body, format="json")
    assert reply.status_code == 200 and reply.json()["version"] == hw.version + 1
    hw.refresh_from_db()
    assert hw.overrides["city"]["by"] == "user:steward" and hw.attributes["city"] == "深圳市"
    assert ChangeEvent.objects.filter(golden_id=hw.golden_id, kind="golden.updated").count() == 1
    assert steward.post(path, {**body, "value": None}, format="json").json()["code"] == "stale_view"
    cleared = steward.post(path, {**body, "version": hw.version, "value": None}, format="json")
    assert cleared.status_code == 200
    hw.refresh_from_db()
    assert "city" not in hw.overrides


def _approved(principals, goldens) -> MergeProposal:
    """The steward approves a case joining the two golden records, through the API."""
    hw, jd = goldens
    left, right = sorted(m.pk for m in (hw.members.first(), jd.members.first()))
    proposal = proposal_offer(domain="customer", change=SETUP, candidate=Candidate(
        left=left, right=right, weight=3.0, probability=0.7, evidence=[]))
    reply = principals["steward"].post(f"/api/v1/cases/customer/{proposal.pk}/decision",
                                       {"decision": "approve", "version": case_of(proposal.pk).version},
                                       format="json")
    assert reply.status_code == 200, reply.json()
    return proposal


def test_it_unmerges_an_applied_approval(principals, goldens):
    hw, jd = goldens
    proposal = _approved(principals, goldens)
    path = f"/api/v1/decisions/customer/{proposal.pk}/unmerge"
    assert principals["steward"].post(path, {"reason": " "}, format="json").json()["code"] == "reason_required"
    with history_of_every_change("API unmerge"):
        reply = principals["steward"].post(path, {"reason": "not the same company"}, format="json")
    assert reply.status_code == 200, reply.json()
    assert GoldenRecord.objects.filter(status="active").count() == 2
    revived = reply.json()["revived"]
    assert [g["status"] for g in revived] == ["active"] and revived[0]["golden_id"] in (hw.golden_id, jd.golden_id)
    assert "golden.revived" in [kind for _, kind in _events(revived[0]["golden_id"])]
    again = principals["steward"].post(path, {"reason": "twice"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "proposal_closed"
    assert principals["steward"].post("/api/v1/decisions/customer/999999/unmerge", {"reason": "x"},
                                      format="json").status_code == 404


def test_it_undoes_the_callers_last_decision_only(principals, goldens, second_steward):
    _approved(principals, goldens)
    nothing = second_steward.post("/api/v1/decisions/customer/undo", {"reason": "oops"}, format="json")
    assert nothing.status_code == 409 and nothing.json() == {"code": "proposal_closed",
                                                             "message": "user:second has no decision left to undo"}
    with history_of_every_change("API undo"):
        reply = principals["steward"].post("/api/v1/decisions/customer/undo", {"reason": "oops"}, format="json")
    assert reply.status_code == 200 and reply.json()["decision"] == "approve" and reply.json()["reversed_at"]
    assert GoldenRecord.objects.filter(status="active").count() == 2


def test_an_idempotency_key_replays_a_merge_instead_of_refusing_it_as_stale(principals, goldens):
    hw, jd = goldens
    path, key = f"/api/v1/golden/customer/{hw.golden_id}/merge", {"HTTP_IDEMPOTENCY_KEY": "merge-hw-jd"}
    body = {"version": hw.version, "other": jd.golden_id, "reason": "one group"}
    first = principals["steward"].post(path, body, format="json", **key)
    replay = principals["steward"].post(path, body, format="json", **key)
    assert first.status_code == replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    reused = principals["steward"].post(path, {**body, "reason": "other"}, format="json", **key)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


def test_the_longest_values_the_schema_allows_fit_the_columns(principals, goldens):
    hw, jd = goldens
    steward, long = principals["steward"], "长" * 2000
    split = steward.post(f"/api/v1/golden/customer/{hw.golden_id}/split",
                         {"version": hw.version, "records": [{"system": "erp", "source_key": "E1"}], "reason": long},
                         format="json")
    assert split.status_code == 200, split.json()
    override = steward.post(f"/api/v1/golden/customer/{jd.golden_id}/override",
                            {"version": jd.version, "attribute": "contact", "value": long, "reason": long},
                            format="json")
    assert override.status_code == 200, override.json()
    filed = steward.post("/api/v1/requests/customer", {"values": {"name": "新公司", "address": long}, "note": long},
                         format="json")
    assert filed.status_code == 201, filed.json()
    assert PairConstraint.objects.get().reason == long
