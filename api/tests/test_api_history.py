"""History for auditors: versions with who, when and why; the state as of a time; the diff
between two versions; refused to everyone else."""

from __future__ import annotations

from django.utils import timezone

from mdm.history import Change
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.tests.factories import HUAWEI, upsert

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
