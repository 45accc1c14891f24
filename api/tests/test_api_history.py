"""History for auditors: versions with who, when and why; the state as of a time; the diff
between two versions; refused to everyone else."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.test import APIClient

from api.tests.conftest import SETUP
from api.views.history import _state
from mdm.access import MASK, Role, access_grant, department_join, department_set
from mdm.history import Change
from mdm.selectors import record_history
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.tests.factories import HUAWEI, OTHER, upsert
from mdm.visibility import Viewer

STEWARD = Change(actor="user:steward", reason="the registered name")


def test_it_shows_versions_as_of_and_diffs_to_auditors(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})
    golden = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
    between = timezone.now()
    golden_record_override_set(golden=golden, attribute="name", value="华为技术有限公司（深圳）", reason="registered",
                               change=STEWARD)
    client = principals["auditor"]
    versions = client.get(f"/api/v1/history/golden/customer/{golden.golden_id}").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["actor"] == "user:steward" and versions[0]["reason"] == "the registered name"
    then = client.get(f"/api/v1/history/golden/customer/{golden.golden_id}", {"as_of": between.isoformat()}).json()
    assert [v["version"] for v in then["versions"]] == [1] and then["members"] == ["crm:C1"]
    diff = client.get(f"/api/v1/history/golden/customer/{golden.golden_id}", {"diff_from": 1, "diff_to": 2}).json()
    assert diff["diff"]["attributes.name"] == {"from": "华为技术有限公司", "to": "华为技术有限公司(深圳)"}
    assert diff["diff"]["overrides.name"]["from"] is None
    record = client.get("/api/v1/history/records/customer/crm/C1").json()["versions"]
    assert record[0]["state"]["golden_id"] == golden.pk and record[-1]["version"] == 1
    missing = client.get(f"/api/v1/history/golden/customer/{golden.golden_id}", {"diff_from": 1, "diff_to": 9})
    assert missing.status_code == 404
    for role in ("steward", "crm", "east", "outsider"):
        assert principals[role].get(f"/api/v1/history/golden/customer/{golden.golden_id}").status_code == 403
    assert principals["anonymous"].get("/api/v1/history/records/customer/crm/C1").status_code == 401


def test_a_departments_auditor_reads_a_shared_golden_records_history_without_the_other_systems_values(
        principals, django_user_model):
    crm = upsert(principals.systems["crm"], "customer", {"C9": {**OTHER, "phone": "021-64385566"}})
    erp = upsert(principals.systems["erp"], "customer", {"E9": {"name": OTHER["name"]}})
    golden = golden_record_create(domain="customer", members=[crm["C9"].pk, erp["E9"].pk], change=STEWARD)
    between = timezone.now()
    upsert(principals.systems["crm"], "customer", {"C9": {**OTHER, "phone": "021-64385577"}})
    user = django_user_model.objects.create_user("east-auditor", password="x")
    access_grant(user=user, role=Role.AUDITOR, change=SETUP)
    department_join(user=user, department=department_set(code="east", name="East", systems=["erp"], change=SETUP),
                    change=SETUP)
    client = APIClient()
    client.force_login(user)
    path = f"/api/v1/history/golden/customer/{golden.golden_id}"
    answers = [client.get(path).json(), client.get(path, {"as_of": between.isoformat()}).json()]
    versions = answers[0]["versions"]
    answers.append(client.get(path, {"diff_from": versions[-1]["version"], "diff_to": versions[0]["version"]}).json())
    assert len(versions) >= 2 and answers[1]["members"] == ["erp:E9"]
    shown = str(answers)
    assert "643855" not in shown and "C9" not in shown  # the phone is stored as +862164385577
    assert principals["auditor"].get(path).json()["versions"][0]["state"]["attributes"]["phone"] == "+862164385577"


def test_a_source_records_past_issues_are_masked_with_its_masked_attributes(principals, django_user_model):
    # auditors see sensitive values today; a viewer who may not must not read one in an issue's message
    record = upsert(principals.systems["crm"], "customer", {"C7": {**OTHER, "phone": "0755-2878"}})["C7"]
    assert "0755-2878" in str(record.issues["phone"])
    viewer = Viewer(user=django_user_model.objects.create_user("masked", password="x"), systems=None,
                    _masks={"customer": frozenset({"phone"})})
    state = _state(record_history(record)[0], "source", "customer", viewer)
    assert state["issues"]["phone"] == [MASK] * len(record.issues["phone"]) and "0755-2878" not in str(state)
