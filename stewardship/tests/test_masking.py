"""Departments and sensitive attributes on the steward and auditor pages: what each user's
HTML holds and does not hold. wang: a customer steward without the sensitive grant; li:
one with it; auditor: sees sensitive values (the auditor role holds them); crm_only: a
customer steward (with the sensitive grant) of a department holding the crm system only;
crm_auditor: an auditor of that department."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mdm.access import MASK, Role, access_grant, department_join, department_set
from mdm.history import Change
from mdm.models import GoldenRecord, MasterDataRequest, MergeProposal, SourceRecord
from mdm.selectors import case_of
from mdm.services.decisions import case_decide
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.services.proposals import Candidate, proposals_apply, proposals_plan
from mdm.tests.factories import HUAWEI, system, upsert
from stewardship.tests.factories import EVIDENCE, SETUP, XIAN, cases, offer, users

CRM_PHONE = "28780000"  # crm's Huawei phone (its digits: shown standardized, +86755...)
ERP_ONLY = {"name": "杭州乙贸易有限公司", "city": "绍兴", "tax_id": "91330100MA27XXXX2B"}
XIAN_PHONE = "88886666"  # as sent 029-88886666, standardized +862988886666
NEW_TAX_ID = "91440300192203821X"


@pytest.fixture
def people(db):
    out = users()
    access_grant(user=out["li"], role=Role.SENSITIVE, domains=["customer"], change=SETUP)
    crm = department_set(code="crm-dept", name="CRM", systems=["crm"], change=SETUP)
    for name, role, domains in (("crm_only", Role.STEWARD, ["customer"]), ("crm_auditor", Role.AUDITOR, [])):
        user = get_user_model().objects.create_user(name, password="x")
        access_grant(user=user, role=role, domains=domains, change=SETUP)
        access_grant(user=user, role=Role.SENSITIVE, domains=["customer"], change=SETUP)
        department_join(user=user, department=crm, change=SETUP)
        out[name] = user
    return out


@pytest.fixture
def data(people):
    return cases()


@pytest.fixture
def login(client, people):
    def as_user(name: str):
        client.force_login(people[name])
        return client

    return as_user


def golden_of(data, key: str) -> str:
    return SourceRecord.objects.get(pk=data.records[key]).golden.golden_id


def case_url(data, a: str, b: str) -> str:
    return reverse("steward:case", args=[case_of(data.proposal(a, b).pk).key])


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- sensitive values ---------------------------------------------------------------------------


def test_a_golden_record_masks_tax_id_and_phone_for_a_steward_without_the_grant(login, data):
    url = reverse("steward:golden", args=[golden_of(data, "erp:XA")])
    page = html(login("wang").get(url))
    assert XIAN["tax_id"] not in page and XIAN_PHONE not in page
    assert MASK in page and XIAN["name"] in page and XIAN["city"] in page
    seen = html(login("li").get(url))
    assert XIAN["tax_id"] in seen and XIAN_PHONE in seen


def test_a_case_masks_cells_raw_values_and_the_merged_preview_but_says_they_differ(login, data):
    url = case_url(data, "erp:HW", "crm:HW")
    response = login("wang").get(url)
    page = html(response)
    for secret in (HUAWEI["tax_id"], "28780808", CRM_PHONE):
        assert secret not in page, secret
    assert MASK in page and HUAWEI["name"] in page
    phone = next(r for r in response.context["view"].rows if r.name == "phone")
    assert phone.differs and all(c.value == MASK and c.raw is None for c in phone.cells if c.value)
    assert {label: value for label, value, _ in response.context["view"].preview}["Phone"] == MASK
    seen = html(login("li").get(url))
    assert HUAWEI["tax_id"] in seen and CRM_PHONE in seen


def test_search_never_finds_a_record_by_a_value_the_user_may_not_see(login, data):
    wang = login("wang")
    for q in (XIAN["tax_id"], XIAN["phone"], XIAN_PHONE):
        assert wang.get(reverse("steward:search"), {"q": q}).context["results"] == [], q
    found = wang.get(reverse("steward:search"), {"q": "西安"})
    assert len(found.context["results"]) == 2
    assert XIAN["tax_id"] not in html(found) and MASK in html(found)
    li = login("li")
    assert len(li.get(reverse("steward:search"), {"q": XIAN["tax_id"]}).context["results"]) == 2
    assert XIAN["tax_id"] in html(li.get(reverse("steward:search"), {"q": "西安"}))


def test_a_request_masks_its_values_and_hides_duplicates_another_department_holds(login, data):
    filed = login("li").post(reverse("steward:request"), {"domain": "customer", **XIAN})
    assert filed.status_code == 302
    page = html(login("wang").get(filed.url))
    assert XIAN["tax_id"] not in page and XIAN_PHONE not in page and MASK in page
    assert golden_of(data, "erp:XA") in page and golden_of(data, "crm:XA") in page
    assert XIAN["tax_id"] in html(login("li").get(filed.url))
    crm_page = html(login("crm_only").get(filed.url))
    assert golden_of(data, "crm:XA") in crm_page and golden_of(data, "erp:XA") not in crm_page
    linked = login("crm_only").post(filed.url, {"action": "link", "golden_id": golden_of(data, "erp:XA"),
                                                "reason": "dup"})
    assert linked.status_code == 404 and MasterDataRequest.objects.get().status == "pending"


# --- departments ----------------------------------------------------------------------------------


def test_another_departments_records_are_not_found_by_url(login, data):
    crm = login("crm_only")
    assert crm.get(reverse("steward:golden", args=[golden_of(data, "erp:HW")])).status_code == 404
    assert crm.get(case_url(data, "erp:JD", "crm:JD")).status_code == 404
    assert crm.get(reverse("steward:golden", args=[golden_of(data, "crm:HW")])).status_code == 200
    assert crm.get(reverse("steward:queue")).context["work"].cases == []
    found = crm.get(reverse("steward:search"), {"q": "华为"}).context["results"]
    assert [f.golden_id for f in found] == [golden_of(data, "crm:HW")]
    assert crm.get(reverse("steward:search"), {"q": "HW"}).context["results"] == found  # a key: crm's only
    other = golden_of(data, "erp:HW")
    merge = crm.post(reverse("steward:golden", args=[golden_of(data, "crm:HW")]),
                     {"action": "merge", "other": other, "reason": "same", "version": 1})
    assert merge.status_code == 404  # as for an ID that does not exist:
    unknown = crm.post(reverse("steward:golden", args=[golden_of(data, "crm:HW")]),
                       {"action": "merge", "other": "CUST-9999999", "reason": "same", "version": 1})
    assert unknown.status_code == 404
    said = [str(m).replace(other, "?") for m in merge.context["messages"]]
    assert said == [str(m).replace("CUST-9999999", "?") for m in unknown.context["messages"]]
    assert GoldenRecord.objects.get(golden_id=other).status == "active"


def test_another_departments_records_are_not_decided_split_or_unmerged_through_a_form(login, data):
    crm = login("crm_only")
    other = golden_of(data, "erp:HW")
    jd_case = case_of(data.proposal("erp:JD", "crm:JD").pk)
    bulk = crm.post(reverse("steward:queue"), {"case": [jd_case.key], f"version-{jd_case.key}": jd_case.version,
                                               "decision": "approve", "reason": ""})
    assert bulk.status_code == 409 and f"no case {jd_case.key}" in bulk.content.decode()
    assert case_of(jd_case.key).key == jd_case.key  # still open
    hw = GoldenRecord.objects.get(golden_id=golden_of(data, "crm:HW"))
    unmerge = crm.post(reverse("steward:golden", args=[hw.golden_id]),
                       {"action": "unmerge", "proposal": jd_case.proposals[0].pk, "reason": "x", "version": 1})
    assert unmerge.status_code == 404
    # a golden ID retired into one the department sees leads there, as in the API
    crm_hw = GoldenRecord.objects.get(golden_id=golden_of(data, "crm:HW"))
    golden_record_merge(survivor=crm_hw, retired=[GoldenRecord.objects.get(golden_id=other)], change=SETUP)
    moved = crm.get(reverse("steward:golden", args=[other]))
    assert moved.status_code == 302 and moved.url == reverse("steward:golden", args=[crm_hw.golden_id])
    crm_hw.refresh_from_db()
    split = crm.post(reverse("steward:golden", args=[crm_hw.golden_id]),
                     {"action": "split", "member": [data.records["erp:HW"]], "reason": "x", "version": crm_hw.version})
    assert split.status_code != 302 and golden_of(data, "erp:HW") == crm_hw.golden_id  # erp's member stays
    # the same case for a steward of no department; decided, it is still another department's
    jd = case_of(data.proposal("erp:JD", "crm:JD").pk)
    assert login("wang").get(reverse("steward:case", args=[jd.key])).status_code == 200
    case_decide(proposals=[p.pk for p in jd.proposals], decision="reject", reason="different", seen=jd.version,
                change=SETUP)
    closed = reverse("steward:case", args=[jd.proposals[0].pk])
    assert login("wang").get(closed).status_code == 200
    assert login("crm_only").get(closed).status_code == 404


def test_a_golden_record_across_departments_shows_the_visible_members_and_their_values(login, db, people):
    erp_key = "ERP-KEY-0417"  # a key no random token on the page can hold by chance (a CSRF token once held "E1")
    erp, crm = system("erp"), system("crm")
    upsert(erp, "customer", {erp_key: ERP_ONLY})
    upsert(crm, "customer", {"C1": {"name": "杭州乙贸易公司"}})
    pks = list(SourceRecord.objects.order_by("id").values_list("pk", flat=True))
    golden = golden_record_create(domain="customer", members=pks, change=SETUP)
    response = login("crm_only").get(reverse("steward:golden", args=[golden.golden_id]))
    page = html(response)
    assert "C1" in page and erp_key not in page and "erp:" not in page
    assert ERP_ONLY["city"] not in page and ERP_ONLY["tax_id"] not in page  # erp's values: masked
    assert [m.source_key for m in response.context["view"].members] == ["C1"]
    everything = html(login("li").get(reverse("steward:golden", args=[golden.golden_id])))
    assert erp_key in everything and ERP_ONLY["city"] in everything
    # a case between two crm records: crm's to see, but the merged preview holds erp's values
    other = upsert(crm, "customer", {"C2": {"name": "杭州乙贸易"}})["C2"]
    golden_record_create(domain="customer", members=[other.pk], change=SETUP)
    offer(pks[1], other.pk, 0.7)
    case = case_of(MergeProposal.objects.get(right_id=other.pk).pk)
    page = html(login("crm_only").get(reverse("steward:case", args=[case.key])))
    assert erp_key not in page and ERP_ONLY["city"] not in page and ERP_ONLY["tax_id"] not in page
    assert ERP_ONLY["city"] in html(login("li").get(reverse("steward:case", args=[case.key])))


# --- the auditors' pages ----------------------------------------------------------------------------


@pytest.fixture
def changed(data, people):
    """crm's Huawei record got a new tax id: a version whose diff names both tax ids."""
    upsert(system("crm"), "customer", {"HW": {**HUAWEI, "tax_id": NEW_TAX_ID}},
           change=Change.by_system("crm", "nightly CRM export"))
    return SourceRecord.objects.get(pk=data.records["crm:HW"])


