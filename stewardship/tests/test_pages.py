"""The steward pages through Django's test client: the queue of cases, a case, a golden
record and its fixes, search, access by grant, the login throttle."""

from __future__ import annotations

import logging
import os
import re
import stat

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from matching.calibration import MSG_MODEL
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MasterDataRequest, MergeProposal
from mdm.selectors import case_of, case_work
from mdm.services.proposals import Candidate, proposal_offer, proposals_apply, proposals_plan
from mdm.tests.factories import assert_invariants, xref
from mdm.visibility import EVERYTHING
from stewardship.tests.factories import PASSWORD, cases, offer, users

QUEUE = reverse("steward:queue")


@pytest.fixture
def people(db):
    return users()


@pytest.fixture
def data(people):
    return cases()


@pytest.fixture
def wang(client, people):
    client.force_login(people["wang"])
    return client


def case_url(data, a: str, b: str) -> str:
    return reverse("steward:case", args=[case_of(data.proposal(a, b).pk).key])


def test_it_lists_cases_with_names_and_system_codes_by_priority(wang, data):
    page = wang.get(QUEUE)
    html = page.content.decode()
    assert page.status_code == 200
    work = page.context["work"]
    assert [len(i.case.proposals) for i in work.cases] == [2, 1, 1] and work.counts["customer"] == 3
    assert "华为技术有限公司" in html and "erp:HW" in html and not re.search(r"customer:\d+:", html)
    assert [i.case.probability for i in work.cases][1:] == [0.62, 0.7]  # least certain first (HW holds 0.55)
    high = wang.get(QUEUE, {"band": "high"}).context["work"].cases
    assert [i.case.probability for i in high] == [0.93]
    assert [len(i.case.proposals) for i in wang.get(QUEUE, {"system": "forms"}).context["work"].cases] == [2]


