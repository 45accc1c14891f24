"""What a viewer sees (mdm.visibility) in the auditors' log and exports and in the file
exports: a steward without the sensitive grant reads that a tax id changed, never from what
to what; a department's user reads its systems' records only; `manage.py export --as USER`
writes what the API would give that user."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.access import MASK, Role, access_grant, department_join, department_set
from mdm.errors import NotFound, UnknownSourceSystem
from mdm.exports.files import export_write
from mdm.history import Change
from mdm.history_log import Filters, chain_heads_digest, history_export, history_log, version_diff
from mdm.models import GoldenRecord, SourceRecord
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.services.proposals import Candidate, proposal_offer
from mdm.services.systems import source_system_api_user
from mdm.tests.factories import HUAWEI, OTHER, system, upsert
from mdm.visibility import EVERYTHING, Viewer

pytestmark = pytest.mark.django_db
SETUP = Change(actor="test", reason="setup")
NEW_TAX_ID = "91440300192203821X"
OVERRIDE_TAX_ID = "914403001922038216"  # a steward's override: the same as erp's, to be found if it leaks
SECRETS = (HUAWEI["tax_id"], NEW_TAX_ID, OTHER["tax_id"], "28780808", "89118888")


@pytest.fixture
def world():
    """erp:1 and crm:1 (Huawei) in one golden record, crm:2 (JD) in another; a proposal
    joining erp:1 and crm:2; crm then corrects Huawei's tax id. Viewers: plain (a customer
    steward), seer (with the sensitive grant), erp_user (with it, of a department holding erp
    only), outsider (no grant), and erp's API user (a system grant)."""
    erp, crm = system("erp"), system("crm")
    e = upsert(erp, "customer", {"1": HUAWEI})
    c = upsert(crm, "customer", {"1": {**HUAWEI, "phone": "0755-28780000"}, "2": OTHER})
    huawei = golden_record_create(domain="customer", members=[e["1"].pk, c["1"].pk], change=SETUP)
    jd = golden_record_create(domain="customer", members=[c["2"].pk], change=SETUP)
    proposal_offer(domain="customer", candidate=Candidate(left=e["1"].pk, right=c["2"].pk, weight=3.0,
                                                          probability=0.6, evidence=[]), change=SETUP)
    upsert(crm, "customer", {"1": {**HUAWEI, "phone": "0755-28780000", "tax_id": NEW_TAX_ID}},
           change=Change.by_system("crm", "nightly export"))
    users = {}
    for name, roles in (("plain", [Role.STEWARD]), ("seer", [Role.STEWARD, Role.SENSITIVE]),
                        ("erp_user", [Role.STEWARD, Role.SENSITIVE]), ("outsider", [])):
        users[name] = get_user_model().objects.create_user(name)
        for role in roles:
            access_grant(user=users[name], role=role, domains=["customer"], change=SETUP)
    department_join(user=users["erp_user"],
                    department=department_set(code="erp-dept", name="ERP", systems=["erp"], change=SETUP),
                    change=SETUP)
    users["system-erp"] = source_system_api_user(system=erp, change=SETUP)
    access_grant(user=users["system-erp"], role=Role.SYSTEM, domains=["customer"], change=SETUP)
    return {"huawei": GoldenRecord.objects.get(pk=huawei.pk), "jd": jd, "users": users,
            "crm1": SourceRecord.objects.get(pk=c["1"].pk)}


def viewer(world, name: str) -> Viewer:
    return Viewer.of(get_user_model().objects.get(pk=world["users"][name].pk))


def changes_text(entries) -> str:
    return json.dumps([[c.field, c.before, c.after] for e in entries for c in e.changes], ensure_ascii=False,
                      default=str)


# --- the auditors' log ------------------------------------------------------------------------------


