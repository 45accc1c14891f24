"""The auditors' log: who changed what, when, why, found by filters, with the attribute
diff of each version and between any two versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps

from mdm.errors import NotFound
from mdm.history import Change
from mdm.history_log import KINDS, Filters, history_log, iter_history_log, record_versions, version_diff
from mdm.history_log import Change as LogChange
from mdm.models import SourceRecord
from mdm.services.golden_records import golden_record_create, golden_record_merge, golden_record_override_set
from mdm.tests.factories import HUAWEI, OTHER, system, upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    """March: the CRM sends two customers; April: a steward groups them; May: the CRM
    corrects Huawei's tax id; June: a steward overrides the name."""
    steward = Change(actor="user:alice", reason="review")
    with time_machine.travel(datetime(2026, 3, 2, tzinfo=UTC), tick=False):
        crm = system("crm")
        stored = upsert(crm, "customer", {"1": HUAWEI, "2": OTHER})
    with time_machine.travel(datetime(2026, 4, 2, tzinfo=UTC), tick=False):
        golden = golden_record_create(domain="customer", members=[stored["1"].pk], change=steward)
    with time_machine.travel(datetime(2026, 5, 2, tzinfo=UTC), tick=False):
        upsert(crm, "customer", {"1": {**HUAWEI, "tax_id": "91440300192203821X"}},
               change=Change.by_system("crm", "nightly export"))
    with time_machine.travel(datetime(2026, 6, 2, tzinfo=UTC), tick=False):
        golden_record_override_set(golden=golden, attribute="name", value="华为", reason="brand name",
                                   change=steward)
    return stored["1"], golden


def test_every_model_with_history_is_in_the_log():
    tracked = {m for m in apps.get_models() if hasattr(m, "history") and hasattr(m.history, "model")}
    assert tracked == {kind.model for kind in KINDS.values()}


def test_who_changed_this_tax_id(story):
    record, _ = story
    found = [e for e in history_log(Filters(attribute="tax_id")) if e.action == "changed"]
    # the source record's new value, and the golden record's surviving value following it
    assert sorted((e.record, e.actor, e.at.month) for e in found) == [
        ("CUST-0000001", "system:crm", 5), ("crm:1", "system:crm", 5)]
    for entry in found:
        (change,) = [c for c in entry.changes if c.field == "attributes.tax_id"]
        assert (change.before, change.after) == ("914403001922038216", "91440300192203821X")
        assert entry.reason == "nightly export"


def test_filters_narrow_the_log(story):
    record, golden = story
    assert {e.actor for e in history_log(Filters(actor="alice"))} == {"user:alice"}
    assert {e.record for e in history_log(Filters(record=golden.golden_id))} == {golden.golden_id}
    assert {e.record for e in history_log(Filters(record="crm:1"))} == {"crm:1"}
    in_may = history_log(Filters(since=datetime(2026, 5, 1, tzinfo=UTC), until=datetime(2026, 6, 1, tzinfo=UTC)))
    assert sorted((e.record, e.at.month) for e in in_may) == [(golden.golden_id, 5), ("crm:1", 5)]
    assert {e.kind for e in history_log(Filters(system="crm"))} == {"source", "system", "golden"}  # what it caused
    assert history_log(Filters(domain="product")) == []
    created = history_log(Filters(action="created", kinds=("source",)))
    assert len(created) == 2 and all(e.action == "created" for e in created)
    operation = history_log(Filters(actor="alice"))[0].operation
    assert {e.operation for e in history_log(Filters(operation=operation))} == {operation}
    newest_first = [e.at for e in iter_history_log(Filters())]
    assert newest_first == sorted(newest_first, reverse=True)


def test_membership_reads_as_golden_ids_and_versions_diff_attribute_by_attribute(story):
    record, golden = story
    versions = record_versions("source", record.pk)
    assert [v.action for v in versions] == ["created", "changed", "changed"]
    assert any(c.field == "golden" and (c.before, c.after) == (None, golden.golden_id) for c in versions[1].changes)
    diff = version_diff("source", record.pk, versions[0].history_id, versions[-1].history_id)
    assert {c.field for c in diff} >= {"attributes.tax_id", "golden"}
    assert not any("__" in c.field for c in diff)
    with pytest.raises(NotFound):
        version_diff("source", record.pk, versions[0].history_id, 10**9)
    assert SourceRecord.objects.count() == 2


def test_a_retired_golden_record_names_its_successor_by_golden_id(story):
    record, golden = story
    other = golden_record_create(domain="customer", members=[SourceRecord.objects.get(source_key="2").pk],
                                 change=Change(actor="user:alice", reason="review"))
    golden_record_merge(survivor=golden, retired=[other], change=Change(actor="user:alice", reason="same"))
    (retired,) = [e for e in record_versions("golden", other.pk) if e.action == "changed"]
    assert LogChange("successor", None, golden.golden_id) in retired.changes