def test_a_case_shows_the_records_side_by_side_evidence_and_the_merged_record(wang, data):
    page = wang.get(case_url(data, "erp:HW", "crm:HW"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<svg class="waterfall"') == 2 and "tax_id · else" in html
    view = page.context["view"]
    assert len(view.records) == 3
    phone = next(r for r in view.rows if r.name == "phone")
    assert phone.differs and any(c.differs for c in phone.cells)
    assert any(label == "Name" for label, _, _ in view.preview)


def test_the_queue_and_a_case_name_the_calibration_of_each_probability(wang, data):
    fitted = "12 steward decisions (3 approved): p = sigmoid(-1.50 + 0.80·w·ln2)"
    proposal = data.proposal("erp:JD", "crm:JD")
    proposal_offer(domain="customer", change=Change(actor="test", reason="rescored"), candidate=Candidate(
        left=proposal.left_id, right=proposal.right_id, weight=proposal.weight, probability=0.31,
        evidence=proposal.evidence, calibration=fitted))
    html = wang.get(case_url(data, "erp:JD", "crm:JD")).content.decode()
    assert "0.310" in html and f'<span class="muted calibration">({fitted})</span>' in html
    queue = wang.get(QUEUE).content.decode()
    assert f'title="{fitted}">0.31</span>' in queue


def test_it_approves_on_the_version_seen_and_refuses_a_stale_page(wang, client, data, people):
    url = case_url(data, "erp:JD", "crm:JD")
    version = case_of(data.proposal("erp:JD", "crm:JD").pk).version
    stale = wang.post(url, {"action": "approve", "version": "0" * 16})
    assert stale.status_code == 409 and "changed since you opened it" in stale.content.decode()
    assert stale.context["case"].version == version  # the refreshed view

    done = wang.post(url, {"action": "approve", "version": version})

    assert done.status_code == 302
    assert xref()[data.records["erp:JD"]] == xref()[data.records["crm:JD"]]
    again = wang.post(url, {"action": "approve", "version": version})  # a second steward on the old page
    assert again.status_code == 200 and "no longer waiting" in again.content.decode()
    assert_invariants()


def test_a_rejection_needs_a_reason(wang, data):
    url = case_url(data, "erp:XA", "crm:XA")
    version = case_of(data.proposal("erp:XA", "crm:XA").pk).version
    refused = wang.post(url, {"action": "reject", "version": version, "reason": " "})
    assert refused.status_code == 400 and "needs a reason" in refused.content.decode()
    assert wang.post(url, {"action": "reject", "version": version, "reason": "two companies"}).status_code == 302
    assert data.proposal("erp:XA", "crm:XA").decision == "reject"


def test_bulk_decisions_apply_to_the_selected_cases(wang, data):
    keys = [i.case for i in wang.get(QUEUE).context["work"].cases[:2]]
    post = {"case": [c.key for c in keys], "decision": "reject", "reason": ""}
    post.update({f"version-{c.key}": c.version for c in keys})
    refused = wang.post(QUEUE, post)
    assert refused.status_code == 409 and len(refused.context["work"].cases) == 3
    post["reason"] = "different companies"
    assert wang.post(QUEUE, post).status_code == 200
    assert MergeProposal.objects.filter(decision="reject").count() == sum(len(c.proposals) for c in keys)


def test_claiming_assigning_commenting_and_deferring(wang, client, data, people):
    url = case_url(data, "erp:JD", "crm:JD")
    assert wang.post(url, {"action": "claim"}).status_code == 200
    client.force_login(people["li"])
    taken = client.post(url, {"action": "claim"})
    assert taken.status_code == 409 and "being worked on by wang" in taken.content.decode()
    assert client.post(url, {"action": "comment", "text": "电话不一致"}).status_code == 200
    assert "电话不一致" in client.get(url).content.decode()
    assert [i.assignee for i in client.get(QUEUE, {"assignee": "none"}).context["work"].cases] == ["", ""]
    client.post(url, {"action": "assign", "assignee": "li"})
    assert len(client.get(QUEUE, {"assignee": "me"}).context["work"].cases) == 1
    assert client.post(url, {"action": "defer", "days": 3, "reason": "ask sales"}).status_code == 302
    work = client.get(QUEUE).context["work"]
    assert len(work.cases) == 2 and work.deferred == 1
    assert len(client.get(QUEUE, {"status": "deferred"}).context["work"].cases) == 1


def test_a_golden_record_shows_lineage_members_and_is_fixed_by_hand(wang, data):
    a, b = data.records["erp:HW"], data.records["crm:HW"]
    proposal = data.proposal("erp:HW", "crm:HW")
    wang.post(case_url(data, "erp:HW", "crm:HW"), {"action": "approve",
                                                    "version": case_of(proposal.pk).version})
    golden = GoldenRecord.objects.get(golden_id=xref()[a])
    page = wang.get(reverse("steward:golden", args=[golden.golden_id]))
    html = page.content.decode()
    assert "Name" in html and f'id="member-{a}"' in html and f'id="member-{b}"' in html
    assert re.search(r'system <strong>\w+</strong>, record <a href="#member-\d+">HW</a>, field <code>name</code>', html)
    assert "name__core" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert f"proposal {proposal.pk} approved" in html
    url = reverse("steward:golden", args=[golden.golden_id])
    refused = wang.post(url, {"action": "override", "version": golden.version, "attribute": "phone",
                              "value": "0755-11112222", "reason": ""})
    assert refused.status_code == 400
    wang.post(url, {"action": "override", "version": golden.version, "attribute": "phone", "value": "0755-11112222",
                    "reason": "confirmed by phone"})
    golden.refresh_from_db()
    assert golden.overrides["phone"]["reason"] == "confirmed by phone"
    stale = wang.post(url, {"action": "split", "version": golden.version - 1, "member": [b], "reason": "x"})
    assert stale.status_code == 409
    before = set(xref().values())
    # unmerge: the earlier golden IDs come back
    retired = set(GoldenRecord.objects.filter(status="retired").values_list("golden_id", flat=True))
    back = wang.post(url, {"action": "unmerge", "proposal": proposal.pk, "reason": "two branches"})
    assert back.status_code == 302 and back.url in {reverse("steward:golden", args=[r]) for r in retired}
    assert retired <= set(xref().values()) and not retired & before
    timeline = wang.get(back.url).content.decode()
    assert "unmerge proposal" in timeline and "active again" in timeline
    assert_invariants()


def test_search_finds_by_name_phone_and_tax_id(client, people, data):
    client.force_login(people["auditor"])  # who sees sensitive values (see test_masking for who does not)
    for q in ("西安", "029-88886666", "91610131MA6TXXXX1Q", "华为"):
        results = client.get(reverse("steward:search"), {"q": q}).context["results"]
        assert results, q
    assert client.get(reverse("steward:search"), {"q": "上海不存在"}).context["results"] == []


def test_access_follows_the_grants(client, data, people, caplog):
    url = case_url(data, "erp:JD", "crm:JD")
    version = case_of(data.proposal("erp:JD", "crm:JD").pk).version
    client.force_login(people["auditor"])
    assert client.get(url).status_code == 200
    with caplog.at_level(logging.WARNING, logger="django.request"):
        denied = client.post(url, {"action": "approve", "version": version})
    assert denied.status_code == 403 and "may not decide" in denied.content.decode()
    client.force_login(people["zhao"])  # a product steward
    assert client.get(url).status_code == 403
    assert client.get(QUEUE).context["work"].cases == []
    client.force_login(people["outsider"])
    page = client.get(reverse("steward:search"), {"q": "华为"})
    assert page.status_code == 403 and "华为" not in page.content.decode()
    client.logout()
    assert client.get(QUEUE).status_code == 302


def test_the_admin_refuses_a_change_with_403(client, people):
    client.force_login(people["outsider"])
    assert client.get(reverse("admin:mdm_sourcerecord_add")).status_code == 403


@pytest.fixture
def throttle():
    """The failure counts live in the cache: each test starts and ends without any."""
    cache.clear()
    yield
    cache.clear()


def test_logins_are_throttled_after_repeated_failures(client, people, throttle):
    url = reverse("steward:login")
    for _ in range(settings.MDM_LOGIN_MAX_FAILURES):
        assert client.post(url, {"username": "wang", "password": "wrong"}).status_code == 200
    refused = client.post(url, {"username": "wang", "password": PASSWORD})
    assert "Too many failed logins" in refused.content.decode() and "_auth_user_id" not in client.session
    admin_login = client.post(reverse("admin:login"), {"username": "wang", "password": PASSWORD})
    assert "Too many failed logins" in admin_login.content.decode()
    assert client.post(url, {"username": "li", "password": PASSWORD}).status_code == 302


def test_the_admin_view_site_link_leads_to_the_steward_app(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'href="/steward/"' in html
    assert admin_client.get("/steward/").status_code == 200


def test_data_files_are_private():
    assert stat.S_IMODE(os.stat(settings.DATA_DIR).st_mode) == 0o700
    path = settings.DATA_DIR / "probe.txt"
    path.write_text("x")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.unlink()


def test_a_new_customer_request_is_checked_searched_and_approved_or_linked(wang, data):
    from_form = {"domain": "customer", "name": "华为技术有限公司", "tax_id": "914403001922038216", "note": "新客户"}
    filed = wang.post(reverse("steward:request"), from_form)
    assert filed.status_code == 302
    request = MasterDataRequest.objects.get()
    huawei = xref()[data.records["erp:HW"]]
    assert request.candidates[0]["golden_id"] == huawei and "tax_id" in request.candidates[0]["why"]
    page = wang.get(filed.url).content.decode()
    assert huawei in page and "same tax_id" in page
    linked = wang.post(filed.url, {"action": "link", "golden_id": huawei, "reason": "duplicate"})
    assert linked.status_code == 302 and MasterDataRequest.objects.get().status == "linked"

    invalid_uscc = "91440300MA5XXXXXX1"
    bad = wang.post(reverse("steward:request"), {"domain": "customer", "name": "深圳新公司", "tax_id": invalid_uscc})
    fresh = MasterDataRequest.objects.get(status="pending")
    assert bad.status_code == 302 and fresh.issues.get("tax_id") and fresh.candidates == []
    assert wang.post(bad.url, {"action": "reject", "reason": ""}).status_code == 400
    events = ChangeEvent.objects.count()
    approved = wang.post(bad.url, {"action": "approve"})
    fresh.refresh_from_db()
    assert fresh.status == "approved" and approved.url == reverse("steward:golden", args=[fresh.golden.golden_id])
    assert fresh.golden.golden_id.startswith("CUST-") and fresh.golden.members.get().system.code == "requests"
    assert ChangeEvent.objects.filter(kind="golden.created", golden_id=fresh.golden.golden_id).count() == 1
    assert ChangeEvent.objects.count() > events
    assert wang.post(bad.url, {"action": "approve"}).status_code == 409
    assert wang.post(reverse("steward:request"), {"domain": "customer", "name": ""}).status_code == 400
    assert_invariants()


def test_only_granted_users_request(client, people):
    client.force_login(people["auditor"])
    assert client.get(reverse("steward:request")).status_code == 403
    client.force_login(people["zhao"])
    assert client.post(reverse("steward:request"), {"domain": "customer", "name": "x公司"}).status_code == 403


def test_the_four_eyes_rule_needs_a_second_steward_for_a_large_merge(wang, client, data, people, settings):
    settings.MDM_FOUR_EYES = {"customer": 2}
    url = case_url(data, "erp:HW", "crm:HW")  # three records: above the limit
    version = case_of(data.proposal("erp:HW", "crm:HW").pk).version
    first = wang.post(url, {"action": "approve", "version": version})
    assert first.status_code == 200 and "second steward must approve" in first.content.decode()
    assert len(set(xref().values())) == 7  # nothing merged yet
    again = wang.post(url, {"action": "approve", "version": version})
    assert again.status_code == 409 and "you approved this case first" in again.content.decode()
    client.force_login(people["li"])
    assert client.post(url, {"action": "approve", "version": version}).status_code == 302
    assert len({xref()[data.records[k]] for k in ("erp:HW", "crm:HW", "forms:HW")}) == 1
    small = case_url(data, "erp:JD", "crm:JD")  # two records with one tax id: one approval is enough
    assert client.post(small, {"action": "approve",
                               "version": case_of(data.proposal("erp:JD", "crm:JD").pk).version}).status_code == 302
    assert_invariants()


def test_the_admin_shows_records_to_auditors_and_admins_only(client, data, people):
    url = reverse("admin:mdm_sourcerecord_changelist")
    client.force_login(people["outsider"])  # staff, no grant
    assert client.get(url).status_code == 403
    people["auditor"].is_staff = True
    people["auditor"].save()
    client.force_login(people["auditor"])
    assert client.get(url).status_code == 200


def test_proposals_a_run_withdrew_are_listed_with_their_reason(wang, data):
    jd = data.proposal("erp:JD", "crm:JD")
    proposals_apply(plan=proposals_plan(domain="customer", wanted=[]), run=None,
                    change=Change(actor="test", reason="a run"))
    page = wang.get(QUEUE, {"status": "superseded"})
    assert page.context["work"].cases == [] and jd in page.context["superseded"]
    assert "no longer between the thresholds" in page.content.decode()


def test_the_models_own_calibration_is_named_in_the_stewards_language(wang, data):
    proposal = data.proposal("erp:JD", "crm:JD")
    proposal_offer(domain="customer", change=Change(actor="test", reason="rescored"), candidate=Candidate(
        left=proposal.left_id, right=proposal.right_id, weight=proposal.weight, probability=0.31,
        evidence=proposal.evidence, calibration=MSG_MODEL))
    chinese = wang.get(case_url(data, "erp:JD", "crm:JD"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "(未校准：模型自身的概率" in chinese and MSG_MODEL not in chinese
    assert "title=\"未校准" in wang.get(QUEUE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_comment_stays_with_its_case_when_a_run_withdraws_the_proposal_it_was_written_on(wang, data):
    """Comments are stored on the case's first proposal; a run that withdraws that one and
    keeps the rest of the case must not hide what the stewards wrote."""
    first, rest = data.proposal("erp:HW", "crm:HW"), data.proposal("crm:HW", "forms:HW")
    wang.post(case_url(data, "erp:HW", "crm:HW"), {"action": "comment", "text": "电话不一致"})
    kept = [p for p in MergeProposal.objects.filter(status=MergeProposal.Status.PENDING) if p.pk != first.pk]
    proposals_apply(plan=proposals_plan(domain="customer", wanted=[
        Candidate(left=p.left_id, right=p.right_id, weight=p.weight, probability=p.probability,
                  evidence=p.evidence) for p in kept]), run=None, change=Change(actor="test", reason="a run"))
    first.refresh_from_db()
    assert first.status == MergeProposal.Status.SUPERSEDED and [p.pk for p in case_of(rest.pk).proposals] == [rest.pk]
    assert "电话不一致" in wang.get(case_url(data, "crm:HW", "forms:HW")).content.decode()
    assert [c.text for c in case_work(case_of(rest.pk), seen=EVERYTHING.pairs).comments] == ["电话不一致"]


def test_a_decided_cases_comments_stay_with_it_when_one_of_its_records_is_proposed_again(wang, data):
    """A steward's note on a case that was decided (these two are different companies) is
    about that pair: a later case that proposes one of its records with another does not
    show it as its own."""
    url = case_url(data, "erp:XA", "crm:XA")
    wang.post(url, {"action": "comment", "text": "两家公司，税号不同"})
    version = case_of(data.proposal("erp:XA", "crm:XA").pk).version
    assert wang.post(url, {"action": "reject", "version": version, "reason": "two companies"}).status_code == 302
    offer(data.records["crm:XA"], data.records["erp:JD"], 0.6)
    later = case_of(data.proposal("crm:XA", "erp:JD").pk)
    assert case_work(later, seen=EVERYTHING.pairs).comments == []
    assert "两家公司" not in wang.get(case_url(data, "crm:XA", "erp:JD")).content.decode()