def test_the_log_says_a_tax_id_changed_without_saying_from_what_to_what(world):
    golden_record_override_set(golden=world["huawei"], attribute="tax_id", value=OVERRIDE_TAX_ID,
                               reason="checked", change=SETUP)
    masked = history_log(Filters(), limit=1000, viewer=viewer(world, "plain"))
    text = changes_text(masked)
    assert not [s for s in SECRETS if s in text]
    tax = [c for e in masked for c in e.changes if c.field == "attributes.tax_id" and e.record == "crm:1"]
    assert [(c.before, c.after) for c in tax] == [(MASK, MASK), (None, MASK)]  # changed; created (newest first)
    assert any(c.field == "overrides.tax_id" and c.after == MASK for e in masked for c in e.changes)
    assert any(c.field.startswith("raw.") and c.after == MASK for e in masked for c in e.changes)
    assert any(c.field == "attributes.name" and c.after == HUAWEI["name"] for e in masked for c in e.changes)
    for seen in (EVERYTHING, viewer(world, "seer")):
        assert NEW_TAX_ID in changes_text(history_log(Filters(), limit=1000, viewer=seen))


def test_a_diff_between_versions_masks_both_tax_ids(world):
    versions = [e.history_id for e in history_log(Filters(kinds=("source",), record="crm:1"))]
    diff = version_diff("source", world["crm1"].pk, min(versions), max(versions), viewer=viewer(world, "plain"))
    assert {c.field: (c.before, c.after) for c in diff}["attributes.tax_id"] == (MASK, MASK)
    diff = version_diff("source", world["crm1"].pk, min(versions), max(versions), viewer=viewer(world, "seer"))
    assert {c.field: (c.before, c.after) for c in diff}["attributes.tax_id"] == (HUAWEI["tax_id"], NEW_TAX_ID)


