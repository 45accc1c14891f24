"""The auditors' pages: read-only, for the audit action only; the log filters, a record's
versions and their diff, a golden record as of a moment, the decision log, and exports
that carry their manifest and run no formula."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mdm.history import Change
from mdm.ingest.run import import_file
from mdm.models import DeclarationUse, DeclarationVersion, GoldenRecord, SourceRecord
from mdm.services.decisions import proposal_decide
from mdm.tests.factories import KNA1_PROFILE, KNA1_ROWS, system, upsert, write_csv
from stewardship.tests.factories import PASSWORD, cases, users

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(client):
    people = users()
    work = cases()
    wang = Change.by_user(people["wang"], "same company")
    proposal_decide(proposal=work.proposal("erp:HW", "crm:HW"), decision="approve", reason="same company", change=wang)
    # a source sends a value a spreadsheet would run
    upsert(system("crm"), "customer", {"JD": {"name": "=HYPERLINK(\"http://x\",\"JD\")", "tax_id": "911103026605015136",
                                              "city": "北京"}}, change=Change.by_system("crm", "=1+cmd|' /C calc'!A0"))
    return people, work


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_only_auditors_and_admins_read_history(client, hub):
    people, _ = hub
    for name, status in [("wang", 403), ("outsider", 403), ("auditor", 200)]:
        login(client, people[name])
        assert client.get(reverse("steward:audit-log")).status_code == status, name
        assert client.get(reverse("steward:audit-export", args=["xlsx"])).status_code == status, name
    client.logout()
    assert client.get(reverse("steward:audit-log")).status_code == 302


def test_the_log_answers_who_changed_a_tax_id_and_links_to_the_record(client, hub):
    people, work = hub
    login(client, people["auditor"])
    page = client.get(reverse("steward:audit-log"), {"attribute": "name", "record": "crm:JD"}).content.decode()
    assert "system:crm" in page and "HYPERLINK" in page
    url = reverse("steward:audit-record", args=["source", work.records["crm:JD"]])
    assert url in page
    versions = client.get(url).content.decode()
    assert "attributes.name" in versions
    assert client.get(reverse("steward:audit-record", args=["nothing", 1])).status_code == 404
    assert client.get(reverse("steward:audit-record", args=["source", 10**9])).status_code == 404


def test_two_versions_diff_and_a_golden_record_as_of_a_moment(client, hub):
    people, work = hub
    login(client, people["auditor"])
    record = SourceRecord.objects.get(pk=work.records["crm:JD"])
    first, *_, last = record.history.order_by("history_id")
    page = client.get(reverse("steward:audit-record", args=["source", record.pk]),
                      {"left": first.history_id, "right": last.history_id}).content.decode()
    assert 'id="diff"' in page and "attributes.name" in page
    golden = GoldenRecord.objects.get(pk=SourceRecord.objects.get(pk=work.records["erp:HW"]).golden_id)
    now = (timezone.now() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    page = client.get(reverse("steward:audit-record", args=["golden", golden.pk]), {"as_of": now}).content.decode()
    assert 'id="as-of"' in page and "erp:HW" in page and "crm:HW" in page
    page = client.get(reverse("steward:audit-record", args=["golden", golden.pk]), {"as_of": "2000-01-01T00:00"})
    assert "did not exist yet" in page.content.decode()
    assert "YYYY" in client.get(reverse("steward:audit-record", args=["golden", golden.pk]),
                                {"as_of": "yesterday"}).content.decode()


def test_the_decision_log_shows_what_people_decided_with_the_evidence(client, hub):
    people, _ = hub
    login(client, people["auditor"])
    page = client.get(reverse("steward:audit-decisions")).content.decode()
    assert "user:wang" in page and "same company" in page and "Evidence" in page or "证据" in page
    assert "system:crm" not in page


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_carries_its_manifest_and_runs_no_formula(client, hub, fmt):
    people, _ = hub
    login(client, people["auditor"])
    response = client.get(reverse("steward:audit-export", args=[fmt]), {"record": "crm:JD"})
    assert response.status_code == 200
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(response.content))
        rows = list(book["history"].iter_rows(values_only=True))
        cells = [c for row in book["history"].iter_rows() for c in row]
        manifest = dict(book["manifest"].iter_rows(values_only=True))
    else:
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        text = archive.read("history.csv").decode("utf-8-sig")
        rows = [line.split(",") for line in text.splitlines()]
        cells = []
        manifest = json.loads(archive.read("manifest.json"))
    assert all(c.data_type != "f" for c in cells)
    assert any(str(v).startswith("'=1+cmd") for row in rows for v in row)
    assert not any(str(v).startswith("=") for row in rows for v in row)
    assert len(manifest["chain_heads_digest"]) == 64 and manifest["written_by"] == "user:auditor"
    assert client.get(reverse("steward:audit-export", args=["pdf"])).status_code == 400


def test_the_declarations_in_force_for_an_import_and_a_match_run(client, hub, tmp_path):
    people, _ = hub
    profile = tmp_path / "test_customers.yaml"
    profile.write_text(KNA1_PROFILE, encoding="utf-8")
    run = import_file(path=write_csv(tmp_path / "k.csv", KNA1_ROWS), system_code="erp", profile_name=str(profile))
    login(client, people["auditor"])
    page = client.get(reverse("steward:audit-log"), {"operation": str(run.operation)}).content.decode()
    assert 'id="declarations"' in page and "domain customer" in page and "profile test_customers" in page
    version = DeclarationVersion.objects.get(kind="profile", name="test_customers")
    text = client.get(reverse("steward:audit-declaration", args=[version.pk])).content.decode()
    assert "KUNNR" in text and version.digest in text
    # the same text again is the same version; another text is a new one
    import_file(path=write_csv(tmp_path / "k.csv", KNA1_ROWS), system_code="erp", profile_name=str(profile))
    profile.write_text(KNA1_PROFILE + "\ndescription: changed\n", encoding="utf-8")
    import_file(path=write_csv(tmp_path / "k.csv", KNA1_ROWS), system_code="erp", profile_name=str(profile))
    assert DeclarationVersion.objects.filter(kind="profile", name="test_customers").count() == 2
    assert DeclarationUse.objects.filter(version__kind="profile").count() == 3
    assert client.get(reverse("steward:audit-declaration", args=[10**9])).status_code == 404
