"""The bulk paths (mdm.bulk through mdm.history): each row's history row, stamped, in the
order given, and chained like every other history row."""

from __future__ import annotations

import pytest

from mdm import audit, history
from mdm.history import Change
from mdm.models import SourceRecord
from mdm.tests.factories import HUAWEI, OTHER, system, upsert

pytestmark = pytest.mark.django_db


def test_a_bulk_update_writes_each_rows_new_state_as_a_history_row_in_the_order_given():
    stored = upsert(system("crm"), "customer", {"1": HUAWEI, "2": OTHER, "3": {**OTHER, "name": "腾讯"}})
    first, second, third = (stored[key] for key in ("1", "2", "3"))
    change = Change(actor="test", reason="bulk update")
    rows = [{"id": record.pk, "version": record.version + 10} for record in (third, first)]  # not in key order

    history.bulk_update(SourceRecord, rows, ["version"], change)

    assert {r.pk: r.version for r in SourceRecord.objects.all()} == {
        first.pk: first.version + 10, second.pk: second.version, third.pk: third.version + 10}
    written = SourceRecord.history.filter(history_operation=change.operation).order_by("history_id")
    assert [(h.id, h.version, h.history_type, h.history_actor, h.source_key) for h in written] == [
        (third.pk, third.version + 10, "~", "test", "3"),
        (first.pk, first.version + 10, "~", "test", "1"),
    ]
    assert written[1].attributes == SourceRecord.objects.get(pk=first.pk).attributes
    assert audit.chain_heads()[1] == []
