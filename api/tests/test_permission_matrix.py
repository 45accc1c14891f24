"""Every endpoint x every role, with the exact outcome: anonymous, a steward (customer), an
auditor, an admin, the CRM (the system that owns the records), the ERP (another system of
the domain), MES (a system granted another domain only), a customer steward of another
department, and a user without a grant. The inbound webhook is authenticated by its
signature alone (test_inbound)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_revoke, webhook_subscribe
from api.tests.conftest import SETUP
from api.throttling import PerTokenThrottle
from mdm.history import Change
from mdm.models import GoldenRecord, MergeProposal
from mdm.selectors import case_of
from mdm.services.decisions import case_decide
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.services.requests import master_data_request_submit
from mdm.tests.factories import HUAWEI, OTHER, upsert

ROLES = ["anonymous", "steward", "auditor", "admin", "crm", "erp", "mes", "east", "outsider"]
RECORD = {"attributes": HUAWEI}


def outcomes(statuses: str) -> dict[str, int]:
    """The statuses in ROLES order: anonymous steward auditor admin crm erp mes east outsider."""
    return dict(zip(ROLES, map(int, statuses.split()), strict=True))


# endpoint: (method, path, body, {role: status}); {golden} and {hook} are filled in per test
MATRIX = {
    "schema": ("get", "/api/v1/schema/", None, outcomes("200 200 200 200 200 200 200 200 200")),
    "docs": ("get", "/api/v1/docs/", None, outcomes("200 200 200 200 200 200 200 200 200")),
    "xref": ("get", "/api/v1/xref/customer/crm/C1", None,
             outcomes("401 200 200 200 200 200 403 404 403")),
    "xref lookup": ("post", "/api/v1/xref/customer/lookup", {"keys": [{"system": "crm", "source_key": "C1"}]},
                    outcomes("401 200 200 200 200 200 403 200 403")),
    "golden keys": ("get", "/api/v1/xref/customer/golden/{golden}", None,
                    outcomes("401 200 200 200 200 200 403 404 403")),
    "golden list": ("get", "/api/v1/golden/customer", None,
                    outcomes("401 200 200 200 200 200 403 200 403")),
    "golden": ("get", "/api/v1/golden/customer/{golden}", None,
               outcomes("401 200 200 200 200 200 403 404 403")),
    "records in": ("post", "/api/v1/records/customer", {"records": [{"source_key": "C1", **RECORD}]},
                   outcomes("401 403 403 403 200 200 403 403 403")),
    "record read": ("get", "/api/v1/records/customer/C1", None,
                    outcomes("401 403 403 403 200 404 403 403 403")),
    "record put": ("put", "/api/v1/records/customer/C1", RECORD,
                   outcomes("401 403 403 403 200 200 403 403 403")),
    "record delete": ("delete", "/api/v1/records/customer/C1", None,
                      outcomes("401 403 403 403 200 404 403 403 403")),
    "search": ("post", "/api/v1/search/customer", RECORD,
               outcomes("401 200 200 200 200 200 403 200 403")),
    "golden history": ("get", "/api/v1/history/golden/customer/{golden}", None,
                       outcomes("401 403 200 200 403 403 403 403 403")),
    "record history": ("get", "/api/v1/history/records/customer/crm/C1", None,
                       outcomes("401 403 200 200 403 403 403 403 403")),
    "cases": ("get", "/api/v1/cases/customer", None, outcomes("401 200 200 200 403 403 403 200 403")),
    "case": ("get", "/api/v1/cases/customer/{case}", None, outcomes("401 200 200 200 403 403 403 404 403")),
    "case decision": ("post", "/api/v1/cases/customer/{case}/decision",
                      {"decision": "reject", "reason": "namesakes", "version": "{version}"},
                      outcomes("401 200 403 200 403 403 403 404 403")),
    "case claim": ("post", "/api/v1/cases/customer/{case}/claim", None,
                   outcomes("401 200 403 200 403 403 403 404 403")),
    "case release": ("post", "/api/v1/cases/customer/{case}/release", None,
                     outcomes("401 200 403 200 403 403 403 404 403")),
    "case comment": ("post", "/api/v1/cases/customer/{case}/comments", {"text": "call them"},
                     outcomes("401 201 403 201 403 403 403 404 403")),
    "golden merge": ("post", "/api/v1/golden/customer/{golden}/merge",
                     {"version": "{version_golden}", "other": "{erp_golden}", "reason": "the same"},
                     outcomes("401 200 403 200 403 403 403 404 403")),
    "golden split": ("post", "/api/v1/golden/customer/{merged}/split",
                     {"version": "{version_merged}", "records": [{"system": "erp", "source_key": "E2"}],
                      "reason": "namesakes"},
                     outcomes("401 200 403 200 403 403 403 200 403")),
    "golden override": ("post", "/api/v1/golden/customer/{golden}/override",
                        {"version": "{version_golden}", "attribute": "city", "value": "深圳", "reason": "registry"},
                        outcomes("401 200 403 200 403 403 403 404 403")),
    "unmerge": ("post", "/api/v1/decisions/customer/{approved}/unmerge", {"reason": "not the same"},
                outcomes("401 200 403 200 403 403 403 404 403")),
    "undo": ("post", "/api/v1/decisions/customer/undo", {"reason": "oops"},
             outcomes("401 200 403 409 403 403 403 409 403")),
    "requests": ("get", "/api/v1/requests/customer", None, outcomes("401 200 200 200 200 200 403 200 403")),
    "request in": ("post", "/api/v1/requests/customer", {"values": {"name": "深圳新科技有限公司"}},
                   outcomes("401 201 403 201 403 403 403 201 403")),
    "request": ("get", "/api/v1/requests/customer/{request}", None,
                outcomes("401 200 200 200 404 404 403 200 403")),
    "request decision": ("post", "/api/v1/requests/customer/{request}/decision", {"action": "reject", "reason": "no"},
                         outcomes("401 200 403 200 403 403 403 200 403")),
    "changes": ("get", "/api/v1/changes", None,
                outcomes("401 403 200 200 200 200 200 403 403")),
    "webhooks": ("get", "/api/v1/webhooks", None,
                 outcomes("401 403 200 200 200 200 200 403 403")),
    "subscribe": ("post", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"},
                  outcomes("401 403 403 403 201 201 201 403 403")),
    "webhook": ("get", "/api/v1/webhooks/{hook}", None,
                outcomes("401 403 200 200 200 404 404 403 403")),
    "unsubscribe": ("delete", "/api/v1/webhooks/{hook}", None,
                    outcomes("401 403 403 200 200 404 404 403 403")),
    "deliveries": ("get", "/api/v1/webhooks/{hook}/deliveries", None,
                   outcomes("401 403 200 200 200 404 404 403 403")),
}
CASES = [(endpoint, role) for endpoint in MATRIX for role in ROLES]


@pytest.fixture
def world(principals, customer_model):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})["C1"]
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})["E1"]
    golden = golden_record_create(domain="customer", members=[crm.pk], change=SETUP)
    erp_golden = golden_record_create(domain="customer", members=[erp.pk], change=SETUP)
    left, right = sorted((crm.pk, erp.pk))
    case = proposal_offer(domain="customer", change=SETUP,
                          candidate=Candidate(left=left, right=right, weight=6.7, probability=0.9, evidence=[]))
    hook = webhook_subscribe(system=principals.systems["crm"], url="http://127.0.0.1:9/hook", kinds=[], domains=[],
                             change=SETUP)
    approved, merged = _approved_by_the_steward(principals)
    request = master_data_request_submit(domain="customer", values={"name": "深圳新科技有限公司"}, candidates=[],
                                         change=SETUP)
    golden.refresh_from_db()
    return principals, {"golden": golden.golden_id, "hook": hook.pk, "case": case.pk,
                        "version": case_of(case.pk).version, "version_golden": str(golden.version),
                        "erp_golden": erp_golden.golden_id, "approved": approved.pk, "merged": merged.golden_id,
                        "version_merged": str(merged.version), "request": request.pk}


def _approved_by_the_steward(principals) -> tuple[MergeProposal, GoldenRecord]:
    """crm C2 and erp E2 merged by the steward's approval (which the steward may undo)."""
    crm = upsert(principals.systems["crm"], "customer", {"C2": OTHER})["C2"]
    erp = upsert(principals.systems["erp"], "customer", {"E2": OTHER})["E2"]
    for record in (crm, erp):
        golden_record_create(domain="customer", members=[record.pk], change=SETUP)
    left, right = sorted((crm.pk, erp.pk))
    proposal = proposal_offer(domain="customer", change=SETUP,
                              candidate=Candidate(left=left, right=right, weight=3.0, probability=0.7, evidence=[]))
    case_decide(proposals=[proposal.pk], decision="approve", reason="", seen=case_of(proposal.pk).version,
                change=Change(actor="user:steward", reason="setup"))
    return proposal, GoldenRecord.objects.get(members=crm)


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_every_endpoint_answers_every_role_exactly(world, endpoint, role):
    principals, ids = world
    method, path, body, expected = MATRIX[endpoint]
    if body is not None:
        body = {k: v.format(**ids) if isinstance(v, str) and k != "value" else v for k, v in body.items()}
    reply = getattr(principals[role], method)(path.format(**ids), body, format="json")
    assert reply.status_code == expected[role], getattr(reply, "data", reply.content)
    if reply.status_code >= 400:
        assert set(reply.json()) >= {"code", "message"}


