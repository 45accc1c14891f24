"""No path writes master data without history: each path is run and every object it
changed must have new history rows, the last holding the object as it now is, none
repeating the version before it, and no object it left alone may gain one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command

from fixtures.datasets import SAMPLES
from matching.ingest import file_ingest
from matching.runs import match_run
from matching.tests.factories import DEMO_TRUST
from matching.training import match_model_store
from mdm.history import Change
from mdm.history_log import declarations_of
from mdm.ingest.run import SnapshotPolicy, import_file
from mdm.models import GoldenRecord, MergeProposal, SourceRecord
from mdm.services.decisions import golden_record_split_manually, golden_records_merge_manually, proposal_decide
from mdm.services.golden_records import golden_record_override_clear, golden_record_override_set
from mdm.services.systems import source_system_register
from mdm.tests.factories import history_of_every_change

pytestmark = pytest.mark.django_db(transaction=True)
STEWARD = Change(actor="user:steward", reason="review")


def _without_last_row(source: Path, target: Path) -> Path:
    with source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    with target.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[:-1])
    return target


def test_every_write_path_writes_history_for_exactly_what_it_changed(trained, tmp_path):
    with history_of_every_change("management command register_system"):
        call_command("register_system", "erp", name="SAP ERP", trust='{"customer": {"*": 2}}')
    for code in ("crm", "oracle"):
        source_system_register(code=code, name=code, trust=DEMO_TRUST.get(code, {}),
                               change=Change(actor="test", reason="setup"))
    with history_of_every_change("bulk ingest"):
        import_file(path=SAMPLES / "sap_kna1.csv", system_code="erp", profile_name="sap_kna1")
    for _ in range(2):  # the second replaces the first as the one in force
        with history_of_every_change("a trained model stored"):
            match_model_store(domain="customer", trained=trained("customer"),
                              change=Change(actor="test", reason="model"))
    with history_of_every_change("batch match run"):
        result = match_run(domain="customer", actor="test")
    assert [(d.kind, d.name) for d in declarations_of(result.run.operation)] == [("domain", "customer")]
    with history_of_every_change("ingest with real-time matching"):
        result = file_ingest(path=SAMPLES / "fxiaoke_account.json", system_code="crm", profile_name="fxiaoke_account")
        assert result.matched is not None and result.matched.error in (None, "")
    with history_of_every_change("snapshot ingest (deletion)"):
        file_ingest(path=_without_last_row(SAMPLES / "sap_kna1.csv", tmp_path / "kna1.csv"), system_code="erp",
                    profile_name="sap_kna1", snapshot=True, policy=SnapshotPolicy(confirmed=True))
    pending = list(MergeProposal.objects.filter(status=MergeProposal.Status.PENDING, left__is_deleted=False,
                                                right__is_deleted=False)[:2])
    assert pending, "the data gave no proposal to decide"
    for proposal, decision in zip(pending, ("approve", "reject"), strict=False):
        with history_of_every_change(f"steward decision {decision}"):
            proposal_decide(proposal=proposal, decision=decision, reason="checked", change=STEWARD)
    a, b = GoldenRecord.objects.filter(status="active").order_by("id")[:2]
    with history_of_every_change("steward merge"):
        merged = golden_records_merge_manually(golden_records=[a, b], reason="same", change=STEWARD)
    with history_of_every_change("steward override"):
        golden_record_override_set(golden=merged, attribute="name", value="改名", reason="brand", change=STEWARD)
    with history_of_every_change("steward override cleared"):
        golden_record_override_clear(golden=GoldenRecord.objects.get(pk=merged.pk), attribute="name", change=STEWARD)
    members = list(SourceRecord.objects.filter(golden=merged, is_deleted=False).values_list("id", flat=True))
    with history_of_every_change("steward split"):
        golden_record_split_manually(golden=GoldenRecord.objects.get(pk=merged.pk),
                                     parts=[members[:1], members[1:]], reason="two firms", change=STEWARD)
    with history_of_every_change("batch match run after steward work"):
        call_command("match", "customer")