def test_a_department_reads_the_history_of_its_systems_records_only(world):
    entries = history_log(Filters(), limit=1000, viewer=viewer(world, "erp_user"))
    records = {(e.kind, e.record) for e in entries if e.kind in ("source", "golden", "proposal", "system")}
    assert records == {("source", "erp:1"), ("golden", world["huawei"].golden_id), ("system", "erp")}
    assert OTHER["name"] not in changes_text(entries) and "0755-28780000" not in changes_text(entries)
    lineage = [c for e in entries for c in e.changes if c.field.startswith("lineage.")]
    assert any(c.after == MASK for c in lineage)  # a value crm gave: where from is not said
    assert '"crm"' not in json.dumps([[c.before, c.after] for c in lineage], default=str)
    with pytest.raises(NotFound, match="no version"):
        version_diff("source", world["crm1"].pk, 1, 2, viewer=viewer(world, "erp_user"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_audit_export_without_the_grant_is_masked_and_still_names_its_chain_rows(world, fmt):
    name, content = history_export(Filters(), fmt, actor="user:plain", viewer=viewer(world, "plain"))
    if fmt == "csv":
        archive = zipfile.ZipFile(io.BytesIO(content))
        data = archive.read("history.csv")
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["file"]["sha256"] == hashlib.sha256(data).hexdigest()
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        book = openpyxl.load_workbook(io.BytesIO(content))
        header, *values = list(book["history"].iter_rows(values_only=True))
        rows = [dict(zip(header, row, strict=True)) for row in values]
        manifest = {k: json.loads(v) if k in ("viewer", "filters") else v
                    for k, v in book["manifest"].iter_rows(values_only=True)}
    text = json.dumps(rows, ensure_ascii=False, default=str)
    assert not [s for s in SECRETS if s in text]
    assert any("attributes.tax_id: *** → ***" in r["changes"] for r in rows)
    assert manifest["viewer"]["user"] == "plain" and manifest["viewer"]["systems"] is None
    assert manifest["viewer"]["masked"]["customer"] == ["birth_date", "email", "national_id", "phone", "tax_id"]
    assert manifest["chain_heads_digest"] == chain_heads_digest()  # verify_audit recomputes it as ever
    row = next(r for r in rows if r["kind"] == "source" and r["record"] == "crm:1")
    stored = SourceRecord.history.get(history_id=int(row["history_id"]))
    assert row["history_hash"] == stored.history_hash  # the stored row's hash, its values unmasked


# --- file exports -----------------------------------------------------------------------------------


def read(path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    if path.suffix == ".xlsx":
        header, *rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
        return [dict(zip(header, row, strict=True)) for row in rows]
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_golden_export_for_a_steward_without_the_grant_masks_sensitive_columns(world, tmp_path, fmt):
    path = tmp_path / f"golden.{fmt}"
    export_write(kind="golden", domain="customer", fmt=fmt, path=path, viewer=viewer(world, "plain"))
    rows = read(path)
    assert {r["tax_id"] for r in rows} == {MASK} and {r["phone"] for r in rows} == {MASK}
    assert {r["name"] for r in rows} == {HUAWEI["name"], OTHER["name"]}
    assert not [s for s in SECRETS if s in json.dumps(rows, ensure_ascii=False, default=str)]
    export_write(kind="golden", domain="customer", fmt=fmt, path=path, viewer=viewer(world, "seer"))
    assert OTHER["tax_id"] in {r["tax_id"] for r in read(path)}


def test_a_departments_exports_hold_its_systems_records_only(world, tmp_path):
    erp = viewer(world, "erp_user")
    out = {}
    for kind in ("golden", "xref", "proposals", "changes"):
        export_write(kind=kind, domain="customer", fmt="csv", path=tmp_path / f"{kind}.csv", viewer=erp)
        out[kind] = read(tmp_path / f"{kind}.csv")
    assert [r["golden_id"] for r in out["golden"]] == [world["huawei"].golden_id]
    lineage = world["huawei"].lineage
    for name, source in lineage.items():  # a value that came from crm is masked, erp's shown
        value = out["golden"][0][name]
        assert (value == MASK) == (source.get("system") == "crm"), name
    assert [(r["system"], r["source_key"]) for r in out["xref"]] == [("erp", "1")]
    assert out["proposals"] == []  # it joins crm's record
    assert out["changes"] and {r["system"] for r in out["changes"]} == {"erp"}
    with pytest.raises(UnknownSourceSystem, match="unknown source system 'crm'$"):
        export_write(kind="xref", domain="customer", fmt="csv", path=tmp_path / "x.csv", system="crm", viewer=erp)


def test_a_change_feed_export_masks_payload_attributes(world, tmp_path):
    path = tmp_path / "changes.csv"
    export_write(kind="changes", domain="customer", fmt="csv", path=path, viewer=viewer(world, "plain"))
    payloads = [json.loads(r["payload"]) for r in read(path)]
    assert any(p.get("attributes", {}).get("tax_id") == MASK for p in payloads)
    assert not [s for s in SECRETS if s in path.read_text(encoding="utf-8-sig")]


def test_manage_py_export_as_a_user_or_a_system_applies_their_view(world, tmp_path):
    def export(*extra: str) -> list[dict]:
        path = tmp_path / "golden.csv"
        call_command("export", "golden", "--domain", "customer", "--out", str(path), *extra, stdout=io.StringIO())
        return read(path)

    assert OTHER["tax_id"] in {r["tax_id"] for r in export()}  # the hub's own: everything
    assert {r["tax_id"] for r in export("--as", "plain")} == {MASK}
    assert {r["tax_id"] for r in export("--as", "system-erp")} == {MASK}  # as the API answers erp's token
    assert len(export("--as", "erp_user")) == 1
    with pytest.raises(CommandError, match="no user 'nobody'"):
        export("--as", "nobody")
    with pytest.raises(CommandError, match="outsider may not view in customer"):
        export("--as", "outsider")
    with pytest.raises(CommandError, match="unknown source system 'crm'$"):
        call_command("export", "xref", "--domain", "customer", "--system", "crm", "--as", "erp_user",
                     "--out", str(tmp_path / "x.csv"))


def test_a_flag_quoting_a_sensitive_value_is_masked_like_the_value(world):
    """A standardizer's message quotes the value it could not read; the record's issues are
    keyed by attribute like its attributes, and masked the same way."""
    upsert(system("crm"), "customer", {"3": {**OTHER, "tax_id": "DE999999999"}}, change=SETUP)
    record = SourceRecord.objects.get(source_key="3")
    assert any("DE999999999" in m for m in record.issues["tax_id"])
    masked = changes_text(history_log(Filters(record="crm:3"), limit=100, viewer=viewer(world, "plain")))
    assert "DE999999999" not in masked and "issues.tax_id" in masked
    assert viewer(world, "plain").issues("customer", record.issues)["tax_id"] == [MASK]
    assert "DE999999999" in changes_text(history_log(Filters(record="crm:3"), limit=100, viewer=viewer(world, "seer")))