def test_the_matrix_names_every_endpoint_of_the_schema(principals):
    schema = principals["anonymous"].get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    documented = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    names = {"{golden}": "{golden_id}", "{merged}": "{golden_id}", "{hook}": "{id}", "{case}": "{key}",
             "{approved}": "{proposal}", "{request}": "{id}"}
    covered = {(m, functools.reduce(lambda path, name: path.replace(*name), names.items(), p))
               for m, p, _, _ in MATRIX.values()}
    covered = {(m, p.replace("/customer/crm/C1", "/{domain}/{system}/{source_key}")
                .replace("/customer/C1", "/{domain}/{source_key}").replace("/customer", "/{domain}"))
               for m, p in covered}
    inbound = {("post", "/api/v1/inbound/jiandaoyun/{system}")}
    assert documented - inbound <= covered


def test_revoked_and_expired_tokens_are_refused(principals):
    token = ApiToken.objects.get(system=principals.systems["crm"])
    api_token_revoke(token=token, change=SETUP)
    reply = principals["crm"].get("/api/v1/golden/customer")
    assert reply.status_code == 401 and reply.json()["code"] == "unauthenticated"
    assert token.history.count() == 2  # issued, revoked
    ApiToken.objects.filter(system=principals.systems["erp"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert principals["erp"].get("/api/v1/golden/customer").status_code == 401
    assert ApiToken.objects.filter(digest=principals.tokens["mes"]).count() == 0  # stored hashed


def test_a_revoked_token_is_refused_at_once_even_when_just_used(principals, django_capture_on_commit_callbacks):
    assert principals["crm"].get("/api/v1/golden/customer").status_code == 200  # checked, and kept a few seconds
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token=ApiToken.objects.get(system=principals.systems["crm"]), change=SETUP)
    assert principals["crm"].get("/api/v1/golden/customer").status_code == 401


def test_it_throttles_per_token(principals):
    rates = PerTokenThrottle.THROTTLE_RATES  # read once, when DRF's settings load
    PerTokenThrottle.THROTTLE_RATES = {"token": "3/minute"}
    try:
        assert [principals["crm"].get("/api/v1/golden/customer").status_code for _ in range(4)] == [200, 200, 200, 429]
        throttled = principals["crm"].get("/api/v1/golden/customer")
        assert throttled.json()["code"] == "throttled" and int(throttled["Retry-After"]) > 0
        assert principals["erp"].get("/api/v1/golden/customer").status_code == 200  # another token: its own count
    finally:
        PerTokenThrottle.THROTTLE_RATES = rates