def test_the_record_history_and_its_diff_show_tax_ids_to_an_auditor(login, changed):
    auditor = login("auditor")
    url = reverse("steward:audit-record", args=["source", changed.pk])
    versions = auditor.get(url).context["versions"]
    diff = html(auditor.get(url, {"left": versions[0].history_id, "right": versions[-1].history_id}))
    assert HUAWEI["tax_id"] in diff and NEW_TAX_ID in diff


def test_a_department_auditor_reads_only_its_systems_history(login, data, changed):
    crm = login("crm_auditor")
    erp_record = data.records["erp:HW"]
    assert crm.get(reverse("steward:audit-record", args=["source", erp_record])).status_code == 404
    golden = SourceRecord.objects.get(pk=erp_record).golden
    assert crm.get(reverse("steward:audit-record", args=["golden", golden.pk])).status_code == 404
    assert crm.get(reverse("steward:audit-record", args=["source", changed.pk])).status_code == 200
    log = crm.get(reverse("steward:audit-log"), {"kind": "source"})
    assert {e.record.split(":")[0] for e in log.context["entries"]} == {"crm"}
    assert "erp:HW" not in html(log)
    crm_golden = changed.golden
    as_of = crm.get(reverse("steward:audit-record", args=["golden", crm_golden.pk]),
                    {"as_of": "2100-01-01T00:00"}).context["state"]
    assert as_of.member_keys == {"crm:HW"}
    export = crm.get(reverse("steward:audit-export", args=["csv"]), {"kind": "source"})
    assert export.status_code == 200


