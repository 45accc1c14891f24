"""Any golden record as of any past moment: rebuilt from history, it equals the state it
was seen in at that moment, across merges, splits, overrides and re-sent records over days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from mdm.history import Change
from mdm.models import GoldenRecord
from mdm.selectors import golden_record_as_of, golden_record_state
from mdm.services.decisions import golden_record_split_manually, golden_records_merge_manually
from mdm.services.golden_records import (
    golden_record_create,
    golden_record_override_clear,
    golden_record_override_set,
)
from mdm.tests.factories import HUAWEI, OTHER, system, upsert

pytestmark = pytest.mark.django_db
DAY1 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_every_golden_record_as_of_each_past_day_equals_what_it_was_that_day():
    steward = Change(actor="user:steward", reason="review")
    seen: list[tuple[datetime, dict[str, object]]] = []

    def day(n: int):
        return time_machine.travel(DAY1 + timedelta(days=n), tick=False)

    def capture(n: int) -> None:
        states = {g.golden_id: golden_record_state(g) for g in GoldenRecord.objects.all()}
        seen.append((DAY1 + timedelta(days=n, hours=3), states))

    with day(0):
        crm, erp = system("crm"), system("erp")
        a = upsert(crm, "customer", {"1": HUAWEI, "2": OTHER})
        b = upsert(erp, "customer", {"K1": {**HUAWEI, "name": "华为技术"}, "K2": OTHER})
        goldens = [golden_record_create(domain="customer", members=[r.pk], change=steward)
                   for r in (a["1"], a["2"], b["K1"], b["K2"])]
    capture(0)
    with day(1):
        merged = golden_records_merge_manually(golden_records=goldens[::2], reason="same company", change=steward)
    capture(1)
    with day(2):
        golden_record_override_set(golden=merged, attribute="name", value="华为", reason="brand", change=steward)
        golden_records_merge_manually(golden_records=[goldens[1], goldens[3]], reason="same", change=steward)
    capture(2)
    with day(3):
        golden_record_split_manually(golden=merged, parts=[[a["1"].pk], [b["K1"].pk]], reason="sister", change=steward)
    capture(3)
    with day(4):
        upsert(crm, "customer", {"1": {**HUAWEI, "phone": "0755-28780809"}})
        golden_record_override_clear(golden=GoldenRecord.objects.get(pk=merged.pk), attribute="name", change=steward)
        upsert(erp, "customer", {"K2": OTHER}, deleted=True)
    capture(4)

    assert len({state.members for _, states in seen for state in states.values()}) >= 4
    for at, states in seen:
        for golden_id, state in states.items():
            rebuilt = golden_record_as_of(golden_id, at)
            assert rebuilt is not None
            assert rebuilt.version == state.version, (golden_id, at)
            assert (rebuilt.status, rebuilt.successor_id) == (state.status, state.successor_id)
            assert rebuilt.attributes == state.attributes
            assert rebuilt.lineage == state.lineage
            assert rebuilt.overrides == state.overrides
            assert rebuilt.members == state.members, (golden_id, at)
    assert golden_record_as_of(goldens[0].golden_id, DAY1 - timedelta(days=1)) is None
