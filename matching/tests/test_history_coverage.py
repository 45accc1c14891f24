"""No path writes master data without history: each path is run and every object it
changed must have new history rows, the last holding the object as it now is, none
repeating the version before it, and no object it left alone may gain one."""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

from fixtures.datasets import SAMPLES
from matching.ingest import file_ingest
from matching.runs import match_run
from matching.tests.factories import DEMO_TRUST
from matching.training import match_model_store
from mdm import audit
from mdm.history import Change
from mdm.history_log import declarations_of
from mdm.ingest.run import SnapshotPolicy, import_file
from mdm.models import GoldenRecord, MatchModel, MergeProposal, PairConstraint, SourceRecord, SourceSystem
from mdm.services.decisions import golden_record_split_manually, golden_records_merge_manually, proposal_decide
from mdm.services.golden_records import golden_record_override_clear, golden_record_override_set
from mdm.services.systems import source_system_register

pytestmark = pytest.mark.django_db(transaction=True)
TRACKED = (SourceSystem, SourceRecord, GoldenRecord, MergeProposal, PairConstraint, MatchModel)
STEWARD = Change(actor="user:steward", reason="review")


def _fields(model) -> list[str]:
    """The fields history keeps (a model's history may leave out what never changes)."""
    kept = {f.attname for f in model.history.model._meta.concrete_fields}
    return [f.attname for f in model._meta.concrete_fields if f.attname in kept]


def _rows(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.values(*_fields(model))}


@contextmanager
def history_of_every_change(path: str):
    """Around one path: compare what it changed with the history it wrote."""
    before = {model: _rows(model) for model in TRACKED}
    marks = {model: model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
             for model in TRACKED}
    yield
    touched = 0
    for model in TRACKED:
        after = _rows(model)
        changed = {pk for pk, row in after.items() if before[model].get(pk) != row}
        new = list(model.history.filter(history_id__gt=marks[model]).order_by("history_id")
                   .values("id", "history_hash", "history_actor", "history_operation",
                           *[f for f in _fields(model) if f != "id"]))
        assert {row["id"] for row in new} == changed, f"{path}: {model.__name__} changed without history or vice versa"
        last: dict[int, dict] = {}
        for row in new:
            assert row["history_actor"] and row["history_operation"] and row["history_hash"], path
            version = {k: row[k] for k in after[row["id"]]}
            assert last.get(row["id"]) != version, f"{path}: {model.__name__} {row['id']}: a row for no change"
            last[row["id"]] = version
        for pk, version in last.items():
            assert version == after[pk], f"{path}: {model.__name__} {pk}: its last history row is not the row"
        touched += len(changed)
    assert audit.chain_heads()[1] == [], path
    assert touched, f"{path} changed nothing: the test would prove nothing"


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