def test_an_audit_export_of_a_department_auditor_leaves_other_systems_out(login, data, changed):
    crm = login("crm_auditor")
    archive = zipfile.ZipFile(io.BytesIO(crm.get(reverse("steward:audit-export", args=["csv"])).content))
    text = archive.read("history.csv").decode("utf-8-sig")
    manifest = json.loads(archive.read("manifest.json"))
    assert "crm:HW" in text and "erp:HW" not in text and "forms:HW" not in text
    assert manifest["viewer"] == {"user": "crm_auditor", "systems": ["crm"], "masked": {}}
    assert NEW_TAX_ID in text  # the department's auditor holds the sensitive grant


def test_the_admins_record_pages_are_for_auditors_of_no_department(login, people, data):
    for name in ("auditor", "crm_auditor"):
        people[name].is_staff = True
        people[name].save(update_fields=["is_staff"])
    url = reverse("admin:mdm_sourcerecord_changelist")
    assert login("auditor").get(url).status_code == 200
    assert login("crm_auditor").get(url).status_code == 403
    assert login("crm_auditor").get(reverse("steward:audit-log")).status_code == 200


def test_a_case_shows_no_comment_of_a_proposal_with_a_record_of_an_unseen_system(login, data):
    """A comment kept on a withdrawn proposal shows in the case of its records still
    proposed; a steward of a department that does not see the withdrawn proposal's other
    record (a proposal is seen when both its records are) does not read what was written
    about it."""
    login("wang").post(case_url(data, "erp:JD", "crm:JD"), {"action": "comment", "text": "ERP 的电话是 0755-1234"})
    left, right = sorted((data.records["crm:JD"], data.records["crm:XA"]))
    proposals_apply(plan=proposals_plan(domain="customer", wanted=[Candidate(
        left=left, right=right, weight=6.7, probability=0.6, evidence=EVIDENCE)]), run=None, change=SETUP)
    url = case_url(data, "crm:JD", "crm:XA")
    assert "ERP 的电话" in html(login("wang").get(url))  # it sees both records of the withdrawn one
    assert "ERP 的电话" not in html(login("crm_only").get(url))
    answer = login("crm_only").get(f"/api/v1/cases/customer/{case_of(data.proposal('crm:JD', 'crm:XA').pk).key}")
    assert answer.status_code == 200 and answer.json()["comments"] == []
